/**
 * End to end through the daemon's path (observation → HTTP profile set →
 * detector): learn a made-up shop's normal traffic, then flag injected
 * attacks with the right explanation while fresh normal traffic passes.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../../core/clock.js'
import { createDetector } from '../../../../node/detector/index.js'
import type { Detector } from '../../../../node/detector/index.js'
import type { HttpObservation, ScoreReason } from '../../../../node/observation.js'
import { createHttpProfileSet } from '../../../../node/profile/http/index.js'
import { FakeApp } from './fake-app.js'

const app = new FakeApp(1)
const clock = createManualClock(1_700_000_000_000)
let det: Detector<HttpObservation>

const feed = (obs: HttpObservation): ReturnType<Detector<HttpObservation>['observe']> => {
  if (obs.time > clock.now()) clock.set(obs.time)
  return det.observe(obs)
}

beforeAll(() => {
  det = createDetector({ clock, profiles: createHttpProfileSet() }, { minObservations: 600, minDurationSec: 600 })
  for (let i = 0; i < 6000; i++) feed(app.next())
})

const mentions = (reasons: ScoreReason[], parameter: string, features: string[]): boolean =>
  reasons.some((r) => r.parameter === parameter && features.includes(r.feature))

describe('generated web shop', () => {
  it('every endpoint finished tolerization', () => {
    const st = det.statuses()
    expect(st.map((s) => s.context).sort()).toEqual(['get /download', 'get /search', 'get /shop/item', 'get /static/logo.png', 'post /account/register', 'post /login'])
    for (const s of st) {
      expect(s.phase).toBe('guarding')
      expect(s.thresholds!.dangerous).toBeGreaterThanOrEqual(s.thresholds!.suspicious)
    }
  })

  it('fresh normal requests pass', () => {
    const fresh = new FakeApp(2, clock.now() + 1000)
    const results = fresh.many(3000).map((o) => feed(o))
    const suspicious = results.filter((r) => r.danger >= 1).length / results.length
    const dangerous = results.filter((r) => r.danger === 2).length / results.length
    expect(suspicious).toBeLessThan(0.03) // target 1 %
    expect(dangerous).toBeLessThan(0.008) // target 0.1 %
  })

  const attacks: Array<{ name: string, obs: () => HttpObservation, parameter: string, features: string[] }> = [
    { name: 'SQL injection in an id', obs: () => app.custom('GET', '/shop/item', "id=1%27+OR+%271%27%3D%271&ref=home"), parameter: 'id', features: ['unseen-characters', 'unseen-3grams', 'structure'] },
    { name: 'SQL injection in a login', obs: () => app.custom('POST', '/login', '', 'user=admin%27--&password=x&remember=on'), parameter: 'user', features: ['unseen-characters', 'structure'] },
    { name: 'XSS in a search', obs: () => app.custom('GET', '/search', 'q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E&page=1'), parameter: 'q', features: ['unseen-characters'] },
    { name: 'path traversal in a file name', obs: () => app.custom('GET', '/download', 'file=..%2F..%2F..%2F..%2Fetc%2Fpasswd'), parameter: 'file', features: ['unseen-characters', 'character-count', 'structure'] },
    { name: 'overlong name (buffer overflow)', obs: () => app.custom('POST', '/account/register', '', new URLSearchParams({ name: 'A'.repeat(5000), email: app.email(), birth: app.date(), zip: '12345', newsletter: 'on' }).toString()), parameter: 'name', features: ['length'] },
    { name: 'e-mail with a second @', obs: () => app.custom('POST', '/account/register', '', new URLSearchParams({ name: app.name(), email: `${app.word()}@${app.word()}@example.com`, birth: app.date(), zip: '12345', newsletter: 'on' }).toString()), parameter: 'email', features: ['character-count', 'structure'] },
    { name: 'tampered enumeration', obs: () => app.custom('GET', '/shop/item', 'id=12&ref=admin'), parameter: 'ref', features: ['enumeration'] }
  ]

  for (const a of attacks) {
    it(`flags ${a.name} and explains it (${a.parameter}: ${a.features.join(' | ')})`, () => {
      const r = feed(a.obs())
      expect(r.danger).toBeGreaterThanOrEqual(1)
      expect(r.learned).toBe(false)
      expect(r.score.value).toBeGreaterThan(r.thresholds!.suspicious)
      expect(r.score.reasons[0].parameter).toBe(a.parameter)
      expect(mentions(r.score.reasons, a.parameter, a.features)).toBe(true)
      for (const reason of r.score.reasons) {
        expect(reason.context).toBe(r.context)
        expect(typeof reason.expected).toBe('string')
      }
    })
  }

  it('an unknown endpoint is suspicious (capped at danger 1) and starts its own tolerization', () => {
    const r = feed(app.custom('GET', '/admin/config.php', 'cmd=id'))
    expect(r).toMatchObject({ danger: 1, phase: 'learning', newContext: true, learned: true })
    expect(r.score.reasons[0]).toMatchObject({ feature: 'unknown-endpoint', context: 'get /admin/config.php' })
    expect(det.status('get /admin/config.php')).toMatchObject({ phase: 'learning', learned: 1 })
  })
})
