/**
 * What one run (baseline or mesh) reports: end figures (RunMetrics) and a
 * time series (one row per sample). Numbers are rounded once here, so the
 * JSON and CSV are byte-identical for the same scenario and seed.
 */

export interface AttackMetrics {
  name: string
  kind: string
  context: string
  /** When the attack starts (virtual seconds from the run's start); the timeToImmune* figures count from the run's start. */
  startS: number
  /** Share of the vulnerable members infected by this attack at the end. */
  infectedFraction: number
  /** Share of the vulnerable members holding this attack's signature, not infected, at the end (null: no signature). */
  immuneFraction: number | null
  timeToImmune50S: number | null
  timeToImmune90S: number | null
  timeToImmune99S: number | null
  detections: number
  blockedAttempts: number
}

export interface RunMetrics {
  /** Final share of the vulnerable members infected (by any attack). */
  infectedFraction: number
  /** Share infected at t = 600 s (null when the run is shorter). */
  infectedFractionAt600s: number | null
  peakInfectedFraction: number
  /** Share of the vulnerable members ever infected. */
  everInfectedFraction: number
  /** Primary attack (the first with a signature): share of vulnerable members immune at the end. */
  immuneFraction: number | null
  timeToImmune50S: number | null
  timeToImmune90S: number | null
  timeToImmune99S: number | null
  /** Network messages (alerts, IHAVE/IWANT, GRAFT/PRUNE) per member per minute. */
  messagesPerNodePerMin: number
  bytesPerNodePerMin: number
  alertsPublished: number
  alertLatencyP50Ms: number | null
  alertLatencyP90Ms: number | null
  alertLatencyP99Ms: number | null
  /** Alerts from honest members: receipts at members / (live members at publish time − the origin). */
  deliveryRatio: number | null
  /** Blocks of normal traffic: local false positives, remote blocks of normal addresses, adopted poisoned signatures. */
  falseBlocks: number
  /** Honest members that acted against normal traffic because of lies (adopted a poisoned signature, blocked an honest member's address). */
  honestHarmed: number
  blacklistPrecision: number | null
  blacklistRecall: number | null
  selfishPrecision: number | null
  selfishRecall: number | null
  attempts: number
  blockedAttempts: number
  detections: number
  remoteBlocks: number
  /** Poisoned signatures that passed vetting somewhere (harmful or not). */
  poisonedAdopted: number
  renewalsCleaned: number
  events: number
  network: { meanMeshDegree: number, meanConnections: number, duplicates: number, lost: number, gossipRecoveries: number } | null
  attacks: AttackMetrics[]
}

export const SERIES_COLUMNS = [
  't_s', 'infected_fraction', 'immune_fraction', 'live_fraction', 'alerts_published', 'messages', 'bytes',
  'false_blocks', 'honest_harmed', 'rep_honest', 'rep_liars', 'rep_sybils', 'blacklisted_liars_fraction'
] as const

export type SeriesRow = Array<number | null>

/** Round for output: 6 significant decimals are plenty and keep the files stable. */
export function r6 (x: number | null): number | null {
  if (x == null || !Number.isFinite(x)) return null
  return Math.round(x * 1e6) / 1e6
}

export function ratio (num: number, den: number): number | null {
  return den > 0 ? r6(num / den) : null
}
