/**
 * Small statistics for the fidelity check: empirical CDFs, the two-sample
 * Kolmogorov–Smirnov distance, and a lognormal fit in log space.
 */

/** sup_x |F_a(x) − F_b(x)| over the pooled sample points. */
export function ksDistance (a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) return 1
  const x = [...a].sort((p, q) => p - q)
  const y = [...b].sort((p, q) => p - q)
  let i = 0
  let j = 0
  let d = 0
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j])
    while (i < x.length && x[i] <= v) i++
    while (j < y.length && y[j] <= v) j++
    d = Math.max(d, Math.abs(i / x.length - j / y.length))
  }
  return d
}

/** The empirical CDF of `sample` evaluated at each of `at`. */
export function empiricalCdf (sample: readonly number[], at: readonly number[]): number[] {
  const s = [...sample].sort((p, q) => p - q)
  return at.map(t => {
    let lo = 0
    let hi = s.length
    while (lo < hi) { const mid = (lo + hi) >> 1; if (s[mid] <= t) lo = mid + 1; else hi = mid }
    return s.length === 0 ? 0 : lo / s.length
  })
}

export interface LognormalFit {
  medianMs: number
  sigma: number
  samples: number
}

/** median = exp(mean log x), sigma = sd(log x); samples below floorMs count as floorMs. */
export function fitLognormal (samples: readonly number[], floorMs = 0.05): LognormalFit {
  const logs = samples.filter(Number.isFinite).map(v => Math.log(Math.max(floorMs, v)))
  if (logs.length === 0) return { medianMs: 1, sigma: 0, samples: 0 }
  const mean = logs.reduce((s, v) => s + v, 0) / logs.length
  const varc = logs.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, logs.length - 1)
  return { medianMs: Math.exp(mean), sigma: Math.sqrt(varc), samples: logs.length }
}

export function quantile (sample: readonly number[], q: number): number {
  if (sample.length === 0) return Number.NaN
  const s = [...sample].sort((p, r) => p - r)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}
