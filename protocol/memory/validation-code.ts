/**
 * Outcome codes of the memory protocol's validators (codec.ts for messages,
 * memory-client.ts for the items of an answer). `junk: true` codes mean the
 * answering peer sent something no honest node sends: the whole answer is
 * dropped (nothing in it is adopted), the peer pays R4 in reputation (as for
 * an invalid gossiped alert, so it also loses gossipsub score through P5) and
 * is not asked again for `penaltyCooldownMs`. A server answers an invalid
 * request REFUSED with the code as its reason.
 */
export const MemoryValidationCode = {
  OK: 'ok',
  /** the message is above its cap (maxRequestBytes / maxResponseBytes), checked before decoding */
  OVERSIZE: 'oversize',
  /** not a decodable MemoryRequest / MemoryResponse protobuf */
  MALFORMED: 'malformed',
  /** `version` is not MEMORY_PROTOCOL_VERSION */
  UNSUPPORTED_VERSION: 'unsupported-version',
  /** request: mode unspecified or unknown; response: status unspecified, unknown, or not one that answers the request */
  BAD_MODE: 'bad-mode',
  /** community is not a valid software id ([a-z0-9._-]{1,64}) */
  BAD_COMMUNITY: 'bad-community',
  /** a field has the wrong length or range (fingerprint not 8 bytes, bucket bitmap not 32, have not a multiple of 16, cursor not 16, bucket table not 1536, item_count 0 without items...) */
  BAD_FIELD: 'bad-field',
  /** request: more `have` ids than maxHaveIds */
  TOO_MANY_IDS: 'too-many-ids',
  /** response: more items than maxItemsPerAnswer, or than the request's max_items */
  TOO_MANY_ITEMS: 'too-many-items',
  /** response: `items` does not inflate, inflates beyond maxAnswerBytes, or its framing does not hold item_count envelopes exactly */
  BAD_ITEMS: 'bad-items',
  /** item: an envelope above MAX_ALERT_BYTES */
  ITEM_OVERSIZE: 'item-oversize',
  /** item: the alert validator rejects it (malformed, bad-signature, origin-mismatch, schema, impossible-value...: the alert code is in the reason) */
  ITEM_INVALID: 'item-invalid',
  /** item: expired more than expiredGraceMs ago */
  ITEM_EXPIRED: 'item-expired',
  /** item: not what was asked (another community, a bucket not asked, an id at or before the cursor, an id listed in `have`) */
  ITEM_UNASKED: 'item-unasked',
  /** item: the same id twice in one answer, or ids not in ascending order */
  ITEM_ORDER: 'item-order'
} as const

export type MemoryValidationCode = typeof MemoryValidationCode[keyof typeof MemoryValidationCode]

/** Whether a code blames the answering peer (see the header). */
export const MEMORY_CODE_IS_JUNK: Readonly<Record<MemoryValidationCode, boolean>> = Object.freeze({
  ok: false,
  oversize: true,
  malformed: true,
  'unsupported-version': false,
  'bad-mode': true,
  'bad-community': true,
  'bad-field': true,
  'too-many-ids': true,
  'too-many-items': true,
  'bad-items': true,
  'item-oversize': true,
  'item-invalid': true,
  'item-expired': true,
  'item-unasked': true,
  'item-order': true
})
