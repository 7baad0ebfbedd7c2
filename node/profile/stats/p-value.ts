/**
 * Combining per-feature p-values into one request score (pure functions).
 *
 * Each feature test gives a p-value against the training distribution; the
 * request is as surprising as its most surprising term, corrected for the
 * number of tests m (Bonferroni): p_combined = min(1, m · min_i p_i), and the
 * score is its surprise, value = −log10 p_combined. Under the null (normal
 * traffic, calibrated p-values) P(value ≥ s) ≤ 10^−s, so a score of 2 is a
 * "1% event" whatever the endpoint, which keeps scores comparable across
 * contexts; the detector still calibrates its thresholds per context.
 */

/** Smallest p-value represented (surprise 300). */
export const P_FLOOR = 1e-300

export function surprise (p: number): number {
  return Math.max(0, -Math.log10(Math.max(P_FLOOR, Math.min(1, p))))
}

export function bonferroni (pMin: number, tests: number): number {
  return Math.min(1, pMin * Math.max(1, tests))
}

export interface PTerm {
  p: number
  parameter?: string
  feature: string
  observed: string | number
  expected: string
  /** A novelty term (new value, name, type), not evidence (term-sink.ts). */
  novelty?: boolean
}

export interface Combined {
  /** −log10 of the corrected p-value. */
  value: number
  pMin: number
  tests: number
  pCombined: number
}

/**
 * The first three order statistics of the m p-values, each corrected by the
 * union bound for "j of m tests at least this small" (C(m, j) · p_(j)^j, the
 * Bonferroni correction generalised to j terms); the request is as surprising
 * as the most surprising of the three. j = 1 is the plain Bonferroni minimum;
 * j = 2, 3 separate requests with several independent surprises (a renamed
 * parameter: unknown name AND missing name) from requests with one.
 * `p2`, `p3` may be order statistics of other units than the m tests (the
 * HTTP model uses minima of families of entangled tests); `slots` is then
 * the number of such units.
 */
export function combineOrder (p1: number, p2: number, p3: number, tests: number, slots = tests): Combined {
  const m = Math.max(1, tests)
  const s = Math.max(1, slots)
  const c1 = bonferroni(p1, m)
  const c2 = s >= 2 ? Math.min(1, (s * (s - 1) / 2) * p2 * p2) : 1
  const c3 = s >= 3 ? Math.min(1, (s * (s - 1) * (s - 2) / 6) * p3 * p3 * p3) : 1
  const pCombined = Math.min(c1, c2, c3)
  return { value: surprise(pCombined), pMin: p1, tests: m, pCombined }
}

export function combineMinP (pMin: number, tests: number): Combined {
  const pCombined = bonferroni(pMin, tests)
  return { value: surprise(pCombined), pMin, tests, pCombined }
}
