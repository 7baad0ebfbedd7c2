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
