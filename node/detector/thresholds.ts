/**
 * Two thresholds per context from its calibration scores (pure).
 *
 * T1 empirical: when the target rate leaves at least minTailCount calibration
 *    scores above it, the threshold is the empirical quantile: `score > t`
 *    flags at most ⌊α·n⌋ calibration scores.
 * T2 tail: otherwise the top k = max(minTailCount, tailFraction·n) scores are
 *    fitted with an exponential tail above u (the (k+1)-th largest score), the
 *    peaks-over-threshold method with a generalised Pareto shape of 0:
 *    P(S > s) ≈ (k/n)·exp(−(s − u)/β), β = mean excess (≥ minTailExcess), so
 *    t = u + β·ln(k / (n·α)).
 * T3 nominal: with fewer than minCalibrationScores scores, t = −log10 α (the
 *    right value when scores are −log10 of calibrated p-values, as the HTTP
 *    model's are).
 */

export interface ThresholdParams {
  minCalibrationScores: number
  tailFraction: number
  minTailCount: number
  minTailExcess: number
}

export interface ThresholdTerm {
  alpha: number
  value: number
  method: 'empirical' | 'tail' | 'nominal'
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

/** Threshold for one target rate `alpha` from scores sorted in DEScending order. */
export function thresholdFor (sortedDesc: ArrayLike<number>, alpha: number, p: ThresholdParams): ThresholdTerm {
  const n = sortedDesc.length
  if (n < p.minCalibrationScores) return { alpha, value: -Math.log10(alpha), method: 'nominal' }
  const above = Math.floor(alpha * n)
  if (above >= p.minTailCount) return { alpha, value: sortedDesc[above], method: 'empirical' }
  const k = Math.min(n - 1, Math.max(p.minTailCount, Math.ceil(p.tailFraction * n)))
  const u = sortedDesc[k]
  let excess = 0
  for (let i = 0; i < k; i++) excess += sortedDesc[i] - u
  const beta = Math.max(p.minTailExcess, excess / k)
  const value = u + beta * Math.log(k / (n * alpha))
  return { alpha, value: Math.max(value, u), method: 'tail', u, beta, k }
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
