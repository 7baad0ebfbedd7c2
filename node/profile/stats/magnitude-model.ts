/**
 * The magnitude of the numbers of one parameter (ids, prices, quantities):
 * a range with a learned distribution, not an enumeration of the values
 * seen (issue 9). On the decimal-log scale x = sign(v)·log10(1 + |v|):
 *
 *     p(x) = 1                                  min ≤ x ≤ max (inside the range seen), or v ≥ 0 below it
 *     p(x) = min(1, max(σ², σ0²) / (x − μ)²)   above the range (Chebyshev, Kruegel & Vigna 2003)
 *     p(x) = min(1, max(σ², σ0²) / x²)         a negative number where none came
 *
 * with μ, σ² the mean and variance of x in training and σ0 = 0.5 decade:
 * a number up to about three times beyond what was seen stays
 * unremarkable (a new product id, `cantidad=100` where training saw 1–55),
 * while one 10^6 times larger is an outlier (p ≈ 0.01).
 */

/** Smallest spread assumed (decades): the prior for a parameter whose numbers were all alike. */
export const MAGNITUDE_MIN_SIGMA = 0.5

export interface MagnitudeModelJSON {
  n: number
  mean: number
  m2: number
  min: number
  max: number
}

/** The decimal-log magnitude of a number, signed. */
export function magnitudeOf (v: number): number {
  return v < 0 ? -Math.log10(1 - v) : Math.log10(1 + v)
}

export class MagnitudeModel {
  n = 0
  mean = 0
  private m2 = 0
  min = Infinity
  max = -Infinity

  learn (v: number): void {
    if (!Number.isFinite(v)) return
    const x = magnitudeOf(v)
    this.n++
    const d = x - this.mean
    this.mean += d / this.n
    this.m2 += d * (x - this.mean)
    if (x < this.min) this.min = x
    if (x > this.max) this.max = x
  }

  get variance (): number { return this.n > 1 ? this.m2 / (this.n - 1) : 0 }

  /** Smallest and largest number seen (for explanations). */
  get range (): [number, number] {
    const back = (x: number): number => x < 0 ? 1 - Math.pow(10, -x) : Math.pow(10, x) - 1
    return [Math.round(back(this.min) * 1000) / 1000, Math.round(back(this.max) * 1000) / 1000]
  }

  pValue (v: number): number {
    if (this.n === 0 || !Number.isFinite(v)) return 1
    const x = magnitudeOf(v)
    // a little slack for rounding on the log scale
    if (x >= this.min - 1e-9 && x <= this.max + 1e-9) return 1
    // smaller than any seen but not negative (0, a low id): nothing to see; a negative number where
    // none came is judged by its distance from zero
    let d: number
    if (x < this.min) {
      if (v >= 0 || this.min < 0) return 1
      d = x
    } else d = x - this.mean
    return Math.min(1, Math.max(this.variance, MAGNITUDE_MIN_SIGMA * MAGNITUDE_MIN_SIGMA) / (d * d))
  }

  toJSON (): MagnitudeModelJSON {
    return { n: this.n, mean: this.mean, m2: this.m2, min: this.n > 0 ? this.min : 0, max: this.n > 0 ? this.max : 0 }
  }

  static restore (json: MagnitudeModelJSON | undefined): MagnitudeModel {
    const m = new MagnitudeModel()
    if (json == null) return m
    if (!Number.isInteger(json.n) || ![json.mean, json.m2, json.min, json.max].every(Number.isFinite)) throw new TypeError('magnitude model: malformed snapshot')
    m.n = json.n
    m.mean = json.mean
    m.m2 = json.m2
    if (m.n > 0) { m.min = json.min; m.max = json.max }
    return m
  }
}
