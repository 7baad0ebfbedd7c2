import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createManualClock, createSystemClock } from '../../../core/clock.js'
import { ResponderError } from '../../../node/errors.js'
import type { CellConfig } from '../../../node/config/index.js'
import {
  createCellResolver, createPolicy, createQuarantineResponder, createTerminateAndRenewResponder, decide, emptyPolicyState, runHook
} from '../../../node/respond/index.js'
import { descendantsOf, isAlive, processState } from '../../../core/index.js'
import type { Decision } from '../../../node/respond/index.js'
import { killChildren, spawnChild, until } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-quar-'))
const children: ChildProcess[] = []
afterEach(() => { killChildren(children) })
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function pidCell (name: string, pid: number): CellConfig {
  return { name, type: 'pid', pid, community: 'default', sampleIntervalSec: 10, accessLog: null, cgroup: null }
}

function quarantineDecision (cell: string, type: CellConfig['type'], nowMs: number, hook: unknown = null): Decision {
  const policy = createPolicy({ rules: [{ cell: '*', level: 2, actions: [{ type: 'quarantine', durationSec: 60, ...(hook != null ? { hook } : {}) }] }] }, [{ name: cell, type }])
  const [d] = decide({ cell, level: 2, context: 'cell:' + cell, explanation: 'threads 40 (normal 3..5)', origin: 'local' }, emptyPolicyState(), policy, nowMs)
  expect(d.action).toBe('quarantine')
  return d
}

describe('quarantine responder (real processes)', () => {
  it('freezes the cell\'s process tree (state T), runs the hook with the decision, and release resumes it', async () => {
    const child = spawnChild('sh', ['-c', 'sleep 1000 & wait'], children)
    const pid = child.pid as number
    await until(() => descendantsOf(pid).length === 1, 'the grandchild')
    const grandchild = descendantsOf(pid)[0]
    const clock = createManualClock()
    const cells = createCellResolver({ cells: [pidCell('app', pid)] })
    const q = createQuarantineResponder({ clock, cells })
    const out = join(dir, 'hook.txt')
    const hook = { command: 'sh', args: ['-c', `echo "$IMMUNE_EVENT $IMMUNE_CELL $IMMUNE_DECISION_ID $IMMUNE_PIDS" >> ${out}`], timeoutSec: 10 }
    const d = quarantineDecision('app', 'pid', clock.now(), hook)

    const receipt = await q.apply(d)
    await until(() => processState(pid) === 'T' && processState(grandchild) === 'T', 'the tree to be frozen')
    expect(receipt).toMatchObject({ method: 'signal', confirmed: true, hook: { event: 'quarantine', code: 0, timedOut: false } })
    expect(q.frozen()).toEqual([{ cell: 'app', decisionIds: [d.id] }])
    expect(readFileSync(out, 'utf8').trim()).toBe(`quarantine app ${d.id} ${pid},${grandchild}`)

    await q.undo(d, receipt ?? null)
    await until(() => /^[SR]$/.test(processState(pid) ?? '') && /^[SR]$/.test(processState(grandchild) ?? ''), 'the tree to resume')
    expect(q.frozen()).toEqual([])
    expect(readFileSync(out, 'utf8').trim().split('\n')[1]).toBe(`release app ${d.id}`)
  })

  it('overlapping quarantines: the cell resumes when the last one ends', async () => {
    const child = spawnChild('sleep', ['1000'], children)
    const pid = child.pid as number
    const clock = createManualClock()
    const q = createQuarantineResponder({ clock, cells: createCellResolver({ cells: [pidCell('app', pid)] }) })
    const d1 = quarantineDecision('app', 'pid', clock.now())
    const d2 = quarantineDecision('app', 'pid', clock.now() + 1)
    const r1 = await q.apply(d1)
    const r2 = await q.apply(d2)
    await q.undo(d1, r1 ?? null)
    await until(() => processState(pid) === 'T', 'the cell frozen')
    expect(q.frozen()).toEqual([{ cell: 'app', decisionIds: [d2.id] }])
    await q.undo(d2, r2 ?? null)
    await until(() => /^[SR]$/.test(processState(pid) ?? ''), 'the cell to resume')
  })

  it('refuses a cell without a process', async () => {
    const clock = createManualClock()
    const q = createQuarantineResponder({ clock, cells: createCellResolver({ cells: [{ name: 'h', type: 'host' }] }) })
    await expect(q.apply(quarantineDecision('h', 'pid', clock.now()))).rejects.toBeInstanceOf(ResponderError)
  })

  it('a hook that outlives its timeout is killed', async () => {
    const clock = createManualClock()
    const pending = runHook(clock, { command: 'sleep', args: ['1000'], timeoutSec: 2 }, { IMMUNE_EVENT: 'quarantine' })
    await until(() => clock.pending() === 1, 'the hook timer')
    clock.advance(2000)
    expect(await pending).toMatchObject({ event: 'quarantine', timedOut: true, signal: 'SIGKILL' })
  })
})

describe('terminate-and-renew on a cell the node does not supervise', () => {
  it('ends the process (SIGTERM); nothing renews it', async () => {
    const child = spawnChild('sleep', ['1000'], children)
    const pid = child.pid as number
    const exited = new Promise(resolve => child.once('exit', (_c, sig) => resolve(sig)))
    const clock = createSystemClock()
    const t = createTerminateAndRenewResponder({ clock, cells: createCellResolver({ cells: [pidCell('app', pid)] }) })
    const policy = createPolicy({ rules: [{ cell: '*', level: 2, actions: [{ type: 'terminate-and-renew', graceSec: 5 }] }] }, [{ name: 'app', type: 'pid' }])
    const [d] = decide({ cell: 'app', level: 2, context: 'cell:app', explanation: 'x', origin: 'local' }, emptyPolicyState(), policy, clock.now())
    const receipt = await t.apply(d)
    expect(receipt).toMatchObject({ renewed: false, terminated: [pid], killed: [] })
    expect(await exited).toBe('SIGTERM')
    expect(isAlive(pid)).toBe(false)
  })
})
