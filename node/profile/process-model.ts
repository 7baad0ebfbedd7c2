/**
 * The model of one process cell (a watched process tree, or the host): what
 * its CPU, memory, threads, open files, sockets, i/o rates and children
 * normally look like, learned without labels from ProcessObservations.
 *
 * Terms, each an upper-tail p-value (see `scoreBreakdown`):
 *
 *   M1..M8  per metric: z = (t − μ) / max(σ, minStd) on the transformed value t
 *           (log1p for bytes and byte rates), μ and σ from Welford with slow
 *           forgetting; p = 1 / (1 + z²) for z > 0, else 1. That is Cantelli's
 *           inequality, P(X − μ ≥ zσ) ≤ 1 / (1 + z²), which holds whatever the
 *           distribution: process metrics are bursty and heavy-tailed, and a
 *           Gaussian tail would call every CPU burst a 10^-9 event.
 *   J1      joint, isolation forest: the forest score of the whole transformed
 *           vector against the out-of-bag scores of the forest's training rows
 *           (process-tail.ts: empirical, Cantelli beyond the maximum). It
 *           catches a sample in a gap between the modes of a cell that has
 *           several (idle and busy), where every metric and every correlation
 *           looks ordinary.
 *   J2      joint, correlation: the Mahalanobis distance of the transformed
 *           vector under the mean and covariance of the same rows
 *           (process-gaussian.ts), against the distances of those rows. It
 *           catches a metric that breaks ranks with those it usually moves
 *           with (many sockets with few threads and no CPU), which an
 *           axis-parallel forest barely sees.
 *
 * The sample's value is the Bonferroni-corrected surprise of the smallest p,
 *
 *     value = −log10(m · min_i p_i)     (m = number of terms)
 *
 * so a value of 2 is at most a 1% event under normal behaviour. It is not
 * clipped at 0: ordinary samples score between −log10 m and 0, which keeps the
 * learned score distribution free of ties for threshold calibration.
 *
 * The joint terms are refit every `refitEvery` learned samples from the ring
 * of the last `reservoirSize` learned (normal) samples, the forest with a seed
 * derived from the model's seed and the refit count, so a model is
 * reproducible, and a snapshot stores the training rows instead of the trees
 * (a snapshot is ≈ 90 kB of JSON, ring and training rows, where the trees alone
 * would be ≈ 500 kB): `restoreProcessModel` regrows the identical forest and
 * covariance.
 */
import type { ProcessObservation, ScoreReason } from '../observation.js'
import type { ContextModel, ModelScore } from '../profile-types.js'
import { ProfileFormatError } from '../errors.js'
import { deriveSeed } from '../../core/index.js'
import { fitIsolationForestOutOfBag } from './isolation-forest.js'
import type { IsolationForest } from './isolation-forest.js'
import { PROCESS_DIMS, PROCESS_METRIC_NAMES, applyTransform, formatMetric, invertTransform } from './process-features.js'
import type { ProcessMetricName } from './process-features.js'
import { fitGaussian, mahalanobis } from './process-gaussian.js'
import type { GaussianFit, MahalanobisResult } from './process-gaussian.js'
import { createProcessModelParams } from './process-model-params.js'
import type { ProcessModelParams, ProcessModelParamsInput } from './process-model-params.js'
import { createEmpiricalTail, tailQuantile, upperTailP } from './process-tail.js'
import type { EmpiricalTail } from './process-tail.js'
import { decodeFloat64, encodeFloat64 } from './typed-array-codec.js'
import { createWelford, isWelfordState, welfordPush, welfordStd } from './welford.js'
import type { WelfordState } from './welford.js'

export const PROCESS_MODEL_KIND = 'process'
export const PROCESS_MODEL_VERSION = 1
/** The parameter name of the isolation-forest term (J1) in reasons. */
export const JOINT_PARAM = '(joint)'
/** Floor of the spread of the Mahalanobis distance used to extrapolate beyond its training maximum. */
const MIN_DISTANCE_STD = 0.1

/** The default context of a cell's samples. */
export function processContextOf (obs: Pick<ProcessObservation, 'cell'>): string {
  return `process:${obs.cell}`
}

export interface ProcessTerm {
  /** M1..M8, J1 (forest) or J2 (correlation). */
  term: string
  /** Metric name (for J2 the metric that breaks ranks most), or JOINT_PARAM for the forest. */
  parameter: string
  /** Raw metric value; the forest score for J1. */
  observed: number
  /**
   * Shown to a person as "expected": M terms the learned raw mean and standard
   * deviation; J1 the median and 99th percentile of the training scores; J2 the
   * metric's conditional mean and standard deviation given the others (transformed units).
   */
  expectedMean: number
  expectedStd: number
  /** M terms: standardised deviation; J1: forest score; J2: Mahalanobis distance. */
  z: number
  p: number
}

export interface ProcessScoreBreakdown {
  value: number
  /** Number of terms m in the Bonferroni correction. */
  tests: number
  pMin: number
  terms: ProcessTerm[]
  /** Forest score of the sample, or null before the first forest. */
  forestScore: number | null
  /** Mahalanobis distance and per-metric conditional deviations, or null before the first fit. */
  correlation: MahalanobisResult | null
}

interface MetricStats {
  /** Transformed values: what the z-score uses. */
  t: WelfordState
  /** Raw values: what a person is shown as "expected". */
  raw: WelfordState
}

export interface ProcessModelJSON {
  v: number
  kind: 'process'
  context: string
  n: number
  params: ProcessModelParams
  stats: Array<[ProcessMetricName, MetricStats]>
  /** Ring of recent transformed samples (base64 Float64, fill × 8). */
  ring: string
  head: number
  fill: number
  sinceRefit: number
  refits: number
  /** Training rows of the current joint terms (base64 Float64), null before the first fit. */
  jointTrain: string | null
}

function cantelli (z: number): number {
  return z > 0 ? 1 / (1 + z * z) : 1
}

export class ProcessModel implements ContextModel<ProcessObservation> {
  readonly context: string
  readonly params: Readonly<ProcessModelParams>
  private n = 0
  private readonly stats: MetricStats[]
  private readonly ring: Float64Array
  private head = 0
  private fill = 0
  private sinceRefit = 0
  private refits = 0
  private jointTrain: Float64Array | null = null
  private forest: IsolationForest | null = null
  private forestTail: EmpiricalTail | null = null
  private gaussian: GaussianFit | null = null
  private distanceTail: EmpiricalTail | null = null
  private readonly vec = new Float64Array(PROCESS_DIMS)
  private readonly maxCount: number

  constructor (context: string, params: Readonly<ProcessModelParams>) {
    this.context = context
    this.params = params
    this.stats = PROCESS_METRIC_NAMES.map(() => ({ t: createWelford(), raw: createWelford() }))
    this.ring = new Float64Array(params.reservoirSize * PROCESS_DIMS)
    this.maxCount = params.maxCount === 0 ? Infinity : params.maxCount
  }

  get count (): number { return this.n }

  /** Whether the isolation-forest term (J1) is active. */
  get hasForest (): boolean { return this.forest != null }

  /** Whether the correlation term (J2) is active. */
  get hasCorrelation (): boolean { return this.gaussian != null }

  /** Transformed vector of a sample into `this.vec`; a missing/non-finite metric takes its learned mean. Returns a bit mask of the missing ones. */
  private transform (obs: ProcessObservation): number {
    let missing = 0
    const m = obs.metrics as unknown as Record<string, unknown> | undefined
    for (let i = 0; i < PROCESS_DIMS; i++) {
      const name = PROCESS_METRIC_NAMES[i]
      const x = m?.[name]
      if (typeof x === 'number' && Number.isFinite(x)) this.vec[i] = applyTransform(this.params.transforms[name], x)
      else {
        this.vec[i] = this.stats[i].t.mean
        missing |= 1 << i
      }
    }
    return missing
  }

  learn (obs: ProcessObservation): void {
    const missing = this.transform(obs)
    const m = obs.metrics as unknown as Record<string, number>
    for (let i = 0; i < PROCESS_DIMS; i++) {
      if ((missing & (1 << i)) !== 0) continue
      welfordPush(this.stats[i].t, this.vec[i], this.maxCount)
      welfordPush(this.stats[i].raw, m[PROCESS_METRIC_NAMES[i]], this.maxCount)
    }
    this.ring.set(this.vec, this.head * PROCESS_DIMS)
    this.head = (this.head + 1) % this.params.reservoirSize
    if (this.fill < this.params.reservoirSize) this.fill++
    this.n++
    this.sinceRefit++
    if ((this.params.useForest || this.params.useCorrelation) && this.fill >= this.params.minForestSamples &&
      (this.jointTrain == null || this.sinceRefit >= this.params.refitEvery)) {
      this.refit()
    }
  }

  /** Refit the joint terms on the current ring (also called by `learn` on schedule). */
  refit (): void {
    if (this.fill < 8) return
    const train = this.ring.slice(0, this.fill * PROCESS_DIMS)
    this.refits++
    this.sinceRefit = 0
    this.fitJoint(train)
  }

  private fitJoint (train: Float64Array): void {
    const rows = train.length / PROCESS_DIMS
    this.jointTrain = train
    if (this.params.useForest) {
      // psi ≤ rows / 2: every row is out of bag for about half the trees, which calibrates the scores
      const sampleSize = Math.max(2, Math.min(this.params.forest.sampleSize, Math.floor(rows / 2)))
      const { forest, oobScores } = fitIsolationForestOutOfBag(train, PROCESS_DIMS, {
        ...this.params.forest, sampleSize, seed: deriveSeed(this.params.seed, 'process-forest', this.refits)
      })
      this.forest = forest
      this.forestTail = createEmpiricalTail(oobScores, this.params.minForestStd)
    }
    if (this.params.useCorrelation) {
      const g = fitGaussian(train, PROCESS_DIMS, PROCESS_METRIC_NAMES.map((name) => this.params.minStd[name]))
      this.gaussian = g
      if (g != null) {
        const d = new Float64Array(rows)
        for (let r = 0; r < rows; r++) d[r] = Math.sqrt(mahalanobis(g, train.subarray(r * PROCESS_DIMS, (r + 1) * PROCESS_DIMS)).d2)
        this.distanceTail = createEmpiricalTail(d, MIN_DISTANCE_STD)
      }
    }
  }

  /** Every term with its statistic and p-value; does not learn. */
  scoreBreakdown (obs: ProcessObservation): ProcessScoreBreakdown {
    this.transform(obs)
    const p = this.params
    const terms: ProcessTerm[] = []
    const m = obs.metrics as unknown as Record<string, unknown> | undefined
    const rawOf = (name: ProcessMetricName): number => { const x = m?.[name]; return typeof x === 'number' ? x : Number.NaN }
    let pMin = 1
    for (let i = 0; i < PROCESS_DIMS; i++) {
      const name = PROCESS_METRIC_NAMES[i]
      const st = this.stats[i]
      const z = (this.vec[i] - st.t.mean) / Math.max(welfordStd(st.t), p.minStd[name])
      const pv = p.twoSided ? Math.min(1, 2 * Math.min(cantelli(z), cantelli(-z))) : cantelli(z)
      if (pv < pMin) pMin = pv
      terms.push({ term: `M${i + 1}`, parameter: name, observed: rawOf(name), expectedMean: st.raw.mean, expectedStd: welfordStd(st.raw), z: p.twoSided ? Math.abs(z) : z, p: pv })
    }
    let tests = PROCESS_DIMS
    let forestScore: number | null = null
    if (this.forest != null && this.forestTail != null) {
      tests++
      forestScore = this.forest.score(this.vec)
      const pv = upperTailP(this.forestTail, forestScore)
      if (pv < pMin) pMin = pv
      terms.push({
        term: 'J1',
        parameter: JOINT_PARAM,
        observed: forestScore,
        expectedMean: tailQuantile(this.forestTail, 0.5),
        expectedStd: tailQuantile(this.forestTail, 0.99),
        z: forestScore,
        p: pv
      })
    }
    let correlation: MahalanobisResult | null = null
    if (this.gaussian != null && this.distanceTail != null) {
      tests++
      correlation = mahalanobis(this.gaussian, this.vec)
      const distance = Math.sqrt(correlation.d2)
      const pv = upperTailP(this.distanceTail, distance)
      if (pv < pMin) pMin = pv
      let worst = 0
      for (let i = 1; i < PROCESS_DIMS; i++) if (Math.abs(correlation.conditionalZ[i]) > Math.abs(correlation.conditionalZ[worst])) worst = i
      const name = PROCESS_METRIC_NAMES[worst]
      terms.push({
        term: 'J2',
        parameter: name,
        observed: rawOf(name),
        expectedMean: correlation.conditionalMean[worst],
        expectedStd: correlation.conditionalStd[worst],
        z: distance,
        p: pv
      })
    }
    return { value: -Math.log10(Math.max(1e-300, tests * pMin)), tests, pMin, terms, forestScore, correlation }
  }

  score (obs: ProcessObservation): ModelScore {
    if (this.n === 0) return { value: 0, reasons: [] }
    const b = this.scoreBreakdown(obs)
    return { value: Math.round(b.value * 1000) / 1000, reasons: this.reasonsOf(b) }
  }

  /**
   * The terms worth showing, most surprising first. A joint term is dropped
   * when a per-metric term already says the same thing more directly: J2 when
   * its metric has its own significant M term (a lone spike also breaks every
   * correlation), J1 when any M term is significant.
   */
  private reasonsOf (b: ProcessScoreBreakdown): ScoreReason[] {
    const significant = b.terms.filter((t) => t.p <= this.params.reasonMaxP)
    const marginal = new Set(significant.filter((t) => t.term.startsWith('M')).map((t) => t.parameter))
    const kept = significant
      .filter((t) => t.term === 'J1' ? marginal.size === 0 : t.term === 'J2' ? !marginal.has(t.parameter) : true)
      .sort((x, y) => x.p - y.p)
      .slice(0, this.params.maxReasons)
    return kept.map((t) => {
      const surprise = Math.round(-Math.log10(t.p) * 1000) / 1000
      const observed = Number.isFinite(t.observed) ? +t.observed.toPrecision(6) : 'missing'
      if (t.term === 'J1') {
        // name the metrics that stand out most, so that the joint term is explainable too
        const top = b.terms.filter((x) => x.term.startsWith('M')).sort((x, y) => Math.abs(y.z) - Math.abs(x.z)).slice(0, 2)
        const detail = top.map((x) => `${x.parameter} ${formatMetric(x.observed)} (${formatMetric(x.expectedMean)} ± ${formatMetric(x.expectedStd)})`).join(', ')
        return {
          context: this.context,
          parameter: JOINT_PARAM,
          feature: 'isolation',
          observed: +t.observed.toFixed(3),
          expected: `≈ ${t.expectedMean.toFixed(3)}, 99% ≤ ${t.expectedStd.toFixed(3)}; most unusual together: ${detail}`,
          surprise
        }
      }
      if (t.term === 'J2') {
        const name = t.parameter as ProcessMetricName
        const tr = this.params.transforms[name]
        const spread = tr === 'log1p' ? `×/÷ ${formatMetric(Math.exp(t.expectedStd))}` : `± ${formatMetric(t.expectedStd)}`
        return {
          context: this.context,
          parameter: name,
          feature: 'correlation',
          observed,
          expected: `${formatMetric(invertTransform(tr, t.expectedMean))} ${spread} given the other metrics (Mahalanobis distance ${formatMetric(t.z)}, 99% ≤ ${formatMetric(tailQuantile(this.distanceTail as EmpiricalTail, 0.99))})`,
          surprise
        }
      }
      return {
        context: this.context,
        parameter: t.parameter,
        feature: 'value',
        observed,
        expected: `${formatMetric(t.expectedMean)} ± ${formatMetric(t.expectedStd)}`,
        surprise
      }
    })
  }

  toJSON (): ProcessModelJSON {
    return {
      v: PROCESS_MODEL_VERSION,
      kind: PROCESS_MODEL_KIND,
      context: this.context,
      n: this.n,
      params: this.params,
      stats: PROCESS_METRIC_NAMES.map((name, i) => [name, { t: { ...this.stats[i].t }, raw: { ...this.stats[i].raw } }]),
      ring: encodeFloat64(this.ring.subarray(0, this.fill * PROCESS_DIMS)),
      head: this.head,
      fill: this.fill,
      sinceRefit: this.sinceRefit,
      refits: this.refits,
      jointTrain: this.jointTrain == null ? null : encodeFloat64(this.jointTrain)
    }
  }

  /** @internal used by restoreProcessModel */
  static restore (json: ProcessModelJSON, params: Readonly<ProcessModelParams>, ring: Float64Array, jointTrain: Float64Array | null): ProcessModel {
    const model = new ProcessModel(json.context, params)
    model.n = json.n
    json.stats.forEach(([, s], i) => {
      model.stats[i].t = { ...s.t }
      model.stats[i].raw = { ...s.raw }
    })
    model.ring.set(ring)
    model.head = json.head
    model.fill = json.fill
    model.sinceRefit = json.sinceRefit
    model.refits = json.refits
    if (jointTrain != null) model.fitJoint(jointTrain)
    return model
  }
}

export function createProcessModel (context: string, params: ProcessModelParamsInput = {}): ProcessModel {
  return new ProcessModel(context, createProcessModelParams(params))
}

/** Rebuild a model from `toJSON()`: same scores, and it goes on learning exactly as the original would. */
export function restoreProcessModel (json: unknown): ProcessModel {
  if (json == null || typeof json !== 'object') throw new ProfileFormatError('?', 'snapshot', 'is not an object')
  const j = json as Partial<ProcessModelJSON>
  const context = typeof j.context === 'string' ? j.context : '?'
  const fail = (field: string, reason: string): never => { throw new ProfileFormatError(context, field, reason) }
  if (j.kind !== PROCESS_MODEL_KIND) fail('kind', `is ${JSON.stringify(j.kind)}, expected "process"`)
  if (j.v !== PROCESS_MODEL_VERSION) fail('v', `${JSON.stringify(j.v)} is not supported (expected ${PROCESS_MODEL_VERSION})`)
  if (typeof j.context !== 'string') fail('context', 'is not a string')
  let params: Readonly<ProcessModelParams> | undefined
  try {
    params = createProcessModelParams((j.params ?? {}) as ProcessModelParamsInput)
  } catch (err) {
    fail('params', (err as Error).message)
  }
  const p = params as Readonly<ProcessModelParams>
  const isCount = (v: unknown, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max
  if (!isCount(j.n, Number.MAX_SAFE_INTEGER)) fail('n', 'is not a non-negative integer')
  if (!Array.isArray(j.stats) || j.stats.length !== PROCESS_DIMS) fail('stats', `must list the ${PROCESS_DIMS} metrics`)
  j.stats!.forEach((entry, i) => {
    if (!Array.isArray(entry) || entry[0] !== PROCESS_METRIC_NAMES[i]) fail(`stats[${i}]`, `must be ["${PROCESS_METRIC_NAMES[i]}", {...}]`)
    const s = entry[1] as Partial<MetricStats> | undefined
    if (!isWelfordState(s?.t) || !isWelfordState(s?.raw)) fail(`stats.${PROCESS_METRIC_NAMES[i]}`, 'is not a pair of Welford states')
  })
  if (!isCount(j.fill, p.reservoirSize)) fail('fill', `is not an integer in [0, ${p.reservoirSize}]`)
  if (!isCount(j.head, p.reservoirSize - 1)) fail('head', `is not an integer in [0, ${p.reservoirSize - 1}]`)
  if (!isCount(j.sinceRefit, Number.MAX_SAFE_INTEGER) || !isCount(j.refits, Number.MAX_SAFE_INTEGER)) fail('sinceRefit/refits', 'are not non-negative integers')
  const ring = typeof j.ring === 'string' ? decodeFloat64(j.ring) : null
  if (ring == null || ring.length !== (j.fill as number) * PROCESS_DIMS || !ring.every(Number.isFinite)) fail('ring', `is not base64 of fill × ${PROCESS_DIMS} finite float64 values`)
  let jointTrain: Float64Array | null = null
  if (j.jointTrain != null) {
    jointTrain = typeof j.jointTrain === 'string' ? decodeFloat64(j.jointTrain) : null
    if (jointTrain == null || jointTrain.length < 8 * PROCESS_DIMS || jointTrain.length % PROCESS_DIMS !== 0 || !jointTrain.every(Number.isFinite)) {
      fail('jointTrain', `is not base64 of at least 8 rows × ${PROCESS_DIMS} finite float64 values`)
    }
  }
  return ProcessModel.restore(j as ProcessModelJSON, p, ring as Float64Array, jointTrain)
}
