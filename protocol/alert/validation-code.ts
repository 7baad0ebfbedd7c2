/**
 * Outcome codes of alert validation. Each maps to one gossipsub action:
 * `reject` penalises the peer that forwarded it (P4: invalid messages),
 * `ignore` drops it without penalty (it was valid once, or may be valid
 * elsewhere), `accept` delivers and forwards it.
 */
import type { ValidationAction } from './types.js'

export const AlertValidationCode = {
  /** accept: signed by its origin, well formed, fresh, not seen before. */
  OK: 'ok',
  /** reject: envelope or payload larger than MAX_ALERT_BYTES (checked before decoding). */
  OVERSIZE: 'oversize',
  /** reject: not a signed envelope, or the payload is not a decodable Alert protobuf. */
  MALFORMED: 'malformed',
  /** reject: signature does not verify for the envelope's key (forged, tampered, or signed for another domain), or the key is not Ed25519. */
  BAD_SIGNATURE: 'bad-signature',
  /** reject: a valid envelope of another record type (payload type is not ALERT_CODEC), e.g. a libp2p peer record. */
  WRONG_DOMAIN: 'wrong-domain',
  /** reject: a required field is missing or malformed (unknown version, id not 16 bytes, origin not an Ed25519 peer id, kind unspecified, no `seen`, bad community, kind without its indicators). */
  SCHEMA: 'schema',
  /** reject: alert.origin is not the peer id of the key that signed the envelope. */
  ORIGIN_MISMATCH: 'origin-mismatch',
  /** reject: a field holds a value no honest node produces (danger not 1/2, ttl 0 or above the maximum, negative/NaN score, too many indicators or tokens, over-long text, bad IP address). */
  IMPOSSIBLE_VALUE: 'impossible-value',
  /** ignore: this alert id was already accepted. */
  DUPLICATE: 'duplicate',
  /** ignore: issuedAtMs is more than maxSkewMs in the past or the future. */
  STALE: 'stale',
  /** ignore: now is past issuedAtMs + ttlSec. */
  EXPIRED: 'expired',
  /** ignore: seq already seen from this origin, or older than the anti-replay window. */
  REPLAY: 'replay',
  /** ignore: validly signed, of an alert kind this node does not know (a newer minor version rolled out a new kind). */
  UNKNOWN_KIND: 'unknown-kind',
  /** ignore: validly signed, with a field this node does not know (a newer minor version added it). */
  UNKNOWN_FIELD: 'unknown-field',
  /** reject (mesh): a valid alert published on another community's topic. */
  COMMUNITY_MISMATCH: 'community-mismatch',
  /** ignore (mesh): the validator threw (a bug of ours, not the peer's fault). */
  VALIDATOR_ERROR: 'validator-error',
  /** ignore (mesh): the validator accepted without an alert (a bug of ours). */
  VALIDATOR_NO_ALERT: 'validator-no-alert',
  /** reject (mesh): the origin itself sent more alerts than its rate limit (protocol/mesh/origin-rate.ts). */
  OVER_RATE: 'over-rate',
  /** ignore (mesh): another peer relayed an alert beyond its origin's rate limit (not the relay's fault). */
  OVER_RATE_RELAYED: 'over-rate-relayed'
} as const

export type AlertValidationCode = typeof AlertValidationCode[keyof typeof AlertValidationCode]

/** The gossipsub action of each code. */
export const ALERT_VALIDATION_ACTIONS: Readonly<Record<AlertValidationCode, ValidationAction>> = Object.freeze({
  ok: 'accept',
  oversize: 'reject',
  malformed: 'reject',
  'bad-signature': 'reject',
  'wrong-domain': 'reject',
  schema: 'reject',
  'origin-mismatch': 'reject',
  'impossible-value': 'reject',
  duplicate: 'ignore',
  stale: 'ignore',
  expired: 'ignore',
  replay: 'ignore',
  'unknown-kind': 'ignore',
  'unknown-field': 'ignore',
  'community-mismatch': 'reject',
  'validator-error': 'ignore',
  'validator-no-alert': 'ignore',
  'over-rate': 'reject',
  'over-rate-relayed': 'ignore'
})

export function actionOf (code: AlertValidationCode): ValidationAction {
  return ALERT_VALIDATION_ACTIONS[code]
}
