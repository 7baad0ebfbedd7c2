/**
 * core/: the bottom layer. It imports nothing of the project; every other
 * folder may import it (through this file). It holds what every layer needs
 * and nothing that knows about alerts, detection or responses:
 * the Clock (the only reader of real time), the seeded PRNG, bounded
 * collections, /proc access, the log sink, the config/params checker, the
 * base error class and the supported Node.js range.
 */
export { createSystemClock, createManualClock } from './clock.js'
export type { Clock, TimerHandle, ManualClock } from './clock.js'
export { createPrng, restorePrng, deriveSeed, hashString, seedToUint32 } from './prng.js'
export type { Prng, PrngState } from './prng.js'
export { evictOldest, boundedSet, boundedAdd, makeRoomForOrigin } from './bounded.js'
export { readProcStat, processState, isAlive, listPids, listProcStats, environHas, cgroup2Mount, descendantsOf, findPidsByName, signal, procRef, signalRef } from './proc.js'
export type { ProcStat, ProcRef } from './proc.js'
export { normalizeAddress } from './address.js'
export { silentLog } from './log-sink.js'
export type { LogSink } from './log-sink.js'
export { Checker, isPlainObject, joinPath } from './checker.js'
export type { Raw, NumberRule } from './checker.js'
export { ImmuneError, InvalidParamsError } from './errors.js'
export type { ConfigIssue } from './errors.js'
export { MIN_NODE_MAJOR, unsupportedRuntime, exitIfUnsupportedRuntime } from './supported-runtime.js'
