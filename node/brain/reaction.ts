/**
 * From an assessed danger to what the node does about it. Pure functions:
 * the policy event, the verdict on the request, the corroboration of peers
 * that warned, and what to tell the community. brain.ts strings them
 * together with the policy decision (the one stateful step).
 */
import type { CorroborationEvent, LocalDanger } from '../intake/index.js'
import type { DangerLevel } from '../observation.js'
import { findRule } from '../respond/index.js'
import type { DangerEvent, DecideBreakdown, Policy } from '../respond/index.js'
import type { Danger, Signal } from './danger.js'

/** What to tell the community about a local danger; the body's publisher applies its rate limits. */
export interface Publication {
  /** The publisher's input (a signature hit carries the signature; a profile danger none yet). */
  danger: LocalDanger
  /** Try clonal selection first: publish its signatures, or `danger` itself when it makes none. */
  clonal: boolean
}

export interface Reaction {
  /** The combined level of the signals (before the policy's escalation bump; the breakdown has that). */
  level: DangerLevel
  /** What happens to the request that carried the danger. */
  verdict: 'allow' | 'block'
  /** The matching rule (or the policy) is dry-run: decisions are recorded, nothing is enforced. */
  dryRun: boolean
  signals: Signal[]
  /** What went to the policy (null at level 0). */
  event: DangerEvent | null
  /** The policy's decisions and skipped actions (null at level 0). */
  breakdown: DecideBreakdown | null
  /** Peers to credit (R1) through the intake: our own detector met what they may have warned about. */
  corroboration: CorroborationEvent | null
  publication: Publication | null
}

/** The policy's input for a local danger at `level`. */
export function dangerEvent (d: Danger, level: 1 | 2, signals: readonly Signal[]): DangerEvent {
  const sig = signals.find(s => s.kind === 'signature')?.signature
  // a signature decides without the profile's score: -1, as for a score that is not a finite number
  const score = sig == null && d.profile != null && Number.isFinite(d.profile.score) ? Number(d.profile.score.toFixed(3)) : -1
  return {
    cell: d.cell,
    level,
    context: d.context,
    explanation: d.explanation,
    origin: 'local',
    ...(d.source != null ? { source: d.source } : {}),
    ...(d.atMs != null ? { atMs: d.atMs } : {}),
    ...(sig != null ? { signatureHit: true as const } : {}),
    ...(sig == null && d.requestOnly === true ? { requestOnly: true as const } : {}),
    ...(sig == null && d.scoreMargin != null && Number.isFinite(d.scoreMargin) ? { scoreMargin: d.scoreMargin } : {}),
    refs: { score, signals: signals.map(s => s.kind).join('+'), ...(sig != null ? { signature: sig.id, signatureOrigin: sig.origin } : {}) }
  }
}

/** Whether the rule that applies at `level` is dry-run (the rule's own flag, else the policy's). */
export function isDryRun (policy: Policy, cell: string, level: 1 | 2): boolean {
  return findRule(policy, cell, level)?.dryRun ?? policy.config.dryRun
}

/** Danger 2 blocks the request that carried it, unless dry-run; level 1 never blocks (the scanner rule's bump makes it 2). */
export function verdictOf (level: DangerLevel, dryRun: boolean): 'allow' | 'block' {
  return level === 2 && !dryRun ? 'block' : 'allow'
}

/**
 * Our own detector fired: it corroborates peers that warned about this
 * context, source or signature. Level 1 (calibrated to ~1% of normal
 * traffic, never shared) counts only when a peer named this very source: as
 * evidence about a context it would also confirm an "attack" no peer could
 * have reported, and every member would be counted as silent in it (selfish test).
 */
export function corroborationFor (d: Danger, level: DangerLevel): CorroborationEvent | null {
  if (level === 2) {
    const e: CorroborationEvent = { community: d.community, context: d.context }
    if (d.parameter != null && d.parameter !== '') e.parameter = d.parameter
    if (d.source != null) e.source = d.source
    if (d.signature != null) e.signatureId = d.signature.indicator.id
    return e
  }
  if (level === 1 && d.source != null) return { community: d.community, source: d.source }
  return null
}

/**
 * A signature hit is reported (it tells the peers that warned that their
 * signature works here, lets the community count who meets which attacks,
 * and names the source to their quorum; the score is the profile's business:
 * a hit reports 0). A level-2 HTTP danger asks clonal selection for
 * signatures and falls back to a source or anomaly alert. Nothing else is shared.
 */
export function publicationFor (d: Danger, level: DangerLevel): Publication | null {
  if (level !== 2) return null
  if (d.signature == null && d.observation !== 'http') return null
  const danger: LocalDanger = d.signature != null
    ? { community: d.community, level: 2, context: d.context, parameter: d.signature.indicator.parameter, score: 0, signature: d.signature.indicator }
    : { community: d.community, level: 2, context: d.context, parameter: d.parameter ?? '', score: d.profile?.score ?? 0, ...(d.reasons != null ? { reasons: d.reasons } : {}) }
  if (d.source != null) danger.source = d.source
  return { clonal: d.signature == null, danger }
}
