/**
 * What the daemon needs from detection: per cell, score an observation (and
 * learn it when it is judged normal), report phases, and take peer-raised
 * sensitivity. Implemented over node/detector + node/profile in detection.ts.
 */
import type { DangerLevel, HttpObservation, HttpStatusReport, Phase, ProcessObservation, Score } from '../observation.js'
import type { InnateFinding } from '../innate/index.js'
import type { LearningProgress, StormFinding } from '../detector/index.js'

export interface CellRef {
  /** Cell name as policy and status know it (`ingest` for the ingest API's default software). */
  name: string
  community: string
}

export interface DetectionResult {
  danger: DangerLevel
  score: Score
  learned: boolean
  /** Innate findings of the observation (node/innate), strongest first, when there were any. */
  innate?: InnateFinding[]
  /** The danger rests on an innate probe finding alone (a scanner's footprint): block the request, do not ban the source on it alone. */
  requestOnly?: true
  /** At level 2 when the context guards: the score over the context's level-2 threshold. */
  scoreMargin?: number
  /** The response status of this observation completed an error storm of its source (access logs). */
  storm?: StormFinding
  /** Its source is in an error storm (its suspicious requests then count as dangerous). */
  storming?: StormFinding
}

export interface ContextStatus {
  cell: string
  context: string
  phase: Phase
  count: number
  /** When the context was first seen (epoch ms; the learning age in /metrics and the dashboard read it). */
  firstSeenMs: number
  /** While learning: what it has and needs (status prints "251/200 observations, guarding in 7 m 12 s"). */
  progress?: LearningProgress
}

export interface Detection {
  start: () => Promise<void>
  stop: () => Promise<void>
  observeHttp: (cell: CellRef, obs: HttpObservation) => DetectionResult
  observeProcess: (cell: CellRef, obs: ProcessObservation) => DetectionResult
  /** A response status reported after the fact (the agent): a storm finding when it completes one. */
  observeStatus: (cell: CellRef, report: HttpStatusReport) => StormFinding | null
  /** Score without learning or creating anything; null while the context is still learning. */
  assessHttp: (cell: CellRef, obs: HttpObservation) => DetectionResult | null
  /**
   * The innate layer's verdict combined with the profile's assessment, in any
   * phase, without learning or creating anything (what a learning context
   * has as its danger signal one: node/innate). Danger 0 when the innate layer
   * is off for the cell or finds nothing.
   */
  assessHttpInnate: (cell: CellRef, obs: HttpObservation) => DetectionResult
  /** The phase the observation's context is in (without scoring it). */
  phaseOfHttp: (cell: CellRef, obs: HttpObservation) => Phase
  raiseSensitivity: (community: string, context: string, factor: number, untilMs: number) => void
  /** Writes the learning journal of everything observed so far (before an answer is acknowledged). */
  commit: () => Promise<void>
  contexts: () => ContextStatus[]
}
