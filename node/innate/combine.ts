/**
 * How the innate layer combines with the learned profile: one small pure
 * function over a narrow view of the profile. Policy is data
 * (InnatePolicy, defaults in config `innate`):
 *
 *   C0 learned  a finding in a value the profile has learned as normal at
 *               that parameter is dropped: learning wins where an
 *               application legitimately takes SQL or HTML in a field;
 *   C1 learning the observation's endpoint is still learning (a learning
 *               member, or a new endpoint of a guarding one): a finding of
 *               at least `learningBlock` strength is danger 2 (the request
 *               is blocked and, as with a hard prior, not learned);
 *               a weaker one is danger 1;
 *   C2 guarding at a guarding endpoint, a finding of at least
 *               `guardingLift` strength plus a profile danger ≥ 1 is
 *               danger 2; a finding alone does not change the profile's
 *               danger (the profile judged the values normal: C0);
 *   C3 unknown  at an endpoint that is unknown or young while others guard
 *               (the detector caps it at level 1, D4), a finding of at least
 *               `unknownEndpointLift` strength lifts level 1 to level 2.
 *
 * A strength setting is 'strong', 'weak' (any finding) or 'off'.
 */
import type { DangerLevel, Phase } from '../observation.js'
import type { InnateFinding, InnateStrength } from './types.js'

export type InnateStrengthSetting = InnateStrength | 'off'

export interface InnatePolicy {
  /** C1: at a learning endpoint, findings at least this strong block (danger 2). */
  learningBlock: InnateStrengthSetting
  /** C2: at a guarding endpoint, findings at least this strong lift a profile danger ≥ 1 to 2. */
  guardingLift: InnateStrengthSetting
  /** C3: at an unknown or young endpoint while others guard, findings at least this strong lift danger 1 to 2. */
  unknownEndpointLift: InnateStrengthSetting
}

/**
 * Defaults: block on strong findings while learning (a strong finding is a
 * script tag, a tautology, a stacked statement…: its false-positive rate on
 * CSIC's normal traffic is 0 of 72,000 requests, bench/detect-innate.ts);
 * any finding lifts where the profile also objects, or where the endpoint
 * is new (there the profile's level 1 only says "new").
 */
export const defaultInnatePolicy: Readonly<InnatePolicy> = Object.freeze({
  learningBlock: 'strong',
  guardingLift: 'weak',
  unknownEndpointLift: 'weak'
})

export const INNATE_STRENGTH_SETTINGS: readonly InnateStrengthSetting[] = Object.freeze(['strong', 'weak', 'off'])

/** What the combination needs to know about the profile, and nothing more. */
export interface ProfileView {
  /** Phase of the observation's endpoint. */
  phase: Phase
  /** Whether the endpoint is unknown or young while other endpoints guard (the detector's D4). */
  unknownEndpoint: boolean
  /** The profile's danger for the observation. */
  profileDanger: DangerLevel
  /** Whether the profile has learned this value as normal at this parameter. */
  learnedNormal: (finding: InnateFinding) => boolean
}

export type InnateRule = 'none' | 'C0-learned' | 'C1-learning' | 'C2-guarding' | 'C3-unknown-endpoint'

export interface InnateCombination {
  danger: DangerLevel
  /** The rule that decided (none: the innate layer changed nothing). */
  rule: InnateRule
  /** The finding the rule used (the strongest one not learned as normal). */
  finding?: InnateFinding
  /** Findings dropped because their values are learned as normal (C0). */
  learned: number
  /**
   * The danger the innate layer raised rests on a `probe` finding alone (a
   * scanner's footprint: a backup file, metadata, a write on a script):
   * good evidence to block the request, not to ban its source on it alone
   * (a broken link can make a normal browser ask for `style.css~`).
   */
  requestOnly?: true
}

function atLeast (s: InnateStrength, setting: InnateStrengthSetting): boolean {
  return setting === 'weak' || (setting === 'strong' && s === 'strong')
}

/** Pure: the danger level after the innate layer (see the module comment). */
export function combineInnate (findings: readonly InnateFinding[], profile: ProfileView, policy: Readonly<InnatePolicy>): InnateCombination {
  const base = profile.profileDanger
  if (findings.length === 0) return { danger: base, rule: 'none', learned: 0 }
  let best: InnateFinding | undefined
  let learned = 0
  for (const f of findings) {
    if (profile.phase === 'guarding' && profile.learnedNormal(f)) { learned++; continue }
    // the strongest finding; at equal strength an injection before a probe (the probe then only matters alone)
    if (best == null || (f.strength === 'strong' && best.strength === 'weak') || (f.strength === best.strength && best.grammar === 'probe' && f.grammar !== 'probe')) best = f
  }
  if (best == null) return { danger: base, rule: learned > 0 ? 'C0-learned' : 'none', learned }
  const lifted = (rule: InnateRule, danger: DangerLevel): InnateCombination => {
    const c: InnateCombination = { danger, rule, finding: best, learned }
    if (danger > base && best!.grammar === 'probe') c.requestOnly = true
    return c
  }
  if (profile.phase === 'learning') {
    if (atLeast(best.strength, policy.learningBlock)) return lifted('C1-learning', 2)
    if (profile.unknownEndpoint && base >= 1 && atLeast(best.strength, policy.unknownEndpointLift)) return lifted('C3-unknown-endpoint', 2)
    if (policy.learningBlock !== 'off' && base < 1) return lifted('C1-learning', 1)
    return { danger: base, rule: 'none', finding: best, learned }
  }
  if (base >= 1 && atLeast(best.strength, policy.guardingLift)) return lifted('C2-guarding', 2)
  return { danger: base, rule: 'none', finding: best, learned }
}
