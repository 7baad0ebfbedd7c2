/**
 * Isolation forest (Liu, Ting, Zhou, "Isolation Forest", ICDM 2008).
 *
 * Anomalies are few and different, so random axis-parallel splits isolate them
 * in fewer steps than normal points. Each tree is grown on a random subsample
 * of psi rows (drawn without replacement) up to a height limit
 * l = ceil(log2 psi); a point's path length h(x) is the number of edges from
 * the root to its leaf plus c(leaf size), the expected path length of the
 * unbuilt subtree. The score is s(x) = 2^(-E[h(x)] / c(psi)) in (0, 1):
 * close to 1 is anomalous, well below 0.5 is normal.
 *
 * Layout: all trees live in three flat typed arrays indexed by node id
 * (`feature` Int32Array, -1 for a leaf; `value` Float64Array, the split
 * threshold of an inner node or the finished path length depth + c(size) of a
 * leaf; `left` Int32Array, the left child, whose right sibling is left + 1).
 * That is what `toJSON()` stores. Scoring uses a second layout built from it
 * (ScoringLayout below: fixed-depth complete trees, branch-free steps, eight
 * rows at a time), with no allocation per row; trees are seeded, so the same
 * data, params and seed give the same forest, and `toJSON()`/`restoreIsolationForest()`
 * round-trip bit-exact.
 *
 * Splits follow the paper's Algorithm 2 by default: the feature q is drawn
 * uniformly; when q is constant in the node, p equals that constant, every
 * point goes right and the left child is an empty leaf. With
 * `skipConstantFeatures` (scikit-learn's behaviour) q is drawn among the
 * features that vary in the node, and a node where none varies becomes a leaf.
 * That keeps trees shallower on data with constant columns or many duplicates
 * (process metrics, 16_http). On ODDS neither rule is better (`npm run bench
 * -- detect-odds`: mean AUC over seeds 1..n, n chosen so the standard error is
 * <= 0.003; paper rule / skipConstantFeatures (n); the paper's figure):
 * 10_cover 0.875 / 0.881 (65; 0.88), 34_smtp 0.892 / 0.903 (7; 0.88), 16_http
 * 0.996 / 1.000 (5; 1.00), 23_mammography 0.868 / 0.861 (6; 0.86).
 */
import { InvalidModelInputError, InvalidParamsError, ModelFormatError } from '../errors.js'
import { createPrng } from '../../core/index.js'
import { decodeFloat64, decodeInt32, encodeFloat64, encodeInt32 } from './typed-array-codec.js'

export interface IsolationForestParams {
  /** Number of isolation trees t. Paper §4/§5: path lengths converge well before t = 100, the default everywhere since. */
  numTrees: number
  /** Subsample size psi per tree. Paper §4: 256 "is enough to perform anomaly detection across a wide range of data". Capped at the number of rows. */
  sampleSize: number
  /** Height limit l; 0 means the paper's ceil(log2 psi) (the average tree height), where only anomalies need to be told apart. */
  heightLimit: number
  /** Seed of the PRNG (node/prng.ts): same data + params + seed = same forest. */
  seed: number | string
  /** Draw split features only among those not constant in the node (scikit-learn) instead of uniformly (the paper). */
  skipConstantFeatures: boolean
}

export const defaultIsolationForestParams: Readonly<IsolationForestParams> = Object.freeze({
  numTrees: 100,
  sampleSize: 256,
  heightLimit: 0,
  seed: 1,
  skipConstantFeatures: false
})

export function validateIsolationForestParams (p: IsolationForestParams): void {
  if (!Number.isInteger(p.numTrees) || p.numTrees < 1 || p.numTrees > 10_000) {
    throw new InvalidParamsError('isolationForest.numTrees', p.numTrees, 'an integer in [1, 10000]')
  }
  if (!Number.isInteger(p.sampleSize) || p.sampleSize < 2 || p.sampleSize > 1_000_000) {
    throw new InvalidParamsError('isolationForest.sampleSize', p.sampleSize, 'an integer in [2, 1000000]')
  }
  if (!Number.isInteger(p.heightLimit) || p.heightLimit < 0 || p.heightLimit > 64) {
    throw new InvalidParamsError('isolationForest.heightLimit', p.heightLimit, 'an integer in [0, 64] (0 = ceil(log2 sampleSize))')
  }
  if (!((typeof p.seed === 'number' && Number.isFinite(p.seed)) || typeof p.seed === 'string')) {
    throw new InvalidParamsError('isolationForest.seed', p.seed, 'a finite number or a string')
  }
  if (typeof p.skipConstantFeatures !== 'boolean') {
    throw new InvalidParamsError('isolationForest.skipConstantFeatures', p.skipConstantFeatures, 'true or false')
  }
}

export function createIsolationForestParams (partial: Partial<IsolationForestParams> = {}): Readonly<IsolationForestParams> {
  const p: IsolationForestParams = { ...defaultIsolationForestParams }
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue
    if (!(k in defaultIsolationForestParams)) throw new InvalidParamsError(`isolationForest.${k}`, v, `one of the keys ${Object.keys(defaultIsolationForestParams).join(', ')}`)
    ;(p as unknown as Record<string, unknown>)[k] = v
  }
  validateIsolationForestParams(p)
  return Object.freeze(p)
}

const EULER_GAMMA = 0.5772156649015329
/** Rows per block in scoreMany. */
const SCORE_BLOCK = 256
/** Deepest forest scored with the fixed-depth layout (2^16 slots per tree); deeper ones walk the node arrays. */
const MAX_LAYOUT_DEPTH = 16
/** ...and only while the layout has at most this many slots per node of the forest (sparse deep trees would blow it up). */
const MAX_LAYOUT_SLOTS_PER_NODE = 8

/**
 * The scoring layout: every tree as a complete binary tree of one fixed depth
 * D (the forest's deepest leaf) in heap order, children of slot i at 2i+1 and
 * 2i+2: `feature`/`threshold` for the 2^D - 1 inner slots of each tree,
 * `leaf` (the finished path lengths) for its 2^D bottom slots. A leaf that
 * is shallower than D goes on as a chain of pass-through slots (threshold
 * -Infinity: every value, NaN included, goes right, as in the node arrays) down
 * to the bottom slot that holds its path length; the slots off that chain are
 * never reached. Every point then takes exactly D steps, and a step is
 * arithmetic on the comparison, i = 2i + 2 - (x < t), instead of a branch on
 * it: which way a random split sends a point is a branch the CPU cannot
 * predict, mispredicted about every other step. Rows also go down a tree eight
 * at a time, so that their independent loads overlap.
 *
 * `npm run bench -- detect-odds` (scorePerSec: points per CPU-second, best
 * trial; 100 trees, psi 256, D = 8; before → after, load average ~2-5):
 * 18_Ionosphere 226k → 570k, arrhythmia_odds 317k → 547k, 29_Pima 242k →
 * 597k, 4_breastw 265k → 586k. Tried and dropped: a ternary for the step (no
 * faster than the pointer walk: V8 compiles it to a branch), feature and
 * threshold interleaved in one Float64Array (slower: the index conversion),
 * other block sizes (no difference). Scores are bit-identical to
 * the node-array walk (same leaf values, summed in the same tree order).
 */
interface ScoringLayout {
  depth: number
  /** 2^depth - 1 */
  inner: number
  feature: Int32Array
  threshold: Float64Array
  leaf: Float64Array
}

function buildScoringLayout (roots: Int32Array, feature: Int32Array, value: Float64Array, left: Int32Array): ScoringLayout | null {
  const t = roots.length
  // the deepest leaf, with an explicit stack of (node, depth)
  let depth = 0
  const stack: number[] = []
  for (let i = 0; i < t; i++) {
    stack.push(roots[i], 0)
    while (stack.length > 0) {
      const d = stack.pop() as number
      const node = stack.pop() as number
      if (feature[node] < 0) { if (d > depth) depth = d; continue }
      if (d + 1 > MAX_LAYOUT_DEPTH) return null
      stack.push(left[node], d + 1, left[node] + 1, d + 1)
    }
  }
  const slots = 2 ** (depth + 1) - 1
  if (slots * t > MAX_LAYOUT_SLOTS_PER_NODE * feature.length + 1024) return null
  const inner = 2 ** depth - 1
  const leaves = inner + 1
  const lf = new Int32Array(t * inner)
  const lt = new Float64Array(t * inner).fill(Number.NEGATIVE_INFINITY)
  const ll = new Float64Array(t * leaves)
  for (let i = 0; i < t; i++) {
    // (node, heap slot, depth)
    stack.push(roots[i], 0, 0)
    while (stack.length > 0) {
      const d = stack.pop() as number
      const slot = stack.pop() as number
      const node = stack.pop() as number
      if (feature[node] < 0) {
        // pass-through slots (feature 0, threshold -Infinity: right) down to depth D
        let h = slot
        for (let k = d; k < depth; k++) h = 2 * h + 2
        ll[i * leaves + h - inner] = value[node]
        continue
      }
      lf[i * inner + slot] = feature[node]
      lt[i * inner + slot] = value[node]
      stack.push(left[node], 2 * slot + 1, d + 1, left[node] + 1, 2 * slot + 2, d + 1)
    }
  }
  return { depth, inner, feature: lf, threshold: lt, leaf: ll }
}

/**
 * c(n): the average path length of an unsuccessful search in a binary search
 * tree of n points (paper eq. 1), c(n) = 2 H(n-1) - 2 (n-1)/n, with
 * H(i) ≈ ln(i) + γ; c(2) = 1 and c(n ≤ 1) = 0 exactly.
 */
export function averagePathLength (n: number): number {
  if (n <= 1) return 0
  if (n === 2) return 1
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - 2 * (n - 1) / n
}

/** Flatten row arrays into one row-major Float64Array. */
export function matrixFromRows (rows: ReadonlyArray<ArrayLike<number>>): { data: Float64Array, dims: number } {
  if (rows.length === 0) throw new InvalidModelInputError('isolation forest', 'no rows')
  const dims = rows[0].length
  const data = new Float64Array(rows.length * dims)
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]
    if (r.length !== dims) throw new InvalidModelInputError('isolation forest', `row ${i} has the wrong number of features`, dims, r.length)
    for (let j = 0; j < dims; j++) data[i * dims + j] = r[j]
  }
  return { data, dims }
}

export interface IsolationForestJSON {
  format: 'immune-iforest'
  version: 1
  params: IsolationForestParams
  dims: number
  /** Effective psi: min(params.sampleSize, rows). */
  sampleSize: number
  heightLimit: number
  /** Root node id of each tree (base64 Int32, little-endian). */
  roots: string
  feature: string
  value: string
  left: string
}

export class IsolationForest {
  readonly params: Readonly<IsolationForestParams>
  readonly dims: number
  /** Effective psi (the subsample size each tree was grown on). */
  readonly sampleSize: number
  readonly heightLimit: number
  readonly numTrees: number
  /** Number of nodes over all trees. */
  readonly numNodes: number
  private readonly roots: Int32Array
  private readonly feature: Int32Array
  private readonly value: Float64Array
  private readonly left: Int32Array
  /** c(psi), the normaliser of the expected path length. */
  private readonly cPsi: number
  /** The fixed-depth scoring layout, or null for a forest too deep for it (then the node arrays are walked). */
  private readonly layout: ScoringLayout | null

  /** Use `fitIsolationForest` or `restoreIsolationForest`. */
  constructor (params: Readonly<IsolationForestParams>, dims: number, sampleSize: number, heightLimit: number,
    roots: Int32Array, feature: Int32Array, value: Float64Array, left: Int32Array) {
    this.params = params
    this.dims = dims
    this.sampleSize = sampleSize
    this.heightLimit = heightLimit
    this.numTrees = roots.length
    this.numNodes = feature.length
    this.roots = roots
    this.feature = feature
    this.value = value
    this.left = left
    this.cPsi = averagePathLength(sampleSize)
    this.layout = buildScoringLayout(roots, feature, value, left)
  }

  /** Depth of the fixed-depth scoring layout (every point takes this many steps per tree), or null when scoring walks the node arrays. */
  get scoringDepth (): number | null {
    return this.layout?.depth ?? null
  }

  /** Mean path length E[h(x)] over the trees of the row at `offset` in `data`. */
  private meanPathAt (data: ArrayLike<number>, offset: number): number {
    const t = this.roots.length
    if (this.layout != null) {
      let sum = 0
      for (let i = 0; i < t; i++) sum += this.layoutPath(this.layout, i, data, offset)
      return sum / t
    }
    return this.nodePathSum(data, offset) / t
  }

  /** Path length of one row in tree `tree` of the fixed-depth layout. */
  private layoutPath (layout: ScoringLayout, tree: number, data: ArrayLike<number>, offset: number): number {
    const { depth, inner, feature, threshold } = layout
    const base = tree * inner
    let h = 0
    for (let k = 0; k < depth; k++) h = 2 * h + 2 - +(data[offset + feature[base + h]] < threshold[base + h])
    return layout.leaf[tree * (inner + 1) + h - inner]
  }

  /** Sum over the trees of the path lengths of the row at `offset`, walking the node arrays. */
  private nodePathSum (data: ArrayLike<number>, offset: number): number {
    const feature = this.feature
    const value = this.value
    const left = this.left
    const roots = this.roots
    const t = roots.length
    let sum = 0
    for (let i = 0; i < t; i++) {
      let node = roots[i]
      let f = feature[node]
      while (f >= 0) {
        node = data[offset + f] < value[node] ? left[node] : left[node] + 1
        f = feature[node]
      }
      sum += value[node]
    }
    return sum
  }

  /** Path length of the row at `offset` in tree `t`. */
  private pathInTree (t: number, data: ArrayLike<number>, offset: number): number {
    if (this.layout != null) return this.layoutPath(this.layout, t, data, offset)
    const feature = this.feature
    const value = this.value
    const left = this.left
    let node = this.roots[t]
    let f = feature[node]
    while (f >= 0) {
      node = data[offset + f] < value[node] ? left[node] : left[node] + 1
      f = feature[node]
    }
    return value[node]
  }

  /** @internal Out-of-bag scores of the training rows, given each tree's sampled row ids (numTrees × sampleSize). */
  outOfBagScores (data: Float64Array, samples: Int32Array): Float64Array {
    const d = this.dims
    const n = data.length / d
    const psi = this.sampleSize
    const sum = new Float64Array(n)
    const count = new Int32Array(n)
    const inBag = new Uint8Array(n)
    for (let t = 0; t < this.numTrees; t++) {
      for (let i = 0; i < psi; i++) inBag[samples[t * psi + i]] = 1
      for (let r = 0; r < n; r++) {
        if (inBag[r] === 1) continue
        sum[r] += this.pathInTree(t, data, r * d)
        count[r]++
      }
      for (let i = 0; i < psi; i++) inBag[samples[t * psi + i]] = 0
    }
    const out = new Float64Array(n)
    for (let r = 0; r < n; r++) {
      const h = count[r] > 0 ? sum[r] / count[r] : this.meanPathAt(data, r * d)
      out[r] = Math.pow(2, -h / this.cPsi)
    }
    return out
  }

  /** E[h(x)]: average path length of x over the trees. NaN features go right. */
  pathLength (x: ArrayLike<number>): number {
    if (x.length !== this.dims) throw new InvalidModelInputError('isolation forest', 'point has the wrong number of features', this.dims, x.length)
    return this.meanPathAt(x, 0)
  }

  /** Anomaly score s(x) = 2^(-E[h(x)] / c(psi)) in (0, 1); higher is more anomalous. */
  score (x: ArrayLike<number>): number {
    return Math.pow(2, -this.pathLength(x) / this.cPsi)
  }

  /** Scores of every row of a row-major matrix with `dims` columns, into `out` when given. */
  scoreMany (rows: Float64Array, dims: number = this.dims, out?: Float64Array): Float64Array {
    if (dims !== this.dims) throw new InvalidModelInputError('isolation forest', 'matrix has the wrong number of columns', this.dims, dims)
    if (rows.length % dims !== 0) throw new InvalidModelInputError('isolation forest', 'matrix length is not a multiple of dims', dims, rows.length)
    const n = rows.length / dims
    const result = out ?? new Float64Array(n)
    if (result.length < n) throw new InvalidModelInputError('isolation forest', 'output array is too short', n, result.length)
    // blocks of rows, tree by tree inside a block: one tree stays in L1 cache
    // while a block of rows goes through it; sums are added in tree order, so
    // scores are bit-identical to score()
    const t = this.roots.length
    const sums = new Float64Array(SCORE_BLOCK)
    const c = this.cPsi
    const layout = this.layout
    for (let b0 = 0; b0 < n; b0 += SCORE_BLOCK) {
      const b1 = Math.min(n, b0 + SCORE_BLOCK)
      sums.fill(0)
      if (layout != null) layoutBlockSums(layout, t, rows, dims, b0, b1, sums)
      else this.nodeBlockSums(rows, dims, b0, b1, sums)
      for (let i = b0; i < b1; i++) result[i] = Math.pow(2, -(sums[i - b0] / t) / c)
    }
    return result
  }

  /** The same by walking the node arrays (forests too deep for the fixed-depth layout). */
  private nodeBlockSums (rows: Float64Array, dims: number, b0: number, b1: number, sums: Float64Array): void {
    const feature = this.feature
    const value = this.value
    const left = this.left
    const roots = this.roots
    for (let tree = 0; tree < roots.length; tree++) {
      const root = roots[tree]
      for (let i = b0; i < b1; i++) {
        const offset = i * dims
        let node = root
        let f = feature[node]
        while (f >= 0) {
          node = rows[offset + f] < value[node] ? left[node] : left[node] + 1
          f = feature[node]
        }
        sums[i - b0] += value[node]
      }
    }
  }

  toJSON (): IsolationForestJSON {
    return {
      format: 'immune-iforest',
      version: 1,
      params: { ...this.params },
      dims: this.dims,
      sampleSize: this.sampleSize,
      heightLimit: this.heightLimit,
      roots: encodeInt32(this.roots),
      feature: encodeInt32(this.feature),
      value: encodeFloat64(this.value),
      left: encodeInt32(this.left)
    }
  }
}

/** Adds each of the `t` trees' path length of rows [b0, b1) to sums[row - b0], eight rows down a tree at a time (ScoringLayout). */
function layoutBlockSums (layout: ScoringLayout, t: number, rows: Float64Array, dims: number, b0: number, b1: number, sums: Float64Array): void {
  const depth = layout.depth
  const inner = layout.inner
  const feature = layout.feature
  const threshold = layout.threshold
  const leaf = layout.leaf
  for (let tree = 0; tree < t; tree++) {
    const base = tree * inner
    // leaf index of bottom slot h: tree * (inner + 1) + h - inner
    const lb = tree * (inner + 1) - inner
    let i = b0
    for (; i + 7 < b1; i += 8) {
      const o0 = i * dims
      const o1 = o0 + dims
      const o2 = o1 + dims
      const o3 = o2 + dims
      const o4 = o3 + dims
      const o5 = o4 + dims
      const o6 = o5 + dims
      const o7 = o6 + dims
      let h0 = 0
      let h1 = 0
      let h2 = 0
      let h3 = 0
      let h4 = 0
      let h5 = 0
      let h6 = 0
      let h7 = 0
      for (let k = 0; k < depth; k++) {
        h0 = 2 * h0 + (2 - +(rows[o0 + feature[base + h0]] < threshold[base + h0]))
        h1 = 2 * h1 + (2 - +(rows[o1 + feature[base + h1]] < threshold[base + h1]))
        h2 = 2 * h2 + (2 - +(rows[o2 + feature[base + h2]] < threshold[base + h2]))
        h3 = 2 * h3 + (2 - +(rows[o3 + feature[base + h3]] < threshold[base + h3]))
        h4 = 2 * h4 + (2 - +(rows[o4 + feature[base + h4]] < threshold[base + h4]))
        h5 = 2 * h5 + (2 - +(rows[o5 + feature[base + h5]] < threshold[base + h5]))
        h6 = 2 * h6 + (2 - +(rows[o6 + feature[base + h6]] < threshold[base + h6]))
        h7 = 2 * h7 + (2 - +(rows[o7 + feature[base + h7]] < threshold[base + h7]))
      }
      const s = i - b0
      sums[s] += leaf[lb + h0]
      sums[s + 1] += leaf[lb + h1]
      sums[s + 2] += leaf[lb + h2]
      sums[s + 3] += leaf[lb + h3]
      sums[s + 4] += leaf[lb + h4]
      sums[s + 5] += leaf[lb + h5]
      sums[s + 6] += leaf[lb + h6]
      sums[s + 7] += leaf[lb + h7]
    }
    for (; i < b1; i++) {
      const o = i * dims
      let h = 0
      for (let k = 0; k < depth; k++) h = 2 * h + 2 - +(rows[o + feature[base + h]] < threshold[base + h])
      sums[i - b0] += leaf[lb + h]
    }
  }
}

/** Working memory for growing trees, reused across trees and forests of the same shape. */
interface Builder {
  feature: Int32Array
  value: Float64Array
  left: Int32Array
  count: number
}

function grow (b: Builder, need: number): void {
  if (b.count + need <= b.feature.length) return
  const size = Math.max(b.feature.length * 2, b.count + need)
  const f = new Int32Array(size); f.set(b.feature.subarray(0, b.count)); b.feature = f
  const v = new Float64Array(size); v.set(b.value.subarray(0, b.count)); b.value = v
  const l = new Int32Array(size); l.set(b.left.subarray(0, b.count)); b.left = l
}

/**
 * Fit a forest on a row-major matrix (`data.length / dims` rows). Every tree
 * draws its own subsample of min(psi, rows) rows without replacement.
 */
export function fitIsolationForest (data: Float64Array, dims: number, params: Partial<IsolationForestParams> = {}): IsolationForest {
  return fit(data, dims, params, null)
}

/**
 * Fit, and score every training row out of bag: averaging its path length
 * only over the trees whose subsample did not contain it. Those scores are
 * what a fresh sample from the same distribution would get, without the
 * in-sample bias (a row's own tree isolates it late), so they calibrate the
 * forest's score distribution. A row drawn by every tree (psi = rows) falls
 * back to its in-bag score; keep psi ≤ rows / 2 to avoid that.
 */
export function fitIsolationForestOutOfBag (data: Float64Array, dims: number, params: Partial<IsolationForestParams> = {}): { forest: IsolationForest, oobScores: Float64Array } {
  const n = Number.isInteger(dims) && dims > 0 ? Math.floor(data.length / dims) : 0
  const p = createIsolationForestParams(params)
  const psi = Math.min(p.sampleSize, Math.max(n, 1))
  const samples = new Int32Array(p.numTrees * psi)
  const forest = fit(data, dims, p, samples)
  return { forest, oobScores: forest.outOfBagScores(data, samples) }
}

function fit (data: Float64Array, dims: number, params: Partial<IsolationForestParams>, samplesOut: Int32Array | null): IsolationForest {
  const p = createIsolationForestParams(params)
  if (!Number.isInteger(dims) || dims < 1) throw new InvalidModelInputError('isolation forest', 'dims must be a positive integer', 1, dims)
  if (data.length % dims !== 0) throw new InvalidModelInputError('isolation forest', 'matrix length is not a multiple of dims', dims, data.length)
  const n = data.length / dims
  if (n < 1) throw new InvalidModelInputError('isolation forest', 'no rows to fit')
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new InvalidModelInputError('isolation forest', `non-finite value at row ${Math.floor(i / dims)}, column ${i % dims}`)
  }
  const psi = Math.min(p.sampleSize, n)
  const heightLimit = p.heightLimit > 0 ? p.heightLimit : Math.max(1, Math.ceil(Math.log2(psi)))
  const rng = createPrng(p.seed)

  // a persistent permutation of row ids: a partial Fisher-Yates over it per tree
  // draws psi distinct rows uniformly, without allocating n ids per tree
  const perm = new Int32Array(n)
  for (let i = 0; i < n; i++) perm[i] = i
  const sample = new Float64Array(psi * dims)
  const idx = new Int32Array(psi)
  const featOrder = new Int32Array(dims)
  // explicit depth-first stack of (node, start, end, depth): no recursion; it
  // holds at most one pending right sibling per level plus the two children
  const stackSize = heightLimit + 3
  const stackNode = new Int32Array(stackSize)
  const stackStart = new Int32Array(stackSize)
  const stackEnd = new Int32Array(stackSize)
  const stackDepth = new Int32Array(stackSize)
  const skipConstant = p.skipConstantFeatures
  // a tree whose splits all separate points has at most 2 psi - 1 nodes (grown on demand otherwise)
  const b: Builder = {
    feature: new Int32Array(p.numTrees * (2 * psi - 1)),
    value: new Float64Array(p.numTrees * (2 * psi - 1)),
    left: new Int32Array(p.numTrees * (2 * psi - 1)),
    count: 0
  }
  const roots = new Int32Array(p.numTrees)

  for (let t = 0; t < p.numTrees; t++) {
    for (let i = 0; i < psi; i++) {
      const j = i + rng.nextInt(n - i)
      const tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp
      if (samplesOut != null) samplesOut[t * psi + i] = perm[i]
      const src = perm[i] * dims
      const dst = i * dims
      for (let f = 0; f < dims; f++) sample[dst + f] = data[src + f]
      idx[i] = i
    }
    grow(b, 1)
    const root = b.count++
    roots[t] = root
    let sp = 0
    stackNode[sp] = root; stackStart[sp] = 0; stackEnd[sp] = psi; stackDepth[sp] = 0; sp++
    while (sp > 0) {
      sp--
      const node = stackNode[sp]
      const start = stackStart[sp]
      const end = stackEnd[sp]
      const depth = stackDepth[sp]
      const size = end - start
      let q = -1
      let lo = 0
      let hi = 0
      if (depth < heightLimit && size > 1 && !skipConstant) {
        // the paper: any feature, even one constant in this node
        q = rng.nextInt(dims)
        lo = Infinity
        hi = -Infinity
        for (let i = start; i < end; i++) {
          const v = sample[idx[i] * dims + q]
          if (v < lo) lo = v
          if (v > hi) hi = v
        }
      } else if (depth < heightLimit && size > 1) {
        // draw features without replacement until one is not constant in this node
        for (let f = 0; f < dims; f++) featOrder[f] = f
        for (let k = 0; k < dims; k++) {
          const r = k + rng.nextInt(dims - k)
          const cand = featOrder[r]; featOrder[r] = featOrder[k]; featOrder[k] = cand
          lo = Infinity
          hi = -Infinity
          for (let i = start; i < end; i++) {
            const v = sample[idx[i] * dims + cand]
            if (v < lo) lo = v
            if (v > hi) hi = v
          }
          if (hi > lo) { q = cand; break }
        }
      }
      if (q < 0) {
        b.feature[node] = -1
        b.value[node] = depth + averagePathLength(size)
        b.left[node] = -1
        continue
      }
      let split = lo + (hi - lo) * rng.next()
      // lo < split <= hi keeps both sides non-empty when q varies; when it does
      // not, split = lo sends every point right (the paper's empty left child)
      if (!(split > lo)) split = hi
      // partition idx[start, end) into < split | >= split
      let i = start
      let j = end - 1
      while (i <= j) {
        if (sample[idx[i] * dims + q] < split) i++
        else {
          const tmp = idx[i]; idx[i] = idx[j]; idx[j] = tmp
          j--
        }
      }
      grow(b, 2)
      const l = b.count
      b.count += 2
      b.feature[node] = q
      b.value[node] = split
      b.left[node] = l
      stackNode[sp] = l; stackStart[sp] = start; stackEnd[sp] = i; stackDepth[sp] = depth + 1; sp++
      stackNode[sp] = l + 1; stackStart[sp] = i; stackEnd[sp] = end; stackDepth[sp] = depth + 1; sp++
    }
  }
  return new IsolationForest(p, dims, psi, heightLimit, roots,
    b.feature.slice(0, b.count), b.value.slice(0, b.count), b.left.slice(0, b.count))
}

/** Fit from an array of rows (each an array of `dims` numbers). */
export function fitIsolationForestRows (rows: ReadonlyArray<ArrayLike<number>>, params: Partial<IsolationForestParams> = {}): IsolationForest {
  const { data, dims } = matrixFromRows(rows)
  return fitIsolationForest(data, dims, params)
}

/** Rebuild a forest from `toJSON()`; scores are bit-identical to the original's. */
export function restoreIsolationForest (json: unknown): IsolationForest {
  const model = 'isolation forest'
  if (json == null || typeof json !== 'object') throw new ModelFormatError(model, 'snapshot', 'is not an object')
  const j = json as Partial<IsolationForestJSON>
  if (j.format !== 'immune-iforest') throw new ModelFormatError(model, 'format', `is ${JSON.stringify(j.format)}, expected "immune-iforest"`)
  if (j.version !== 1) throw new ModelFormatError(model, 'version', `${JSON.stringify(j.version)} is not supported (expected 1)`)
  let params: Readonly<IsolationForestParams>
  try {
    params = createIsolationForestParams(j.params ?? {})
  } catch (err) {
    throw new ModelFormatError(model, 'params', (err as Error).message)
  }
  const dims = j.dims
  const psi = j.sampleSize
  const height = j.heightLimit
  if (!Number.isInteger(dims) || (dims as number) < 1) throw new ModelFormatError(model, 'dims', 'must be a positive integer')
  if (!Number.isInteger(psi) || (psi as number) < 1) throw new ModelFormatError(model, 'sampleSize', 'must be a positive integer')
  if (!Number.isInteger(height) || (height as number) < 1) throw new ModelFormatError(model, 'heightLimit', 'must be a positive integer')
  const roots = typeof j.roots === 'string' ? decodeInt32(j.roots) : null
  const feature = typeof j.feature === 'string' ? decodeInt32(j.feature) : null
  const value = typeof j.value === 'string' ? decodeFloat64(j.value) : null
  const left = typeof j.left === 'string' ? decodeInt32(j.left) : null
  if (roots == null || roots.length < 1) throw new ModelFormatError(model, 'roots', 'is not a base64 Int32 array of at least one tree')
  if (feature == null || value == null || left == null) throw new ModelFormatError(model, 'nodes', 'feature/value/left are not base64 typed arrays')
  const nodes = feature.length
  if (value.length !== nodes || left.length !== nodes) throw new ModelFormatError(model, 'nodes', 'feature, value and left differ in length')
  // structural check, so that a corrupt snapshot cannot make scoring loop or read out of bounds:
  // every inner node's children come after it (trees are grown parent first)
  for (let i = 0; i < nodes; i++) {
    const f = feature[i]
    if (f === -1) {
      if (!Number.isFinite(value[i])) throw new ModelFormatError(model, 'value', `leaf ${i} has a non-finite path length`)
      continue
    }
    if (f < 0 || f >= (dims as number)) throw new ModelFormatError(model, 'feature', `node ${i} splits on feature ${f}, outside [0, ${String(dims)})`)
    if (left[i] <= i || left[i] + 1 >= nodes) throw new ModelFormatError(model, 'left', `node ${i} has children outside (${i}, ${nodes})`)
  }
  for (const r of roots) if (r < 0 || r >= nodes) throw new ModelFormatError(model, 'roots', `root ${r} is outside [0, ${nodes})`)
  return new IsolationForest(params, dims as number, psi as number, height as number, roots, feature, value, left)
}
