import { describe, expect, it } from 'vitest'
import { createPrng, deriveSeed, restorePrng, seedToUint32 } from '../../core/prng.js'

describe('prng (sfc32)', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = createPrng(42)
    const b = createPrng(42)
    const c = createPrng(43)
    const xa = Array.from({ length: 100 }, () => a.nextUint32())
    const xb = Array.from({ length: 100 }, () => b.nextUint32())
    const xc = Array.from({ length: 100 }, () => c.nextUint32())
    expect(xa).toEqual(xb)
    expect(xa.filter((x, i) => x === xc[i]).length).toBeLessThan(3)
    expect(xa.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true)
  })

  it('uses every bit of a safe-integer seed and accepts strings', () => {
    expect(seedToUint32(1)).not.toBe(seedToUint32(1 + 2 ** 32))
    expect(seedToUint32('host-1')).not.toBe(seedToUint32('host-2'))
    expect(createPrng('abc').next()).toBe(createPrng('abc').next())
    expect(() => createPrng(Number.NaN)).toThrow(RangeError)
  })

  it('is roughly uniform: chi-square over 16 buckets, mean and variance of next()', () => {
    const rng = createPrng(7)
    const n = 64_000
    const buckets = new Array(16).fill(0)
    let sum = 0
    let sumSq = 0
    let outOfRange = 0
    for (let i = 0; i < n; i++) {
      const u = rng.next()
      if (!(u >= 0 && u < 1)) outOfRange++
      buckets[Math.floor(u * 16)]++
      sum += u
      sumSq += u * u
    }
    expect(outOfRange).toBe(0)
    const expected = n / 16
    const chi2 = buckets.reduce((acc, o) => acc + (o - expected) ** 2 / expected, 0)
    // 15 degrees of freedom: the 99.9th percentile is 37.7
    expect(chi2).toBeLessThan(37.7)
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01)
    expect(Math.abs(sumSq / n - (sum / n) ** 2 - 1 / 12)).toBeLessThan(0.005)
  })

  it('nextInt is unbiased and in range, and rejects bad bounds', () => {
    const rng = createPrng(3)
    const counts = [0, 0, 0]
    for (let i = 0; i < 30_000; i++) counts[rng.nextInt(3)]++
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400)
    expect(rng.nextInt(1)).toBe(0)
    expect(() => rng.nextInt(0)).toThrow(RangeError)
    expect(() => rng.nextInt(2.5)).toThrow(RangeError)
  })

  it('gaussian and exponential deviates have the right moments', () => {
    const rng = createPrng(11)
    const n = 40_000
    let s = 0
    let s2 = 0
    let e = 0
    for (let i = 0; i < n; i++) {
      const g = rng.nextGaussian()
      s += g
      s2 += g * g
      e += rng.nextExponential(2)
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03)
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05)
    expect(Math.abs(e / n - 0.5)).toBeLessThan(0.02)
    const r = rng.nextRange(5, 6)
    expect(r >= 5 && r < 6).toBe(true)
  })

  it('getState/restorePrng resume the exact stream; fork gives independent streams', () => {
    const rng = createPrng(99)
    for (let i = 0; i < 10; i++) rng.next()
    const copy = restorePrng(rng.getState())
    expect(Array.from({ length: 20 }, () => copy.nextDouble())).toEqual(Array.from({ length: 20 }, () => rng.nextDouble()))
    const f1 = createPrng(5).fork('a')
    const f2 = createPrng(5).fork('b')
    expect(f1.nextUint32()).not.toBe(f2.nextUint32())
    expect(createPrng(5).fork('a').nextUint32()).toBe(createPrng(5).fork('a').nextUint32())
    expect(() => restorePrng([1, 2, 3] as unknown as [number, number, number, number])).toThrow(RangeError)
    expect(deriveSeed(1, 'host', 2)).toBe(deriveSeed(1, 'host', 2))
    expect(deriveSeed(1, 'host', 2)).not.toBe(deriveSeed(1, 'host', 3))
  })
})
