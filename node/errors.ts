/**
 * Errors of the node (daemon) layer. Stable `code`s (`IMMUNE_ERR_*`) with typed
 * details. Helpers add their classes here by appending; never rewrite the file.
 */
export { ImmuneError, InvalidParamsError } from '../protocol/errors.js'
