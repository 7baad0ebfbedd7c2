/**
 * `npm run demo` (scripts/demo.ts), run as a real process exactly as a
 * newcomer runs it: it must finish on its own, exit 0, tell the story step by
 * step (the attack blocked at the first shop, the signature adopted by each
 * peer with its origin, the variants refused at the other shops, normal
 * customers served, every node's status address), and leave nothing behind:
 * no temp dir and no process.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from './support/daemon.js'

interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** Runs a command in its own process group (so a timeout can stop everything it started), bounded by timeoutMs. */
async function run (cmd: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<Run> {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const timer = setTimeout(() => { if (child.pid != null) process.kill(-child.pid, 'SIGKILL') }, timeoutMs)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => { child.once('close', (c, s) => { resolve([c, s]) }) })
  clearTimeout(timer)
  return { code, signal, stdout, stderr }
}

/** Processes whose command line mentions `needle` (e.g. a temp dir only the demo's children know). */
function processesMentioning (needle: string): number[] {
  const out: number[] = []
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) out.push(Number(pid))
    } catch {}
  }
  return out
}

describe('e2e: npm run demo', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'immune-demo-test-'))
  afterAll(() => { rmSync(tmp, { recursive: true, force: true }) })

  it('refuses bad usage with exit code 2 before starting anything', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--nodes', '1'], { TMPDIR: tmp }, 30_000)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/--nodes 1: a number from 2 to 8/)
  }, 40_000)

  it('tells the story, exits 0 by itself and cleans up', async () => {
    const r = await run('npm', ['run', '--silent', 'demo'], { TMPDIR: tmp, NO_COLOR: '1' }, 110_000)
    const out = r.stdout
    expect(r.code, `${out}\n${r.stderr}`).toBe(0)
    for (let s = 1; s <= 6; s++) expect(out).toContain(`Step ${s}/6`)
    // each node's status endpoint
    const status = [...out.matchAll(/^ {2}node-(\d) {2}peer \S+ +status (http:\/\/127\.0\.0\.1:\d+\/status)/gm)]
    expect(status.map((m) => m[1])).toEqual(['1', '2', '3', '4'])
    // learning blocks no customer
    expect([...out.matchAll(/(\d+) requests: \1 served, 0 refused/g)].length).toBe(4)
    // the attack meets node-1 only, which blocks it with its own detector and makes a signature
    expect(out).toMatch(/HTTP 403 Forbidden at node-1: its own detector found the request abnormal \(danger level 2\)/)
    const sig = /signature ([0-9a-f]{8}) {2}on get \/product, parameter id: tokens (.+)/.exec(out)
    expect(sig, out).not.toBeNull()
    // every other node adopts it, with node-1 as its origin, after vetting it on its own traffic
    const adopted = [...out.matchAll(/^ {2}node-(\d) {2}adopted signature ([0-9a-f]{8}) from node-1 .*matches none of (\d+) normal observations/gm)]
    expect(adopted.map((m) => m[1]).sort()).toEqual(['2', '3', '4'])
    for (const m of adopted) expect(m[2]).toBe(sig![1])
    // and refuses a variant it never saw, by that signature
    const blocked = [...out.matchAll(/→ HTTP 403 Forbidden: blocked by signature ([0-9a-f]{8}) learned from node-1; this node had never seen this attack/g)]
    expect(blocked.length).toBe(3)
    for (const m of blocked) expect(m[1]).toBe(sig![1])
    expect([...out.matchAll(/20 of 20 normal requests served/g)].length).toBe(4)
    expect(out).toContain('The attack on node-1 made all 4 shops immune to it.')
    expect(out).toMatch(/Done in [\d.]+ s\./)
    // nothing left behind: its temp dir is gone and none of its processes runs
    expect(readdirSync(tmp).filter((d) => d.startsWith('immune-demo-'))).toEqual([])
    expect(processesMentioning(tmp)).toEqual([])
  }, 120_000)
})
