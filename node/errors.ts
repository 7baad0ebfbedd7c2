/**
 * Errors of the node (daemon) layer. Stable `code`s (`IMMUNE_ERR_*`) with typed
 * details. Helpers add their classes here by appending; never rewrite the file.
 */
import { ImmuneError as ImmuneErrorBase } from '../protocol/errors.js'
export { ImmuneError, InvalidParamsError } from '../protocol/errors.js'

/** The daemon cannot start: busy port, unwritable data dir, locked identity... One clear line, exit code 2. */
export class StartupError extends ImmuneErrorBase<{ part: string }> {
  static readonly code = 'IMMUNE_ERR_STARTUP'
  constructor (part: string, message: string) {
    super(StartupError.code, message, { part })
    this.name = 'StartupError'
  }
}

/** A persisted model snapshot (isolation forest, process model) is malformed or of an unknown format/version. */
export class ModelFormatError extends ImmuneErrorBase<{ model: string, field: string, reason: string }> {
  static readonly code = 'IMMUNE_ERR_MODEL_FORMAT'
  constructor (model: string, field: string, reason: string) {
    super(ModelFormatError.code, `cannot restore ${model}: ${field} ${reason}`, { model, field, reason })
    this.name = 'ModelFormatError'
  }
}

/** Data given to a model has the wrong shape or non-finite values (rows × dims mismatch, NaN, empty set). */
export class InvalidModelInputError extends ImmuneErrorBase<{ model: string, reason: string, expected?: number, actual?: number }> {
  static readonly code = 'IMMUNE_ERR_INVALID_MODEL_INPUT'
  constructor (model: string, reason: string, expected?: number, actual?: number) {
    super(InvalidModelInputError.code, `${model}: ${reason}${expected != null ? ` (expected ${expected}, got ${String(actual)})` : ''}`, { model, reason, expected, actual })
    this.name = 'InvalidModelInputError'
  }
}

/** A sensor type name that no factory is registered for. */
export class UnknownSensorError extends ImmuneErrorBase<{ type: string, known: string[] }> {
  static readonly code = 'IMMUNE_ERR_UNKNOWN_SENSOR'
  constructor (type: string, known: string[]) {
    super(UnknownSensorError.code, `unknown sensor type ${JSON.stringify(type)} (known: ${known.join(', ')})`, { type, known })
    this.name = 'UnknownSensorError'
  }
}

/** Stable codes of IngestError (the local ingest API, POST /v1/observe). */
export type IngestErrorCode =
  | 'IMMUNE_ERR_INGEST_JSON'
  | 'IMMUNE_ERR_INGEST_INVALID'
  | 'IMMUNE_ERR_INGEST_TOO_LARGE'
  | 'IMMUNE_ERR_INGEST_BATCH_TOO_LARGE'
  | 'IMMUNE_ERR_INGEST_MEDIA_TYPE'
  | 'IMMUNE_ERR_INGEST_METHOD'

/** A rejected ingest request: `status` is the HTTP status to answer with (400, 405, 413, 415); `field` names what was wrong. */
export class IngestError extends ImmuneErrorBase<{ status: number, field?: string, index?: number }> {
  static readonly JSON = 'IMMUNE_ERR_INGEST_JSON'
  static readonly INVALID = 'IMMUNE_ERR_INGEST_INVALID'
  static readonly TOO_LARGE = 'IMMUNE_ERR_INGEST_TOO_LARGE'
  static readonly BATCH_TOO_LARGE = 'IMMUNE_ERR_INGEST_BATCH_TOO_LARGE'
  static readonly MEDIA_TYPE = 'IMMUNE_ERR_INGEST_MEDIA_TYPE'
  static readonly METHOD = 'IMMUNE_ERR_INGEST_METHOD'
  readonly status: number
  declare readonly code: IngestErrorCode
  constructor (code: IngestErrorCode, status: number, message: string, details: { field?: string, index?: number } = {}) {
    super(code, message, { status, ...details })
    this.name = 'IngestError'
    this.status = status
  }
}

/** The in-process agent could not get a verdict from the node (unreachable, timeout, bad answer). */
export class AgentObserveError extends ImmuneErrorBase<{ reason: 'network' | 'timeout' | 'status' | 'answer', status?: number }> {
  static readonly code = 'IMMUNE_ERR_AGENT_OBSERVE'
  constructor (reason: 'network' | 'timeout' | 'status' | 'answer', message: string, status?: number) {
    super(AgentObserveError.code, message, { reason, status })
    this.name = 'AgentObserveError'
  }
}

/** A watched process disappeared while it was being sampled (the cell is down). */
export class ProcessGoneError extends ImmuneErrorBase<{ pid: number }> {
  static readonly code = 'IMMUNE_ERR_PROCESS_GONE'
  constructor (pid: number) {
    super(ProcessGoneError.code, `process ${pid} is gone`, { pid })
    this.name = 'ProcessGoneError'
  }
}
