/**
 * Who reports what it sees: honest members publish; selfish members never
 * (free riders, caught by the binomial test of protocol/reputation); random
 * and coordinated liars never report real attacks; on-off liars report
 * honestly in their honest phase.
 */
import { LIAR_ON_OFF, ROLE_HONEST, ROLE_LIAR } from '../world/index.js'

export function publishes (role: number, liarStrategy: number, lyingNow: boolean): boolean {
  if (role === ROLE_HONEST) return true
  if (role !== ROLE_LIAR || liarStrategy !== LIAR_ON_OFF) return false
  return !lyingNow
}
