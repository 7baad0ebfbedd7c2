/**
 * Issue 9, detector side: new endpoints are learned safely (quorum of
 * sources, per-source share, second opinion of similar guarding contexts or
 * of the whole app) and the context table is bounded so that a scan cannot
 * fill it nor silence the unknown-endpoint signal.
 */
import { describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/index.js'
import { createDetector } from '../../../node/detector/index.js'
import type { DetectorParams } from '../../../node/detector/index.js'
import type { HttpObservation } from '../../../node/observation.js'
import { createHttpProfileSet } from '../../../node/profile/http/index.js'
import { FakeApp } from '../profile/http/fake-app.js'

const PARAMS: Partial<DetectorParams> = { minObservations: 200, minDurationSec: 0, minSources: 5 }

function guarding (seed: number, params: Partial<DetectorParams> = PARAMS, maxContexts?: number) {
  const clock = createManualClock(1_700_000_000_000)
  const det = createDetector({ clock, profiles: createHttpProfileSet(maxContexts != null ? { set: { maxContexts } } : {}) }, params)
  const app = new FakeApp(seed)
  const feed = (o: HttpObservation) => { if (o.time > clock.now()) clock.set(o.time); return det.observe(o) }
  for (let i = 0; i < 3000; i++) feed(app.next())
  expect(det.statuses().every((s) => s.phase === 'guarding')).toBe(true)
  return { clock, det, app, feed }
}

const from = (o: HttpObservation, source: string): HttpObservation => ({ ...o, source })

describe('new endpoints are learned safely', () => {
  it('D1′ quorum: 300 requests from one client never make a context guard; 20 clients do', () => {
    const { det, app, feed } = guarding(1)
    for (let i = 0; i < 300; i++) feed(from(app.custom('GET', '/one', `page=${app.int(1, 30)}`), '203.0.113.1'))
    expect(det.status('get /one')).toMatchObject({ phase: 'learning', sources: 1, established: false })
    // and it learned at most its share (10 % of minObservations)
    expect(det.status('get /one')!.learned).toBe(20)
    expect(det.status('get /one')!.refused).toBe(280)
    for (let i = 0; i < 300; i++) feed(from(app.custom('GET', '/many', `page=${app.int(1, 30)}`), `203.0.113.${1 + (i % 20)}`))
    expect(det.status('get /many')).toMatchObject({ phase: 'guarding', established: true })
    expect(det.status('get /many')!.sources).toBe(20)
  })

  it('D4′ an injection at a young endpoint similar to a guarding one is dangerous there, and never learned', () => {
    const { det, app, feed } = guarding(2)
    // /v2/search takes the same parameters as the guarding /search
    const young = feed(app.custom('GET', '/v2/search', 'q=red+mug&page=2'))
    expect(young).toMatchObject({ danger: 1, learned: true, newContext: true })
    const attack = feed(app.custom('GET', '/v2/search', "q=red%27+UNION+SELECT+password+FROM+users--&page=2"))
    expect(attack.danger).toBe(2)
    expect(attack.learned).toBe(false)
    expect(attack.score.reasons.some((r) => r.parameter === 'q' && r.expected.includes('as at get /search'))).toBe(true)
    expect(det.status('get /v2/search')!.refused).toBe(1)
  })

  it('D4′ at an endpoint like no other, the whole app judges: suspicious at most, and an injection is never learned', () => {
    const { det, app, feed } = guarding(3)
    expect(feed(app.custom('GET', '/brand-new', 'color=green&size=large'))).toMatchObject({ danger: 1, learned: true })
    const xss = feed(app.custom('GET', '/brand-new', 'color=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E&size=large'))
    // the app-wide view cannot tell a new search box's punctuation from injection syntax: level 1 (a value
    // checker, the innate layer, makes it dangerous); but it is not learned
    expect(xss).toMatchObject({ danger: 1, learned: false })
    expect(det.status('get /brand-new')!.refused).toBe(1)
    const sqli = feed(app.custom('GET', '/other-new', "size=1%27%20OR%20%271%27%3D%271"))
    expect(sqli).toMatchObject({ danger: 1, learned: false, newContext: false }) // not created: what would not be learned makes no context
  })

  it('D4′ with a value checker (the innate seam), the app-wide view is dangerous when the checker finds syntax breaking out', () => {
    const clock = createManualClock(1_700_000_000_000)
    // the checker here stands for the innate layer (issue 10): it reports a value that leaves an SQL string
    const checker = (v: string) => /'\s*or\s*'/i.test(v) ? { p: 1e-6, grammar: 'sql-string', token: "'", offset: v.indexOf("'") } : null
    const det = createDetector({ clock, profiles: createHttpProfileSet({ valueChecker: checker }) }, PARAMS)
    const app = new FakeApp(9)
    for (let i = 0; i < 3000; i++) { const o = app.next(); clock.set(o.time); det.observe(o) }
    const o = app.custom('GET', '/other-new', "size=1%27%20OR%20%271%27%3D%271")
    clock.set(o.time)
    const r = det.observe(o)
    expect(r).toMatchObject({ danger: 2, learned: false })
    expect(r.score.reasons.some((x) => x.feature === 'innate' && x.parameter === 'size')).toBe(true)
  })
})

describe('bounded state that a scan cannot fill', () => {
  it('D6: a source may hold at most maxContextsPerSource young contexts; others still create theirs', () => {
    const { det, app, feed } = guarding(4, { ...PARAMS, maxContextsPerSource: 16 })
    const before = det.statuses().length
    for (let i = 0; i < 500; i++) feed(from(app.custom('GET', `/scan${i}.php`, ''), '192.0.2.66'))
    expect(det.statuses().length).toBe(before + 16)
    const real = feed(from(app.custom('GET', '/new-page', 'id=3'), '198.51.100.7'))
    expect(real.newContext).toBe(true)
  })

  it('scan then a real page: 5,000 one-off paths from 3 sources, then 300 requests from 100 clients; the page is learned and an injection into it blocked', () => {
    const { det, app, feed } = guarding(5, PARAMS, 600)
    let unknownSignal = 0
    for (let i = 0; i < 5000; i++) {
      const r = feed(from(app.custom('GET', `/${['admin', 'backup', 'cgi-bin', 'old', 'test'][i % 5]}${i}.bak`, ''), `192.0.2.${1 + (i % 3)}`))
      if (i >= 4900 && r.danger >= 1 && r.score.reasons[0].feature === 'unknown-endpoint') unknownSignal++
    }
    // the signal is not silenced: the last scanned paths are still suspicious
    expect(unknownSignal).toBe(100)
    expect(det.statuses().length).toBeLessThanOrEqual(600)
    for (let i = 0; i < 300; i++) feed(from(app.custom('GET', '/offers', `category=${app.pick(['toys', 'books', 'garden'])}&page=${app.int(1, 9)}`), `198.51.100.${1 + (i % 100)}`))
    expect(det.status('get /offers')).toMatchObject({ phase: 'guarding', established: true })
    const attack = det.assess(from(app.custom('GET', '/offers', "category=toys%27%20UNION%20SELECT%20username%2Cpassword%20FROM%20users--&page=1"), '203.0.113.9'))
    expect(attack).toMatchObject({ phase: 'guarding', danger: 2 })
    // and the first unknown page after all that is still an unknown endpoint
    expect(det.assess(app.custom('GET', '/never-seen', '')).score.reasons[0]).toMatchObject({ feature: 'unknown-endpoint' })
    expect(det.assess(app.custom('GET', '/never-seen', '')).danger).toBe(1)
  })

  it('D6: when the table is full, contexts without a quorum are evicted, established ones never', () => {
    const { det, app, feed } = guarding(6, PARAMS, 40)
    const established = det.statuses().map((s) => s.context)
    for (let i = 0; i < 400; i++) feed(from(app.custom('GET', `/junk/${i}x`, ''), `192.0.2.${1 + (i % 200)}`))
    const now = det.statuses().map((s) => s.context)
    for (const c of established) expect(now).toContain(c)
    expect(now.length).toBeLessThanOrEqual(40)
    expect(now).toContain('get /junk/399x')
  })

  it('path templates: /item/123 and /item/124 are one context, get /item/{id}', () => {
    const { det, app, feed } = guarding(7)
    for (let i = 0; i < 300; i++) feed(app.custom('GET', `/item/${app.int(1, 90000)}`, ''))
    expect(det.status('get /item/{id}')).toMatchObject({ phase: 'guarding' })
    expect(det.statuses().filter((s) => s.context.startsWith('get /item/')).length).toBe(1)
    for (let i = 0; i < 300; i++) feed(app.custom('GET', `/orders/550e8400-e29b-41d4-a716-${String(446655440000 + i)}/lines`, ''))
    expect(det.status('get /orders/{uuid}/lines')).toBeDefined()
  })
})
