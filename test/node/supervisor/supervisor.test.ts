import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createManualClock, createSystemClock } from '../../../core/clock.js'
import { InvalidParamsError, SupervisorError } from '../../../node/errors.js'
import { isAlive, processState, readProcStat } from '../../../core/proc.js'
import { createSupervisor, createSupervisorParams } from '../../../node/supervisor/index.js'
import type { PidChange, Supervisor, SupervisorParams } from '../../../node/supervisor/index.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-sup-'))
const running: Array<{ s: Supervisor, clock: { advance?: (ms: number) => void } }> = []
afterEach(async () => {
  // stop everything; a manual clock is moved on so grace timers fire (bounded)
  await Promise.all(running.splice(0).map(async ({ s, clock }) => {
    let done = false
    const p = s.stop().finally(() => { done = true })
    for (let i = 0; i < 100 && !done; i++) {
      clock.advance?.(1000)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    await p
  }))
})
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function make (clock: ReturnType<typeof createManualClock> | ReturnType<typeof createSystemClock>, over: Partial<SupervisorParams> = {}): Supervisor {
  const s = createSupervisor({ clock }, createSupervisorParams({ name: 'cell', command: 'sleep', args: ['1000'], stdio: 'ignore', renewIntervalMs: 0, stopGraceMs: 2000, ...over }))
  running.push({ s, clock: clock as { advance?: (ms: number) => void } })
  return s
}

/** Bounded wait for something a real process does (never a timing assertion). */
async function until (cond: () => boolean, what: string): Promise<void> {
  await vi.waitFor(() => { if (!cond()) throw new Error(`waiting for ${what}`) }, { timeout: 10_000, interval: 10 })
}

function ignoresTerm (pid: number): boolean {
  try {
    const m = /SigIgn:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m != null && (BigInt('0x' + m[1]) & (1n << 14n)) !== 0n
  } catch { return false }
}

describe('Supervisor', () => {
  it('starts the command in its own process group and stops it (idempotent)', async () => {
    const clock = createManualClock()
    const s = make(clock)
    const changes: PidChange[] = []
    s.onPidChange(c => changes.push(c))
    await s.start()
    await s.start()
    const pid = s.pid() as number
    expect(pid).toBeGreaterThan(0)
    expect(readProcStat(pid)?.pgrp).toBe(pid)
    expect(isAlive(pid)).toBe(true)
    expect(s.info()).toMatchObject({ state: 'running', pid, restarts: 0, renewals: 0 })
    await s.stop()
    await s.stop()
    expect(isAlive(pid)).toBe(false)
    expect(s.pid()).toBeNull()
    expect(changes.map(c => [c.reason, c.oldPid, c.newPid])).toEqual([['start', null, pid], ['stop', pid, null]])
    expect(clock.pending()).toBe(0)
  })

  it('terminate-and-renew gives the cell a new pid and ends the old one', async () => {
    const s = make(createManualClock())
    await s.start()
    const old = s.pid() as number
    const r = await s.renew('terminate')
    expect(r.oldPid).toBe(old)
    expect(r.newPid).not.toBe(old)
    expect(s.pid()).toBe(r.newPid)
    expect(isAlive(old)).toBe(false)
    expect(isAlive(r.newPid as number)).toBe(true)
    expect(s.info().lastExit).toMatchObject({ pid: old, signal: 'SIGTERM', expected: true })
  })

  it('renews periodically on schedule, and sooner while the threat level is raised', async () => {
    const clock = createManualClock()
    const s = make(clock, { renewIntervalMs: 10_000, renewUnderThreatFactor: 4 })
    const changes: PidChange[] = []
    s.onPidChange(c => changes.push(c))
    await s.start()
    const first = s.pid() as number
    const t0 = clock.now()
    expect(s.info().nextRenewAtMs).toBe(t0 + 10_000)
    clock.advance(9_999)
    expect(s.info().renewals).toBe(0)
    clock.advance(1)
    await until(() => s.info().renewals === 1, 'the periodic renewal')
    const second = s.pid() as number
    expect(second).not.toBe(first)
    expect(changes.at(-1)).toMatchObject({ reason: 'renew', oldPid: first, newPid: second, atMs: t0 + 10_000 })
    // threat raised: every 10 000 / 4 = 2 500 ms
    s.setThreatLevel(1)
    expect(s.info().nextRenewAtMs).toBe(t0 + 12_500)
    clock.advance(2_500)
    await until(() => s.info().renewals === 2, 'the renewal under threat')
    expect(s.pid()).not.toBe(second)
    // back to calm: the normal interval again
    s.setThreatLevel(0)
    expect(s.info().nextRenewAtMs).toBe(t0 + 22_500)
    // quarantined (frozen) cells are not renewed until released
    s.setFrozen(true)
    expect(s.info().nextRenewAtMs).toBeNull()
    clock.advance(20_000)
    expect(s.info().renewals).toBe(2)
    s.setFrozen(false)
    expect(s.info().nextRenewAtMs).toBe(t0 + 22_500)
  })

  it('a child that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const clock = createManualClock()
    const s = make(clock, { command: 'sh', args: ['-c', 'trap "" TERM; exec sleep 1000'] })
    await s.start()
    const old = s.pid() as number
    await until(() => ignoresTerm(old), 'the child to ignore SIGTERM')
    const renewing = s.renew('terminate', { graceMs: 3000 })
    await until(() => clock.pending() > 0 && s.info().lastExit == null, 'the grace timer')
    clock.advance(2999)
    expect(isAlive(old)).toBe(true)
    expect(s.pid()).toBe(old)
    clock.advance(1)
    const r = await renewing
    expect(r.newPid).not.toBe(old)
    expect(isAlive(old)).toBe(false)
    expect(s.info().lastExit).toMatchObject({ pid: old, signal: 'SIGKILL' })
  })

  it('restarts a crashed child with growing backoff', async () => {
    const clock = createManualClock()
    const s = make(clock, { command: 'sh', args: ['-c', 'exit 3'], restartBackoffInitialMs: 500, restartBackoffMaxMs: 1500, restartResetAfterMs: 60_000 })
    const changes: PidChange[] = []
    s.onPidChange(c => changes.push(c))
    await s.start()
    await until(() => s.info().state === 'backoff', 'the first crash')
    expect(s.info().lastExit).toMatchObject({ code: 3, expected: false })
    clock.advance(499)
    expect(s.info().restarts).toBe(0)
    clock.advance(1)
    await until(() => s.info().restarts === 1 && s.info().state === 'backoff', 'the first restart and crash')
    clock.advance(999)
    expect(s.info().restarts).toBe(1)
    clock.advance(1)
    await until(() => s.info().restarts === 2 && s.info().state === 'backoff', 'the second restart and crash')
    clock.advance(1500) // capped at restartBackoffMaxMs
    await until(() => s.info().restarts === 3, 'the third restart')
    expect(changes.filter(c => c.reason === 'restart')).toHaveLength(3)
    expect(changes.filter(c => c.reason === 'exit').length).toBeGreaterThanOrEqual(3)
  })

  it('refuses a command that cannot start, and bad params', async () => {
    const s = make(createManualClock(), { command: join(dir, 'no-such-binary') })
    await expect(s.start()).rejects.toBeInstanceOf(SupervisorError)
    expect(s.info().state).toBe('stopped')
    expect(() => createSupervisorParams({ name: 'x', command: 'sleep', renewUnderThreatFactor: 0.5 })).toThrow(InvalidParamsError)
  })

  it('ends an instance left running by a node that crashed (pid file)', async () => {
    const pidFile = join(dir, 'web.pid')
    const crashed = make(createManualClock(), { pidFile }) // never stopped before the next one starts: like kill -9 of the node
    await crashed.start()
    const orphan = crashed.pid() as number
    const next = make(createSystemClock(), { pidFile, stopGraceMs: 2000 })
    await next.start()
    expect(isAlive(orphan)).toBe(false)
    expect(next.pid()).not.toBe(orphan)
    expect(JSON.parse(readFileSync(pidFile, 'utf8')).pid).toBe(next.pid())
    expect(processState(next.pid() as number)).toMatch(/[SR]/)
  })
})
