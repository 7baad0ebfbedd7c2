/**
 * The contract between a per-context model (HTTP endpoint, process cell) and
 * the detector that wraps it with tolerization, thresholds and persistence.
 */
import type { ScoreReason } from './observation.js'

export interface ModelScore {
  /** Higher is more anomalous. Any monotone scale: thresholds are calibrated per context. */
  value: number
  /** The strongest terms, most surprising first. */
  reasons: ScoreReason[]
}

export interface ContextModel<O> {
  readonly context: string
  /** Number of observations learned. */
  readonly count: number
  learn: (obs: O) => void
  score: (obs: O) => ModelScore
  /** A JSON-serialisable snapshot; a model's module exports a matching restore function. */
  toJSON: () => unknown
}
