import { describe, expect, it } from 'vitest'
import { computeThresholds, thresholdFor } from '../../../node/detector/thresholds.js'
import { mulberry32 } from '../profile/http/fake-app.js'

const P = { minCalibrationScores: 50, tailFraction: 0.05, minTailCount: 10, minTailExcess: 0.1 }
const desc = (xs: number[]): Float64Array => Float64Array.from(xs).sort().reverse()

describe('thresholds', () => {
  it('T3 nominal −log10(alpha) with too few scores', () => {
    expect(thresholdFor(desc([1, 2, 3]), 0.01, P)).toEqual({ alpha: 0.01, value: 2, method: 'nominal' })
  })

  it('T1 empirical quantile: score > t flags at most alpha·n calibration scores', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i / 1000)
    const t = thresholdFor(desc(xs), 0.01, P)
    expect(t.method).toBe('empirical')
    expect(xs.filter((x) => x > t.value).length).toBe(100)
  })

  it('T2 exponential tail: recovers the quantile of an exponential law beyond the data', () => {
    const r = mulberry32(3)
    let sum = 0
    for (let rep = 0; rep < 20; rep++) {
      const xs = Array.from({ length: 500 }, () => -Math.log(1 - r()))
      const t = thresholdFor(desc(xs), 0.001, P)
      expect(t.method).toBe('tail')
      sum += t.value
    }
    // true 99.9 % quantile of Exp(1): ln(1000) = 6.91
    expect(sum / 20).toBeGreaterThan(6.0)
    expect(sum / 20).toBeLessThan(7.8)
  })

  it('ties at the top get a tail of minTailExcess; dangerous is never below suspicious', () => {
    const zeros = new Array(500).fill(0)
    const th = computeThresholds(zeros, 0.01, 0.001, P)
    expect(th.terms[0]).toMatchObject({ method: 'tail', u: 0, beta: 0.1 })
    expect(th.suspicious).toBeCloseTo(0.1 * Math.log(25 / 5), 3)
    expect(th.dangerous).toBeGreaterThan(th.suspicious)
    const same = computeThresholds(Array.from({ length: 100 }, (_, i) => i), 0.01, 0.01, P)
    expect(same.dangerous).toBe(same.suspicious)
  })
})
