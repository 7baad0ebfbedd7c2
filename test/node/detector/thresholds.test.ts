import { describe, expect, it } from 'vitest'
import { computeThresholds, normalQuantile, poissonUpper, thresholdFor } from '../../../node/detector/thresholds.js'
import { mulberry32 } from '../profile/http/fake-app.js'

const P = { minCalibrationScores: 100, tailFraction: 0.05, minTailCount: 10, minTailExcess: 0.1, thresholdConfidence: 0.95 }
const desc = (xs: ArrayLike<number>): Float64Array => Float64Array.from(xs).sort().reverse()

describe('thresholds', () => {
  it('the bounds it rests on: normal quantile and the Poisson upper confidence bound', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.6449, 3)
    expect(normalQuantile(0.5)).toBeCloseTo(0, 6)
    expect(normalQuantile(0.001)).toBeCloseTo(-3.0902, 3)
    // exact χ² values: U(0) = 2.996, U(1) = 4.744, U(10) = 17.0 at 95 %
    expect(poissonUpper(0, 0.95)).toBeCloseTo(2.996, 1)
    expect(poissonUpper(1, 0.95)).toBeCloseTo(4.744, 1)
    expect(poissonUpper(10, 0.95)).toBeCloseTo(17.0, 0)
    expect(() => normalQuantile(1)).toThrow(RangeError)
  })

  it('N nominal −log10(alpha) is a floor with fewer than minCalibrationScores scores', () => {
    expect(thresholdFor(desc([0, 0, 0.1]), 0.01, P)).toEqual({ alpha: 0.01, value: 2, method: 'nominal' })
    expect(thresholdFor(desc([]), 0.001, P)).toEqual({ alpha: 0.001, value: 3, method: 'nominal' })
    // above the floor when the few scores themselves are high: "calibrated p-values" is refuted by ten scores of 5
    const t = thresholdFor(desc(new Array(10).fill(5)), 0.01, P)
    expect(t).toMatchObject({ method: 'bounded', v: 5, above: 0 })
    expect(t.value).toBeCloseTo(5 + Math.log10(poissonUpper(0, 0.95) / 0.1), 6)
  })

  it('T1 empirical (conformal) quantile: the k-th largest score, k = ⌊α·(n + 1)⌋', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i / 1000)
    const t = thresholdFor(desc(xs), 0.01, P)
    expect(t.method).toBe('empirical')
    expect(xs.filter((x) => x > t.value).length).toBe(99)
    expect(xs.filter((x) => x >= t.value).length).toBe(100)
  })

  it('T2 never puts a rate the data cannot resolve below scores normal traffic reaches (issue 3: 496 zeros and 4 scores near 0.5)', () => {
    const scores = [0.542, 0.519, 0.503, 0.487, ...new Array(496).fill(0)]
    const th = computeThresholds(scores, 0.01, 0.001, P)
    // 4 of 500 normal scores exceed 0: 0.8 % — a 0.1 % threshold must lie above all of them, with room
    expect(th.dangerous).toBeGreaterThan(0.542 + 0.5)
    expect(th.terms[1].method).toBe('bounded')
    // the 1 % threshold may sit at 0: P(S > 0) ≤ U(4)/500 = 1.8 % at 95 % is above 1 %, so it is a little above 0
    expect(th.suspicious).toBeGreaterThan(0)
    expect(th.suspicious).toBeLessThan(0.542)
    expect(th.dangerous).toBeGreaterThan(th.suspicious)
  })

  it('T1–T3 bound the false-positive rate of calibrated scores by alpha on average, from 100 to 2,000 scores', () => {
    // scores = −log10 U, U uniform: P(S > t) = 10^−t exactly, so the realised rate of each threshold is known
    const r = mulberry32(11)
    for (const n of [100, 300, 2000]) {
      for (const alpha of [0.01, 0.001]) {
        let sum = 0
        const reps = 200
        for (let rep = 0; rep < reps; rep++) {
          const xs = Array.from({ length: n }, () => -Math.log10(1 - r()))
          sum += Math.pow(10, -thresholdFor(desc(xs), alpha, P).value)
        }
        expect(sum / reps).toBeLessThanOrEqual(alpha)
        // and not absurdly conservative: within a factor 20 of the target
        expect(sum / reps).toBeGreaterThan(alpha / 20)
      }
    }
  })

  it('T3 a tail heavier than calibrated p-values is extrapolated with its own slope', () => {
    // S = 3·(−log10 U): P(S > t) = 10^(−t/3), three times flatter than T2 assumes
    const r = mulberry32(12)
    let sum = 0
    let tails = 0
    const reps = 100
    for (let rep = 0; rep < reps; rep++) {
      const xs = Array.from({ length: 500 }, () => -3 * Math.log10(1 - r()))
      const t = thresholdFor(desc(xs), 0.001, P)
      expect(['tail', 'bounded']).toContain(t.method)
      if (t.method === 'tail') tails++
      sum += Math.pow(10, -t.value / 3)
    }
    expect(sum / reps).toBeLessThanOrEqual(0.001)
    expect(tails).toBeGreaterThan(0)
  })

  it('T3 recovers the quantile of an exponential law beyond the data (conservatively)', () => {
    const r = mulberry32(3)
    let sum = 0
    for (let rep = 0; rep < 20; rep++) {
      const xs = Array.from({ length: 500 }, () => -Math.log(1 - r()))
      sum += thresholdFor(desc(xs), 0.001, P).value
    }
    // true 99.9 % quantile of Exp(1): ln(1000) = 6.91; the rate bound adds ln(U(25)/25) ≈ 0.35
    expect(sum / 20).toBeGreaterThan(6.9)
    expect(sum / 20).toBeLessThan(8.5)
  })

  it('dangerous is never below suspicious', () => {
    const same = computeThresholds(Array.from({ length: 100 }, (_, i) => i), 0.01, 0.01, P)
    expect(same.dangerous).toBe(same.suspicious)
    const zeros = computeThresholds(new Array(500).fill(0), 0.01, 0.001, P)
    expect(zeros.dangerous).toBeGreaterThanOrEqual(zeros.suspicious)
    // all-zero calibration: P(S > 0) ≤ U(0)/500 = 0.6 % < 1 %, so any positive score is suspicious; 0.1 % needs log10(6) more
    expect(zeros.suspicious).toBe(0)
    expect(zeros.dangerous).toBeCloseTo(Math.log10(poissonUpper(0, 0.95) / 0.5), 2)
  })
})
