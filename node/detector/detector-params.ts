/**
 * Knobs of the detector (params pattern): tolerization, thresholds, slow
 * learning after tolerization, persistence and peer-raised sensitivity.
 */
import { InvalidParamsError } from '../errors.js'
import type { DangerLevel } from '../observation.js'

export interface DetectorParams {
  /** A context leaves tolerization after this many observations (0: no count condition). */
  minObservations: number
  /** ... and after this long since its first observation (0: no time condition). Both conditions must hold. */
  minDurationSec: number
  /** Prequential (score-then-learn) scores are kept for calibration once a context has learned this fraction of minObservations. */
  calibrationStartFraction: number
  /** Most recent calibration scores kept per context. */
  calibrationWindow: number
  /** Below this many calibration scores, thresholds are at least the nominal −log10(targetFpr) (thresholds.ts N). */
  minCalibrationScores: number
  /** Target false-positive rate of danger signal one (suspicious). */
  targetFpr1: number
  /** Target false-positive rate of danger signal two (dangerous). */
  targetFpr2: number
  /** A tail heavier than calibrated p-values is fitted to the top tailFraction of calibration scores (thresholds.ts T3). */
  tailFraction: number
  /** Calibration scores needed above an empirical quantile (T1), and exceedances needed for the tail fit (T3). */
  minTailCount: number
  /** Smallest mean excess of the tail fit (score units), so ties at the top do not give a zero-width tail. */
  minTailExcess: number
  /**
   * Confidence of the upper bounds on exceedance rates when a threshold lies
   * beyond what the calibration scores resolve (thresholds.ts T2, T3).
   */
  thresholdConfidence: number
  /** After tolerization, learn one in this many observations judged normal (danger 0). 1 = all. */
  guardLearnEvery: number
  /** Highest danger for an endpoint that is unknown or still in its own tolerization while others guard. */
  unknownContextMaxDanger: DangerLevel
  /** Danger of an observation that breaks a hard prior (it is never learned). */
  priorViolationDanger: DangerLevel
  /** Dirty profiles are written to the store at most this long after they change. */
  flushIntervalMs: number
  /** raiseSensitivity factors are capped here (thresholds are divided by the factor). */
  maxSensitivityFactor: number
  /** raiseSensitivity lasts at most this long. */
  maxSensitivityMs: number
  /**
   * D1 quorum: a context guards only after it learned from this many
   * distinct sources (observations without a source each count as one).
   * One client cannot teach an endpoint (issue 9).
   */
  minSources: number
  /**
   * D1 share: a source's learned observations in a context are capped at
   * this share of max(minObservations, learned): beyond, what it sends is
   * scored but not learned, so no source dominates a model.
   */
  maxSourceShare: number
  /** Sources whose learned counts a context tracks (beyond, further sources are admitted untracked). */
  maxTrackedSources: number
  /** D6 budget: contexts a source may have created that have not reached their quorum yet. */
  maxContextsPerSource: number
  /** Sources whose created-context counts are tracked (the least recent are forgotten). */
  maxTrackedCreators: number
  /**
   * D4′ second opinion at a context that does not guard yet: judged by the
   * whole application's values (no similar guarding context), danger two
   * needs the evidence above −log10(targetFpr2) plus this margin (and danger
   * one above −log10(targetFpr1) plus it).
   */
  appOpinionMargin: number
  /**
   * Highest danger the app-wide second opinion gives without a value
   * checker's finding (measured: a new page taking free text had 35 % of its
   * requests at danger two when it could give 2; bench/detect-drift).
   */
  appOpinionMaxDanger: DangerLevel
  /** Similar guarding contexts asked for a second opinion (the first ones). */
  maxSimilarContexts: number
  /**
   * D3″ guarding also learns, at the same slow rate, observations whose
   * only surprises are novelty (danger one, evidence below suspicious): a
   * new value, a new parameter, a new type become normal when clients keep
   * bringing them (each source within its share).
   */
  learnNovelty: boolean
}

/**
 * Defaults. targetFpr1 1% and targetFpr2 0.1% are the operating points of
 * issue 3 (and of the CSIC 2010 protocol). minObservations 1,000 is the size of
 * one endpoint's training data in CSIC 2010, on which docs/detection.md measures;
 * minDurationSec 1 h keeps a burst (or an attacker flooding a new endpoint)
 * from ending tolerization in seconds; production configs should cover a daily
 * cycle (86,400). calibrationStartFraction 0.5: the second half of
 * tolerization is scored by models at least half-grown (prequential
 * evaluation, Dawid 1984), which avoids the leak of in-sample scoring and of
 * random folds on data with adjacent duplicates. guardLearnEvery 8 keeps
 * learning after tolerization slow, so a patient attacker needs eight times
 * more normal-looking requests to shift a profile.
 * minCalibrationScores 100 = 1/targetFpr1: until the calibration scores can
 * resolve the level-1 rate, neither threshold goes below −log10 of its rate.
 * Measured with bench/detect-small.ts (docs/detection.md): with 50, a
 * context that tolerized after 100 requests put 0.10–0.12 % of normal
 * requests at danger 2 in two of four generated apps; with 100, ≤ 0.02 %.
 * thresholdConfidence 0.95: one-sided upper bounds on exceedance rates when
 * thresholds are extrapolated beyond the calibration data.
 * minSources 5: a quorum that one client, or a scanner behind a few
 * addresses, cannot make up; maxSourceShare 0.1: with the quorum, no source
 * teaches more than a tenth of a young model. maxContextsPerSource 64: a
 * source's junk paths live in a budget of its own (CSIC's 28 pages are
 * reached by every client). appOpinionMargin 1: the app-wide second opinion
 * is not calibrated per context, so it needs ten times the nominal rarity.
 */
export const defaultDetectorParams: Readonly<DetectorParams> = Object.freeze({
  minObservations: 1000,
  minDurationSec: 3600,
  calibrationStartFraction: 0.5,
  calibrationWindow: 2000,
  minCalibrationScores: 100,
  targetFpr1: 0.01,
  targetFpr2: 0.001,
  tailFraction: 0.05,
  minTailCount: 10,
  minTailExcess: 0.1,
  thresholdConfidence: 0.95,
  guardLearnEvery: 8,
  unknownContextMaxDanger: 1 as DangerLevel,
  priorViolationDanger: 2 as DangerLevel,
  flushIntervalMs: 10_000,
  maxSensitivityFactor: 4,
  maxSensitivityMs: 3_600_000,
  minSources: 5,
  maxSourceShare: 0.1,
  maxTrackedSources: 1024,
  maxContextsPerSource: 64,
  maxTrackedCreators: 10_000,
  appOpinionMargin: 1,
  appOpinionMaxDanger: 1 as DangerLevel,
  maxSimilarContexts: 4,
  learnNovelty: true
})

export function createDetectorParams (partial: Partial<DetectorParams> = {}): Readonly<DetectorParams> {
  const p: DetectorParams = { ...defaultDetectorParams }
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v
  validateDetectorParams(p)
  return Object.freeze(p)
}

function intIn (p: DetectorParams, f: keyof DetectorParams, min: number, max: number): void {
  const v = p[f]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(`detector.${f}`, v, `an integer in [${min}, ${max}]`)
}

function numIn (p: DetectorParams, f: keyof DetectorParams, min: number, max: number, openLow = false): void {
  const v = p[f]
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (openLow && v === min)) {
    throw new InvalidParamsError(`detector.${f}`, v, `a number in ${openLow ? '(' : '['}${min}, ${max}]`)
  }
}

/** Throws InvalidParamsError (IMMUNE_ERR_INVALID_PARAMS) naming the first bad field. */
export function validateDetectorParams (p: DetectorParams): void {
  intIn(p, 'minObservations', 0, 1e9)
  numIn(p, 'minDurationSec', 0, 365 * 86_400)
  if (p.minObservations === 0 && p.minDurationSec === 0) throw new InvalidParamsError('detector.minObservations', 0, 'minObservations or minDurationSec must be > 0')
  numIn(p, 'calibrationStartFraction', 0, 1)
  intIn(p, 'calibrationWindow', 1, 1_000_000)
  intIn(p, 'minCalibrationScores', 1, 1_000_000)
  numIn(p, 'targetFpr1', 0, 0.5, true)
  numIn(p, 'targetFpr2', 0, 0.5, true)
  if (p.targetFpr2 > p.targetFpr1) throw new InvalidParamsError('detector.targetFpr2', p.targetFpr2, `at most targetFpr1 (${p.targetFpr1})`)
  numIn(p, 'tailFraction', 0, 1, true)
  intIn(p, 'minTailCount', 1, 1_000_000)
  numIn(p, 'minTailExcess', 0, 1e6, true)
  numIn(p, 'thresholdConfidence', 0.5, 0.9999)
  intIn(p, 'guardLearnEvery', 1, 1_000_000)
  if (![0, 1, 2].includes(p.unknownContextMaxDanger)) throw new InvalidParamsError('detector.unknownContextMaxDanger', p.unknownContextMaxDanger, '0, 1 or 2')
  if (![1, 2].includes(p.priorViolationDanger)) throw new InvalidParamsError('detector.priorViolationDanger', p.priorViolationDanger, '1 or 2')
  intIn(p, 'flushIntervalMs', 1, 86_400_000)
  numIn(p, 'maxSensitivityFactor', 1, 1000)
  intIn(p, 'maxSensitivityMs', 0, 7 * 86_400_000)
  intIn(p, 'minSources', 1, 1_000_000)
  numIn(p, 'maxSourceShare', 0, 1, true)
  intIn(p, 'maxTrackedSources', 1, 1_000_000)
  intIn(p, 'maxContextsPerSource', 1, 10_000_000)
  intIn(p, 'maxTrackedCreators', 1, 10_000_000)
  numIn(p, 'appOpinionMargin', 0, 100)
  if (![0, 1, 2].includes(p.appOpinionMaxDanger)) throw new InvalidParamsError('detector.appOpinionMaxDanger', p.appOpinionMaxDanger, '0, 1 or 2')
  intIn(p, 'maxSimilarContexts', 0, 1000)
  if (typeof p.learnNovelty !== 'boolean') throw new InvalidParamsError('detector.learnNovelty', p.learnNovelty, 'true or false')
}
