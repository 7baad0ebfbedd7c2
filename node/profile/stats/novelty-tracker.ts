/**
 * Novel items per observation, with a leave-one-out (Good–Turing) p-value.
 *
 * An observation (one parameter value) carries a set of items (its symbol
 * characters, its 3-grams, a request's parameter names). The tracker keeps the
 * document frequency of every item and, for items seen in exactly one
 * observation, which observation that was ("owner"). Had the owner been left
 * out of training, its singletons would have been novel: so the number of
 * training observations that own at least k singletons, V_k, estimates how
 * often normal traffic brings k novel items (Good & Turing 1953; the leave-one-
 * out reading of N1/N). The p-value of k novel items is
 *
 *     p(k) = (1 + V_k) / (n + 1)                        k ≤ K + 1
 *     p(k) = 1 / (n + 1) · tailFactor^(k − K − 1)       k > K + 1
 *
 * with add-one smoothing and K the largest number of singletons any training
 * observation owns; the geometric tail keeps ranking values beyond the data.
 * An optional floor bounds p from below before the tail (see HttpModelParams.minP).
 *
 * Scaled tail (option `scaledTail`, used for 3-grams): novelty comes in
 * clumps (one new word brings all its 3-grams at once), so "k − K − 1 items
 * beyond the largest" means little when K comes from a few dozen values, or
 * is 0 because every training value repeated (an enumeration). The tail is
 * then exponential in units of the mean clump size μ:
 *
 *     p(k) = 1 / (n + 1) · min(tailFactor, e^{−1/μ})^(k − K − 1)
 *     μ    = (S + μ₀) / (O + 1)
 *
 * with O the owners, S the singletons they own, and the prior μ₀ the mean
 * number of distinct items per observation (a new value brings about that
 * many new 3-grams): shrinkage toward the size of a whole new value, which
 * data outweighs as owners accumulate. An attack that brings ten times the
 * novelty of a normal new value still gets p ≈ e^{−9}/(n+1).
 */
const HIST_MAX = 63

export interface NoveltyTrackerJSON<K> {
  n: number
  /** Items; `vals[i]` is the document frequency, or −(owner+1) for a singleton. */
  keys: K[]
  vals: number[]
}

export class NoveltyTracker<K extends string | number> {
  n = 0
  private readonly items = new Map<K, number>()
  private readonly owners = new Map<number, number>()
  private readonly hist = new Float64Array(HIST_MAX + 1)
  private suffix: Float64Array | null = null
  private maxOwned = 0
  private topCache: K[] | null = null

  /** Σ document frequencies of the tracked items (= distinct items learned, summed over observations). */
  private itemSum = 0
  private scaleCache = -1

  constructor (readonly maxItems: number, readonly tailFactor = 0.25, readonly scaledTail = false) {}

  get size (): number { return this.items.size }
  get full (): boolean { return this.items.size >= this.maxItems }

  /** Observations (other than a new one) in which `item` was seen. */
  df (item: K): number {
    const v = this.items.get(item)
    return v === undefined ? 0 : (v < 0 ? 1 : v)
  }

  has (item: K): boolean { return this.items.has(item) }

  /** Learns one observation; `distinct` must not repeat an item. */
  learn (distinct: Iterable<K>): void {
    const owner = this.n
    let fresh = 0
    for (const item of distinct) {
      const v = this.items.get(item)
      if (v === undefined) {
        if (this.items.size < this.maxItems) {
          this.items.set(item, -(owner + 1))
          fresh++
          this.itemSum++
        }
      } else if (v < 0) {
        this.items.set(item, 2)
        this.releaseOwner(-v - 1)
        this.itemSum++
      } else {
        this.items.set(item, v + 1)
        this.itemSum++
      }
    }
    if (fresh > 0) {
      this.owners.set(owner, fresh)
      this.hist[Math.min(fresh, HIST_MAX)]++
    }
    this.n++
    this.suffix = null
    this.topCache = null
    this.scaleCache = -1
  }

  private releaseOwner (owner: number): void {
    const c = this.owners.get(owner)
    if (c === undefined) return
    this.hist[Math.min(c, HIST_MAX)]--
    if (c > 1) {
      this.owners.set(owner, c - 1)
      this.hist[Math.min(c - 1, HIST_MAX)]++
    } else {
      this.owners.delete(owner)
    }
  }

  private ensureSuffix (): Float64Array {
    if (this.suffix != null) return this.suffix
    const s = new Float64Array(HIST_MAX + 2)
    let max = 0
    for (let j = HIST_MAX; j >= 1; j--) {
      s[j] = s[j + 1] + this.hist[j]
      if (max === 0 && this.hist[j] > 0) max = j
    }
    this.maxOwned = max
    this.suffix = s
    return s
  }

  /** Largest number of singletons a training observation owns (K). */
  get largestOwned (): number {
    this.ensureSuffix()
    return this.maxOwned
  }

  /** Tail factor per novel item beyond K + 1: tailFactor, or the scaled e^{−1/μ} when that is larger. */
  get tailRatio (): number {
    if (!this.scaledTail) return this.tailFactor
    if (this.scaleCache >= 0) return this.scaleCache
    const s = this.ensureSuffix()
    let owned = 0
    for (let j = 1; j <= HIST_MAX; j++) owned += s[j] // Σ_k V_k = singletons owned
    const prior = this.n > 0 ? this.itemSum / this.n : 0
    const mu = (owned + prior) / (s[1] + 1)
    this.scaleCache = mu > 0 ? Math.max(this.tailFactor, Math.exp(-1 / mu)) : this.tailFactor
    return this.scaleCache
  }

  /** P-value of an observation that brings `k` novel items (1 when k = 0). */
  pNovel (k: number, floor = 0): number {
    if (k <= 0) return 1
    const s = this.ensureSuffix()
    const K = this.maxOwned
    if (k <= K + 1) return Math.max(floor, (1 + s[Math.min(k, HIST_MAX)]) / (this.n + 1))
    return Math.max(floor, 1 / (this.n + 1)) * Math.pow(this.tailRatio, k - K - 1)
  }

  /** Up to `max` items, most frequent first (for explanations). */
  topItems (max: number): K[] {
    if (this.topCache == null || this.topCache.length < Math.min(max, this.items.size)) {
      const all = [...this.items.entries()]
      all.sort((a, b) => (b[1] < 0 ? 1 : b[1]) - (a[1] < 0 ? 1 : a[1]))
      this.topCache = all.slice(0, Math.max(max, 32)).map((e) => e[0])
    }
    return this.topCache.slice(0, max)
  }

  toJSON (): NoveltyTrackerJSON<K> {
    return { n: this.n, keys: [...this.items.keys()], vals: [...this.items.values()] }
  }

  static restore<K extends string | number> (json: NoveltyTrackerJSON<K>, maxItems: number, tailFactor?: number, scaledTail = false): NoveltyTracker<K> {
    const t = new NoveltyTracker<K>(maxItems, tailFactor, scaledTail)
    if (json == null || !Array.isArray(json.keys) || !Array.isArray(json.vals) || json.keys.length !== json.vals.length || !Number.isInteger(json.n)) {
      throw new TypeError('novelty tracker: malformed snapshot')
    }
    t.n = json.n
    for (let i = 0; i < json.keys.length; i++) {
      const v = json.vals[i]
      t.items.set(json.keys[i], v)
      t.itemSum += v < 0 ? 1 : v
      if (v < 0) {
        const owner = -v - 1
        t.owners.set(owner, (t.owners.get(owner) ?? 0) + 1)
      }
    }
    for (const c of t.owners.values()) t.hist[Math.min(c, HIST_MAX)]++
    return t
  }
}
