/**
 * sim/attacks/: attack models behind one interface. To add a kind: write
 * `my-kind.ts` exporting an AttackKind, and add it to ATTACK_KINDS below
 * (the scenario schema accepts every registered name).
 */
import type { AttackKind } from './attack-model.js'
import { targetedAttack } from './targeted.js'
import { wormAttack } from './worm.js'

export const ATTACK_KINDS: Readonly<Record<string, AttackKind>> = Object.freeze({
  [wormAttack.name]: wormAttack,
  [targetedAttack.name]: targetedAttack
})

export function attackKind (name: string): AttackKind | undefined {
  return Object.prototype.hasOwnProperty.call(ATTACK_KINDS, name) ? ATTACK_KINDS[name] : undefined
}

export { NO_SOURCE, outsideAttacker } from './attack-model.js'
export type { AttackContext, AttackKind, AttackModel, AttackSpec } from './attack-model.js'
