/**
 * How the brain combines its signals into one danger level. Pure.
 *
 * Today: an adopted signature that matched is danger 2 on its own (local
 * evidence: DESIGN.md invariant 1); otherwise the profile's level stands.
 * This is the one place where later rules combine signals (a peer
 * signature of type 1 that blocks only with a local score ≥ 1, an innate
 * injection finding with the profile score): each adds a Signal kind and a
 * line here, and both bodies (daemon, simulator) get it.
 */
import type { DangerLevel } from '../observation.js'
import type { Danger, Signal } from './danger.js'

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
    signals.push({ kind: 'signature', level: 2, signature: { id: sig.indicator.id, origin: sig.origin } })
  }
  if (d.profile != null) {
    const p = d.profile
    signals.push({ kind: 'profile', level: p.level, score: p.score })
  }
  let level: DangerLevel = 0
  for (const s of signals) if (s.level > level) level = s.level
  return { level, signals }
}

/** One line per signal, for logs and the audit trail. */
export function describeSignal (s: Signal): string {
  if (s.kind === 'signature' && s.signature != null) return `matches adopted signature ${s.signature.id} (${s.signature.origin})`
  return `${s.kind} level ${s.level}${s.score != null ? `, score ${Number.isFinite(s.score) ? s.score.toFixed(3) : String(s.score)}` : ''}`
}
