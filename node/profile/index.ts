/**
 * Profiles: per-context models of normal behaviour. HTTP endpoints (http/),
 * generic statistics (stats/), the profile set and its persistence. The
 * process-cell models and the isolation forest (process-*.ts,
 * isolation-forest*.ts) are exported from their own modules.
 */
export { ProfileSet, createProfileSet, createProfileSetParams, defaultProfileSetParams, validateProfileSetParams } from './profile-set.js'
export type { ProfileSetInit, ProfileSetParams, ProfileSetJSON, EndpointRarity } from './profile-set.js'
export { createProfileStore, PROFILES_SUBLEVEL } from './profile-store.js'
export type { ProfileStore, ProfileRecord, LoadedProfiles } from './profile-store.js'
export * from './http/index.js'
export * from './stats/index.js'
export { createProcessModel, processContextOf, restoreProcessModel, ProcessModel } from './process-model.js'
export type { ProcessModelJSON, ProcessScoreBreakdown, ProcessTerm } from './process-model.js'
