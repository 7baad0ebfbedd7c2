/**
 * The one record type that flows from sensors to profiles (DESIGN.md, data flow).
 * Sensors emit these; the profile store scores them; the detector turns scores
 * into danger levels.
 */

/** One HTTP request, as an application or a log saw it. `query` and `body` are raw form-encoded strings. */
export interface HttpObservation {
  kind: 'http'
  /** Milliseconds since the epoch (from the Clock, or parsed from a log line). */
  time: number
  method: string
  /** The path without the query string, percent-encoding kept as received. */
  path: string
  /** Raw query string without the leading '?', form-encoded ('' when none). */
  query: string
  /** Raw form-encoded body ('' when none or not form-encoded). */
  body: string
  /** Selected request headers, lower-case names. */
  headers: Record<string, string>
  /** Client address (IPv4/IPv6 text) when known. */
  source?: string
  /** The protected cell (workload) this request belongs to, when known. */
  cell?: string
  /** HTTP status from an access log, when known. */
  status?: number
}

/**
 * The response to an HTTP request, reported after the fact by a sensor that
 * sees it (the agent): it feeds the status monitor (error storms per
 * source), never the profiles. Access-log observations carry `status`
 * themselves.
 */
export interface HttpStatusReport {
  kind: 'http-status'
  time: number
  method: string
  path: string
  status: number
  source?: string
  cell?: string
}

/** Process metrics sampled from /proc for one cell (a process tree) or the host. */
export interface ProcessMetrics {
  /** CPU use over the last interval, percent of one core. */
  cpuPct: number
  rssBytes: number
  threads: number
  openFiles: number
  sockets: number
  readBytesPerSec: number
  writeBytesPerSec: number
  children: number
}

export interface ProcessObservation {
  kind: 'process'
  time: number
  /** Cell name ('host' for the host itself). */
  cell: string
  pid?: number
  metrics: ProcessMetrics
}

export type Observation = HttpObservation | ProcessObservation

export type Phase = 'learning' | 'guarding'
export type DangerLevel = 0 | 1 | 2

/** One term of an explanation: which context, parameter and feature, observed versus expected. */
export interface ScoreReason {
  context: string
  parameter?: string
  feature: string
  observed: string | number
  expected: string
  /** Surprise of this term (-log10 p-value); higher is more anomalous. */
  surprise: number
  /**
   * True for a novelty term: something normal traffic had not shown yet (a
   * new value, parameter, type, endpoint) rather than evidence of an attack.
   * Novelty alone never reaches danger two and never makes a signature.
   */
  novelty?: boolean
}

export interface Score {
  context: string
  /** Combined anomaly score (higher is more anomalous), comparable to the context's thresholds. */
  value: number
  /** The same combination over the evidence terms alone; absent when the model makes no such split. */
  evidence?: number
  phase: Phase
  /** The strongest terms, most surprising first. */
  reasons: ScoreReason[]
}
