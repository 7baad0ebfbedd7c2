/**
 * A histogram with logarithmic bins (relative width `ratio − 1`, 2% by
 * default) for latency percentiles over millions of samples in constant
 * memory. Deterministic: a percentile is the geometric middle of its bin.
 */
export class LogHistogram {
  private readonly counts: Float64Array
  private readonly logRatio: number
  private zeros = 0
  total = 0
  sum = 0
  max = 0

  /** Bins cover [minValue, minValue · ratio^bins). Values below minValue count in a "≈0" bin. */
  constructor (readonly minValue = 0.01, readonly ratio = 1.02, readonly bins = 1200) {
    this.counts = new Float64Array(bins)
    this.logRatio = Math.log(ratio)
  }

  add (v: number, weight = 1): void {
    this.total += weight
    this.sum += v * weight
    if (v > this.max) this.max = v
    if (!(v >= this.minValue)) { this.zeros += weight; return }
    let i = Math.floor(Math.log(v / this.minValue) / this.logRatio)
    if (i >= this.bins) i = this.bins - 1
    this.counts[i] += weight
  }

  /** The q-quantile (q in [0, 1]); NaN when empty. */
  quantile (q: number): number {
    if (this.total === 0) return Number.NaN
    const target = Math.max(1e-12, Math.min(1, q)) * this.total
    let acc = this.zeros
    if (acc >= target) return 0
    for (let i = 0; i < this.bins; i++) {
      acc += this.counts[i]
      if (acc >= target) return this.minValue * Math.pow(this.ratio, i + 0.5)
    }
    return this.max
  }

  mean (): number { return this.total === 0 ? Number.NaN : this.sum / this.total }
}
