import { describe, expect, it } from 'vitest'
import { InvalidModelInputError, InvalidParamsError, ModelFormatError } from '../../../node/errors.js'
import { createPrng } from '../../../core/prng.js'
import {
  averagePathLength, createIsolationForestParams, defaultIsolationForestParams, fitIsolationForest,
  fitIsolationForestOutOfBag, fitIsolationForestRows, restoreIsolationForest
} from '../../../node/profile/isolation-forest.js'
import { decodeFloat64, decodeInt32 } from '../../../node/profile/typed-array-codec.js'
import type { IsolationForest } from '../../../node/profile/isolation-forest.js'

/** 1,000 inliers from N(0, I) in 2-D plus 20 outliers uniform on a ring of radius 5..8. */
function gaussianWithOutliers (seed: number): { data: Float64Array, labels: Uint8Array } {
  const rng = createPrng(seed)
  const n = 1020
  const data = new Float64Array(n * 2)
  const labels = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    if (i < 1000) {
      data[2 * i] = rng.nextGaussian()
      data[2 * i + 1] = rng.nextGaussian()
    } else {
      const r = rng.nextRange(5, 8)
      const a = rng.nextRange(0, 2 * Math.PI)
      data[2 * i] = r * Math.cos(a)
      data[2 * i + 1] = r * Math.sin(a)
      labels[i] = 1
    }
  }
  return { data, labels }
}

/** Mann–Whitney AUC (quadratic, fine for a thousand points). */
function auc (scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let wins = 0
  let pairs = 0
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue
      pairs++
      if (scores[i] > scores[j]) wins++
      else if (scores[i] === scores[j]) wins += 0.5
    }
  }
  return wins / pairs
}

describe('isolation forest', () => {
  const { data, labels } = gaussianWithOutliers(2024)

  it('scores outliers of a 2-D gaussian above the inliers (AUC > 0.9), all scores in (0, 1)', () => {
    const forest = fitIsolationForest(data, 2, { seed: 1 })
    const scores = forest.scoreMany(data, 2)
    expect(scores.every((s) => s > 0 && s < 1)).toBe(true)
    expect(auc(scores, labels)).toBeGreaterThan(0.9)
    // an extreme point is clearly anomalous, the centre clearly not (paper: s → 1 anomalous, s < 0.5 normal)
    expect(forest.score([20, -20])).toBeGreaterThan(0.7)
    expect(forest.score([0, 0])).toBeLessThan(0.5)
  })

  it('follows the paper: psi = 256 subsamples, height limit ceil(log2 psi), 100 trees', () => {
    const forest = fitIsolationForest(data, 2)
    expect(forest.numTrees).toBe(100)
    expect(forest.sampleSize).toBe(256)
    expect(forest.heightLimit).toBe(8)
    // at most 2^(l+1) - 1 nodes per tree
    expect(forest.numNodes).toBeLessThanOrEqual(100 * 511)
    // a small set caps psi at the number of rows
    const small = fitIsolationForest(data.subarray(0, 100), 2)
    expect(small.sampleSize).toBe(50)
    expect(small.heightLimit).toBe(Math.ceil(Math.log2(50)))
  })

  it('c(n) matches the paper: c(1) = 0, c(2) = 1, 2H(n-1) - 2(n-1)/n', () => {
    expect(averagePathLength(1)).toBe(0)
    expect(averagePathLength(2)).toBe(1)
    let h = 0
    for (let i = 1; i <= 255; i++) h += 1 / i
    // H(i) ≈ ln i + γ is accurate to 1/(2i)
    expect(Math.abs(averagePathLength(256) - (2 * h - 2 * 255 / 256))).toBeLessThan(0.01)
  })

  it('is reproducible for a seed and different for another seed', () => {
    const a = fitIsolationForest(data, 2, { seed: 7 }).scoreMany(data, 2)
    const b = fitIsolationForest(data, 2, { seed: 7 }).scoreMany(data, 2)
    const c = fitIsolationForest(data, 2, { seed: 8 }).scoreMany(data, 2)
    expect(Array.from(a)).toEqual(Array.from(b))
    let same = 0
    for (let i = 0; i < a.length; i++) if (a[i] === c[i]) same++
    expect(same).toBeLessThan(a.length / 10)
    const ja = JSON.stringify(fitIsolationForest(data, 2, { seed: 7 }).toJSON())
    const jc = JSON.stringify(fitIsolationForest(data, 2, { seed: 8 }).toJSON())
    expect(ja).not.toBe(jc)
  })

  it('round-trips through JSON with identical scores, and the snapshot is compact', () => {
    const forest = fitIsolationForest(data, 2, { seed: 3, numTrees: 50 })
    const text = JSON.stringify(forest.toJSON())
    const restored = restoreIsolationForest(JSON.parse(text))
    expect(Array.from(restored.scoreMany(data, 2))).toEqual(Array.from(forest.scoreMany(data, 2)))
    expect(restored.score([3, 3])).toBe(forest.score([3, 3]))
    // the blocked scoreMany and the single-point score agree bit for bit
    const many = forest.scoreMany(data, 2)
    for (let i = 0; i < 1020; i += 17) expect(many[i]).toBe(forest.score(data.subarray(2 * i, 2 * i + 2)))
    expect(restored.numNodes).toBe(forest.numNodes)
    // ≤ 16 bytes per node before base64
    expect(text.length).toBeLessThan(forest.numNodes * 16 * 1.4 + 2000)
  })

  it('both split modes work: the paper (any feature) and skipConstantFeatures; constant columns do not break either', () => {
    const withConst = new Float64Array(1020 * 3)
    for (let i = 0; i < 1020; i++) {
      withConst[3 * i] = data[2 * i]
      withConst[3 * i + 1] = 4
      withConst[3 * i + 2] = data[2 * i + 1]
    }
    for (const skipConstantFeatures of [false, true]) {
      const forest = fitIsolationForest(withConst, 3, { seed: 5, skipConstantFeatures })
      expect(auc(forest.scoreMany(withConst, 3), labels)).toBeGreaterThan(0.9)
    }
    // all rows identical: every tree is a single leaf with c(psi) added, score exactly 0.5
    const dup = fitIsolationForest(new Float64Array(300 * 2).fill(1), 2, { skipConstantFeatures: true })
    expect(dup.numNodes).toBe(100)
    expect(dup.score([1, 1])).toBeCloseTo(0.5, 12)
  })

  it('out-of-bag scores: same forest, training rows scored only by trees that did not sample them', () => {
    const params = { seed: 4, sampleSize: 128 }
    const { forest, oobScores } = fitIsolationForestOutOfBag(data, 2, params)
    const plain = fitIsolationForest(data, 2, params)
    expect(JSON.stringify(forest)).toBe(JSON.stringify(plain))
    const inBag = forest.scoreMany(data, 2)
    let meanOob = 0
    let meanIn = 0
    for (let i = 0; i < 1000; i++) { meanOob += oobScores[i] / 1000; meanIn += inBag[i] / 1000 }
    // a row isolates later in its own trees, so in-bag scores are biased low; out-of-bag ones are not
    expect(meanOob).toBeGreaterThan(meanIn)
    // and match fresh points from the same distribution
    const fresh = gaussianWithOutliers(99).data.subarray(0, 2000)
    const freshScores = forest.scoreMany(fresh, 2)
    const meanFresh = freshScores.reduce((a, b) => a + b, 0) / 1000
    expect(Math.abs(meanOob - meanFresh)).toBeLessThan(Math.abs(meanIn - meanFresh))
    expect(auc(oobScores, labels)).toBeGreaterThan(0.9)
  })

  it('trains from rows as well as from a matrix, identically', () => {
    const rows: number[][] = []
    for (let i = 0; i < 1020; i++) rows.push([data[2 * i], data[2 * i + 1]])
    const a = fitIsolationForestRows(rows, { seed: 9 })
    const b = fitIsolationForest(data, 2, { seed: 9 })
    expect(a.score([1, 2])).toBe(b.score([1, 2]))
  })

  it('validates params and input with error codes', () => {
    expect(createIsolationForestParams()).toEqual(defaultIsolationForestParams)
    expect(createIsolationForestParams({ numTrees: undefined, seed: 'x' })).toEqual({ ...defaultIsolationForestParams, seed: 'x' })
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ numTrees: 0 }, 'isolationForest.numTrees'],
      [{ numTrees: 1.5 }, 'isolationForest.numTrees'],
      [{ sampleSize: 1 }, 'isolationForest.sampleSize'],
      [{ heightLimit: -1 }, 'isolationForest.heightLimit'],
      [{ seed: Number.NaN }, 'isolationForest.seed'],
      [{ skipConstantFeatures: 'yes' }, 'isolationForest.skipConstantFeatures'],
      [{ trees: 10 }, 'isolationForest.trees']
    ]
    for (const [partial, field] of bad) {
      try {
        createIsolationForestParams(partial)
        expect.unreachable(`accepted ${JSON.stringify(partial)}`)
      } catch (err) {
        expect((err as InvalidParamsError).code).toBe('IMMUNE_ERR_INVALID_PARAMS')
        expect((err as InvalidParamsError).details.field).toBe(field)
      }
    }
    expect(() => fitIsolationForest(new Float64Array(5), 2)).toThrow(InvalidModelInputError)
    expect(() => fitIsolationForest(new Float64Array([1, Number.NaN]), 1)).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_MODEL_INPUT' }))
    expect(() => fitIsolationForest(new Float64Array(0), 2)).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_MODEL_INPUT' }))
    const forest = fitIsolationForest(data, 2, { numTrees: 5 })
    expect(() => forest.score([1, 2, 3])).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_MODEL_INPUT' }))
    expect(() => forest.scoreMany(data, 3)).toThrow(InvalidModelInputError)
  })

  it('refuses corrupt snapshots with IMMUNE_ERR_MODEL_FORMAT', () => {
    const json = fitIsolationForest(data, 2, { numTrees: 3 }).toJSON()
    const cases: unknown[] = [
      null,
      { ...json, format: 'other' },
      { ...json, version: 2 },
      { ...json, dims: 0 },
      { ...json, value: 'AAA' },
      { ...json, params: { ...json.params, numTrees: -1 } },
      // a node pointing back to the root would make scoring loop forever
      { ...json, left: Buffer.from(new Int32Array(Buffer.from(json.left, 'base64').byteLength / 4).fill(0).buffer).toString('base64') }
    ]
    for (const c of cases) {
      expect(() => restoreIsolationForest(c)).toThrow(ModelFormatError)
      try { restoreIsolationForest(c) } catch (err) { expect((err as ModelFormatError).code).toBe('IMMUNE_ERR_MODEL_FORMAT') }
    }
  })

  /** An oracle apart from the forest's own scoring: walk the node arrays of its snapshot, score = 2^(-mean / c(psi)). */
  function snapshotScores (forest: IsolationForest, rows: Float64Array, dims: number): Float64Array {
    const json = forest.toJSON()
    const roots = decodeInt32(json.roots)!
    const feature = decodeInt32(json.feature)!
    const value = decodeFloat64(json.value)!
    const left = decodeInt32(json.left)!
    const out = new Float64Array(rows.length / dims)
    for (let r = 0; r < out.length; r++) {
      let sum = 0
      for (const root of roots) {
        let node = root
        while (feature[node] >= 0) node = rows[r * dims + feature[node]] < value[node] ? left[node] : left[node] + 1
        sum += value[node]
      }
      out[r] = Math.pow(2, -(sum / roots.length) / averagePathLength(json.sampleSize))
    }
    return out
  }

  it('scores bit for bit what a walk of its stored trees gives, with the fixed-depth layout and with the deep-tree fallback, NaN going right', () => {
    const withNaN = Float64Array.from(data)
    for (let i = 0; i < 60; i++) withNaN[i * 17 % withNaN.length] = Number.NaN
    const cases: Array<[string, IsolationForest]> = [
      ['paper defaults (depth 8)', fitIsolationForest(data, 2, { seed: 11 })],
      ['skipConstantFeatures, small psi', fitIsolationForest(data, 2, { seed: 12, sampleSize: 20, skipConstantFeatures: true })],
      // no height limit to speak of: trees deeper than the layout takes (it falls back to walking the nodes)
      ['height limit 64, psi 1020', fitIsolationForest(data, 2, { seed: 13, sampleSize: 1020, heightLimit: 64 })],
      ['one row: every tree a single leaf', fitIsolationForest(data.subarray(0, 2), 2, { seed: 14 })]
    ]
    for (const [what, forest] of cases) {
      for (const rows of [data, withNaN]) {
        const expected = snapshotScores(forest, rows, 2)
        const many = forest.scoreMany(rows, 2)
        expect(Array.from(many), what).toEqual(Array.from(expected))
        for (let i = 0; i < 1020; i += 101) expect(forest.score(rows.subarray(2 * i, 2 * i + 2)), what).toBe(expected[i])
        // an odd-sized call (not a multiple of the eight rows scored together)
        expect(Array.from(forest.scoreMany(rows.subarray(0, 2 * 13), 2)), what).toEqual(Array.from(expected.subarray(0, 13)))
      }
    }
    // both scoring paths were taken: the fixed-depth layout, and the node walk for trees deeper than 16 levels
    expect(cases.map(([, f]) => f.scoringDepth)).toEqual([8, 5, null, 0])
  })
})
