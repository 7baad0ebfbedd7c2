/**
 * The length of a value: empirical two-sided p-value with add-one smoothing,
 * extended beyond the longest training value by Chebyshev's inequality as in
 * Kruegel & Vigna 2003 (p ≤ σ² / (l − μ)²), so that a 4,000-character value
 * is more surprising than a 40-character one when training never exceeded 20.
 *
 *     p_emp(l) = min(1, 2 · (1 + min(#{L ≥ l}, #{L ≤ l})) / (n + 1))
 *     p(l)     = min(p_emp, max(σ², 1) / (l − μ)²)   for l > max L, else p_emp
 */

export interface LengthModelJSON {
  lengths: number[]
  counts: number[]
  n: number
  mean: number
  m2: number
}

export class LengthModel {
  n = 0
  mean = 0
  private m2 = 0
  private readonly counts = new Map<number, number>()
  private sorted: Float64Array | null = null
  private cum: Float64Array | null = null

  learn (len: number): void {
    this.n++
    const d = len - this.mean
    this.mean += d / this.n
    this.m2 += d * (len - this.mean)
    this.counts.set(len, (this.counts.get(len) ?? 0) + 1)
    this.sorted = null
  }

  get variance (): number { return this.n > 1 ? this.m2 / (this.n - 1) : 0 }

  private ensure (): void {
    if (this.sorted != null) return
    const keys = Float64Array.from(this.counts.keys()).sort()
    const cum = new Float64Array(keys.length)
    let acc = 0
    for (let i = 0; i < keys.length; i++) { acc += this.counts.get(keys[i]) ?? 0; cum[i] = acc }
    this.sorted = keys
    this.cum = cum
  }

  get min (): number { this.ensure(); return this.sorted!.length > 0 ? this.sorted![0] : 0 }
  get max (): number { this.ensure(); const s = this.sorted!; return s.length > 0 ? s[s.length - 1] : 0 }

  /** Length at quantile q (0..1) of the training values. */
  quantile (q: number): number {
    this.ensure()
    const s = this.sorted!
    const c = this.cum!
    if (s.length === 0) return 0
    const target = q * this.n
    for (let i = 0; i < s.length; i++) if (c[i] >= target) return s[i]
    return s[s.length - 1]
  }

  /**
   * P-value of a length; the empirical part is bounded below by `floor`, the
   * Chebyshev tail is not. `relativeSpread` > 0 widens the tail's spread to at
   * least that fraction of the mean length (a value of a kind this model never
   * saw, an e-mail where user names came, is judged on a relative scale, and
   * on that scale only a value longer than any seen is surprising at all).
   */
  pValue (len: number, floor = 0, relativeSpread = 0): number {
    if (this.n === 0) return 1
    this.ensure()
    const s = this.sorted!
    const c = this.cum!
    // index of the first length >= len
    let lo = 0
    let hi = s.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (s[mid] < len) lo = mid + 1
      else hi = mid
    }
    const below = lo > 0 ? c[lo - 1] : 0 // #{L < len}
    const ge = this.n - below
    const le = lo < s.length && s[lo] === len ? c[lo] : below
    // on the relative scale only a value longer than any seen is surprising (a short one, or one between
    // lengths seen, however rare, is not: header values and values of a new kind vary that way)
    if (relativeSpread > 0 && (len <= this.mean || len <= this.max)) return 1
    const pEmp = Math.min(1, Math.max(floor, 2 * (1 + Math.min(ge, le)) / (this.n + 1)))
    if (lo >= s.length && len > this.mean) {
      const d = len - this.mean
      const spread = relativeSpread * this.mean
      const pCheb = Math.max(this.variance, 1, spread * spread) / (d * d)
      // on the relative scale, "longer than any seen" alone says nothing (another kind of value): the tail decides
      return relativeSpread > 0 ? Math.min(1, Math.max(pCheb, pEmp)) : Math.min(pEmp, pCheb)
    }
    return pEmp
  }

  toJSON (): LengthModelJSON {
    return { lengths: [...this.counts.keys()], counts: [...this.counts.values()], n: this.n, mean: this.mean, m2: this.m2 }
  }

  static restore (json: LengthModelJSON): LengthModel {
    if (json == null || !Array.isArray(json.lengths) || !Array.isArray(json.counts) || json.lengths.length !== json.counts.length) {
      throw new TypeError('length model: malformed snapshot')
    }
    const m = new LengthModel()
    m.n = json.n
    m.mean = json.mean
    m.m2 = json.m2
    for (let i = 0; i < json.lengths.length; i++) m.counts.set(json.lengths[i], json.counts[i])
    return m
  }
}
