/**
 * Profiles and phases survive a restart through a real level db: a restarted
 * node resumes each context in the phase it was in, with the same model,
 * thresholds and counts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import type { ManualClock } from '../../../core/clock.js'
import { createDetector } from '../../../node/detector/index.js'
import type { Detector, DetectorParams } from '../../../node/detector/index.js'
import type { HttpObservation } from '../../../node/observation.js'
import { createHttpProfileSet, createProfileStore, PROFILES_SUBLEVEL } from '../../../node/profile/index.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import { FakeApp } from '../profile/http/fake-app.js'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

const PARAMS: Partial<DetectorParams> = { minObservations: 300, minDurationSec: 0, flushIntervalMs: 5000 }

async function open (dataDir: string, clock: ManualClock): Promise<{ store: Store, det: Detector<HttpObservation> }> {
  const store = createStore({ dataDir })
  await store.open()
  const det = createDetector({ clock, store, profiles: createHttpProfileSet({ name: 'http:shop' }) }, PARAMS)
  await det.start()
  return { store, det }
}

describe('detector persistence', () => {
  it('resumes every context in its phase after close and reopen', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'immune-detector-'))
    dirs.push(dataDir)
    const clock = createManualClock(1_700_000_000_000)
    const app = new FakeApp(21)
    const a = await open(dataDir, clock)
    expect(clock.pending()).toBe(1) // the flush timer
    // /search and /shop/item reach guarding; /login stays in learning
    for (let i = 0; i < 2000; i++) {
      const o = app.next()
      if (o.path === '/login' && (a.det.status('post /login')?.learned ?? 0) >= 100) continue
      clock.set(o.time)
      a.det.observe(o)
    }
    const before = a.det.statuses().sort((x, y) => x.context.localeCompare(y.context))
    expect(before.find((s) => s.context === 'get /search')!.phase).toBe('guarding')
    expect(before.find((s) => s.context === 'post /login')).toMatchObject({ phase: 'learning', learned: 100 })
    const probes = [app.next(), app.next(), app.custom('GET', '/search', 'q=%27+or+1%3D1--&page=2'), app.custom('GET', '/nope', '')]
    const scored = probes.map((o) => a.det.assess(o))
    await a.det.stop()
    expect(clock.pending()).toBe(0)
    await a.store.close()

    const b = await open(dataDir, clock)
    const after = b.det.statuses().sort((x, y) => x.context.localeCompare(y.context))
    expect(after).toEqual(before)
    expect(probes.map((o) => b.det.assess(o))).toEqual(scored)
    expect(b.det.guarding).toBe(true)
    expect(b.det.profiles.total).toBe(a.det.profiles.total)
    // the learning context continues its tolerization where it stopped
    for (let i = 0; i < 200; i++) b.det.observe(app.custom('POST', '/login', '', `user=${app.word()}&password=${app.password()}&remember=on`))
    expect(b.det.status('post /login')).toMatchObject({ phase: 'guarding', learned: 300 })
    await b.det.stop()
    await b.store.close()
  })

  it('writes changed profiles within the flush interval, and skips a corrupt record without losing the others', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'immune-detector-'))
    dirs.push(dataDir)
    const clock = createManualClock(1_700_000_000_000)
    const app = new FakeApp(22)
    const a = await open(dataDir, clock)
    for (let i = 0; i < 50; i++) a.det.observe(app.custom('GET', '/search', `q=${app.word()}&page=${app.int(1, 9)}`))
    for (let i = 0; i < 50; i++) a.det.observe(app.custom('GET', '/download', `file=${app.word()}.pdf`))
    clock.advance(5000) // the timer starts a flush; flush() waits for it
    await a.det.flush()
    const ps = createProfileStore(a.store, 'http:shop')
    const loaded = await ps.load()
    expect(loaded.contexts.map((c) => c.context).sort()).toEqual(['get /download', 'get /search'])
    expect(loaded.meta).toBeDefined()
    // corrupt one record behind the detector's back
    await a.store.sub(PROFILES_SUBLEVEL).put('http:shop\u0000c\u0000get /download', { v: 1, model: { kind: 'http', v: 42 }, state: {} })
    await a.det.stop()
    await a.store.close()
    const warnings: string[] = []
    const store = createStore({ dataDir })
    await store.open()
    const det = createDetector({ clock, store, profiles: createHttpProfileSet({ name: 'http:shop' }), logger: { warn: (o) => { warnings.push(String(o.context)) } } }, PARAMS)
    await det.start()
    expect(det.status('get /search')).toMatchObject({ learned: 50, phase: 'learning' })
    expect(det.status('get /download')).toBeUndefined()
    expect(warnings).toEqual(['get /download'])
    await det.stop()
    await det.stop() // idempotent
    await store.close()
  })
})
