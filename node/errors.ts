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
