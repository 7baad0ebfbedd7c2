/**
 * The one byte layout a signed alert envelope has on the wire: what
 * RecordEnvelope.marshal (@libp2p/peer-record) writes for an Ed25519 key and
 * our payload type, field by field in field-number order, shortest-form
 * lengths, nothing else:
 *
 *   0a 24 08 01 12 20 <32-byte key>     public_key = PublicKey { Type: Ed25519, Data }
 *   12 04 9e 94 c0 01                   payload_type = ALERT_CODEC
 *   1a <varint len> <payload>           payload (the encoded Alert)
 *   2a 40 <64-byte signature>           signature
 *
 * Since gossipsub runs StrictNoSign with the message id = SHA-256 of these
 * bytes (protocol/mesh/libp2p-mesh.ts), the layout must admit exactly one
 * encoding per signed alert: a relay that re-frames a genuine envelope (an
 * extra field, a padded length, the key's protobuf fields swapped) would
 * otherwise get a new message id for the same alert, and every receiver would
 * pay an Ed25519 verification before its replay guard dropped the copy,
 * without any penalty for the relay. Such bytes are `malformed` (a reject:
 * gossipsub's P4 penalty). The signature itself is not malleable either:
 * node:crypto (OpenSSL) refuses an Ed25519 signature whose S is not reduced.
 *
 * Parsing this layout is also cheaper than a protobuf decode plus importing
 * the key (RecordEnvelope.createFromProtobuf: ~2 µs), and it yields the bytes
 * the signature covers with one copy.
 */

/** The signature domain of alerts (never transmitted: it separates alert signatures from every other libp2p signed record). */
export const ALERT_DOMAIN = 'immune-mesh-alert'
const ALERT_DOMAIN_BYTES = new TextEncoder().encode(ALERT_DOMAIN)
/** Multicodec code of the alert payload type (private-use range 0x300000-0x3fffff). */
export const ALERT_CODEC_CODE = 0x300a1e

function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Uint8Array.from(out)
}

/** The envelope's payload type: unsigned-varint of ALERT_CODEC_CODE (0x9e 0x94 0xc0 0x01). */
export const ALERT_CODEC: Uint8Array = varint(ALERT_CODEC_CODE)
const ALERT_CODEC_BYTES = ALERT_CODEC

export interface AlertEnvelopeParts {
  /** The 32 raw bytes of the signer's Ed25519 public key. */
  publicKey: Uint8Array
  /** The encoded Alert (a view into the envelope bytes). */
  payload: Uint8Array
  /** The 64-byte Ed25519 signature. */
  signature: Uint8Array
  /** What the signature covers: varint(len domain) ‖ domain ‖ varint(len type) ‖ type ‖ varint(len payload) ‖ payload. */
  signed: Uint8Array
}

const ED25519_KEY_BYTES = 32
const SIGNATURE_BYTES = 64
/** Field 1 (public_key, 36 bytes): PublicKey { Type (1) = Ed25519 (1), Data (2) = 32 bytes }. */
const KEY_PREFIX = Uint8Array.from([0x0a, 0x24, 0x08, 0x01, 0x12, ED25519_KEY_BYTES])
/** Field 2 (payload_type) holding ALERT_CODEC. */
const TYPE_FIELD = Uint8Array.from([0x12, ALERT_CODEC_BYTES.byteLength, ...ALERT_CODEC_BYTES])
const PAYLOAD_TAG = 0x1a
const SIGNATURE_FIELD = Uint8Array.from([0x2a, SIGNATURE_BYTES])
/** varint(len domain) ‖ domain ‖ varint(len type) ‖ type: the constant start of the signed bytes. */
const SIGNED_PREFIX = Uint8Array.from([ALERT_DOMAIN_BYTES.byteLength, ...ALERT_DOMAIN_BYTES, ALERT_CODEC_BYTES.byteLength, ...ALERT_CODEC_BYTES])
const PAYLOAD_AT = KEY_PREFIX.byteLength + ED25519_KEY_BYTES + TYPE_FIELD.byteLength

function startsWith (bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (at + prefix.byteLength > bytes.byteLength) return false
  for (let i = 0; i < prefix.byteLength; i++) if (bytes[at + i] !== prefix[i]) return false
  return true
}

/**
 * The parts of an alert envelope in the canonical layout above, or null for
 * any other bytes (the caller tells why with a full protobuf parse). Never
 * throws; the returned views share the input's memory, `signed` is a copy.
 */
export function parseAlertEnvelope (bytes: Uint8Array): AlertEnvelopeParts | null {
  if (!startsWith(bytes, 0, KEY_PREFIX) || !startsWith(bytes, KEY_PREFIX.byteLength + ED25519_KEY_BYTES, TYPE_FIELD)) return null
  if (bytes[PAYLOAD_AT] !== PAYLOAD_TAG) return null
  // payload length: a shortest-form varint (the envelope is at most 16 KiB: up to 3 bytes)
  let at = PAYLOAD_AT + 1
  let length = 0
  let scale = 1
  for (let i = 0; ; i++) {
    if (i === 3 || at >= bytes.byteLength) return null
    const b = bytes[at++]
    length += (b & 0x7f) * scale
    scale *= 0x80
    if (b < 0x80) {
      if (b === 0 && i > 0) return null
      break
    }
  }
  if (length === 0) return null // an empty payload is not written at all
  const payloadEnd = at + length
  if (payloadEnd + SIGNATURE_FIELD.byteLength + SIGNATURE_BYTES !== bytes.byteLength || !startsWith(bytes, payloadEnd, SIGNATURE_FIELD)) return null
  const signed = Buffer.allocUnsafe(SIGNED_PREFIX.byteLength + payloadEnd - PAYLOAD_AT - 1)
  signed.set(SIGNED_PREFIX, 0)
  signed.set(bytes.subarray(PAYLOAD_AT + 1, payloadEnd), SIGNED_PREFIX.byteLength)
  return {
    publicKey: bytes.subarray(KEY_PREFIX.byteLength, KEY_PREFIX.byteLength + ED25519_KEY_BYTES),
    payload: bytes.subarray(at, payloadEnd),
    signature: bytes.subarray(payloadEnd + SIGNATURE_FIELD.byteLength),
    signed
  }
}
