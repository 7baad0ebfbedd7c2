/**
 * The contract between a per-context model (HTTP endpoint, process cell) and
 * the detector that wraps it with tolerization, thresholds and persistence.
 */
import type { ScoreReason } from './observation.js'

/** Hard-mode priors: the limits an observation violates (empty when none). The detector never learns a violation. */
export type PriorCheck<O> = (obs: O, context: string) => ScoreReason[]

export interface ModelScore {
  /** Higher is more anomalous. Any monotone scale: thresholds are calibrated per context. */
  value: number
  /**
   * The combination over evidence terms alone, for models that tell
   * evidence from novelty (HTTP). The detector needs both it and `value`
   * above the dangerous threshold for danger two; absent: value is evidence.
   */
  evidence?: number
  /** The strongest terms, most surprising first. */
  reasons: ScoreReason[]
  /** A value checker (the innate layer) found syntax breaking out in it (its evidence is grammar, not rarity). */
  checked?: boolean
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
