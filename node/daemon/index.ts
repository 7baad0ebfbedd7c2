/**
 * node/daemon/: the real body of the node (system clock, level store, libp2p
 * mesh, sensors, HTTP API) around node/brain.
 */
export { createDaemon, INGEST_CELL } from './daemon.js'
export type { Daemon, DaemonInit } from './daemon.js'
export { createLogger } from './logger.js'
export type { Logger } from './logger.js'
export { createResponseSystem } from './response-system.js'
export type { ResponseSystem, ResponseSystemComponents, ResponseSystemInit } from './response-system.js'
export type { StatusView, DecisionsView, PeerView, CellView } from './status.js'
export type { ContextStatus } from './detection-types.js'
export { innateValueChecker } from './detection.js'
export { BUILTIN_DETECTOR_KINDS, createDetectorKindRegistry, httpDetectorKind, processDetectorKind } from './detector-kinds.js'
export type { DetectorKind, DetectorKindContext, DetectorKindRegistry } from './detector-kinds.js'
