/**
 * Issue 11: renewal ends the whole instance, including descendants that left
 * its process group or session (setsid, a detached node child, a double fork
 * re-parented to pid 1), and verifies that nothing of it is left. Real child
 * processes; the cgroup v2 variant runs only where this machine lets a test
 * create its own cgroup (it is removed afterwards).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createSystemClock } from '../../../core/clock.js'
import { cgroup2Mount, isAlive, readProcStat, signal } from '../../../core/proc.js'
import { createSupervisor, createSupervisorParams } from '../../../node/supervisor/index.js'
import type { Supervisor, SupervisorParams } from '../../../node/supervisor/index.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-escape-'))
const running: Supervisor[] = []
const spawnedPids: number[] = []
const cgroups: string[] = []

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop()
  // whatever a failed test left: only the processes these tests started (their pids were written by them)
  for (const pid of spawnedPids.splice(0)) signal(pid, 'SIGKILL')
})
afterAll(() => {
  for (const cg of cgroups) { try { rmdirSync(cg) } catch {} }
  rmSync(dir, { recursive: true, force: true })
})

async function until (cond: () => boolean, what: string): Promise<void> {
  await vi.waitFor(() => { if (!cond()) throw new Error(`waiting for ${what}`) }, { timeout: 15_000, interval: 20 })
}

/** A cell that starts escapees and writes their pids to `file`, one per line (then keeps running). */
function escapingScript (file: string, opts: { clearEnv?: boolean } = {}): string {
  const node = JSON.stringify(process.execPath)
  const lines = [
    `setsid sleep 1001 & echo $! >> ${file}`,
    // a detached node child whose parent exits: re-parented to pid 1 (or the nearest subreaper)
    `${node} -e "const c=require('child_process').spawn('sleep',['1002'],{detached:true,stdio:'ignore'});require('fs').appendFileSync('${file}',c.pid+'\\n');c.unref()"`,
    // a double fork: the subshell exits at once
    `( sleep 1003 & echo $! >> ${file} )`
  ]
  if (opts.clearEnv === true) lines.push(`( env -i setsid sleep 1004 & echo $! >> ${file} )`)
  lines.push(`echo ready >> ${file}.ready`, 'exec sleep 1000')
  return lines.join('\n')
}

function escapees (file: string): number[] {
  const pids = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(s => /^\d+$/.test(s)).map(Number) : []
  for (const p of pids) if (!spawnedPids.includes(p)) spawnedPids.push(p)
  return pids
}

function make (over: Partial<SupervisorParams>): Supervisor {
  const s = createSupervisor({ clock: createSystemClock() }, createSupervisorParams({ name: 'web', command: 'sh', args: [], stdio: 'ignore', renewIntervalMs: 0, stopGraceMs: 500, trackIntervalMs: 50, ...over }))
  running.push(s)
  return s
}

describe('renewal ends every process of the old instance', () => {
  it('setsid, a detached child and a double fork: all gone after renewal (ancestry + environment), none of the new instance touched', async () => {
    const file = join(dir, 'tree.pids')
    const s = make({ args: ['-c', escapingScript(file)] })
    await s.start()
    const old = s.pid() as number
    await until(() => existsSync(`${file}.ready`) && escapees(file).length === 3, 'the escapees')
    const pids = escapees(file)
    for (const p of pids) expect(isAlive(p), `escapee ${p}`).toBe(true)
    // they really left the instance's process group
    const pgrps = pids.map(p => readProcStat(p)?.pgrp)
    expect(pgrps.filter(g => g !== old).length).toBeGreaterThanOrEqual(1)
    expect(readProcStat(pids[0])?.pgrp).toBe(pids[0]) // setsid: a session and group of its own
    const r = await s.renew('terminate')
    expect(r.newPid).not.toBe(old)
    expect(r.kill).toMatchObject({ method: 'tree', remaining: [] })
    expect(r.kill?.escaped).toBeGreaterThanOrEqual(1)
    for (const p of [old, ...pids]) expect(isAlive(p), `process ${p} of the old instance`).toBe(false)
    expect(isAlive(r.newPid as number)).toBe(true)
    expect(s.info()).toMatchObject({ processState: 'running', lastKill: { remaining: [] } })
  })

  it('an unexpected exit of the leader takes its escapees with it before the restart', async () => {
    const file = join(dir, 'exit.pids')
    const s = make({ args: ['-c', escapingScript(file).replace('exec sleep 1000', 'sleep 0.3; exit 5')], restartBackoffInitialMs: 100 })
    await s.start()
    await until(() => s.info().restarts >= 1, 'the restart after the exit')
    const pids = escapees(file).slice(0, 3)
    expect(pids).toHaveLength(3)
    await until(() => pids.every(p => !isAlive(p)), 'the escapees of the exited instance to be gone')
  })

  it('SIGSTOPped by someone else: status says suspended, not running', async () => {
    const s = make({ command: 'sleep', args: ['1000'] })
    await s.start()
    const pid = s.pid() as number
    expect(s.info().processState).toBe('running')
    signal(pid, 'SIGSTOP')
    await until(() => readProcStat(pid)?.state === 'T', 'the stop')
    expect(s.info()).toMatchObject({ state: 'running', processState: 'suspended' })
    s.setFrozen(true)
    expect(s.info().processState).toBe('frozen')
    s.setFrozen(false)
    signal(pid, 'SIGCONT')
    await until(() => s.info().processState === 'running', 'the resume')
  })
})

/** A cgroup v2 directory this test may create children in: its own, under the hierarchy's root, or null. */
function testCgroupParent (): string | null {
  const mount = cgroup2Mount()
  if (mount == null) return null
  const parent = join(mount, `immune-test-${process.pid}`)
  try {
    mkdirSync(parent)
    cgroups.push(parent)
  } catch {
    return null
  }
  return existsSync(join(parent, 'cgroup.kill')) ? parent : null
}

const cgroupParent = testCgroupParent()

describe.skipIf(cgroupParent == null)('renewal with a cgroup v2 per instance (cgroup.kill)', () => {
  it('even a double fork that cleared its environment is gone; the instance cgroup is removed', async () => {
    const file = join(dir, 'cg.pids')
    const s = make({ args: ['-c', escapingScript(file, { clearEnv: true })], cgroupParent })
    await s.start()
    const cg = s.info().cgroupDir as string
    expect(cg.startsWith(cgroupParent as string)).toBe(true)
    cgroups.unshift(cg)
    await until(() => existsSync(`${file}.ready`) && escapees(file).length === 4, 'the escapees')
    const pids = escapees(file)
    const inCgroup = readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
    for (const p of pids) expect(inCgroup).toContain(p)
    const r = await s.renew('terminate')
    expect(r.kill).toMatchObject({ method: 'cgroup', remaining: [] })
    for (const p of pids) expect(isAlive(p), `escapee ${p}`).toBe(false)
    expect(existsSync(cg)).toBe(false)
    const next = s.info().cgroupDir as string
    cgroups.unshift(next)
    expect(next).not.toBe(cg)
    await until(() => readFileSync(join(next, 'cgroup.procs'), 'utf8').split('\n').includes(String(r.newPid)), 'the new instance in its own cgroup')
  })
})
