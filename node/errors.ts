/**
 * Errors of the node (daemon) layer. Stable `code`s (`IMMUNE_ERR_*`) with typed
 * details. Helpers add their classes here by appending; never rewrite the file.
 */
import { ImmuneError as ImmuneErrorBase } from '../core/index.js'
import type { ConfigIssue } from '../core/index.js'
export { ImmuneError, InvalidParamsError } from '../core/index.js'
export type { ConfigIssue } from '../core/index.js'

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

/**
 * The config (file, object or override) is invalid. `details` names the first
 * problem; `issues` lists every problem found (validation never stops at the first).
 */
export class ConfigError extends ImmuneErrorBase<ConfigIssue & { issues: ConfigIssue[], file?: string }> {
  static readonly code = 'IMMUNE_ERR_CONFIG'
  readonly issues: ConfigIssue[]
  constructor (issues: ConfigIssue[], file?: string) {
    const first = issues[0] ?? { field: '', value: undefined, accepted: '' }
    const show = (i: ConfigIssue): string => `${i.field === '' ? '(root)' : i.field}: ${formatConfigValue(i.value)} (accepted: ${i.accepted})`
    const where = file != null ? `config ${file}` : 'config'
    const message = issues.length <= 1
      ? `invalid ${where}: ${show(first)}`
      : `invalid ${where} (${issues.length} problems): ${issues.map(show).join('; ')}`
    super(ConfigError.code, message, { ...first, issues, ...(file != null ? { file } : {}) })
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** A value as a config problem shows it: JSON, 80 characters at most; non-finite numbers by name (JSON would say null). */
export function formatConfigValue (v: unknown): string {
  if (v === undefined) return 'missing'
  if (typeof v === 'number' && !Number.isFinite(v)) return `${String(v)} (not a finite number)`
  let s: string
  try {
    s = JSON.stringify(v, (_k, x: unknown) => typeof x === 'number' && !Number.isFinite(x) ? String(x) : typeof x === 'bigint' ? String(x) : x) ?? String(v)
  } catch {
    s = Array.isArray(v) ? '[...] (too deep to show)' : typeof v === 'object' && v != null ? '{...} (too deep to show)' : String(v)
  }
  return s.length > 80 ? s.slice(0, 77) + '...' : s
}

/** A responder is unknown, failed, or did not finish within its timeout. */
export class ResponderError extends ImmuneErrorBase<{ responder: string, decisionId: string, reason: string }> {
  static readonly code = 'IMMUNE_ERR_RESPONDER'
  constructor (responder: string, decisionId: string, reason: string) {
    super(ResponderError.code, `responder ${responder} failed for decision ${decisionId}: ${reason}`, { responder, decisionId, reason })
    this.name = 'ResponderError'
  }
}

/** A supervised cell's command could not be started or stopped. */
export class SupervisorError extends ImmuneErrorBase<{ cell: string, command: string, reason: string }> {
  static readonly code = 'IMMUNE_ERR_SUPERVISOR'
  constructor (cell: string, command: string, reason: string) {
    super(SupervisorError.code, `supervised cell ${cell} (${command}): ${reason}`, { cell, command, reason })
    this.name = 'SupervisorError'
  }
}

/** A request names a cell the node does not protect (or one that has no process). */
export class UnknownCellError extends ImmuneErrorBase<{ cell: string }> {
  static readonly code = 'IMMUNE_ERR_UNKNOWN_CELL'
  constructor (cell: string, reason = 'no such cell') {
    super(UnknownCellError.code, `cell ${JSON.stringify(cell)}: ${reason}`, { cell })
    this.name = 'UnknownCellError'
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

/**
 * The error codes the local HTTP API answers with (`{ error: { code, message } }`):
 * one catalogue, so clients and tests can rely on them. Ingest requests add
 * the IngestError codes below.
 */
export const ApiErrorCode = Object.freeze({
  /** 400: the request target cannot be parsed. */
  BAD_URL: 'IMMUNE_ERR_BAD_URL',
  /** 400: a malformed request (a handler's own validation). */
  BAD_REQUEST: 'IMMUNE_ERR_BAD_REQUEST',
  /** 400: a query parameter is out of range or malformed. */
  QUERY: 'IMMUNE_ERR_QUERY',
  /** 401: missing or wrong bearer token. */
  UNAUTHORIZED: 'IMMUNE_ERR_UNAUTHORIZED',
  /** 404: no such route, decision or peer. */
  NOT_FOUND: 'IMMUNE_ERR_NOT_FOUND',
  /** 404: no such cell (or not quarantined). */
  UNKNOWN_CELL: 'IMMUNE_ERR_UNKNOWN_CELL',
  /** 405: the route exists for other methods. */
  METHOD: 'IMMUNE_ERR_METHOD',
  /** 409: an operator's change conflicts with the node's state (e.g. blocking an allowlisted address). */
  CONFLICT: 'IMMUNE_ERR_CONFLICT',
  /** 500: the node failed (details in its log). */
  INTERNAL: 'IMMUNE_ERR_INTERNAL'
} as const)
export type ApiErrorCode = typeof ApiErrorCode[keyof typeof ApiErrorCode]

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

/** Raw HTTP request text (a proxy dump, the CSIC data set) has no parsable request line. */
export class RawHttpParseError extends ImmuneErrorBase<{ line: number }> {
  static readonly code = 'IMMUNE_ERR_RAW_HTTP'
  constructor (message: string, line: number) {
    super(RawHttpParseError.code, `raw http: ${message} (line ${line})`, { line })
    this.name = 'RawHttpParseError'
  }
}

/** A persisted profile or detector record cannot be restored (unknown version, malformed field). */
export class ProfileFormatError extends ImmuneErrorBase<{ context: string, field: string }> {
  static readonly code = 'IMMUNE_ERR_PROFILE_FORMAT'
  constructor (context: string, field: string, reason: string) {
    super(ProfileFormatError.code, `cannot restore profile ${JSON.stringify(context)}: ${field} ${reason}`, { context, field })
    this.name = 'ProfileFormatError'
  }
}

/** The signature reservoir or signature store was used before `start()` restored it from the store. */
export class SignaturesNotStartedError extends ImmuneErrorBase<{ component: string, operation: string }> {
  static readonly code = 'IMMUNE_ERR_SIGNATURES_NOT_STARTED'
  constructor (component: string, operation: string) {
    super(SignaturesNotStartedError.code, `${component} is not started (${operation} needs start() first, which restores it from the store)`, { component, operation })
    this.name = 'SignaturesNotStartedError'
  }
}

/** The CLI cannot reach a node's local API (not running, wrong address, no answer in time). */
export class ApiUnreachableError extends ImmuneErrorBase<{ url: string, reason: string }> {
  static readonly code = 'IMMUNE_ERR_API_UNREACHABLE'
  constructor (url: string, reason: string, message: string) {
    super(ApiUnreachableError.code, message, { url, reason })
    this.name = 'ApiUnreachableError'
  }
}

/**
 * An operator's control request (decisions, unblock, allowlist, signatures)
 * that cannot be done as asked: `field` names the input, `status` is the HTTP
 * status the API answers with (400 bad input, 404 unknown, 409 conflict).
 */
export class ControlError extends ImmuneErrorBase<{ field: string, status: number }> {
  static readonly code = 'IMMUNE_ERR_CONTROL'
  readonly status: number
  constructor (field: string, status: 400 | 404 | 409, message: string) {
    super(ControlError.code, message, { field, status })
    this.name = 'ControlError'
    this.status = status
  }
}
