import { describe, expect, it } from 'vitest'
import type { HttpObservation } from '../../../node/observation.js'
import { createHttpProfileSet } from '../../../node/profile/http/index.js'
import { FakeApp } from './http/fake-app.js'

describe('ProfileSet', () => {
  it('routes observations to contexts, creating them on first sight', () => {
    const set = createHttpProfileSet({ name: 'http:shop' })
    const app = new FakeApp(3)
    for (let i = 0; i < 600; i++) set.learn(app.next())
    expect(set.size).toBe(6)
    expect(set.total).toBe(600)
    let sum = 0
    for (const c of set.contexts()) sum += set.get(c)!.count
    expect(sum).toBe(600)
    expect(set.contextOf(app.custom('GET', '/x', ''))).toBe('get /x')
  })

  it('E1: an unknown endpoint is rare in proportion to the established traffic; a young one less so once established', () => {
    const set = createHttpProfileSet({ model: { minP: 0 }, set: { minP: 0 } })
    const app = new FakeApp(4)
    for (let i = 0; i < 2000; i++) set.learn(app.next())
    expect(set.score(app.custom('GET', '/admin', '')).value).toBe(0) // nothing established yet: no endpoint term
    for (const c of [...set.contexts()]) set.establish(c, false)
    const unknown = set.score(app.custom('GET', '/admin', ''))
    expect(unknown.known).toBe(false)
    expect(unknown.reasons[0]).toMatchObject({ feature: 'unknown-endpoint', context: 'get /admin', observed: 'never seen', novelty: true })
    expect(unknown.value).toBeCloseTo(Math.log10(2001), 3)
    const rare = (): number => set.rarity('get /admin').value
    for (let i = 0; i < 21; i++) set.learn(app.custom('GET', '/admin', ''))
    // learned but not established (no quorum yet): still unknown
    expect(set.rarity('get /admin').reason).toMatchObject({ feature: 'unknown-endpoint', observed: 'not established (21 requests)' })
    set.establish('get /admin', true)
    expect(set.rarity('get /admin').reason.feature).toBe('rare-endpoint')
    expect(rare()).toBeLessThan(unknown.value)
    expect(set.rarity('get /search').value).toBeLessThan(0.5)
    // an endpoint the deployment added counts toward the mass of unseen endpoints
    expect(set.rarity('get /next').value).toBeCloseTo(Math.log10(2022 / 2), 2)
  })

  it('E1: one-off paths that never establish cannot make the next unknown endpoint look ordinary', () => {
    const set = createHttpProfileSet()
    const app = new FakeApp(7)
    for (let i = 0; i < 2000; i++) set.learn(app.next())
    for (const c of [...set.contexts()]) set.establish(c, false)
    const before = set.rarity('get /new-page').value
    for (let i = 0; i < 5000; i++) set.learn(app.custom('GET', `/scan/${i.toString(36)}x`, ''))
    expect(set.rarity('get /new-page').value).toBe(before)
    expect(before).toBeGreaterThan(2.9)
  })

  it('stops creating contexts at maxContexts (a path flood cannot exhaust memory)', () => {
    const set = createHttpProfileSet({ set: { maxContexts: 3 } })
    const app = new FakeApp(5)
    let refused = 0
    for (let i = 0; i < 10; i++) if (!set.learn(app.custom('GET', `/p${i}`, ''))) refused++
    expect(set.size).toBe(3)
    expect(refused).toBe(7)
    expect(set.getOrCreate('get /p9')).toBeUndefined()
    expect(set.score(app.custom('GET', '/p9', '')).known).toBe(false)
  })

  it('restores models and the endpoint counts from snapshots', () => {
    const a = createHttpProfileSet()
    const app = new FakeApp(6)
    const obs: HttpObservation[] = app.many(500)
    for (const o of obs) a.learn(o)
    const b = createHttpProfileSet()
    for (const c of a.contexts()) b.restore(c, JSON.parse(JSON.stringify(a.get(c)!.toJSON())))
    b.restoreMeta(JSON.parse(JSON.stringify(a.toJSON())))
    for (const c of a.contexts()) a.establish(c, false)
    b.restoreMeta(JSON.parse(JSON.stringify(a.toJSON())))
    expect(b.total).toBe(500)
    const probe = app.custom('GET', '/search', 'q=%3Cb%3E&page=1')
    expect(b.score(probe)).toEqual(a.score(probe))
    expect(b.rarity('get /nope')).toEqual(a.rarity('get /nope'))
  })
})
