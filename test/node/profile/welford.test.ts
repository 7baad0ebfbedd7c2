import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../core/prng.js'
import { createWelford, isWelfordState, welfordMerge, welfordPush, welfordStd, welfordVariance } from '../../../node/profile/welford.js'

function naive (xs: number[]): { mean: number, variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)
  return { mean, variance }
}

describe('welford', () => {
  it('matches a naive two-pass mean and sample variance', () => {
    const rng = createPrng(1)
    const xs = Array.from({ length: 5000 }, () => 100 + 15 * rng.nextGaussian())
    const s = createWelford()
    for (const x of xs) welfordPush(s, x)
    const ref = naive(xs)
    expect(s.n).toBe(5000)
    expect(s.mean).toBeCloseTo(ref.mean, 10)
    expect(welfordVariance(s)).toBeCloseTo(ref.variance, 8)
    expect(welfordStd(s)).toBeCloseTo(Math.sqrt(ref.variance), 9)
  })

  it('stays accurate with a huge offset where the naive sum of squares fails', () => {
    const xs = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]
    const s = createWelford()
    for (const x of xs) welfordPush(s, x)
    expect(welfordVariance(s)).toBeCloseTo(30, 9)
  })

  it('merges chunks exactly like one pass (Chan et al.)', () => {
    const rng = createPrng(2)
    const xs = Array.from({ length: 1000 }, () => rng.nextExponential(0.1))
    const all = createWelford()
    const a = createWelford()
    const b = createWelford()
    xs.forEach((x, i) => { welfordPush(all, x); welfordPush(i < 300 ? a : b, x) })
    const m = welfordMerge(a, b)
    expect(m.n).toBe(all.n)
    expect(m.mean).toBeCloseTo(all.mean, 10)
    expect(welfordVariance(m)).toBeCloseTo(welfordVariance(all), 8)
    expect(welfordMerge(createWelford(), a)).toEqual(a)
  })

  it('with maxCount forgets: follows a level shift that plain Welford averages away', () => {
    const capped = createWelford()
    const plain = createWelford()
    for (let i = 0; i < 2000; i++) { welfordPush(capped, 10, 100); welfordPush(plain, 10) }
    for (let i = 0; i < 1000; i++) { welfordPush(capped, 50, 100); welfordPush(plain, 50) }
    expect(capped.n).toBe(100)
    expect(capped.mean).toBeGreaterThan(49.9)
    expect(plain.mean).toBeCloseTo(10 + 40 / 3, 6)
    // the spread of the old level is forgotten too (plain Welford keeps it: 40² · 2/9 ≈ 356)
    expect(welfordVariance(capped)).toBeLessThan(1)
    expect(welfordVariance(plain)).toBeGreaterThan(300)
  })

  it('has no variance below two samples and validates snapshots', () => {
    const s = createWelford()
    expect(welfordVariance(s)).toBe(0)
    welfordPush(s, 3)
    expect(welfordVariance(s)).toBe(0)
    expect(isWelfordState(s)).toBe(true)
    expect(isWelfordState({ n: 1, mean: Number.NaN, m2: 0 })).toBe(false)
    expect(isWelfordState({ n: -1, mean: 0, m2: 0 })).toBe(false)
    expect(isWelfordState(null)).toBe(false)
  })
})
