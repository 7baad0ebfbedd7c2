/**
 * Two thresholds per context from its calibration scores (pure).
 *
 * Scores are surprises, −log10 of a combined p-value: one unit of score is one
 * decade of rarity if the p-values are calibrated, and the model's p-values
 * are conservative (Bonferroni) more often than not. A context's n calibration
 * scores can only resolve rates down to about 1/n: the 0.1 % quantile of 30,
 * or even of 500, scores is not in the data. So:
 *
 * T1 empirical: when k = ⌊α·(n + 1)⌋ ≥ minTailCount, the threshold is the
 *    k-th largest score: a new score exceeds it with probability
 *    k/(n + 1) ≤ α (the conformal quantile).
 * T2 bounded extrapolation (otherwise): for every level v among the scores,
 *    c(v) = #{scores > v} bounds the rate P(S > v) by the one-sided
 *    Poisson upper confidence bound U(c)/n (confidence `confidence`). Beyond v
 *    the tail is assumed to fall at least as fast as calibrated p-values do,
 *    one decade per unit: P(S > v + x) ≤ U(c)/n · 10^−x. Each v gives a
 *    threshold v + max(0, log10(U(c)/(n·α))), and so does "the scores are
 *    calibrated p-values" (v = −∞: t = −log10 α). A candidate is admissible
 *    when the data above it do not contradict it: at every score w > v its
 *    bound stays above the Poisson lower confidence bound of #{scores ≥ w}.
 *    The lowest admissible candidate holds. With no data above v, U(0) ≈ 3
 *    (at 95 %): n ≥ 3/α scores are needed before v itself is a threshold.
 * T3 tail: when at least minTailCount calibration scores lie strictly above
 *    u (the (k+1)-th largest, k = max(minTailCount, tailFraction·n)) and their
 *    mean excess β is larger than a calibrated p-value's (1/ln 10), the
 *    tail is heavier than T2 assumes; the exponential tail fitted to them
 *    (peaks over threshold, generalised Pareto shape 0) is extrapolated
 *    instead, with the same upper bound on the rate:
 *    t = u + β·ln(U(k′)/(n·α)). The threshold is the larger of T2 and T3.
 * N  nominal: with fewer than minCalibrationScores scores, t is also at least
 *    −log10 α (the right value when scores are −log10 of calibrated p-values).
 *
 * T2 replaced, after issue 3's small-training report, an exponential tail fit
 * on the top 5 % whatever their number and ties: with 500 scores of which 496
 * were 0, it put the 0.1 % threshold (0.39) below scores that 0.8 % of
 * normal requests reach.
 */

export interface ThresholdParams {
  minCalibrationScores: number
  tailFraction: number
  minTailCount: number
  minTailExcess: number
  /** Confidence of the upper bound on exceedance rates (T2, T3). */
  thresholdConfidence: number
}

export interface ThresholdTerm {
  alpha: number
  value: number
  method: 'empirical' | 'tail' | 'nominal' | 'bounded'
  /** T2: the level the bound starts from, and the scores above it. */
  v?: number
  above?: number
  /** Tail fit, when method = 'tail'. */
  u?: number
  beta?: number
  k?: number
}

export interface Thresholds {
  suspicious: number
  dangerous: number
  samples: number
  terms: [ThresholdTerm, ThresholdTerm]
}

/** Score units per e-fold of rarity for calibrated p-values (−log10 U is exponential with mean 1/ln 10). */
export const NOMINAL_BETA = 1 / Math.LN10

const Z_CACHE = new Map<number, number>()

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9 after one Newton step is not needed here). */
export function normalQuantile (p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`)
  const a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
  const b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
  const c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
  const d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
  const lo = 0.02425
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  }
  if (p > 1 - lo) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
}

/**
 * One-sided upper confidence bound of a Poisson mean after observing `c`
 * events (χ²_{2(c+1)} quantile / 2, Wilson–Hilferty): U(0) ≈ 3.00,
 * U(1) ≈ 4.74, U(10) ≈ 17.0 at 95 %.
 */
export function poissonUpper (c: number, confidence: number): number {
  let z = Z_CACHE.get(confidence)
  if (z === undefined) { z = normalQuantile(confidence); Z_CACHE.set(confidence, z) }
  const k = c + 1
  const w = 1 - 1 / (9 * k) + z / (3 * Math.sqrt(k))
  return k * w * w * w
}

/** One-sided lower confidence bound of a Poisson mean after `c` events (0 for c = 0; Wilson–Hilferty). */
export function poissonLower (c: number, confidence: number): number {
  if (c <= 0) return 0
  let z = Z_CACHE.get(confidence)
  if (z === undefined) { z = normalQuantile(confidence); Z_CACHE.set(confidence, z) }
  const w = 1 - 1 / (9 * c) - z / (3 * Math.sqrt(c))
  return w > 0 ? c * w * w * w : 0
}

/** Threshold for one target rate `alpha` from scores sorted in DEScending order. */
export function thresholdFor (sortedDesc: ArrayLike<number>, alpha: number, p: ThresholdParams): ThresholdTerm {
  const n = sortedDesc.length
  const nominal = -Math.log10(alpha)
  if (n === 0) return { alpha, value: nominal, method: 'nominal' }
  // conformal: a new score exceeds the k-th largest of n with probability k/(n + 1) ≤ α
  const kq = Math.floor(alpha * (n + 1))
  if (n >= p.minCalibrationScores && kq >= p.minTailCount) return { alpha, value: sortedDesc[kq - 1], method: 'empirical' }

  // T2: the lowest admissible bounded extrapolation. Candidates, from the top:
  // each distinct score v (c = scores strictly above it), then "calibrated
  // p-values" (v = −∞, P(S > t) ≤ 10^−t). A candidate is admissible when its
  // extrapolation stays above the lower confidence bound of the rate at every
  // score w above it: U(c)/n · 10^−(w−v) ≥ L(#{≥ w})/n. `reach` is the
  // running max of log10 L(#{≥ w}) + w over the scores above.
  let best: ThresholdTerm | null = null
  let reach = -Infinity
  const conf = p.thresholdConfidence
  for (let i = 0; i < n; i++) {
    if (i > 0 && sortedDesc[i] === sortedDesc[i - 1]) continue
    const v = sortedDesc[i]
    const logU = Math.log10(poissonUpper(i, conf))
    if (logU + v >= reach) {
      const t = v + Math.max(0, logU - Math.log10(n * alpha))
      if (best == null || t < best.value) best = { alpha, value: t, method: 'bounded', v, above: i }
    }
    let j = i
    while (j + 1 < n && sortedDesc[j + 1] === v) j++
    reach = Math.max(reach, Math.log10(poissonLower(j + 1, conf)) + v)
  }
  if (reach <= Math.log10(n) && (best == null || nominal < best.value)) best = { alpha, value: nominal, method: 'nominal' }
  if (best == null) best = { alpha, value: nominal, method: 'nominal' }

  // T3: a tail heavier than calibrated p-values
  const k = Math.min(n - 1, Math.max(p.minTailCount, Math.ceil(p.tailFraction * n)))
  if (k >= p.minTailCount) {
    const u = sortedDesc[k]
    let kk = 0
    let excess = 0
    for (let i = 0; i < k; i++) if (sortedDesc[i] > u) { kk++; excess += sortedDesc[i] - u }
    if (kk >= p.minTailCount) {
      const beta = Math.max(p.minTailExcess, excess / kk)
      if (beta > NOMINAL_BETA) {
        const t = u + beta * Math.max(0, Math.log(poissonUpper(kk, p.thresholdConfidence) / (n * alpha)))
        if (t > best.value) best = { alpha, value: t, method: 'tail', u, beta, k: kk }
      }
    }
  }
  if (n < p.minCalibrationScores && best.value < nominal) best = { alpha, value: nominal, method: 'nominal' }
  return best
}

export function computeThresholds (scores: ArrayLike<number>, alpha1: number, alpha2: number, p: ThresholdParams): Thresholds {
  const sorted = Float64Array.from(scores).sort().reverse()
  const t1 = thresholdFor(sorted, alpha1, p)
  const t2 = thresholdFor(sorted, alpha2, p)
  const r3 = (x: number): number => Math.round(x * 1000) / 1000
  const suspicious = r3(t1.value)
  const dangerous = r3(Math.max(t2.value, t1.value))
  return { suspicious, dangerous, samples: sorted.length, terms: [t1, t2] }
}
