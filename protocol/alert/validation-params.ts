/**
 * Limits of alert validation (params pattern, like gossipsub's
 * peer-score-params.ts). Every field is a hard bound: an alert outside it is
 * rejected or ignored by validateAlert (see validation-code.ts).
 */
import { InvalidParamsError } from '../errors.js'
import { WIRE_MAX_SIGNATURES, WIRE_MAX_SOURCES, WIRE_MAX_TOKENS } from './codec.js'

export interface AlertValidationParams {
  /** issuedAtMs may be at most this far from our clock, in either direction (else `stale`). */
  maxSkewMs: number
  /** Largest ttlSec of an alert and of a source indicator (else `impossible-value`). */
  maxTtlSec: number
  /** Most sources + signatures in one alert (else `impossible-value`). */
  maxIndicators: number
  /** Most tokens in one signature (else `impossible-value`; the decoder's hard cap is WIRE_MAX_TOKENS). */
  maxTokensPerSignature: number
  /** Longest token, in UTF-16 code units. */
  maxTokenChars: number
  /** Longest context, parameter, signature id or generator, in UTF-16 code units. */
  maxFieldChars: number
  /** Longest seen.explanation, in UTF-16 code units. */
  maxExplanationChars: number
  /** Longest evidenceDigest (sha-512 = 64). */
  maxEvidenceDigestBytes: number
}

/**
 * Defaults. maxSkewMs 5 min: gossip delivers in seconds; 5 min tolerates
 * clocks that NTP has not yet corrected (the same order as Kerberos' default
 * skew). maxTtlSec 1 day: an alert's effect (raised sensitivity, a source
 * block) must be renewed by fresh evidence after that.
 */
export const defaultAlertValidationParams: Readonly<AlertValidationParams> = Object.freeze({
  maxSkewMs: 5 * 60_000,
  maxTtlSec: 86_400,
  maxIndicators: 32,
  maxTokensPerSignature: 32,
  maxTokenChars: 256,
  maxFieldChars: 256,
  maxExplanationChars: 1024,
  maxEvidenceDigestBytes: 64
})

export function createAlertValidationParams (partial: Partial<AlertValidationParams> = {}): Readonly<AlertValidationParams> {
  const params: AlertValidationParams = { ...defaultAlertValidationParams }
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (params as unknown as Record<string, unknown>)[key] = value
  }
  validateAlertValidationParams(params)
  return Object.freeze(params)
}

function intIn (p: AlertValidationParams, field: keyof AlertValidationParams, min: number, max: number): void {
  const v = p[field]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidParamsError(`alertValidation.${field}`, v, `an integer in [${min}, ${max}]`)
  }
}

/** Throws InvalidParamsError (IMMUNE_ERR_INVALID_PARAMS) naming the first bad field. */
export function validateAlertValidationParams (p: AlertValidationParams): void {
  intIn(p, 'maxSkewMs', 0, 7 * 86_400_000)
  intIn(p, 'maxTtlSec', 1, 0xffffffff)
  intIn(p, 'maxIndicators', 1, WIRE_MAX_SOURCES + WIRE_MAX_SIGNATURES)
  intIn(p, 'maxTokensPerSignature', 1, WIRE_MAX_TOKENS)
  intIn(p, 'maxTokenChars', 1, 16 * 1024)
  intIn(p, 'maxFieldChars', 1, 16 * 1024)
  intIn(p, 'maxExplanationChars', 1, 16 * 1024)
  intIn(p, 'maxEvidenceDigestBytes', 1, 1024)
}
