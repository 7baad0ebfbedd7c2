import { describe, expect, it } from 'vitest'
import { CategoricalCounter } from '../../../../node/profile/stats/categorical.js'
import { LengthModel } from '../../../../node/profile/stats/length-model.js'
import { NoveltyTracker } from '../../../../node/profile/stats/novelty-tracker.js'
import { bonferroni, combineOrder, surprise } from '../../../../node/profile/stats/p-value.js'

describe('NoveltyTracker (leave-one-out novelty)', () => {
  it('gives 1/(n+1) to a novelty when no training observation owned a singleton', () => {
    const t = new NoveltyTracker<number>(100)
    for (let i = 0; i < 99; i++) t.learn(i === 0 ? [1, 2] : [1, 2])
    expect(t.pNovel(0)).toBe(1)
    expect(t.pNovel(1)).toBeCloseTo(1 / 100)
    // beyond K + 1 = 1 the tail shrinks geometrically
    expect(t.pNovel(3)).toBeCloseTo(0.25 * 0.25 / 100)
  })

  it('counts the observations that own singletons (Good–Turing)', () => {
    const t = new NoveltyTracker<string>(100)
    // 10 observations each bringing its own unique item, 90 sharing items
    for (let i = 0; i < 90; i++) t.learn(['a'])
    for (let i = 0; i < 10; i++) t.learn(['a', `u${i}`, `v${i}`])
    expect(t.largestOwned).toBe(2)
    expect(t.pNovel(1)).toBeCloseTo((1 + 10) / 101)
    expect(t.pNovel(2)).toBeCloseTo((1 + 10) / 101)
    expect(t.pNovel(3)).toBeCloseTo(1 / 101)
    // a singleton seen again is no longer owned
    t.learn(['u0', 'v0'])
    expect(t.pNovel(1)).toBeCloseTo((1 + 9) / 102)
    expect(t.df('u0')).toBe(2)
  })

  it('scaled tail: a new value of an enumeration is one novelty, not one per 3-gram; an injection is still far out', () => {
    // every training value repeats (an enumeration): nobody owns a singleton, K = 0
    const grams = (w: string): string[] => Array.from({ length: w.length + 1 }, (_, i) => `^${w}$`.slice(i, i + 3))
    const values = ['pending', 'shipped', 'paid', 'cancelled']
    const fixed = new NoveltyTracker<string>(1000)
    const scaled = new NoveltyTracker<string>(1000, 0.25, true)
    for (let i = 0; i < 60; i++) { fixed.learn(grams(values[i % 4])); scaled.learn(grams(values[i % 4])) }
    expect(scaled.largestOwned).toBe(0)
    const k = grams('refunded').length // 9 novel 3-grams, as many as a normal value has
    expect(fixed.pNovel(k)).toBeCloseTo(Math.pow(0.25, k - 1) / 61) // the fixed tail: 2.5e-7, a "dangerous" request
    // μ = μ₀ = mean items per value ((8 + 8 + 5 + 10) / 4 = 7.75) while nobody owns singletons
    expect(-1 / Math.log(scaled.tailRatio)).toBeCloseTo(7.75, 6)
    expect(scaled.pNovel(k)).toBeGreaterThan(0.3 / 61)
    // forty novel 3-grams (an injection five times the size of a value) stay far out: e^{−39/7.75} ≈ 0.0065 of a 1/(n+1) event
    expect(scaled.pNovel(40)).toBeLessThan(0.01 / 61)
    expect(scaled.pNovel(40)).toBeLessThan(scaled.pNovel(k) / 50)
    // the scale is learned: owners of many singletons widen it, and it survives a restore
    const r = NoveltyTracker.restore(JSON.parse(JSON.stringify(scaled.toJSON())), 1000, 0.25, true)
    expect(r.pNovel(k)).toBeCloseTo(scaled.pNovel(k), 12)
  })

  it('round-trips through JSON and honours the floor', () => {
    const t = new NoveltyTracker<number>(3)
    t.learn([1]); t.learn([2]); t.learn([3]); t.learn([4]) // 4 not stored: full
    expect(t.size).toBe(3)
    const r = NoveltyTracker.restore(JSON.parse(JSON.stringify(t.toJSON())), 3)
    expect(r.n).toBe(4)
    expect(r.pNovel(1)).toBe(t.pNovel(1))
    expect(new NoveltyTracker<number>(10).pNovel(1, 0.5)).toBe(1)
  })
})

describe('CategoricalCounter', () => {
  it('p-value of an unseen category is the add-one Good–Turing mass', () => {
    const c = new CategoricalCounter(10, 'disable')
    for (let i = 0; i < 98; i++) c.learn(String(i % 3))
    c.learn('rare')
    expect(c.pValue('x')).toBeCloseTo((1 + 1) / 100)
    expect(c.pValue('rare')).toBeCloseTo((1 + 1 + 1) / 100)
    expect(c.pValue('0')).toBe(1) // common: not computed exactly
    expect(c.top(2)).toHaveLength(2)
  })

  it("turns off ('disable') or saturates beyond maxCategories", () => {
    const d = new CategoricalCounter(3, 'disable')
    for (const k of ['a', 'b', 'c', 'd']) d.learn(k)
    expect(d.disabled).toBe(true)
    expect(d.pValue('zzz')).toBe(1)
    const s = new CategoricalCounter(3, 'saturate')
    for (const k of ['a', 'b', 'c', 'd', 'e']) s.learn(k)
    expect(s.size).toBe(3)
    expect(s.singletons).toBe(5)
    const r = CategoricalCounter.restore(JSON.parse(JSON.stringify(s.toJSON())), 3, 'saturate')
    expect(r.pValue('q')).toBe(s.pValue('q'))
  })
})

describe('LengthModel', () => {
  it('is two-sided inside the range and uses Chebyshev beyond the longest value', () => {
    const m = new LengthModel()
    for (let i = 0; i < 1000; i++) m.learn(5 + (i % 11)) // 5..15
    expect(m.min).toBe(5)
    expect(m.max).toBe(15)
    expect(m.pValue(10)).toBe(1)
    expect(m.pValue(5)).toBeLessThan(0.25)
    expect(m.pValue(2)).toBeCloseTo(2 / 1001)
    const p16 = m.pValue(16)
    const p400 = m.pValue(400)
    expect(p16).toBeCloseTo(2 / 1001)
    expect(p400).toBeLessThan(p16)
    expect(p400).toBeCloseTo(m.variance / (400 - m.mean) ** 2)
    expect(m.pValue(2, 0.01)).toBe(0.01)
    const r = LengthModel.restore(JSON.parse(JSON.stringify(m.toJSON())))
    expect(r.pValue(400)).toBe(p400)
  })
})

describe('p-value combination', () => {
  it('Bonferroni and order statistics', () => {
    expect(bonferroni(0.001, 10)).toBeCloseTo(0.01)
    expect(surprise(0.01)).toBeCloseTo(2)
    // one surprising term: plain Bonferroni
    expect(combineOrder(0.001, 0.5, 0.9, 10).pCombined).toBeCloseTo(0.01)
    // two independent surprises beat one: C(10,2)·p2² = 45e-6
    expect(combineOrder(0.001, 0.001, 0.9, 10).pCombined).toBeCloseTo(45e-6)
    expect(combineOrder(1, 1, 1, 0).value).toBe(0)
    // order statistics of other units than the tests (family minima): C(slots, 2)·q2²
    expect(combineOrder(0.001, 0.001, 0.9, 10, 4).pCombined).toBeCloseTo(6e-6)
  })
})
