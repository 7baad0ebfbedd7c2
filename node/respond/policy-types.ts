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

/** How repeat offenders (the same source address, or the same cell when there is no source) are treated. */
export interface EscalationConfig {
  /** Offences older than this no longer count. */
  windowSec: number
  /** block-source and quarantine durations are multiplied by this for every earlier offence in the window. */
  durationMultiplier: number
  /** Escalated durations never exceed this. */
  maxDurationSec: number
  /** A level-1 event is treated as level 2 after this many earlier LOCAL offences within `bumpWindowSec` (0 = never). */
  bumpLevelAfter: number
  bumpWindowSec: number
  /** At most this many offenders are tracked (oldest forgotten first). */
  maxTracked: number
}

export type NftablesMode = 'auto' | 'off'

export interface PolicyConfig {
  /** Record what would have happened without doing it (every rule, unless the rule says otherwise). */
  dryRun: boolean
  /** IPv4/IPv6 addresses and CIDR blocks that are never blocked. */
  allowlist: string[]
  escalation: EscalationConfig
  rules: PolicyRule[]
  /** `auto`: also put blocked sources in an nftables set when running as root and `nft` exists. */
  nftables: NftablesMode
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
}

export type DecisionTarget =
  | { kind: 'source', address: string }
  | { kind: 'cell', cell: string }

export interface EscalationStep {
  /** Earlier level-2 offences by the same offender within the window (0 = first offence); local events count local offences only. */
  step: number
  /** Earlier local offences (any level) within the bump window. */
  recentLocalOffences: number
  /** Factor applied to the base duration (1 on a first offence). */
  multiplier: number
  /** The event's level was raised from 1 to 2 because of repeat local offences. */
  levelBumped: boolean
  offenderKey: string
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
  reason: 'remote-invariant' | 'no-source' | 'invalid-source' | 'allowlisted' | 'cell-has-no-process' | 'no-rule'
  detail: string
}

export interface DecideBreakdown {
  decisions: Decision[]
  skipped: SkippedAction[]
  rule: string | null
  effectiveLevel: 1 | 2
  escalation: EscalationStep
}

export interface OffenceRecord {
  atMs: number
  origin: 'local' | 'remote'
  level: 1 | 2
}

/** What escalation remembers (in memory; policyStateToJSON/FromJSON persist it). */
export interface PolicyState {
  /** offender key (`src:<address>` or `cell:<name>`) → offences in the window, oldest first; key order is recency order. */
  offences: Map<string, OffenceRecord[]>
  /** Increases with every recorded event; part of decision ids. */
  seq: number
}

/** PolicyState as stored (plain JSON). */
export interface PolicyStateJSON {
  offences: Record<string, OffenceRecord[]>
  seq: number
}
