/**
 * Per-attack figures as a person reads them: time to immunity counted from
 * the attack's own start (the run measures it from the run's start, which
 * for the fifth of six attacks mostly says when it began).
 */
import type { AttackMetrics } from '../run/index.js'
import { r6 } from '../run/index.js'

export interface ImmunityAfterStart {
  /** Seconds from the attack's start until 50% / 90% / 99% of the vulnerable members held its signature (null: never). */
  after50S: number | null
  after90S: number | null
  after99S: number | null
}

const since = (t: number | null, startS: number): number | null => t == null ? null : r6(Math.max(0, t - startS))

export function immunityAfterStart (a: AttackMetrics): ImmunityAfterStart {
  return { after50S: since(a.timeToImmune50S, a.startS), after90S: since(a.timeToImmune90S, a.startS), after99S: since(a.timeToImmune99S, a.startS) }
}

/** The attack the run's headline immunity figures follow: the first with a signature (as the simulation picks it). */
export function primaryAttack (attacks: AttackMetrics[]): AttackMetrics | undefined {
  return attacks.find(a => a.immuneFraction != null) ?? attacks[0]
}
