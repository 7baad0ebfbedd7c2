/**
 * The daemon's detection persistence (node/daemon/detection.ts) with a real
 * level db and a ManualClock: what was observed and committed survives a crash
 * (no stop(), no snapshot) exactly once, in its phase, with its count.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import type { ManualClock } from '../../../core/clock.js'
import { validateConfig } from '../../../node/config/index.js'
import { createDetection } from '../../../node/daemon/detection.js'
import type { CellRef, ContextStatus } from '../../../node/daemon/detection-types.js'
import { createLogger } from '../../../node/daemon/logger.js'
import type { HttpObservation, ProcessObservation } from '../../../node/observation.js'
import { createPrng } from '../../../core/prng.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'

const WEB: CellRef = { name: 'web', community: 'default' }
const logger = createLogger({ level: 'silent', format: 'json' })

let dir: string
let clock: ManualClock
const stores: Store[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'immune-detection-'))
  clock = createManualClock()
})

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
  rmSync(dir, { recursive: true, force: true })
})

const configFor = (learning: Record<string, unknown>): ReturnType<typeof validateConfig> => validateConfig({
  dataDir: dir,
  cells: [{ name: 'web', type: 'http' }, { name: 'app', type: 'pid', pid: 1 }],
  learning
})

async function open (learning: Record<string, unknown>): Promise<ReturnType<typeof createDetection>> {
  const store = createStore({ dataDir: dir })
  await store.open()
  stores.push(store)
  // the periodic snapshot never fires within a test: only explicit snapshot() calls and the detector's own saves
  const det = createDetection({ clock, store, logger }, { config: configFor(learning), snapshotIntervalMs: 3_600_000 })
  await det.start()
  return det
}

/**
 * A crash: the store goes away without detection.stop() or a snapshot. Writes
 * already issued settle first, as level would: a few turns of the event loop
 * (no real-time wait) let the detectors' queued saves reach level, whose
 * close() then waits for every pending operation.
 */
async function crash (): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => { setImmediate(resolve) })
  for (const s of stores.splice(0)) await s.close()
}

const rng = createPrng(5)
const httpObs = (i: number): HttpObservation => i % 2 === 0
  ? { kind: 'http', time: clock.now(), method: 'GET', path: '/search', query: `q=${['shoe', 'hat', 'red+boots', 'wool'][rng.nextInt(4)]}`, body: '', headers: {} }
  : { kind: 'http', time: clock.now(), method: 'GET', path: '/item', query: `id=${1000 + rng.nextInt(9000)}`, body: '', headers: {} }
const procObs = (): ProcessObservation => ({
  kind: 'process',
  time: clock.now(),
  cell: 'app',
  metrics: { cpuPct: 2 + rng.next(), rssBytes: 50e6 + rng.nextInt(1e6), threads: 7, openFiles: 20, sockets: 3, readBytesPerSec: 0, writeBytesPerSec: 100 * rng.next(), children: 0 }
})

const view = (cs: ContextStatus[]): Record<string, string> => Object.fromEntries(cs.map((c) => [`${c.cell} ${c.context}`, `${c.phase} ${c.count}`]))

describe('detection: learning journal', () => {
  it('replays committed observations after a crash, exactly once, also across the switch to guarding', async () => {
    const learning = { minObservations: 20, minDurationSec: 0 }
    const det = await open(learning)
    // 50 per context: each context turns to guarding at 20, when the detector saves it by itself
    for (let i = 0; i < 100; i++) { det.observeHttp(WEB, httpObs(i)); clock.advance(10) }
    for (let i = 0; i < 12; i++) { det.observeProcess(WEB, procObs()); clock.advance(10) }
    await det.commit()
    const before = view(det.contexts())
    expect(before).toEqual({ 'web get /search': 'guarding 50', 'web get /item': 'guarding 50', 'app process:app': 'learning 12' })
    await crash()

    const again = await open(learning)
    expect(view(again.contexts())).toEqual(before)
    await again.stop()
  })

  it('loses nothing committed after a snapshot, and replays nothing a snapshot holds', async () => {
    const learning = { minObservations: 1000, minDurationSec: 0 }
    const det = await open(learning)
    for (let i = 0; i < 30; i++) det.observeHttp(WEB, httpObs(i))
    await det.snapshot()
    for (let i = 0; i < 7; i++) det.observeHttp(WEB, httpObs(i))
    await det.commit()
    // observed but never committed (not acknowledged): may be lost, must not be counted twice
    det.observeHttp(WEB, httpObs(0))
    await crash()

    const again = await open(learning)
    const counts = view(again.contexts())
    expect(counts['web get /item']).toBe('learning 18')
    expect(['learning 19', 'learning 20']).toContain(counts['web get /search'])
    await again.snapshot()
    await crash()

    const third = await open(learning)
    expect(view(third.contexts())).toEqual(counts)
    await third.stop()
  })

  it('group commit: concurrent commits share journal records and lose nothing', async () => {
    const learning = { minObservations: 1000, minDurationSec: 0 }
    const det = await open(learning)
    const commits: Array<Promise<void>> = []
    for (let i = 0; i < 60; i++) {
      det.observeHttp(WEB, httpObs(i))
      // a commit per observation, none awaited before the next observation: they coalesce
      commits.push(det.commit())
    }
    await Promise.all(commits)
    const journal = stores[0].sub('journal')
    let records = 0
    let entries = 0
    for await (const [, v] of journal.iterator()) {
      records++
      entries += (v as { e: unknown[] }).e.length
    }
    expect(entries).toBe(60)
    expect(records).toBeLessThan(60)
    await crash()
    const again = await open(learning)
    expect(view(again.contexts())).toEqual({ 'web get /search': 'learning 30', 'web get /item': 'learning 30' })
    await again.stop()
  })

  it('replays on each observation\'s own time, so a learning period does not restart at the crash', async () => {
    const learning = { minObservations: 10, minDurationSec: 60 }
    const det = await open(learning)
    for (let i = 0; i < 12; i++) { det.observeHttp(WEB, httpObs(1)); clock.advance(1000) }
    clock.advance(30_000)
    det.observeHttp(WEB, httpObs(1))
    await det.commit()
    expect(view(det.contexts())).toEqual({ 'web get /item': 'learning 13' })
    await crash()

    clock.advance(30_000)
    const again = await open(learning)
    expect(view(again.contexts())).toEqual({ 'web get /item': 'learning 13' })
    // 60 s after its first observation (which was before the crash): the next one completes the learning period
    again.observeHttp(WEB, httpObs(1))
    expect(view(again.contexts())).toEqual({ 'web get /item': 'guarding 14' })
    await again.stop()
  })
})

describe('detection: learning.mode and priors from the config', () => {
  const priors = [{ context: 'GET /search', parameter: 'q', maxLength: 12, charClasses: ['lower', 'space'] }]
  const long = (): HttpObservation => ({ kind: 'http', time: clock.now(), method: 'GET', path: '/search', query: 'q=a+very+long+query+that+breaks+the+prior', body: '', headers: {} })

  it('hard: a config prior is a limit: an observation that breaks it is dangerous and never learned, even while learning', async () => {
    const det = await open({ minObservations: 1000, minDurationSec: 0, mode: 'hard', priors })
    for (let i = 0; i < 20; i += 2) det.observeHttp(WEB, httpObs(i))
    const r = det.observeHttp(WEB, long())
    expect(r.danger).toBe(2)
    expect(r.learned).toBe(false)
    expect(r.score.reasons.some((x) => x.parameter === 'q')).toBe(true)
    // a valid one is still learned
    expect(det.observeHttp(WEB, { ...long(), query: 'q=red+boots' }).learned).toBe(true)
    await det.stop()
  })

  it('soft: the same priors are not enforced; the observation is learned', async () => {
    const det = await open({ minObservations: 1000, minDurationSec: 0, mode: 'soft', priors })
    for (let i = 0; i < 20; i += 2) det.observeHttp(WEB, httpObs(i))
    const r = det.observeHttp(WEB, long())
    expect(r.danger).toBe(0)
    expect(r.learned).toBe(true)
    await det.stop()
  })
})
