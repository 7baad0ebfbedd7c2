import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import type { ManualClock } from '../../../core/clock.js'
import { UnknownCellError } from '../../../node/errors.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import {
  createBlockSourceResponder, createCellResolver, createDecisionManager, createDenyList, createLogResponder, createPolicy, createQuarantineResponder, createRaiseThreatResponder, createResponderRegistry, createThreatLevel
} from '../../../node/respond/index.js'
import { processState } from '../../../core/index.js'
import type { DangerEvent, DenyList, Responder, ThreatLevel } from '../../../node/respond/index.js'
import { killChildren, spawnChild, until } from './helpers.js'

const T0 = 1_700_000_000_000
const dirs: string[] = []
const stores: Store[] = []
const children: ChildProcess[] = []
afterEach(async () => {
  killChildren(children)
  for (const s of stores.splice(0)) await s.close()
})
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

function tempDir (): string {
  const d = mkdtempSync(join(tmpdir(), 'immune-dm-'))
  dirs.push(d)
  return d
}

async function openStore (dataDir: string): Promise<Store> {
  const s = createStore({ dataDir })
  await s.open()
  stores.push(s)
  return s
}

async function closeStore (s: Store): Promise<void> {
  await s.close()
  stores.splice(stores.indexOf(s), 1)
}

// the manager's mechanics: one level-2 offence may block its source here (the default needs three: test/node/respond/source-ban.test.ts)
const policyData = {
  escalation: { windowSec: 86_400, durationMultiplier: 2 },
  sourceBan: { maxRetry: 1 },
  rules: [
    { cell: '*', level: 1, actions: ['log'] },
    { cell: '*', level: 2, actions: ['log', { type: 'block-source', durationSec: 3600 }, { type: 'raise-threat', durationSec: 600 }, { type: 'quarantine', durationSec: 120 }] },
    { cell: 'shadow', level: 2, actions: [{ type: 'block-source', durationSec: 60 }], dryRun: true }
  ]
}
const cells = [{ name: 'web', type: 'http' as const }, { name: 'shadow', type: 'http' as const }, { name: 'app', type: 'pid' as const }]

interface Node { clock: ManualClock, denyList: DenyList, threat: ThreatLevel, manager: ReturnType<typeof createDecisionManager> }

function makeNode (store: Store, clock: ManualClock, extra: Responder[] = [], blockOverride?: Responder): Node {
  const policy = createPolicy(policyData, cells)
  const denyList = createDenyList({ clock }, { allowlist: policy.allowlist })
  const threat = createThreatLevel({ clock })
  const responders = createResponderRegistry([
    createLogResponder({}),
    blockOverride ?? createBlockSourceResponder({ clock, denyList }),
    createRaiseThreatResponder({ clock, threat }),
    ...extra
  ])
  const manager = createDecisionManager({ clock, store, responders }, { policy })
  return { clock, denyList, threat, manager }
}

const attack: DangerEvent = { cell: 'web', level: 2, source: '203.0.113.66', context: 'GET /search', explanation: "q: \"' OR 1=1--\" has 3-grams never seen (surprise 12.3)", origin: 'local', refs: { score: 12.3 } }

describe('DecisionManager', () => {
  it('applies, audits, and restores active decisions with their remaining time across a close/reopen of the store', async () => {
    const dataDir = tempDir()
    let store = await openStore(dataDir)
    const a = makeNode(store, createManualClock(T0))
    await a.manager.start()
    const res = await a.manager.handle(attack)
    expect(res.decisions.map(d => d.action)).toEqual(['log', 'block-source', 'raise-threat'])
    expect(res.skipped.map(s => s.reason)).toEqual(['cell-has-no-process'])
    expect(Object.values(res.statuses)).toEqual(['done', 'active', 'active'])
    expect(a.denyList.isDenied('203.0.113.66')).toBe(true)
    expect(a.threat.level()).toBe(2)
    const block = res.decisions[1]
    expect((await a.manager.get(block.id))?.status).toBe('active')

    // the process dies (no stop(): nothing is undone), the store is reopened 300 s later
    await closeStore(store)
    store = await openStore(dataDir)
    const b = makeNode(store, createManualClock(T0 + 300_000))
    expect(b.denyList.isDenied('203.0.113.66')).toBe(false)
    await b.manager.start()
    expect(b.denyList.isDenied('203.0.113.66')).toBe(true)
    expect(b.denyList.get('203.0.113.66')?.expiresAtMs).toBe(T0 + 3_600_000)
    expect(b.manager.active().map(d => d.id).sort()).toEqual([res.decisions[1].id, res.decisions[2].id].sort())
    expect(b.threat.snapshot()).toMatchObject({ level: 2, untilMs: T0 + 600_000 })

    // remaining time: 300 s for the threat, 3 300 s for the block
    b.clock.advance(300_000)
    expect(b.threat.level()).toBe(0)
    expect(b.denyList.isDenied('203.0.113.66')).toBe(true)
    b.clock.advance(2_999_999)
    expect(b.denyList.isDenied('203.0.113.66')).toBe(true)
    b.clock.advance(1)
    await b.manager.stop()
    expect(b.denyList.isDenied('203.0.113.66')).toBe(false)
    const rec = await b.manager.get(block.id)
    expect(rec).toMatchObject({ status: 'expired', undoneAtMs: T0 + 3_600_000 })
    const trail = (await b.manager.audit({ decisionId: block.id })).map(x => x.event)
    expect(trail).toEqual(['decided', 'applied', 'restored', 'expired'])
    const audit = await b.manager.audit()
    expect(audit.every(x => x.explanation === attack.explanation)).toBe(true)
    expect(audit.find(x => x.event === 'skipped')?.detail).toContain('has no process')
  })

  it('the raise-threat decision past due at restart is expired, not re-applied; escalation survives the restart', async () => {
    const dataDir = tempDir()
    let store = await openStore(dataDir)
    const a = makeNode(store, createManualClock(T0))
    await a.manager.start()
    await a.manager.handle(attack)
    await closeStore(store)
    store = await openStore(dataDir)
    const b = makeNode(store, createManualClock(T0 + 700_000))
    await b.manager.start()
    expect(b.threat.level()).toBe(0)
    expect(b.manager.active().map(d => d.action)).toEqual(['block-source'])
    const expired = (await b.manager.audit()).filter(x => x.event === 'expired')
    expect(expired.map(x => [x.action, x.detail])).toEqual([['raise-threat', 'expired while the node was down']])
    // the same source again while its block holds: one live block per source (the restart remembers it)
    const during = await b.manager.handle(attack)
    expect(during.decisions.find(d => d.action === 'block-source')).toBeUndefined()
    expect(during.skipped.find(x => x.action === 'block-source')?.reason).toBe('already-blocked')
    // after it ends: escalation remembers the first block (3600 s x 2)
    b.clock.advance(3_000_000)
    await until(() => b.manager.active().length === 0, 'the first block expires')
    const again = await b.manager.handle(attack)
    const block = again.decisions.find(d => d.action === 'block-source')
    expect(block?.params.durationSec).toBe(7200)
    expect(block?.escalation.step).toBe(1)
    await b.manager.stop()
  })

  it('writes a decision before applying it: a crash mid-apply loses nothing, the restart applies it', async () => {
    const dataDir = tempDir()
    let store = await openStore(dataDir)
    let reached!: () => void
    const applying = new Promise<void>(resolve => { reached = resolve })
    const hanging: Responder = { name: 'block-source', apply: async () => { reached(); await new Promise(() => {}) }, undo: async () => {} }
    const a = makeNode(store, createManualClock(T0), [], hanging)
    await a.manager.start()
    a.manager.handle(attack).catch(() => {})
    await applying
    const pending = (await a.manager.list()).find(r => r.decision.action === 'block-source')
    expect(pending?.status).toBe('pending')
    await closeStore(store)
    store = await openStore(dataDir)
    const b = makeNode(store, createManualClock(T0 + 5000))
    await b.manager.start()
    expect(b.denyList.isDenied('203.0.113.66')).toBe(true)
    expect((await b.manager.get(pending?.decision.id as string))?.status).toBe('active')
    await b.manager.stop()
  })

  it('dry run records what would have happened and does nothing', async () => {
    const store = await openStore(tempDir())
    const n = makeNode(store, createManualClock(T0))
    await n.manager.start()
    const res = await n.manager.handle({ ...attack, cell: 'shadow' })
    expect(res.decisions).toHaveLength(1)
    expect(res.statuses[res.decisions[0].id]).toBe('dry-run')
    expect(n.denyList.isDenied('203.0.113.66')).toBe(false)
    expect(n.manager.active()).toEqual([])
    const audit = await n.manager.audit()
    expect(audit.map(x => [x.event, x.dryRun])).toEqual([['dry-run', true]])
    expect(audit[0].reason).toContain('[dry run] rule shadow/2: block 203.0.113.66 for 60s')
    await n.manager.stop()
  })

  it('quarantine: handle() freezes a real process, release(cell) resumes it early, a remote event never does', async () => {
    const store = await openStore(tempDir())
    const child = spawnChild('sleep', ['1000'], children)
    const pid = child.pid as number
    const clock = createManualClock(T0)
    const resolver = createCellResolver({ cells: [{ name: 'app', type: 'pid', pid, cgroup: null }] })
    const n = makeNode(store, clock, [createQuarantineResponder({ clock, cells: resolver })])
    await n.manager.start()

    const remote = await n.manager.handle({ ...attack, cell: 'app', origin: 'remote' })
    expect(remote.decisions.map(d => d.action)).not.toContain('quarantine')
    expect(remote.skipped.map(s => s.reason)).toContain('remote-invariant')
    expect(processState(pid)).toMatch(/^[SR]$/)

    const local = await n.manager.handle({ ...attack, cell: 'app' })
    const q = local.decisions.find(d => d.action === 'quarantine')
    expect(q?.expiresAtMs).toBe(T0 + 120_000)
    await until(() => processState(pid) === 'T', 'the cell to be frozen')
    await expect(n.manager.release('web')).rejects.toBeInstanceOf(UnknownCellError)
    const released = await n.manager.release('app')
    expect(released.map(d => d.id)).toEqual([q?.id])
    await until(() => /^[SR]$/.test(processState(pid) ?? ''), 'the cell to resume')
    expect((await n.manager.get(q?.id as string))?.status).toBe('released')

    // a second quarantine expires on its own through the clock
    await n.manager.handle({ ...attack, cell: 'app', source: '203.0.113.67' })
    await until(() => processState(pid) === 'T', 'the cell to be frozen again')
    // the expiry fires inside advance(); stop() waits for the undo it started
    clock.advance(120_000)
    await n.manager.stop()
    await until(() => /^[SR]$/.test(processState(pid) ?? ''), 'the cell to resume after expiry')
    const events = (await n.manager.audit()).filter(x => x.action === 'quarantine').map(x => x.event)
    expect(events).toEqual(['skipped', 'decided', 'applied', 'released', 'decided', 'applied', 'expired'])
  })
})
