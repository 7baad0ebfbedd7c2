/**
 * Policy is data (CONVENTIONS.md #12): for each cell and danger level, an
 * ordered list of actions with their parameters, plus escalation, an
 * allowlist and dry-run. This file holds only the shapes; `policy.ts` decides.
 */

/**
 * The type name of a registered action kind (node/respond/action-kinds.ts:
 * block-source, quarantine, terminate-and-renew, raise-threat, log, or one a
 * plug-in registers). Which act on the workload itself (never on remote
 * evidence alone, DESIGN.md invariant 1) is each kind's `localOnly`.
 */
export type ActionType = string

/** A command run when a cell is quarantined and again when it is released. */
export interface HookConfig {
  command: string
  args: string[]
  /** The hook is killed (SIGKILL) when it runs longer than this. */
  timeoutSec: number
}

export interface BlockSourceAction { type: 'block-source', durationSec: number }
export interface QuarantineAction { type: 'quarantine', durationSec: number, hook: HookConfig | null }
export interface TerminateAndRenewAction { type: 'terminate-and-renew', graceSec: number }
export interface RaiseThreatAction { type: 'raise-threat', durationSec: number }
export interface LogAction { type: 'log' }

export type ActionSpec = BlockSourceAction | QuarantineAction | TerminateAndRenewAction | RaiseThreatAction | LogAction

export interface PolicyRule {
  /** A cell name, `type:<cell type>` (e.g. `type:supervised`), or `*`. The most specific match wins: name, then type, then `*`. */
  cell: string
  level: 1 | 2
  actions: ActionSpec[]
  /** `true`/`false` overrides the global `policy.dryRun` for this rule; `null` inherits it. */
  dryRun: boolean | null
}

/**
 * How repeat offenders (the same source address, or the same cell when there
 * is no source) are treated: fail2ban's `bantime.increment`, counted by the
 * time the offences happened (event time), one burst as one offence.
 */
export interface EscalationConfig {
  /** Earlier penalties (source blocks, quarantines) of the same offender within this window lengthen the next one. */
  windowSec: number
  /** block-source and quarantine durations are multiplied by this for every earlier penalty in the window... */
  durationMultiplier: number
  /** ...and never exceed this (the multiplier stops growing once it reaches it). */
  maxDurationSec: number
  /** Penalties whose event times fall within this of the first one of their burst are one offence. */
  burstSec: number
  /** At most this many offenders are tracked (least recent forgotten first). */
  maxTracked: number
}

/** The scanner rule (node/respond/scanner.ts, N1-N3). */
export interface ScannerConfig {
  enabled: boolean
  /** A source's requests and anomalies are counted over this window. */
  windowSec: number
  /** At least this many anomalies in the window... */
  minAnomalies: number
  /** ...and a binomial tail below this at the learned anomaly rate. */
  alpha: number
  /** The anomaly rate before any traffic is seen (level 1 is calibrated to ~1% of normal requests)... */
  priorRate: number
  /** ...with the weight of this many requests. */
  priorRequests: number
  /** The learned rate never exceeds this (a scanner on a quiet site cannot raise it and hide). */
  maxRate: number
  /** The learned rate forgets with this half-life. */
  halfLifeSec: number
}

/**
 * When a source may be blocked (block-source actions): a danger-2 verdict
 * alone blocks the request only; blocking the source needs strong evidence
 * (fail2ban's maxretry/findtime, CrowdSec's scenarios).
 */
export interface SourceBanConfig {
  /** This many level-2 offences of one source within findTimeSec (this one included) block it (0 = never on repetition). */
  maxRetry: number
  findTimeSec: number
  /** An adopted signature hit blocks its source at once. */
  onSignature: boolean
  /** Peers' reputation-weighted quorum (remote evidence) blocks the source. */
  onQuorum: boolean
  /** A level-2 score at least this many times the context's level-2 threshold blocks at once (0 = off). */
  scoreMargin: number
  scanner: ScannerConfig
}

/** The scanner rule's state: per source, [bucket start, normal requests, anomalies] × buckets; the learned rate's decayed counts. */
export interface ScannerState {
  sources: Map<string, number[]>
  requests: number
  anomalies: number
  atMs: number
}

export interface ScannerJSON { requests: number, anomalies: number, atMs: number }

export type NftablesMode = 'off' | 'on' | 'auto'

export interface PolicyConfig {
  /** Record what would have happened without doing it (every rule, unless the rule says otherwise). */
  dryRun: boolean
  /** IPv4/IPv6 addresses and CIDR blocks that are never blocked. */
  allowlist: string[]
  escalation: EscalationConfig
  sourceBan: SourceBanConfig
  rules: PolicyRule[]
  /**
   * The host firewall: `off` (default: the node's deny list only), `on` (blocked
   * sources also go to an nftables set; start fails when that is impossible),
   * `auto` (on when nft and CAP_NET_ADMIN are there, else off, logged).
   */
  nftables: NftablesMode
  /** The node's own nftables table (inet family); null: `immune_<hash of the data dir>`. */
  nftablesTable: string | null
}

export const CELL_TYPES = ['supervised', 'pid', 'process-name', 'http', 'host'] as const
export type CellType = typeof CELL_TYPES[number]

/** Cell types backed by a process the node can freeze or terminate. */
export const PROCESS_CELL_TYPES: readonly CellType[] = ['supervised', 'pid', 'process-name']

/** What the detector (or the alert intake) reports; the input of `decide()`. */
export interface DangerEvent {
  cell: string
  level: 1 | 2
  /** The client address that sent the offending input, when known. */
  source?: string
  context: string
  /** The detector's explanation (kept verbatim in every decision and audit record). */
  explanation: string
  /** `remote`: derived from peers' alerts only (never quarantines or terminates). */
  origin: 'local' | 'remote'
  /** Optional references for the audit trail (alert ids, peer ids, signature ids, score). */
  refs?: Record<string, string | number>
  /** When the offence happened (the observation's time); default: when decided. Escalation and windows count by it. */
  atMs?: number
  /** Decided by an adopted signature that matched (strong evidence: may block the source at once). */
  signatureHit?: true
  /** The score over the context's level-2 threshold (a very high score may block the source at once). */
  scoreMargin?: number
  /**
   * The danger rests on evidence that blocks the request only (an innate
   * probe finding: a scanner's footprint, or a broken link): it never counts
   * toward blocking the source, except as an anomaly for the scanner rule.
   */
  requestOnly?: true
}

export type DecisionTarget =
  | { kind: 'source', address: string }
  | { kind: 'cell', cell: string }

export type BanBasis = 'repeat' | 'signature' | 'quorum' | 'score' | 'scanner'

/** Whether the evidence is strong enough to block the source, and on what (policy.sourceBan). */
export interface BanAssessment {
  ban: boolean
  basis: BanBasis | null
  /** One line: what counted. */
  detail: string
  /** Level-2 offences of the source within findTimeSec that count toward maxRetry (this one included). */
  offences: number
  /** The scanner rule (local events with a source). */
  scanner?: { requests: number, anomalies: number, rate: number, p: number }
}

export interface EscalationStep {
  /** Earlier penalties (bursts) of the same offender within the window (0 = first); local events count local ones only. */
  step: number
  /** Factor applied to the base durations (1 on a first offence), bounded: it stops growing once the longest base reaches maxDurationSec. */
  multiplier: number
  /** The event's level was raised from 1 to 2 by the scanner rule. */
  levelBumped: boolean
  offenderKey: string
  /** When the offence happened (the event time that windows count by). */
  atMs: number
}

export interface Decision {
  id: string
  action: ActionType
  target: DecisionTarget
  cell: string
  /** The danger level whose rule was applied (after any escalation bump). */
  level: 1 | 2
  origin: 'local' | 'remote'
  context: string
  /** One line: which rule, which action, why. */
  reason: string
  /** The detector's explanation, verbatim. */
  explanation: string
  /** e.g. `web/2`, `type:supervised/2`, `* /1`: the rule that matched. */
  rule: string
  /** Action parameters after escalation (durationSec, graceSec, hook...). */
  params: Record<string, unknown>
  createdAtMs: number
  /** When the action is undone; null for instantaneous actions (log, terminate-and-renew). */
  expiresAtMs: number | null
  dryRun: boolean
  escalation: EscalationStep
  refs?: Record<string, string | number>
}

/** An action the rule asked for but that was not turned into a decision, and why. */
export interface SkippedAction {
  action: ActionType
  rule: string
  reason: 'remote-invariant' | 'no-source' | 'invalid-source' | 'allowlisted' | 'cell-has-no-process' | 'no-rule' | 'request-only' | 'insufficient-evidence' | 'already-blocked'
  detail: string
}

export interface DecideBreakdown {
  decisions: Decision[]
  skipped: SkippedAction[]
  rule: string | null
  effectiveLevel: 1 | 2
  escalation: EscalationStep
  /** Whether the source may be blocked (null: the event has no valid source). */
  ban: BanAssessment | null
}

export interface OffenceRecord {
  /** Event time. */
  atMs: number
  origin: 'local' | 'remote'
  level: 1 | 2
  /** Blocked the request only (never counts toward maxRetry). */
  requestOnly?: true
  /** The event led to a penalty that escalates (a source block, a quarantine). */
  penalty?: true
}

/** What escalation remembers (in memory; policyStateToJSON/FromJSON persist it). */
export interface PolicyState {
  /** offender key (`src:<address>` or `cell:<name>`) → offences in the window, oldest first; key order is recency order. */
  offences: Map<string, OffenceRecord[]>
  /** Source address → until when its one live block holds (one source, one live block at a time). */
  blocks: Map<string, number>
  /** The scanner rule's windows and learned rate. */
  scanner: ScannerState
  /** Increases with every recorded event; part of decision ids. */
  seq: number
}

/** PolicyState as stored (plain JSON; the scanner's windows start empty after a restart). */
export interface PolicyStateJSON {
  offences: Record<string, OffenceRecord[]>
  blocks?: Record<string, number>
  scanner?: ScannerJSON
  seq: number
}
