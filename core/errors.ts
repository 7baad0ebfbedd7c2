/**
 * The bottom layer's errors: the base class every coded error extends, and
 * the two errors core's own helpers throw. Every error has a stable `code`
 * (`IMMUNE_ERR_*`) and typed `details`; tests assert the code. Each layer
 * above keeps its own catalogue (protocol/errors.ts, node/errors.ts,
 * sim/errors.ts) built on ImmuneError.
 */

export class ImmuneError<D extends Record<string, unknown> = Record<string, unknown>> extends Error {
  readonly code: string
  readonly details: D

  constructor (code: string, message: string, details: D = {} as D) {
    super(message)
    this.name = 'ImmuneError'
    this.code = code
    this.details = details
  }
}

/** A params object or config value is out of range. */
export class InvalidParamsError extends ImmuneError<{ field: string, value: unknown, accepted: string }> {
  static readonly code = 'IMMUNE_ERR_INVALID_PARAMS'
  constructor (field: string, value: unknown, accepted: string) {
    super(InvalidParamsError.code, `invalid ${field}: ${JSON.stringify(value)} (accepted: ${accepted})`, { field, value, accepted })
    this.name = 'InvalidParamsError'
  }
}

/** One problem found in a config file or params object: where, what was there, and what is accepted. */
export type ConfigIssue = {
  /** Dotted field path, e.g. `cells[1].command` (`<file>` for the file itself). */
  field: string
  value: unknown
  accepted: string
}
