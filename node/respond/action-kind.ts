/**
 * An action kind: what one responder contributes to the policy, in the
 * responder's own module: its parameters' schema (read with defaults, every
 * problem reported with its field) and the pure plan of the decision it makes
 * for an event (target, parameters, expiry), or why it is skipped. policy.ts
 * runs the plans; the responder (apply/undo) carries them out.
 */
import type { Checker, Raw } from '../../core/index.js'
import type { Clock, LogSink } from '../../core/index.js'
import type { CellProcessResolver } from './cell-resolver.js'
import type { DenyList } from './deny-list.js'
import type { Firewall } from './nftables.js'
import type { Policy } from './policy.js'
import type { BanAssessment, DangerEvent, DecisionTarget, EscalationStep, SkippedAction } from './policy-types.js'
import type { Responder } from './responder.js'
import type { ThreatLevel } from './threat-level.js'

/**
 * What a body (the daemon's response system) hands every action kind's
 * responder factory: one shape for all, so the body builds its responders by
 * walking the registry instead of naming each one.
 */
export interface ResponderContext {
  clock: Clock
  logger: LogSink
  denyList: DenyList
  threat: ThreatLevel
  cells: CellProcessResolver
  /** The host firewall when enabled (read at apply time: it is set up after the responders are built). */
  firewall: () => Firewall | null
  /** Per-action options by action type (e.g. `{ 'terminate-and-renew': { cooldownMs } }`). */
  options: Readonly<Record<string, Record<string, unknown> | undefined>>
}

export interface ActionContext {
  event: DangerEvent
  policy: Policy
  escalation: EscalationStep
  /** The event's source in canonical form (null when absent or not an address). */
  source: string | null
  nowMs: number
  effectiveLevel: 1 | 2
  /** Whether the evidence allows blocking the source (null: no valid source). */
  ban: BanAssessment | null
  /** Until when the source's one live block holds (null: none). */
  liveBlockUntilMs: number | null
  /** A base duration after escalation (×multiplier per earlier offence, capped). */
  escalated: (baseSec: number) => number
}

export interface ActionPlan {
  target: DecisionTarget
  params: Record<string, unknown>
  expiresAtMs: number | null
  /** What the decision does, for its `reason` line. */
  what: string
}

export interface ActionSkip { skip: SkippedAction['reason'], detail: string }

export interface ActionKind<S extends { type: string } = { type: string }> {
  readonly type: string
  /** Acts on the local workload itself: never on remote evidence alone (DESIGN.md invariant 1), only for cells with a process. */
  readonly localOnly: boolean
  /** Its keys in a policy rule's action object (besides `type`). */
  readonly keys: readonly string[]
  /** Reads the action's parameters (the policy's `rules[].actions[]` entry). */
  read: (c: Checker, field: string, raw: Raw) => S
  /** Pure: the decision for this event. */
  plan: (spec: S, ctx: ActionContext) => ActionPlan | ActionSkip
  /** Builds the responder that carries the decisions out (apply/undo) in a body with side effects. */
  createResponder: (ctx: ResponderContext) => Responder
}

export const MAX_DURATION_SEC = 365 * 86400

/** A `durationSec` key: an integer number of seconds in [1, one year]. */
export function readDurationSec (c: Checker, field: string, raw: Raw, def: number): number {
  return c.number(`${field}.durationSec`, raw.durationSec, def, { integer: true, min: 1, max: MAX_DURATION_SEC })
}
