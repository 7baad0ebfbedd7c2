/**
 * The `Sensor` plug-in contract (DESIGN.md, "Interfaces to keep small"): a
 * sensor starts, emits Observations through an injected `emit`, and stops,
 * releasing every handle. Sensors are created by name from a registry
 * (see registry.ts), like CrowdSec's acquisition modules.
 */
import type { Clock } from '../../core/index.js'
import type { Observation } from '../observation.js'

/** One structured log call; a pino logger satisfies it. */
export type LogFn = (obj: Record<string, unknown>, msg?: string) => void

/** The logging a sensor needs (a pino `Logger` fits). */
export interface SensorLogger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
}

/**
 * Where a sensor keeps the small state that lets a restart resume without loss
 * or duplication (e.g. a log tailer's inode and offset). The daemon backs it
 * with the store; tests with a variable.
 */
export interface SensorCheckpoint<S = unknown> {
  load: () => Promise<S | undefined> | S | undefined
  save: (state: S) => Promise<void> | void
}

export interface SensorComponents {
  clock: Clock
  /** Called synchronously for every observation the sensor makes. */
  emit: (obs: Observation) => void
  logger?: SensorLogger
  /** Optional resume state (used by the access-log sensor). */
  checkpoint?: SensorCheckpoint<any>
}

export interface Sensor {
  /** Instance name (for logs and status), e.g. "access-log:/var/log/nginx/access.log". */
  readonly name: string
  /** Idempotent. */
  start: () => Promise<void>
  /** Idempotent; releases every timer, watcher and file handle. */
  stop: () => Promise<void>
}

/** Creates one sensor from its components and its (config) init object; validates the init and throws InvalidParamsError. */
export type SensorFactory<I = any, S extends Sensor = Sensor> = (components: SensorComponents, init: I) => S

/** A logger that drops everything. */
export const silentLogger: SensorLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {}
}
