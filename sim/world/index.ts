/** sim/world/: who is who (population) and what is true (ground truths), below every model of the run. */
export {
  buildPopulation, FLAG_DETECTOR, FLAG_DISTRUST, FLAG_OFFLINE, FLAG_VULNERABLE, LIAR_COORDINATED, LIAR_ON_OFF, LIAR_RANDOM,
  ROLE_HONEST, ROLE_LIAR, ROLE_SELFISH, ROLE_SYBIL
} from './population.js'
export type { Population } from './population.js'
export { GroundTruth, clientCode } from './truth.js'
export type { VetDraw } from './truth.js'
