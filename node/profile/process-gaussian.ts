/**
 * A multivariate mean and covariance of process vectors, for the joint term
 * that the isolation forest is weak at: metrics that move together (load
 * drives CPU, threads, sockets and writes) and one that breaks ranks. An
 * axis-parallel forest needs many splits to cut a point off a diagonal; the
 * Mahalanobis distance sees it at once.
 *
 * Fit in one batch from the same rows as the forest, with a ridge of minStd²
 * on the diagonal (so constant metrics keep the covariance invertible and get
 * the same floor as the per-metric terms). Pure functions, no state.
 *
 *   D² = (x − μ)ᵀ Σ⁻¹ (x − μ);  p ≤ d / D²
 *
 * (E[D²] = d for any distribution with that covariance, so Markov's inequality
 * bounds the tail whatever the shape; the ridge only makes it more
 * conservative.) The explanation is per metric, conditional on the others:
 * with P = Σ⁻¹, E[x_i | x_−i] = x_i − (P(x − μ))_i / P_ii and the conditional
 * standard deviation is 1 / √P_ii, so "sockets 40 (expected 13 ± 1.1 given the
 * other metrics)" names the metric that broke ranks.
 */

export interface GaussianFit {
  dims: number
  mean: Float64Array
  /** Σ⁻¹, row-major dims × dims. */
  precision: Float64Array
}

export interface MahalanobisResult {
  d2: number
  /** Per metric: conditional mean given the other metrics (transformed units). */
  conditionalMean: Float64Array
  /** Per metric: conditional standard deviation (transformed units). */
  conditionalStd: Float64Array
  /** Per metric: (x_i − conditional mean) / conditional std. */
  conditionalZ: Float64Array
}

/** Mean and ridge-regularised precision of `rows` (row-major, n × dims); null if the matrix cannot be inverted. */
export function fitGaussian (rows: Float64Array, dims: number, ridge: ArrayLike<number>): GaussianFit | null {
  const n = rows.length / dims
  const mean = new Float64Array(dims)
  for (let r = 0; r < n; r++) for (let i = 0; i < dims; i++) mean[i] += rows[r * dims + i]
  for (let i = 0; i < dims; i++) mean[i] /= n
  const cov = new Float64Array(dims * dims)
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < dims; i++) {
      const di = rows[r * dims + i] - mean[i]
      for (let j = 0; j <= i; j++) cov[i * dims + j] += di * (rows[r * dims + j] - mean[j])
    }
  }
  const denom = Math.max(1, n - 1)
  for (let i = 0; i < dims; i++) {
    for (let j = 0; j <= i; j++) {
      const v = cov[i * dims + j] / denom + (i === j ? ridge[i] * ridge[i] : 0)
      cov[i * dims + j] = v
      cov[j * dims + i] = v
    }
  }
  const precision = invertSpd(cov, dims)
  return precision == null ? null : { dims, mean, precision }
}

/** Inverse of a symmetric positive-definite matrix by Cholesky (A = L Lᵀ); null when not positive definite. */
export function invertSpd (a: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k]
      if (i === j) {
        if (!(s > 0)) return null
        l[i * n + i] = Math.sqrt(s)
      } else {
        l[i * n + j] = s / l[j * n + j]
      }
    }
  }
  // L⁻¹ (lower triangular), then A⁻¹ = L⁻ᵀ L⁻¹
  const li = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    li[i * n + i] = 1 / l[i * n + i]
    for (let j = 0; j < i; j++) {
      let s = 0
      for (let k = j; k < i; k++) s -= l[i * n + k] * li[k * n + j]
      li[i * n + j] = s / l[i * n + i]
    }
  }
  const inv = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0
      for (let k = i; k < n; k++) s += li[k * n + i] * li[k * n + j]
      inv[i * n + j] = s
      inv[j * n + i] = s
    }
  }
  return inv
}

export function mahalanobis (g: GaussianFit, x: ArrayLike<number>): MahalanobisResult {
  const d = g.dims
  const diff = new Float64Array(d)
  for (let i = 0; i < d; i++) diff[i] = x[i] - g.mean[i]
  const conditionalMean = new Float64Array(d)
  const conditionalStd = new Float64Array(d)
  const conditionalZ = new Float64Array(d)
  let d2 = 0
  for (let i = 0; i < d; i++) {
    let pd = 0
    for (let j = 0; j < d; j++) pd += g.precision[i * d + j] * diff[j]
    d2 += diff[i] * pd
    const pii = g.precision[i * d + i]
    conditionalMean[i] = x[i] - pd / pii
    conditionalStd[i] = 1 / Math.sqrt(pii)
    conditionalZ[i] = pd / Math.sqrt(pii)
  }
  return { d2: Math.max(0, d2), conditionalMean, conditionalStd, conditionalZ }
}
