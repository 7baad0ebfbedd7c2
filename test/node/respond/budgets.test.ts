/**
 * Issue 15 item 6 (decisions pile up): the decision manager persists the
 * escalation state incrementally (one record per changed offender, never the
 * whole table), keeps a bounded number of decision and audit records, reads
 * a legacy one-value table; the deny list holds a bounded number of
 * addresses and evicts the one that expires soonest. Real level db.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import type { ManualClock } from '../../../core/clock.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import { createBlockSourceResponder, createDecisionManager, createDenyList, createLogResponder, createPolicy, createResponderRegistry } from '../../../node/respond/index.js'
import type { DangerEvent, DenyList } from '../../../node/respond/index.js'

const T0 = 1_700_000_000_000
const dirs: string[] = []
const stores: Store[] = []
afterEach(async () => { for (const s of stores.splice(0)) await s.close() })
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

async function openStore (dataDir?: string): Promise<Store> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'immune-budget-'))
  if (dataDir == null) dirs.push(dir)
  const s = createStore({ dataDir: dir })
  await s.open()
  stores.push(s)
  return s
}

const policyData = {
  escalation: { windowSec: 86_400 },
  // every level-2 offence may block its source here (the default needs strong evidence: source-ban.test.ts)
  sourceBan: { maxRetry: 1 },
  rules: [{ cell: '*', level: 2, actions: ['log', { type: 'block-source', durationSec: 60 }] }]
}

function makeManager (store: Store, clock: ManualClock, opts: { maxRecords?: number, denyMax?: number } = {}): { manager: ReturnType<typeof createDecisionManager>, denyList: DenyList } {
  const policy = createPolicy(policyData, [{ name: 'web', type: 'http' }])
  const denyList = createDenyList({ clock }, { allowlist: policy.allowlist, maxEntries: opts.denyMax })
  const responders = createResponderRegistry([createLogResponder({}), createBlockSourceResponder({ clock, denyList })])
  return { manager: createDecisionManager({ clock, store, responders }, { policy, maxRecords: opts.maxRecords }), denyList }
}

const attackFrom = (i: number): DangerEvent => ({
  cell: 'web', level: 2, source: `198.51.${(i >> 8) & 255}.${i & 255}`, context: 'GET /search', explanation: 'q: injection', origin: 'local', refs: {}
})

/** Counts the puts and deletes of every batch written through the store. */
function countBatchOps (store: Store): { ops: number[] } {
  const seen = { ops: [] as number[] }
  const db = store.db as unknown as { batch: (...a: unknown[]) => unknown }
  const orig = db.batch.bind(store.db)
  db.batch = (...a: unknown[]) => {
    if (a.length > 0) return orig(...a)
    const b = orig() as { put: (...x: unknown[]) => unknown, del: (...x: unknown[]) => unknown, write: () => Promise<void> }
    let n = 0
    const put = b.put.bind(b); const del = b.del.bind(b); const write = b.write.bind(b)
    b.put = (...x: unknown[]) => { n++; return put(...x) }
    b.del = (...x: unknown[]) => { n++; return del(...x) }
    b.write = async () => { seen.ops.push(n); await write() }
    return b
  }
  return seen
}

describe('decision manager: incremental persistence and record budgets', () => {
  it('each decision writes its own records and its offender only, however many offenders are tracked; the state survives a restart', async () => {
    const store = await openStore()
    const clock = createManualClock(T0)
    const { manager } = makeManager(store, clock)
    await manager.start()
    const counter = countBatchOps(store)
    for (let i = 0; i < 600; i++) { await manager.handle(attackFrom(i)); clock.advance(100) }
    // commit: 2 decisions + 2 audits + 1 offender + seq + the scanner's learned rate; apply: 1 record + 1 audit each; never the 600-offender table
    expect(Math.max(...counter.ops)).toBeLessThanOrEqual(7)
    const offences = store.sub('offences')
    let records = 0
    for await (const k of offences.keys()) if (k.startsWith('o:')) records++
    expect(records).toBe(600)
    // the second offence of source 5 escalates after a restart: its record was read back
    await manager.stop()
    const again = makeManager(store, clock)
    await again.manager.start()
    expect(again.manager.policyState().offences.size).toBe(600)
    // after source 5's first block (and its burst) ended
    clock.advance(61_000)
    const bd = await again.manager.handle(attackFrom(5))
    expect(bd.escalation.step).toBe(1)
    await again.manager.stop()
  })

  it('a legacy one-value offences table is read, then rewritten as one record per offender', async () => {
    const store = await openStore()
    const clock = createManualClock(T0)
    await store.sub('offences').put('state', { seq: 7, offences: { 'src:203.0.113.9': [{ atMs: T0 - 100_000, origin: 'local', level: 2 }] } })
    const { manager } = makeManager(store, clock)
    await manager.start()
    expect(manager.policyState().offences.get('src:203.0.113.9')).toHaveLength(1)
    expect(manager.policyState().seq).toBe(7)
    expect(await store.sub('offences').get('state')).toBeUndefined()
    expect(await store.sub('offences').get('o:src:203.0.113.9')).toHaveLength(1)
    const bd = await manager.handle({ ...attackFrom(0), source: '203.0.113.9' })
    expect(bd.escalation.step).toBe(1)
    await manager.stop()
  })

  it('keeps at most maxRecords decision records (the oldest finished go) and 4x that many audit records', async () => {
    const store = await openStore()
    const clock = createManualClock(T0)
    const { manager } = makeManager(store, clock, { maxRecords: 40 })
    await manager.start()
    // each block lasts 60 s: 61 s apart, every earlier one has expired (active ones are never pruned)
    for (let i = 0; i < 300; i++) { await manager.handle(attackFrom(i)); clock.advance(61_000) }
    await manager.stop()
    let decisions = 0
    for await (const _ of store.sub('decisions').keys()) decisions++
    let audits = 0
    for await (const _ of store.sub('audit').keys()) audits++
    // pruning runs after every maxRecords/4 new records: at most a quarter over, between prunes
    expect(decisions).toBeLessThanOrEqual(40 + 10 + 2)
    expect(audits).toBeLessThanOrEqual(4 * 40 + 4 * 12)
    // the newest are kept
    const recent = await manager.list({ limit: 1 })
    expect(recent[0].decision.createdAtMs).toBe(T0 + 299 * 61_000)
  })
})

describe('deny list budget', () => {
  it('at the limit the entry that expires soonest gives way; a block shorter than every held one is refused and says why', async () => {
    const clock = createManualClock(T0)
    const dl = createDenyList({ clock }, { maxEntries: 3 })
    const removed: string[] = []
    dl.onChange((change, e) => { if (change === 'remove') removed.push(e.address) })
    expect(dl.add('192.0.2.1', T0 + 60_000, 'a')).toBe(true)
    expect(dl.add('192.0.2.2', T0 + 30_000, 'b')).toBe(true)
    expect(dl.add('192.0.2.3', T0 + 90_000, 'c')).toBe(true)
    expect(dl.full()).toBe(true)
    expect(dl.add('192.0.2.4', T0 + 120_000, 'd')).toBe(true)
    expect(removed).toEqual(['192.0.2.2'])
    expect(dl.isDenied('192.0.2.2')).toBe(false)
    expect(dl.size()).toBe(3)
    // shorter than every held one: refused
    expect(dl.add('192.0.2.5', T0 + 10_000, 'e')).toBe(false)
    // an address already held is extended, never refused
    expect(dl.add('192.0.2.1', T0 + 200_000, 'f')).toBe(true)
    // expired entries are swept before anything is evicted
    clock.advance(95_000)
    expect(dl.add('192.0.2.6', clock.now() + 1000, 'g')).toBe(true)
    expect(removed).toEqual(['192.0.2.2'])

    const responder = createBlockSourceResponder({ clock, denyList: createDenyList({ clock }, { maxEntries: 1 }) })
    const d = (id: string, address: string, expiresAtMs: number): Parameters<typeof responder.apply>[0] => ({
      id, action: 'block-source', target: { kind: 'source', address }, cell: 'web', level: 2, origin: 'local', dryRun: false, reason: '', explanation: '', params: {}, createdAtMs: clock.now(), expiresAtMs, rule: 'r'
    } as never)
    await responder.apply(d('x', '192.0.2.7', clock.now() + 60_000))
    expect(await responder.apply(d('y', '192.0.2.8', clock.now() + 1000))).toMatchObject({ added: false, why: expect.stringContaining('budgets.denyListEntries') })
  })
})
