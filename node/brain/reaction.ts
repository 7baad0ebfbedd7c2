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

/**
 * The policy's input for a local danger at `level`. Its refs name every
 * signal behind it (GET /decisions/<id>): the signature (id, type 1/2, its
 * origin: 'local' or the peer that sent it), the local score (the profile's,
 * -1 when it has none: a member still learning) and its phase.
 */
export function dangerEvent (d: Danger, level: 1 | 2, signals: readonly Signal[]): DangerEvent {
  const sig = signals.find(s => s.kind === 'signature' && s.level === 2)?.signature
  const score = d.profile != null && Number.isFinite(d.profile.score) ? Number(d.profile.score.toFixed(3)) : -1
  const refs: Record<string, string | number> = { score, signals: signals.filter(s => s.level > 0).map(s => s.kind).join('+') }
  if (d.profile != null) { refs.profileLevel = d.profile.level; if (d.profile.phase != null) refs.phase = d.profile.phase } else if (d.observation === 'http') refs.phase = 'learning'
  if (sig != null) {
    refs.signature = sig.id
    refs.signatureType = sig.type
    refs.signatureOrigin = sig.from ?? sig.origin
    if (sig.alone === true) refs.signatureAlone = 'learning member: vetting floor and self-check passed'
  }
  return {
    cell: d.cell,
    level,
    context: d.context,
    explanation: d.explanation,
    origin: 'local',
    ...(d.source != null ? { source: d.source } : {}),
    ...(d.atMs != null ? { atMs: d.atMs } : {}),
    // a type-1 signature acting alone at a learning member is a peer's claim: the request is blocked, the source is not banned
    ...(sig != null && sig.alone !== true ? { signatureHit: true as const } : {}),
    ...((sig == null && d.requestOnly === true) || sig?.alone === true ? { requestOnly: true as const } : {}),
    ...(sig == null && d.scoreMargin != null && Number.isFinite(d.scoreMargin) ? { scoreMargin: d.scoreMargin } : {}),
    refs
  }
}

/** The only level-2 signal is a peer's type-1 signature acting alone at a learning member. */
function ownEvidenceIsOnlyTheClaim (d: Danger, signals: readonly Signal[]): boolean {
  if (d.signature == null) return false
  const strong = signals.filter(s => s.level === 2)
  return strong.length === 1 && strong[0].kind === 'signature' && strong[0].signature?.alone === true
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
export function corroborationFor (d: Danger, level: DangerLevel, signals: readonly Signal[] = []): CorroborationEvent | null {
  if (level === 2) {
    // a type-1 signature acting alone at a learning member is the peer's claim, not our evidence: it credits nobody
    if (ownEvidenceIsOnlyTheClaim(d, signals)) return null
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
export function publicationFor (d: Danger, level: DangerLevel, signals: readonly Signal[] = []): Publication | null {
  if (level !== 2) return null
  // repeating a peer's claim that we could not check ourselves is not ours to publish
  if (ownEvidenceIsOnlyTheClaim(d, signals)) return null
  if (d.signature == null && d.observation !== 'http') return null
  const danger: LocalDanger = d.signature != null
    ? { community: d.community, level: 2, context: d.context, parameter: d.signature.indicator.parameter, score: 0, signature: d.signature.indicator }
    : { community: d.community, level: 2, context: d.context, parameter: d.parameter ?? '', score: d.profile?.score ?? 0, ...(d.reasons != null ? { reasons: d.reasons } : {}) }
  if (d.source != null) danger.source = d.source
  return { clonal: d.signature == null, danger }
}
