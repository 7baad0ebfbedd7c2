/**
 * Knobs of the process-cell model (params pattern).
 */
import { InvalidParamsError } from '../errors.js'
import { createIsolationForestParams } from './isolation-forest.js'
import type { IsolationForestParams } from './isolation-forest.js'
import { PROCESS_METRIC_NAMES } from './process-features.js'
import type { MetricTransform, ProcessMetricName } from './process-features.js'

export interface ProcessModelParams {
  /** Transform of each metric before statistics and the forest. */
  transforms: Record<ProcessMetricName, MetricTransform>
  /**
   * Smallest standard deviation per metric, in transformed units, so that a
   * metric that never moved in training (children = 0, threads = 4) is not
   * infinitely surprised by the first change: with 0.5 a count must move by
   * about 3 before it is a 10% event (Cantelli), by 10 to be a 1% one.
   */
  minStd: Record<ProcessMetricName, number>
  /** Welford forgetting horizon in samples (0 = never forget): beyond it the mean/variance follow an EWMA with alpha 1/maxCount. */
  maxCount: number
  /** Also test decreases (a metric far below normal); by default only increases are danger (resource abuse, leaks, bursts). */
  twoSided: boolean
  /** Recent normal samples kept (a ring) for refitting the forest. */
  reservoirSize: number
  /** Refit the forest after this many learned samples. */
  refitEvery: number
  /** Samples needed before the first fit of the joint terms (forest, correlation). */
  minForestSamples: number
  /** Whether to use the joint isolation-forest term (J1). */
  useForest: boolean
  /** Whether to use the joint correlation (Mahalanobis) term (J2). */
  useCorrelation: boolean
  /** Isolation forest over the transformed vectors (the seed comes from `seed`). */
  forest: Omit<IsolationForestParams, 'seed'>
  /** Smallest standard deviation of the forest score over the reservoir. */
  minForestStd: number
  /** Seed of the forests: same samples, same params, same seed = same model. */
  seed: number | string
  /** Terms with a p-value above this are not reported as reasons. */
  reasonMaxP: number
  /** Reasons kept per score. */
  maxReasons: number
}

export const defaultProcessModelParams: Readonly<ProcessModelParams> = Object.freeze({
  transforms: Object.freeze({
    cpuPct: 'identity',
    rssBytes: 'log1p',
    threads: 'identity',
    openFiles: 'identity',
    sockets: 'identity',
    readBytesPerSec: 'log1p',
    writeBytesPerSec: 'log1p',
    children: 'identity'
  }) as Record<ProcessMetricName, MetricTransform>,
  // cpu in percent of a core; counts in units; log metrics in e-folds (0.1 ≈ ±10% for memory, 0.5 ≈ ×1.6 for i/o rates)
  minStd: Object.freeze({
    cpuPct: 1,
    rssBytes: 0.1,
    threads: 0.5,
    openFiles: 0.5,
    sockets: 0.5,
    readBytesPerSec: 0.5,
    writeBytesPerSec: 0.5,
    children: 0.5
  }) as Record<ProcessMetricName, number>,
  // about 28 hours at one sample every 10 s
  maxCount: 10_000,
  twoSided: false,
  reservoirSize: 512,
  refitEvery: 128,
  minForestSamples: 64,
  useForest: true,
  useCorrelation: true,
  // psi 128 of a 512-sample reservoir: four disjoint views per refit; skipping
  // constant features because many process metrics never move
  forest: Object.freeze({ numTrees: 100, sampleSize: 128, heightLimit: 0, skipConstantFeatures: true }),
  minForestStd: 0.01,
  seed: 1,
  reasonMaxP: 0.05,
  maxReasons: 3
})

function intIn (v: unknown, field: string, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(`processModel.${field}`, v, `an integer in [${min}, ${max}]`)
}

export function validateProcessModelParams (p: ProcessModelParams): void {
  for (const name of PROCESS_METRIC_NAMES) {
    const t = p.transforms?.[name]
    if (t !== 'identity' && t !== 'log1p') throw new InvalidParamsError(`processModel.transforms.${name}`, t, '"identity" or "log1p"')
    const s = p.minStd?.[name]
    if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s)) throw new InvalidParamsError(`processModel.minStd.${name}`, s, 'a finite number > 0')
  }
  intIn(p.maxCount, 'maxCount', 0, 1e9)
  if (p.maxCount === 1) throw new InvalidParamsError('processModel.maxCount', p.maxCount, '0 (never forget) or an integer >= 2')
  if (typeof p.twoSided !== 'boolean') throw new InvalidParamsError('processModel.twoSided', p.twoSided, 'true or false')
  intIn(p.reservoirSize, 'reservoirSize', 16, 65_536)
  intIn(p.refitEvery, 'refitEvery', 1, 1e9)
  intIn(p.minForestSamples, 'minForestSamples', 8, p.reservoirSize)
  if (typeof p.useForest !== 'boolean') throw new InvalidParamsError('processModel.useForest', p.useForest, 'true or false')
  if (typeof p.useCorrelation !== 'boolean') throw new InvalidParamsError('processModel.useCorrelation', p.useCorrelation, 'true or false')
  try {
    createIsolationForestParams({ ...p.forest, seed: 1 })
  } catch (err) {
    if (err instanceof InvalidParamsError) {
      throw new InvalidParamsError(err.details.field.replace('isolationForest.', 'processModel.forest.'), err.details.value, err.details.accepted)
    }
    throw err
  }
  if (typeof p.minForestStd !== 'number' || !(p.minForestStd > 0) || !Number.isFinite(p.minForestStd)) {
    throw new InvalidParamsError('processModel.minForestStd', p.minForestStd, 'a finite number > 0')
  }
  if (!((typeof p.seed === 'number' && Number.isFinite(p.seed)) || typeof p.seed === 'string')) {
    throw new InvalidParamsError('processModel.seed', p.seed, 'a finite number or a string')
  }
  if (typeof p.reasonMaxP !== 'number' || !(p.reasonMaxP > 0 && p.reasonMaxP <= 1)) {
    throw new InvalidParamsError('processModel.reasonMaxP', p.reasonMaxP, 'a number in (0, 1]')
  }
  intIn(p.maxReasons, 'maxReasons', 0, 32)
}

type ProcessModelParamsInput = Partial<Omit<ProcessModelParams, 'transforms' | 'minStd' | 'forest'>> & {
  transforms?: Partial<Record<ProcessMetricName, MetricTransform>>
  minStd?: Partial<Record<ProcessMetricName, number>>
  forest?: Partial<Omit<IsolationForestParams, 'seed'>>
}

/** Merge a partial (nested records merge per key; undefined values are ignored), validate, freeze. */
export function createProcessModelParams (partial: ProcessModelParamsInput = {}): Readonly<ProcessModelParams> {
  const d = defaultProcessModelParams
  const p: ProcessModelParams = {
    ...d,
    transforms: { ...d.transforms },
    minStd: { ...d.minStd },
    forest: { ...d.forest }
  }
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue
    if (k === 'transforms' || k === 'minStd' || k === 'forest') {
      const target = p[k] as unknown as Record<string, unknown>
      if (v == null || typeof v !== 'object') throw new InvalidParamsError(`processModel.${k}`, v, 'an object')
      for (const [kk, vv] of Object.entries(v as Record<string, unknown>)) {
        if (vv === undefined) continue
        if (!(kk in target)) throw new InvalidParamsError(`processModel.${k}.${kk}`, vv, `one of the keys ${Object.keys(target).join(', ')}`)
        target[kk] = vv
      }
    } else {
      (p as unknown as Record<string, unknown>)[k] = v
    }
  }
  validateProcessModelParams(p)
  Object.freeze(p.transforms)
  Object.freeze(p.minStd)
  Object.freeze(p.forest)
  return Object.freeze(p)
}

export type { ProcessModelParamsInput }
