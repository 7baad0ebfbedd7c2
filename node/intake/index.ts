/**
 * Alert intake (reputation-weighted, vetted) and the outbound alert publisher
 * (docs/reputation.md).
 */
export { AlertIntake, createAlertIntake } from './alert-intake.js'
export type {
  VetResult, IntakeLogger, AlertIntakeComponents, CorroborationResult, RefutationResult, IntakePeerExplanation,
  AlertIntakeStats, AlertIntakeSnapshot
} from './alert-intake.js'
export { defaultAlertIntakeParams, createAlertIntakeParams, validateAlertIntakeParams } from './intake-params.js'
export type { AlertIntakeParams, AlertIntakeInit } from './intake-params.js'
export { DecisionLog } from './decision-records.js'
export type {
  AlertDecisionRecord, BlockDecisionRecord, CorroborationRecord, RefutationRecord, IntakeDecisionRecord, CorroborationEvent,
  RefutationEvent, OriginWeight, AlertOutcome, SignatureOutcome, SignatureDecision
} from './decision-records.js'
export { applicationScoreFn } from './application-score.js'
export {
  AlertPublisher, createAlertPublisher, defaultAlertPublisherParams, createAlertPublisherParams, validateAlertPublisherParams
} from './alert-publisher.js'
export type { AlertPublisherParams, AlertPublisherComponents, LocalDanger, PublishDecision, PublishOutcome, PublishReason } from './alert-publisher.js'
export { EXCLUDED_SOURCE_RANGES, createSourceFilter, isReservedAddress, shareableExplanation } from './shareable.js'
export type { ExclusionReason, ShareableReason, SourceFilter, SourceFilterInit } from './shareable.js'
export { KnownClients, createKnownClientsParams, defaultKnownClientsParams } from './known-clients.js'
export type { KnownClientsParams } from './known-clients.js'
