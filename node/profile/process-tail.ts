/**
 * An upper-tail p-value for a statistic whose training values are known
 * (the isolation-forest score, the Mahalanobis distance of the training rows):
 * empirical with add-one smoothing inside the training range, extended beyond
 * the largest training value by Cantelli's inequality so that "far beyond" is
 * more surprising than "just beyond" (the same construction Kruegel & Vigna
 * 2003 use for lengths):
 *
 *     p(t) = (1 + #{T_i ≥ t}) / (n + 1)                          t ≤ max T
 *     p(t) = 1 / (n + 1) · 1 / (1 + ((t − max T) / σ_T)²)         t > max T
 */

export interface EmpiricalTail {
  /** Training values, ascending. */
  sorted: Float64Array
  /** Their standard deviation (at least the floor given at creation). */
  std: number
}

export function createEmpiricalTail (values: ArrayLike<number>, minStd: number): EmpiricalTail {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  let mean = 0
  for (let i = 0; i < n; i++) mean += sorted[i]
  mean /= Math.max(1, n)
  let ss = 0
  for (let i = 0; i < n; i++) ss += (sorted[i] - mean) ** 2
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0
  return { sorted, std: Math.max(std, minStd) }
}

export function upperTailP (tail: EmpiricalTail, t: number): number {
  const s = tail.sorted
  const n = s.length
  if (n === 0) return 1
  const max = s[n - 1]
  if (t > max) {
    const z = (t - max) / tail.std
    return 1 / (n + 1) / (1 + z * z)
  }
  // first index with s[i] >= t
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (s[mid] < t) lo = mid + 1
    else hi = mid
  }
  return (1 + n - lo) / (n + 1)
}

/** Value at quantile q in [0, 1] of the training values (nearest rank). */
export function tailQuantile (tail: EmpiricalTail, q: number): number {
  const s = tail.sorted
  if (s.length === 0) return Number.NaN
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}
