import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../core/prng.js'
import { fitGaussian, invertSpd, mahalanobis } from '../../../node/profile/process-gaussian.js'
import { createEmpiricalTail, tailQuantile, upperTailP } from '../../../node/profile/process-tail.js'

describe('process gaussian (Mahalanobis, conditional explanation)', () => {
  it('inverts a symmetric positive-definite matrix and refuses a singular one', () => {
    const a = new Float64Array([4, 2, 0.6, 2, 5, 1, 0.6, 1, 3])
    const inv = invertSpd(a, 3)!
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0
        for (let k = 0; k < 3; k++) s += a[i * 3 + k] * inv[k * 3 + j]
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12)
      }
    }
    expect(invertSpd(new Float64Array([1, 1, 1, 1]), 2)).toBeNull()
  })

  it('gives the textbook conditional mean and deviation for correlated 2-D data', () => {
    // y = 2x + e, x ~ N(0, 1), e ~ N(0, 0.25): E[y | x] = 2x, sd(y | x) = 0.5
    const rng = createPrng(3)
    const n = 20_000
    const rows = new Float64Array(n * 2)
    for (let i = 0; i < n; i++) {
      const x = rng.nextGaussian()
      rows[2 * i] = x
      rows[2 * i + 1] = 2 * x + 0.5 * rng.nextGaussian()
    }
    const g = fitGaussian(rows, 2, [1e-6, 1e-6])!
    const r = mahalanobis(g, [1, 5])
    expect(r.conditionalMean[1]).toBeCloseTo(2, 1)
    expect(r.conditionalStd[1]).toBeCloseTo(0.5, 1)
    expect(r.conditionalZ[1]).toBeCloseTo(6, 0)
    // a point on the line is close even where each coordinate is 2 sd out
    expect(mahalanobis(g, [2, 4]).d2).toBeLessThan(mahalanobis(g, [0.5, -1]).d2)
    // E[D²] = d
    let mean = 0
    for (let i = 0; i < 2000; i++) mean += mahalanobis(g, rows.subarray(2 * i, 2 * i + 2)).d2 / 2000
    expect(mean).toBeCloseTo(2, 0)
  })

  it('the ridge keeps a constant column invertible and gives it the floor deviation', () => {
    const rows = new Float64Array(200 * 2)
    for (let i = 0; i < 200; i++) { rows[2 * i] = i % 7; rows[2 * i + 1] = 0 }
    const g = fitGaussian(rows, 2, [0.5, 0.5])!
    expect(g).not.toBeNull()
    expect(mahalanobis(g, [3, 0]).conditionalStd[1]).toBeCloseTo(0.5, 6)
    expect(mahalanobis(g, [3, 10]).conditionalZ[1]).toBeCloseTo(20, 6)
  })
})

describe('process tail (empirical upper tail with Cantelli extrapolation)', () => {
  it('is add-one empirical inside the range and keeps falling beyond the maximum', () => {
    const tail = createEmpiricalTail([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.1)
    expect(upperTailP(tail, 0)).toBe(1)
    expect(upperTailP(tail, 10)).toBeCloseTo(2 / 11, 12)
    expect(upperTailP(tail, 5.5)).toBeCloseTo(6 / 11, 12)
    const justBeyond = upperTailP(tail, 10.01)
    const farBeyond = upperTailP(tail, 100)
    expect(justBeyond).toBeLessThanOrEqual(1 / 11)
    expect(farBeyond).toBeLessThan(justBeyond / 100)
    expect(tailQuantile(tail, 0.5)).toBe(5)
    expect(tailQuantile(tail, 0.99)).toBe(10)
    expect(upperTailP(createEmpiricalTail([], 1), 3)).toBe(1)
  })
})
