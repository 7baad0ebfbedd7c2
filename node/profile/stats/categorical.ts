/**
 * Counts of a categorical feature (a value of a small enumeration, the shape
 * of a value, the order of a request's parameters) with an add-one smoothed
 * p-value: the probability mass of categories at least as rare as the one
 * observed, plus the Good–Turing mass of unseen categories (N1/n, the share of
 * categories seen exactly once):
 *
 *     p(unseen)  = (1 + N1) / (n + 1)
 *     p(count c) = (1 + N1 + Σ_{1≤j≤c} j·N_j) / (n + 1)
 *
 * with N_j the number of categories seen j times (count-of-counts, kept
 * incrementally). Memory is bounded: beyond `maxCategories` the counter either
 * stops adding categories (new ones count as singletons, 'saturate') or turns
 * itself off ('disable': the feature is not a small enumeration).
 */

export interface CategoricalJSON {
  n: number
  keys: string[]
  counts: number[]
  untracked: number
  disabled: boolean
}

export class CategoricalCounter {
  n = 0
  disabled = false
  /** Categories seen once but not stored because the counter was full. */
  untracked = 0
  private readonly counts = new Map<string, number>()
  private readonly cc = new Map<number, number>()
  private topCache: string[] | null = null
  /** count c → Σ_{j≤c} j·N_j, valid until the next learn. */
  private readonly massCache = new Map<number, number>()

  constructor (readonly maxCategories: number, readonly overflow: 'saturate' | 'disable') {}

  get size (): number { return this.counts.size }

  count (key: string): number { return this.counts.get(key) ?? 0 }

  learn (key: string): void {
    this.n++
    this.topCache = null
    if (this.massCache.size > 0) this.massCache.clear()
    if (this.disabled) return
    const c = this.counts.get(key)
    if (c === undefined) {
      if (this.counts.size >= this.maxCategories) {
        if (this.overflow === 'disable') this.disable()
        else {
          this.untracked++
        }
        return
      }
      this.counts.set(key, 1)
      this.bump(1, 1)
    } else {
      this.counts.set(key, c + 1)
      this.bump(c, -1)
      this.bump(c + 1, 1)
    }
  }

  /** Turns the counter off for good (the feature does not apply). */
  disable (): void {
    this.disabled = true
    this.topCache = null
    this.counts.clear()
    this.cc.clear()
  }

  private bump (c: number, d: number): void {
    const v = (this.cc.get(c) ?? 0) + d
    if (v === 0) this.cc.delete(c)
    else this.cc.set(c, v)
  }

  /** Good–Turing count of singletons (N1). */
  get singletons (): number { return (this.cc.get(1) ?? 0) + this.untracked }

  /**
   * P-value of observing `key`. Values of p above `skipAbove` are not computed
   * exactly and returned as 1 (they never matter to a minimum p-value).
   */
  pValue (key: string, skipAbove = 0.05, floor = 0): number {
    if (this.disabled || this.n === 0) return 1
    const c = this.counts.get(key) ?? 0
    const n1 = this.singletons
    if (c === 0) return Math.max(floor, (1 + n1) / (this.n + 1))
    if (c / (this.n + 1) >= skipAbove) return 1
    let below = this.massCache.get(c)
    if (below === undefined) {
      below = 0
      for (const [j, nj] of this.cc) if (j <= c) below += j * nj
      this.massCache.set(c, below)
    }
    return Math.min(1, Math.max(floor, (1 + n1 + below) / (this.n + 1)))
  }

  /** Up to `max` categories, most frequent first. */
  top (max: number): string[] {
    if (this.topCache == null || this.topCache.length < Math.min(max, this.counts.size)) {
      this.topCache = [...this.counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, Math.max(max, 16)).map((e) => e[0])
    }
    return this.topCache.slice(0, max)
  }

  toJSON (): CategoricalJSON {
    return { n: this.n, keys: [...this.counts.keys()], counts: [...this.counts.values()], untracked: this.untracked, disabled: this.disabled }
  }

  static restore (json: CategoricalJSON, maxCategories: number, overflow: 'saturate' | 'disable'): CategoricalCounter {
    if (json == null || !Array.isArray(json.keys) || !Array.isArray(json.counts) || json.keys.length !== json.counts.length) {
      throw new TypeError('categorical counter: malformed snapshot')
    }
    const c = new CategoricalCounter(maxCategories, overflow)
    c.n = json.n
    c.untracked = json.untracked ?? 0
    c.disabled = json.disabled === true
    for (let i = 0; i < json.keys.length; i++) {
      c.counts.set(json.keys[i], json.counts[i])
      c.bump(json.counts[i], 1)
    }
    return c
  }
}
