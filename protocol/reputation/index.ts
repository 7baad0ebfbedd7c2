/**
 * Local reputation: a Beta reputation with forgetting per peer (R1..R5),
 * a bounded table with explanations and snapshots, the gossipsub P5 mapping,
 * and selfish-member detection (docs/reputation.md).
 */
export {
  REPUTATION_TERMS, TERM_SIGN, TERM_DESCRIPTION,
  defaultReputationParams, createReputationParams, validateReputationParams
} from './reputation-params.js'
export type { ReputationTerm, ReputationTermParams, ReputationParams, ReputationParamsInit } from './reputation-params.js'
export {
  computeReputation, decayFactor, decayedCounts, decayInPlace, emptyEvidence, termContributions, nextBlacklisted,
  newcomerReputation, toApplicationScore, influence
} from './compute-reputation.js'
export type { PeerEvidence, Reputation, ReputationBreakdown } from './compute-reputation.js'
export { ReputationTable } from './reputation-table.js'
export type { EvidenceEvent, PeerExplanation, ReputationTableSnapshot } from './reputation-table.js'
export {
  SelfishTracker, defaultSelfishParams, createSelfishParams, validateSelfishParams, binomialCdf, selfishPValue, baseRate
} from './selfish.js'
export type { SelfishParams, SelfishStatus, ClosedEpisode, SelfishSnapshot } from './selfish.js'
