import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { CliIo } from '../../../node/cli/command.js'
import { runSimCli } from '../../../sim/cli/index.js'

function io (): CliIo & { stdout: string, stderr: string } {
  const o = { stdout: '', stderr: '', isTTY: false, out: (t: string) => { o.stdout += t + '\n' }, err: (t: string) => { o.stderr += t + '\n' } }
  return o
}

const root = resolve(import.meta.dirname, '../../..')

describe('immune-sim CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'immune-sim-cli-'))
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('run --out writes results.json, timeseries.csv and a self-contained report.html', async () => {
    const out = join(dir, 'slammer')
    const c = io()
    const code = await runSimCli(['run', 'slammer', '--nodes', '1000', '--seed', '4', '--out', out], c)
    expect(code).toBe(0)
    for (const f of ['results.json', 'timeseries.csv', 'report.html']) expect(existsSync(join(out, f))).toBe(true)
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))
    expect(r.scenario).toBe('slammer')
    expect(r.nodes).toBe(1000)
    expect(r.seed).toBe(4)
    // the figures say what slammer is about: alone most vulnerable members fall, with the mesh almost none
    expect(r.baseline.infectedFraction).toBeGreaterThan(0.8)
    expect(r.mesh.infectedFraction).toBeLessThan(0.05)
    expect(r.baseline.infectedFractionAt600s).toBe(r.baseline.infectedFraction) // a worm never stops by itself
    // immunity is reached only with the mesh, in order, within the run; only the mesh sends messages
    expect(r.baseline.timeToImmune50S).toBeNull()
    expect(r.mesh.timeToImmune50S).toBeGreaterThan(0)
    expect(r.mesh.timeToImmune90S).toBeGreaterThanOrEqual(r.mesh.timeToImmune50S)
    expect(r.mesh.timeToImmune99S).toBeGreaterThanOrEqual(r.mesh.timeToImmune90S)
    expect(r.mesh.timeToImmune99S).toBeLessThan(600)
    expect(r.baseline.messagesPerNodePerMin).toBe(0)
    expect(r.baseline.alertLatencyP99Ms).toBeNull()
    expect(r.mesh.messagesPerNodePerMin).toBeGreaterThan(0)
    expect(r.mesh.alertLatencyP99Ms).toBeGreaterThan(0)
    expect(r.mesh.honestHarmed).toBe(0)
    const csv = readFileSync(join(out, 'timeseries.csv'), 'utf8').trim().split('\n')
    expect(csv[0].startsWith('run,t_s,infected_fraction')).toBe(true)
    expect(csv.some(l => l.startsWith('baseline,'))).toBe(true)
    expect(csv.some(l => l.startsWith('mesh,'))).toBe(true)
    const html = readFileSync(join(out, 'report.html'), 'utf8')
    expect(html).toContain('<svg')
    expect(html).not.toMatch(/<script|<link|src="http|href="http/)
    expect(c.stdout).toContain('wrote')
    expect(c.stdout).toContain('infected')
  })

  it('--json prints results.json; scenarios lists the built-ins', async () => {
    const c = io()
    expect(await runSimCli(['run', 'targeted', '--nodes', '200', '--duration', '600', '--json'], c)).toBe(0)
    const r = JSON.parse(c.stdout)
    expect(r.scenario).toBe('targeted')
    expect(r.durationS).toBe(600)
    const l = io()
    expect(await runSimCli(['scenarios', '--json'], l)).toBe(0)
    expect(JSON.parse(l.stdout).map((s: { name: string }) => s.name)).toEqual(['slammer', 'targeted', 'liars', 'selfish', 'sybil', 'churn'])
  })

  it('bad usage exits 2 with a message naming the problem', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run'], /expected 1 argument/],
      [['run', 'slammer', '--nodes', 'many'], /--nodes must be an integer/],
      [['run', 'slammer', '--nodes', '1'], /--nodes/],
      [['run', 'slammer', '--frobnicate'], /frobnicate/],
      [['run', 'no-such-scenario'], /unknown scenario/],
      [['fly'], /unknown command/]
    ]
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'base: slammer\npopulation: { detectorFraction: 2 }\n')
    cases.push([['run', bad], /population\.detectorFraction/])
    for (const [argv, msg] of cases) {
      const c = io()
      expect(await runSimCli(argv, c), argv.join(' ')).toBe(2)
      expect(c.stderr).toMatch(msg)
    }
  })

  it('the bin shim runs as a real process: --help exits 0, bad usage exits 2', () => {
    const run = (args: string[]): { status: number | null, stdout: string, stderr: string } => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bin/immune-sim.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 })
      return { status: r.status, stdout: r.stdout, stderr: r.stderr }
    }
    const help = run(['run', '--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('usage: immune-sim run')
    const bad = run(['run', 'slammer', '--nodes', 'x'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--nodes')
    expect(readFileSync(join(root, 'bin/immune-sim.ts'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
  })
})
