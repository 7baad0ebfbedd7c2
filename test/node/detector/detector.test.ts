import { describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import type { ManualClock } from '../../../core/clock.js'
import { createDetector, createDetectorParams } from '../../../node/detector/index.js'
import type { Detector, DetectorParams, DetectorResult } from '../../../node/detector/index.js'
import type { HttpObservation } from '../../../node/observation.js'
import { createHttpPriors, createHttpProfileSet } from '../../../node/profile/http/index.js'
import type { HttpPriorRule } from '../../../node/profile/http/index.js'
import { FakeApp } from '../profile/http/fake-app.js'

function setup (params: Partial<DetectorParams>, rules?: HttpPriorRule[]): { clock: ManualClock, det: Detector<HttpObservation>, feed: (o: HttpObservation) => DetectorResult } {
  const clock = createManualClock(1_700_000_000_000)
  const det = createDetector({ clock, profiles: createHttpProfileSet(), priors: rules == null ? undefined : createHttpPriors(rules) }, params)
  const feed = (o: HttpObservation): DetectorResult => { if (o.time > clock.now()) clock.set(o.time); return det.observe(o) }
  return { clock, det, feed }
}

/** One endpoint with a name and an id. */
const req = (app: FakeApp, name = app.word(), id = String(app.int(1, 999))): HttpObservation => app.custom('GET', '/p', `name=${encodeURIComponent(name)}&id=${id}`)

describe('tolerization', () => {
  it('D1 by count: guarding from the minObservations-th observation, calibrated on the second half', () => {
    const app = new FakeApp(1)
    const { det, feed } = setup({ minObservations: 100, minDurationSec: 0 })
    for (let i = 0; i < 99; i++) expect(feed(req(app))).toMatchObject({ phase: 'learning', danger: 0, learned: true })
    expect(det.status('get /p')).toMatchObject({ phase: 'learning', learned: 99 })
    expect(det.guarding).toBe(false)
    feed(req(app))
    const st = det.status('get /p')!
    expect(st).toMatchObject({ phase: 'guarding', learned: 100, seen: 100, calibrationScores: 50 })
    // calibrated on the 50 held-back scores: danger one below danger two, and normal traffic mostly below both
    expect(st.thresholds!.suspicious).toBeGreaterThan(0)
    expect(st.thresholds!.dangerous).toBeGreaterThanOrEqual(st.thresholds!.suspicious)
    expect(det.guarding).toBe(true)
    expect(feed(req(app)).phase).toBe('guarding')
    let flagged = 0
    for (let i = 0; i < 200; i++) if (feed(req(app)).danger > 0) flagged++
    expect(flagged).toBeLessThan(20)
  })

  it('D1 by time: the count alone is not enough', () => {
    const app = new FakeApp(2, 1_700_000_000_000, 100)
    const { clock, det, feed } = setup({ minObservations: 20, minDurationSec: 60 })
    for (let i = 0; i < 100; i++) feed(req(app)) // 10 s of traffic
    expect(det.status('get /p')!.phase).toBe('learning')
    clock.advance(60_000)
    feed(req(app))
    expect(det.status('get /p')!.phase).toBe('guarding')
    // time only
    const t = setup({ minObservations: 0, minDurationSec: 30 })
    const app2 = new FakeApp(3, t.clock.now(), 1000)
    for (let i = 0; i < 30; i++) t.feed(req(app2))
    expect(t.det.status('get /p')!.phase).toBe('learning')
    t.feed(req(app2))
    expect(t.det.status('get /p')!.phase).toBe('guarding')
  })

  it('progress while learning, and guarding on the timer when the time is up (no further request needed)', () => {
    const app = new FakeApp(2, 1_700_000_000_000, 100)
    const { clock, det, feed } = setup({ minObservations: 20, minDurationSec: 60 })
    for (let i = 0; i < 30; i++) feed(req(app))
    const st = det.status('get /p')!
    expect(st.phase).toBe('learning')
    expect(st.progress).toMatchObject({ learned: 30, minObservations: 20, minSources: 5, guardingNotBeforeMs: st.firstSeenMs + 60_000 })
    expect(st.progress!.sources).toBeGreaterThanOrEqual(5)
    clock.set(st.firstSeenMs + 59_999)
    expect(det.promoteDue()).toEqual([])
    clock.set(st.firstSeenMs + 60_000)
    expect(det.promoteDue()).toEqual(['get /p'])
    expect(det.status('get /p')).toMatchObject({ phase: 'guarding' })
    expect(det.status('get /p')!.progress).toBeUndefined()
    expect(det.promoteDue()).toEqual([])
    // too few observations: the timer does not promote it
    const t = setup({ minObservations: 50, minDurationSec: 10 })
    const app2 = new FakeApp(3, t.clock.now(), 100)
    for (let i = 0; i < 10; i++) t.feed(req(app2))
    t.clock.advance(3_600_000)
    expect(t.det.promoteDue()).toEqual([])
    expect(t.det.status('get /p')!.progress).toMatchObject({ learned: 10, minObservations: 50 })
  })

  it('params are validated with IMMUNE_ERR_INVALID_PARAMS naming the field', () => {
    for (const [bad, field] of [[{ targetFpr1: 0.001, targetFpr2: 0.01 }, 'detector.targetFpr2'], [{ minObservations: 0, minDurationSec: 0 }, 'detector.minObservations'], [{ guardLearnEvery: 0 }, 'detector.guardLearnEvery']] as const) {
      let caught: unknown
      try { createDetectorParams(bad) } catch (err) { caught = err }
      expect(caught).toMatchObject({ code: 'IMMUNE_ERR_INVALID_PARAMS', details: { field } })
    }
  })
})

describe('hard priors (KIS hard tolerization)', () => {
  const rules: HttpPriorRule[] = [{ context: 'get /p', parameter: 'name', maxLength: 12, allowedClasses: ['letter'] }]

  it('an attacker present during learning cannot teach out-of-bounds values', () => {
    const app = new FakeApp(4)
    const hard = setup({ minObservations: 200, minDurationSec: 0 }, rules)
    const soft = setup({ minObservations: 200, minDurationSec: 0 })
    for (let i = 0; i < 400; i++) {
      const o = i % 4 === 3 ? req(app, `${app.word()}' or '1'='1`) : req(app)
      const h = hard.feed(o)
      soft.feed(o)
      if (i % 4 === 3) expect(h).toMatchObject({ learned: false, danger: 2 })
      if (i % 4 === 3) expect(h.score.reasons[0]).toMatchObject({ feature: 'prior', parameter: 'name' })
    }
    const st = hard.det.status('get /p')!
    expect(st).toMatchObject({ phase: 'guarding', priorViolations: 100, seen: 400 })
    expect(st.learned).toBeGreaterThanOrEqual(200) // only the 300 normal ones could be learned
    expect(st.learned).toBeLessThan(300)
    const probe = req(app, `${app.word()}' or '1'='1`)
    expect(hard.det.assess(probe).danger).toBe(2)
    // the soft profile was trained by the attacker: the injection now looks normal
    expect(soft.det.assess(probe).danger).toBe(0)
    expect(hard.det.assess(req(app)).danger).toBe(0)
  })
})

describe('after tolerization', () => {
  function trained (seed: number, extra: Partial<DetectorParams> = {}): ReturnType<typeof setup> & { app: FakeApp } {
    const app = new FakeApp(seed)
    const s = setup({ minObservations: 400, minDurationSec: 0, ...extra })
    for (let i = 0; i < 400; i++) s.feed(req(app))
    expect(s.det.status('get /p')!.phase).toBe('guarding')
    return { ...s, app }
  }

  it('D3 poisoning guard: anomalies are never learned, normal traffic slowly (1 in guardLearnEvery)', () => {
    const { det, feed, app } = trained(5)
    const before = det.status('get /p')!.learned
    for (let i = 0; i < 200; i++) {
      const r = feed(req(app, `x${'<'.repeat(1 + (i % 5))}script${i}`))
      expect(r.danger).toBeGreaterThanOrEqual(1)
      expect(r.learned).toBe(false)
    }
    expect(det.status('get /p')!.learned).toBe(before)
    let normal0 = 0
    let learned = 0
    for (let i = 0; i < 400; i++) {
      const r = feed(req(app))
      if (r.danger === 0) normal0++
      if (r.learned) learned++
    }
    expect(learned).toBe(Math.floor(normal0 / 8))
    expect(det.status('get /p')!.learned).toBe(before + learned)
  })

  it('assess() neither learns nor creates contexts', () => {
    const { det, app } = trained(6)
    const n = det.status('get /p')!.learned
    for (let i = 0; i < 50; i++) det.assess(req(app))
    const r = det.assess(app.custom('GET', '/new', ''))
    expect(r).toMatchObject({ danger: 1, learned: false, newContext: false })
    expect(det.status('get /p')!.learned).toBe(n)
    expect(det.status('get /new')).toBeUndefined()
  })

  it('D4 a new endpoint while guarding: suspicious, then its own tolerization', () => {
    const { det, feed, app } = trained(7, { minObservations: 400 })
    const first = feed(app.custom('GET', '/fresh', `page=1`))
    expect(first).toMatchObject({ danger: 1, newContext: true, phase: 'learning', learned: true })
    expect(first.score.reasons[0].feature).toBe('unknown-endpoint')
    let last = first
    for (let i = 0; i < 399; i++) last = feed(app.custom('GET', '/fresh', `page=${app.int(1, 30)}`))
    // until it reaches its quorum, a young endpoint counts as unknown (E1 counts established contexts only)
    expect(last.score.reasons[0]).toMatchObject({ feature: 'unknown-endpoint', observed: 'not established (399 requests)' })
    expect(det.status('get /fresh')).toMatchObject({ phase: 'guarding', established: true })
    expect(det.status('get /fresh')!.sources).toBeGreaterThanOrEqual(5)
    expect(feed(app.custom('GET', '/fresh', 'page=3'))).toMatchObject({ phase: 'guarding', danger: 0 })
  })

  it('D5 raised sensitivity lowers the thresholds for a bounded time', () => {
    const { det, clock, app } = trained(8, { maxSensitivityFactor: 4, maxSensitivityMs: 600_000 })
    const base = det.assess(req(app)).thresholds!
    det.raiseSensitivity('get /p', 2, clock.now() + 60_000)
    const raised = det.assess(req(app)).thresholds!
    expect(raised.suspicious).toBeCloseTo(base.suspicious / 2, 2)
    expect(raised.dangerous).toBeCloseTo(base.dangerous / 2, 2)
    expect(det.status('get /p')!.sensitivity).toBe(2)
    // a probe between the lowered and the normal dangerous threshold flips from 1 to 2
    // names of growing length: the length tail (evidence) gives a continuum of scores; danger two needs the
    // score and the evidence above the threshold, the evidence also above the nominal −log10(0.001), all / factor
    const two = (s: { value: number, evidence?: number }, t2: number, factor: number): boolean => s.value > t2 && (s.evidence ?? s.value) > Math.max(t2, 3 / factor)
    const probes = Array.from({ length: 200 }, (_, k) => req(app, 'q'.repeat(k + 1), '7')).filter((o) => {
      const s = det.assess(o).score
      return two(s, raised.dangerous, 2) && !two(s, base.dangerous, 1)
    })
    expect(probes.length).toBeGreaterThan(0)
    for (const o of probes) expect(det.assess(o).danger).toBe(2)
    clock.advance(60_001)
    expect(det.assess(req(app)).thresholds).toEqual(base)
    for (const o of probes) expect(det.assess(o).danger).toBe(1)
    // capped in factor and in time; '*' raises every context
    det.raiseSensitivity('*', 100, clock.now() + 86_400_000)
    expect(det.status('get /p')!.sensitivity).toBe(4)
    clock.advance(600_001)
    expect(det.status('get /p')!.sensitivity).toBe(1)
    expect(() => det.raiseSensitivity('get /p', 0.5, clock.now() + 1000)).toThrow(/sensitivity.factor/)
  })
})

describe('thresholds on held-out normal traffic', () => {
  it('respect the target false-positive rates (statistical, with margin)', () => {
    const app = new FakeApp(9)
    const { det, feed } = setup({ minObservations: 1500, minDurationSec: 0, targetFpr1: 0.01, targetFpr2: 0.001 })
    for (let i = 0; i < 9600; i++) feed(app.next())
    expect(det.statuses().every((s) => s.phase === 'guarding')).toBe(true)
    const fresh = new FakeApp(10)
    const n = 12_000
    let d1 = 0
    let d2 = 0
    for (let i = 0; i < n; i++) {
      const r = det.assess(fresh.next())
      if (r.danger >= 1) d1++
      if (r.danger === 2) d2++
    }
    // binomial margin: 1 % of 12,000 = 120 ± 11; allow up to 2 %; 0.1 % = 12 ± 3.5, allow 0.35 %
    expect(d1 / n).toBeLessThan(0.02)
    expect(d2 / n).toBeLessThan(0.0035)
  })
})
