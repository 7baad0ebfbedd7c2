/**
 * node/brain/: the one reaction module (DESIGN.md invariant 5). Both bodies,
 * the daemon (node/daemon/) and the simulator (sim/host/), call it.
 */
export { Brain, createBrain } from './brain.js'
export type { BrainComponents, RemoteReaction } from './brain.js'
export { createBrainParams, defaultBrainParams, validateBrainParams } from './brain-params.js'
export type { BrainParams } from './brain-params.js'
export type { Danger, PeerWarning, RemoteBlock, Signal, SignatureOrigin } from './danger.js'
export { assessDanger, describeSignal } from './signals.js'
export type { Assessment } from './signals.js'
export { corroborationFor, dangerEvent, isDryRun, publicationFor, verdictOf } from './reaction.js'
export type { Publication, Reaction } from './reaction.js'
