/**
 * The alert validator gossipsub runs on every message of a community topic
 * (and the mesh runs on its own alerts before publishing). Pure apart from
 * the signature check: no clock (nowMs is passed in), no mutation (the caller
 * records accepted alerts in the ReplayGuard).
 *
 * Order of checks, first failure wins (see validation-code.ts for each code):
 *   oversize → malformed → bad-signature (key type) → wrong-domain →
 *   bad-signature → malformed/schema (payload) → origin-mismatch →
 *   unknown-field/unknown-kind (a newer minor version's alert) → schema →
 *   impossible-value → stale (future) → expired → stale (past) → duplicate →
 *   replay → ok
 * Signature before payload: a tampered byte is reported as bad-signature, and
 * nothing an unauthenticated payload says is trusted.
 */
import { ImmuneError } from '../errors.js'
import { checkAlertFields } from './alert-checks.js'
import { openAlertSync } from './envelope.js'
import { actionOf, AlertValidationCode } from './validation-code.js'
import { defaultAlertValidationParams } from './validation-params.js'
import type { ReplayGuard } from './replay-guard.js'
import type { Alert, ValidationAction } from './types.js'
import type { AlertValidationParams } from './validation-params.js'

export interface AlertValidationContext {
  nowMs: number
  replay: Pick<ReplayGuard, 'check'>
  /** From createAlertValidationParams; defaults when absent. */
  params?: Readonly<AlertValidationParams>
}

export interface AlertValidationResult {
  action: ValidationAction
  code: AlertValidationCode
  /** Set once the signature verified and the payload decoded (also on later reject/ignore codes). */
  alert?: Alert
  /** Peer id of the signer, once the signature verified. */
  signer?: string
  /** Human-readable detail for logs (what was wrong, where). */
  reason?: string
}

const CODES = new Set<string>(Object.values(AlertValidationCode))

function result (code: AlertValidationCode, reason?: string, alert?: Alert): AlertValidationResult {
  const r: AlertValidationResult = { action: actionOf(code), code }
  if (alert != null) {
    r.alert = alert
    r.signer = alert.origin
  }
  if (reason != null) r.reason = reason
  return r
}

/** Decide accept / reject / ignore for signed alert bytes. Never throws for any input bytes. */
export async function validateAlert (bytes: Uint8Array, ctx: AlertValidationContext): Promise<AlertValidationResult> {
  const params = ctx.params ?? defaultAlertValidationParams
  let alert: Alert
  try {
    alert = openAlertSync(bytes).alert
  } catch (err) {
    if (err instanceof ImmuneError && typeof err.details.reason === 'string' && CODES.has(err.details.reason)) {
      return result(err.details.reason as AlertValidationCode, err.message)
    }
    return result(AlertValidationCode.MALFORMED, err instanceof Error ? err.message : String(err))
  }

  const problem = checkAlertFields(alert, params)
  if (problem != null) return result(problem.code, `${problem.field}: ${problem.message}`, alert)

  const now = ctx.nowMs
  if (alert.issuedAtMs - now > params.maxSkewMs) return result(AlertValidationCode.STALE, `issued ${alert.issuedAtMs - now} ms in the future (max skew ${params.maxSkewMs} ms)`, alert)
  if (now > alert.issuedAtMs + alert.ttlSec * 1000) return result(AlertValidationCode.EXPIRED, `expired ${now - alert.issuedAtMs - alert.ttlSec * 1000} ms ago`, alert)
  if (now - alert.issuedAtMs > params.maxSkewMs) return result(AlertValidationCode.STALE, `issued ${now - alert.issuedAtMs} ms ago (max skew ${params.maxSkewMs} ms)`, alert)

  const seen = ctx.replay.check(alert)
  if (seen !== AlertValidationCode.OK) return result(seen, seen === AlertValidationCode.DUPLICATE ? `alert ${alert.id} already accepted` : `seq ${alert.seq} of ${alert.origin} already seen or below the replay window`, alert)

  return result(AlertValidationCode.OK, undefined, alert)
}
