/**
 * Errors of the simulator. Stable `code`s (`IMMUNE_ERR_*`) with typed details;
 * tests assert the code.
 */
import { ImmuneError } from '../protocol/errors.js'

export { ImmuneError } from '../protocol/errors.js'

/** A scenario (file or built-in with overrides) is invalid: names the field, what was there, and what is accepted. */
export class SimScenarioError extends ImmuneError<{ field: string, value: unknown, accepted: string, file?: string }> {
  static readonly code = 'IMMUNE_ERR_SIM_SCENARIO'
  constructor (field: string, value: unknown, accepted: string, file?: string) {
    const shown = value === undefined ? 'missing' : JSON.stringify(value)?.slice(0, 80) ?? String(value)
    super(SimScenarioError.code, `invalid scenario${file != null ? ` ${file}` : ''}: ${field === '' ? '(root)' : field}: ${shown} (accepted: ${accepted})`, {
      field, value, accepted, ...(file != null ? { file } : {})
    })
    this.name = 'SimScenarioError'
  }
}

/** A scenario name is neither a built-in nor a readable file. */
export class UnknownScenarioError extends ImmuneError<{ name: string, builtins: string[] }> {
  static readonly code = 'IMMUNE_ERR_SIM_UNKNOWN_SCENARIO'
  constructor (name: string, builtins: string[], reason?: string) {
    super(UnknownScenarioError.code, `unknown scenario "${name}": not a built-in (${builtins.join(', ')})${reason != null ? ` and ${reason}` : ''}`, { name, builtins })
    this.name = 'UnknownScenarioError'
  }
}

/** The engine was asked to do something impossible (schedule into the past, NaN time). A bug, not bad input. */
export class SimEngineError extends ImmuneError<{ reason: string }> {
  static readonly code = 'IMMUNE_ERR_SIM_ENGINE'
  constructor (reason: string) {
    super(SimEngineError.code, `simulation engine: ${reason}`, { reason })
    this.name = 'SimEngineError'
  }
}
