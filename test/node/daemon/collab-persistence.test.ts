/**
 * Incremental persistence of reputation, intake state and replay guard
 * (node/daemon/collab-persistence.ts) on a real level db in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import type { ManualClock } from '../../../core/clock.js'
import { ReplayGuard } from '../../../protocol/alert/index.js'
import { ReputationTable } from '../../../protocol/reputation/index.js'
import { createCollabWriter, loadCollabState } from '../../../node/daemon/collab-persistence.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/index.js'

const quiet = { warn: () => {}, error: () => {} }
const origin = (i: number): string => `12D3KooWorigin${String(i).padStart(6, '0')}`
const alert = (o: number, seq: number): { id: string, origin: string, seq: bigint } => ({ id: `id-${o}-${seq}`, origin: origin(o), seq: BigInt(seq) })

let dir: string
let store: Store
let clock: ManualClock

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immune-collab-persist-'))
  store = createStore({ dataDir: dir })
  await store.open()
  clock = createManualClock(1_700_000_000_000)
})
afterEach(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

function intakeStub (): { toJSON: () => unknown, fingerprint: () => string, n: number } {
  const s = { n: 0, toJSON: () => ({ version: 1, n: s.n }), fingerprint: () => String(s.n) }
  return s
}

describe('collaboration state: incremental persistence', () => {
  it('writes only the changed keys: one peer and one alert after 2,000 peers cost a handful of keys, not the tables', async () => {
    const reputation = new ReputationTable()
    const replay = new ReplayGuard()
    const intake = intakeStub()
    const w = createCollabWriter({ clock, collab: store.sub('collab'), reputation, intake, replay, logger: quiet })
    for (let i = 0; i < 2000; i++) {
      reputation.record(origin(i), 'R1', 1, clock.now())
      replay.record(alert(i, 1))
    }
    intake.n++
    await w.flush()
    // 2000 peers + 1 id chunk + 2000 origin windows + intake + meta
    expect(w.stats().lastBatchKeys).toBe(2000 + 1 + 2000 + 1 + 1)
    clock.advance(1000)
    reputation.record(origin(7), 'R3', 1, clock.now())
    replay.record(alert(7, 2))
    await w.flush()
    // rep:7, one id chunk, ro:7, meta: the intake did not change
    expect(w.stats().lastBatchKeys).toBe(4)
    const writes = w.stats().writes
    await w.flush()
    expect(w.stats().writes).toBe(writes)

    const loaded = await loadCollabState(store.sub('collab'), null, quiet, clock.now())
    const back = new ReputationTable()
    back.restore(loaded.reputation)
    expect(back.size).toBe(2000)
    expect(back.get(origin(7), clock.now())).toEqual(reputation.get(origin(7), clock.now()))
    expect(loaded.replay.check(alert(7, 2))).toBe('duplicate')
    expect(loaded.replay.check({ ...alert(5, 1), id: 'a-new-id' })).toBe('replay')
    expect(loaded.replay.check(alert(5, 2))).toBe('ok')
    expect(loaded.intake).toEqual({ version: 1, n: 1 })
  })

  it('one write in flight at most: 5,000 flush requests during a flood make a few writes of the latest state', async () => {
    const reputation = new ReputationTable()
    const replay = new ReplayGuard()
    const intake = intakeStub()
    const w = createCollabWriter({ clock, collab: store.sub('collab'), reputation, intake, replay, logger: quiet })
    const pending: Array<Promise<void>> = []
    for (let i = 0; i < 5000; i++) {
      replay.record(alert(1, i + 1))
      reputation.record(origin(1), 'R4', 1, clock.now())
      pending.push(w.flush())
    }
    await Promise.all(pending)
    expect(w.stats().writes).toBeLessThanOrEqual(3)
    const loaded = await loadCollabState(store.sub('collab'), null, quiet, clock.now())
    expect(loaded.replay.check(alert(1, 5000))).toBe('duplicate')
    const back = new ReputationTable()
    back.restore(loaded.reputation)
    expect(back.get(origin(1), clock.now()).negative).toBeCloseTo(reputation.get(origin(1), clock.now()).negative, 6)
  })

  it('a kill -9 before the next write loses no replay protection: the alert journal is replayed into the guard', async () => {
    const reputation = new ReputationTable()
    const replay = new ReplayGuard()
    const w = createCollabWriter({ clock, collab: store.sub('collab'), reputation, intake: intakeStub(), replay, logger: quiet })
    replay.record(alert(1, 1))
    await w.flush()
    clock.advance(200)
    // accepted and journalled (collaboration.ts does this before handling), never flushed
    replay.record(alert(1, 2))
    await store.sub('alerts').put(`${String(clock.now()).padStart(15, '0')}:id-1-2`, { id: 'id-1-2', origin: origin(1), seq: '2' })
    const loaded = await loadCollabState(store.sub('collab'), store.sub('alerts'), quiet, clock.now())
    expect(loaded.replay.check(alert(1, 1))).toBe('duplicate')
    expect(loaded.replay.check(alert(1, 2))).toBe('duplicate')
  })

  it('reads the version-1 layout (whole snapshots) and replaces it at the first write', async () => {
    const reputation = new ReputationTable()
    reputation.record(origin(1), 'R1', 2, clock.now())
    const replay = new ReplayGuard()
    replay.record(alert(1, 3))
    const collab = store.sub('collab')
    await collab.put('state', { reputation: reputation.toJSON(), intake: { version: 1, n: 9 } })
    await collab.put('replay', replay.toJSON())
    const loaded = await loadCollabState(collab, store.sub('alerts'), quiet, clock.now())
    expect(loaded.legacy).toBe(true)
    expect(loaded.intake).toEqual({ version: 1, n: 9 })
    expect(loaded.replay.check(alert(1, 3))).toBe('duplicate')
    const back = new ReputationTable()
    back.restore(loaded.reputation)
    const w = createCollabWriter({ clock, collab, reputation: back, intake: intakeStub(), replay: loaded.replay, logger: quiet }, { legacy: true })
    await w.flush()
    expect(await collab.get('state').catch(() => undefined)).toBeUndefined()
    expect(await collab.get('replay').catch(() => undefined)).toBeUndefined()
    const again = await loadCollabState(collab, null, quiet, clock.now())
    expect(again.legacy).toBe(false)
    expect(again.replay.check(alert(1, 3))).toBe('duplicate')
    const back2 = new ReputationTable()
    back2.restore(again.reputation)
    expect(back2.get(origin(1), clock.now()).positive).toBeCloseTo(reputation.get(origin(1), clock.now()).positive, 6)
  })

  it('an evicted peer and an evicted origin window are deleted, not kept on disk', async () => {
    const reputation = new ReputationTable({ maxPeers: 2, evictionScan: 2 })
    const replay = new ReplayGuard({ maxOrigins: 2 })
    const w = createCollabWriter({ clock, collab: store.sub('collab'), reputation, intake: intakeStub(), replay, logger: quiet })
    for (let i = 0; i < 3; i++) { reputation.record(origin(i), 'R1', 1, clock.now()); replay.record(alert(i, 1)) }
    await w.flush()
    const loaded = await loadCollabState(store.sub('collab'), null, quiet, clock.now())
    expect(loaded.reputation?.peers.length).toBe(2)
    expect(loaded.replay.size.origins).toBe(2)
  })
})
