/**
 * How the brain combines its signals into one danger level. Pure; both
 * bodies (daemon, simulator) get it.
 *
 * Signatures (KIS's two types, docs/reputation.md "Signature types"):
 *   - type 2 (made here, or promoted on this member's own evidence) is
 *     danger 2 on its own (local evidence: DESIGN.md invariant 1);
 *   - type 1 (every peer's signature until promoted) is danger 2 only when
 *     the profile also scores the request ≥ 1 (two signals); at a member
 *     still learning (no profile verdict) only when the body says it may
 *     act alone (`alone`: vetting floor and the learning self-check); else
 *     it argues for level 0 and the profile's level stands. So a poisoned
 *     signature that matches normal traffic blocks nothing a guarding
 *     member's profile finds normal.
 * Otherwise the profile's level stands.
 */
import type { DangerLevel } from '../observation.js'
import type { Danger, MatchedSignature, Signal } from './danger.js'

/** A matched signature's type: as given, else 2 for a local one and 1 for a peer's. */
export function signatureType (sig: MatchedSignature): 1 | 2 {
  return sig.type ?? (sig.origin === 'local' ? 2 : 1)
}

export interface Assessment {
  /** The combined level (0: nothing to do). */
  level: DangerLevel
  /** Every signal considered, strongest first. */
  signals: Signal[]
}

export function assessDanger (d: Danger): Assessment {
  const signals: Signal[] = []
  if (d.signature != null) {
    const sig = d.signature
    const type = signatureType(sig)
    const level: DangerLevel = type === 2 || (d.profile != null ? d.profile.level >= 1 : sig.alone === true) ? 2 : 0
    signals.push({
      kind: 'signature',
      level,
      signature: { id: sig.indicator.id, origin: sig.origin, type, ...(sig.from != null ? { from: sig.from } : {}), ...(type === 1 && d.profile == null && sig.alone === true ? { alone: true } : {}) }
    })
  }
  if (d.profile != null) {
    const p = d.profile
    signals.push({ kind: 'profile', level: p.level, score: p.score })
  }
  let level: DangerLevel = 0
  for (const s of signals) if (s.level > level) level = s.level
  // strongest first: the signal that decided leads (the decision's refs name it)
  signals.sort((a, b) => b.level - a.level)
  return { level, signals }
}

/** One line per signal, for logs and the audit trail. */
export function describeSignal (s: Signal): string {
  if (s.kind === 'signature' && s.signature != null) {
    const sig = s.signature
    return `matches adopted signature ${sig.id} (type ${sig.type}, ${sig.from ?? sig.origin}${sig.alone === true ? ', alone at a learning member' : ''})${s.level === 0 ? ': not enough alone' : ''}`
  }
  return `${s.kind} level ${s.level}${s.score != null ? `, score ${Number.isFinite(s.score) ? s.score.toFixed(3) : String(s.score)}` : ''}`
}
