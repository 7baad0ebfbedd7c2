/**
 * Alert <-> bytes (the protobuf in alert.proto). Sizes are checked before any
 * decoding, repeated fields are capped inside the decoder (protons `limits`),
 * and the whole message is at most MAX_ALERT_BYTES, so a hostile message
 * cannot make us allocate more than a few times that.
 *
 * decodeAlert checks structure only (what the Alert type needs to hold the
 * value); value checks live in alert-checks.ts and run in validateAlert.
 * Encoding is protons' (alert-pb.ts); decoding accepts only what that encoder
 * writes (canonical-decode.ts).
 */
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { AlertDecodeError, AlertEncodeError } from '../errors.js'
import { Alert as AlertPb } from './alert-pb.js'
import { newerContentError, readCanonicalAlertPb } from './canonical-decode.js'
import { PROTOCOL_VERSION } from './types.js'
import type { Alert, AlertKind } from './types.js'
import { evictOldest } from '../../core/index.js'

export { WIRE_MAX_SIGNATURES, WIRE_MAX_SOURCES, WIRE_MAX_TOKENS } from './canonical-decode.js'

/** Hard maximum of a signed alert envelope and of the alert payload inside it. */
export const MAX_ALERT_BYTES = 16 * 1024

export const ALERT_ID_BYTES = 16
const ID_HEX = /^[0-9a-f]{32}$/

/** An Ed25519 peer id as multihash bytes: identity(0x00), length 36, protobuf PublicKey{Type: Ed25519, Data: 32 bytes}. */
const ED25519_PEER_ID_PREFIX = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20]
const ED25519_PEER_ID_BYTES = 38

const KIND_TO_PB: Record<AlertKind, AlertPb.Kind> = {
  anomaly: AlertPb.Kind.ANOMALY,
  signature: AlertPb.Kind.SIGNATURE,
  source: AlertPb.Kind.SOURCE
}

const KIND_FROM_PB: Partial<Record<AlertPb.Kind, AlertKind>> = {
  [AlertPb.Kind.ANOMALY]: 'anomaly',
  [AlertPb.Kind.SIGNATURE]: 'signature',
  [AlertPb.Kind.SOURCE]: 'source'
}

const UINT64_MAX = (1n << 64n) - 1n

function uint32 (value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new AlertEncodeError(field, `${field} must be an integer in [0, 2^32-1], got ${String(value)}`)
  }
  return value
}

/** ES2024 String.prototype.isWellFormed / toWellFormed (Node >= 20; not in our TypeScript lib yet). */
interface WellFormed { isWellFormed: () => boolean, toWellFormed: () => string }

/**
 * A string field as it goes on the wire: well-formed Unicode, a lone surrogate
 * replaced by U+FFFD. UTF-8 cannot encode a lone surrogate, and decoders accept
 * valid UTF-8 only; protons' own writer would put one out as an invalid 3-byte
 * sequence in short strings. Replacing (rather than refusing) keeps an attacker
 * from silencing an alert by putting a lone surrogate in the attack.
 */
function text (value: unknown, field: string): string {
  if (typeof value !== 'string') throw new AlertEncodeError(field, `${field} must be a string`)
  const s = value as unknown as WellFormed
  return s.isWellFormed() ? value : s.toWellFormed()
}

/** The 38 multihash bytes of an Ed25519 peer id string; throws AlertEncodeError otherwise. */
export function originToBytes (origin: string): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = peerIdFromString(origin).toMultihash().bytes
  } catch {
    throw new AlertEncodeError('origin', `origin must be a peer id string, got ${JSON.stringify(String(origin).slice(0, 80))}`)
  }
  if (!isEd25519PeerIdBytes(bytes)) throw new AlertEncodeError('origin', 'origin must be an Ed25519 peer id')
  return bytes
}

export function isEd25519PeerIdBytes (bytes: Uint8Array): boolean {
  if (bytes.byteLength !== ED25519_PEER_ID_BYTES) return false
  for (let i = 0; i < ED25519_PEER_ID_PREFIX.length; i++) {
    if (bytes[i] !== ED25519_PEER_ID_PREFIX[i]) return false
  }
  return true
}

/**
 * Memo of originFromBytes: base58 encoding a peer id costs ~10 µs, a
 * community has few origins. Bounded (FIFO); a pure function's cache, no state
 * anyone can observe.
 */
const ORIGIN_MEMO_MAX = 4096
const originMemo = new Map<string, string>()

/** The peer id string of 38 Ed25519 multihash bytes; throws AlertDecodeError('schema') otherwise. */
export function originFromBytes (bytes: Uint8Array): string {
  if (!isEd25519PeerIdBytes(bytes)) throw new AlertDecodeError('schema', 'origin is not an Ed25519 peer id', 'origin')
  const memoKey = Buffer.from(bytes.buffer, bytes.byteOffset + 6, 32).toString('latin1')
  const known = originMemo.get(memoKey)
  if (known != null) return known
  let origin: string
  try {
    origin = peerIdFromMultihash({ code: 0x00, size: 36, digest: bytes.subarray(2), bytes } as unknown as Parameters<typeof peerIdFromMultihash>[0]).toString()
  } catch {
    throw new AlertDecodeError('schema', 'origin is not a valid peer id', 'origin')
  }
  evictOldest(originMemo, ORIGIN_MEMO_MAX - 1)
  originMemo.set(memoKey, origin)
  return origin
}

export function alertIdToBytes (id: string): Uint8Array {
  if (typeof id !== 'string' || !ID_HEX.test(id)) throw new AlertEncodeError('id', `id must be ${ALERT_ID_BYTES} bytes as 32 lower-case hex digits, got ${JSON.stringify(String(id).slice(0, 80))}`)
  return Uint8Array.from(Buffer.from(id, 'hex'))
}

function toPb (alert: Alert): AlertPb {
  if (typeof alert.seq !== 'bigint' || alert.seq < 0n || alert.seq > UINT64_MAX) {
    throw new AlertEncodeError('seq', `seq must be a bigint in [0, 2^64-1], got ${String(alert.seq)}`)
  }
  if (!Number.isSafeInteger(alert.issuedAtMs) || alert.issuedAtMs < 0) {
    throw new AlertEncodeError('issuedAtMs', `issuedAtMs must be a non-negative safe integer, got ${String(alert.issuedAtMs)}`)
  }
  const kind = KIND_TO_PB[alert.kind]
  if (kind == null) throw new AlertEncodeError('kind', `kind must be one of ${Object.keys(KIND_TO_PB).join(', ')}, got ${String(alert.kind)}`)
  if (alert.seen == null) throw new AlertEncodeError('seen', 'seen is required')
  if (typeof alert.seen.score !== 'number') throw new AlertEncodeError('seen.score', 'seen.score must be a number')
  if (!Array.isArray(alert.sources)) throw new AlertEncodeError('sources', 'sources must be an array')
  if (!Array.isArray(alert.signatures)) throw new AlertEncodeError('signatures', 'signatures must be an array')
  if (alert.evidenceDigest != null && !(alert.evidenceDigest instanceof Uint8Array)) {
    throw new AlertEncodeError('evidenceDigest', 'evidenceDigest must be a Uint8Array')
  }
  return {
    version: uint32(alert.version, 'version'),
    id: alertIdToBytes(alert.id) as Uint8Array<ArrayBuffer>,
    origin: originToBytes(alert.origin) as Uint8Array<ArrayBuffer>,
    seq: alert.seq,
    issuedAtMs: alert.issuedAtMs,
    community: text(alert.community, 'community'),
    danger: uint32(alert.danger, 'danger'),
    kind,
    seen: {
      context: text(alert.seen.context, 'seen.context'),
      parameter: text(alert.seen.parameter, 'seen.parameter'),
      score: alert.seen.score,
      explanation: text(alert.seen.explanation, 'seen.explanation')
    },
    sources: alert.sources.map((s, i) => ({
      address: text(s.address, `sources[${i}].address`),
      ttlSec: uint32(s.ttlSec, `sources[${i}].ttlSec`)
    })),
    signatures: alert.signatures.map((s, i) => {
      if (!Array.isArray(s.tokens)) throw new AlertEncodeError(`signatures[${i}].tokens`, 'tokens must be an array of strings')
      return {
        id: text(s.id, `signatures[${i}].id`),
        context: text(s.context, `signatures[${i}].context`),
        parameter: text(s.parameter, `signatures[${i}].parameter`),
        tokens: s.tokens.map((t, j) => text(t, `signatures[${i}].tokens[${j}]`)),
        generator: text(s.generator, `signatures[${i}].generator`),
        sampleCount: uint32(s.sampleCount, `signatures[${i}].sampleCount`)
      }
    }),
    evidenceDigest: alert.evidenceDigest as Uint8Array<ArrayBuffer> | undefined,
    ttlSec: uint32(alert.ttlSec, 'ttlSec')
  }
}

/** Protobuf bytes of an alert. Throws AlertEncodeError (IMMUNE_ERR_ALERT_ENCODE) for an unencodable field or a result above MAX_ALERT_BYTES. */
export function encodeAlert (alert: Alert): Uint8Array {
  const bytes = AlertPb.encode(toPb(alert))
  if (bytes.byteLength > MAX_ALERT_BYTES) {
    throw new AlertEncodeError('size', `encoded alert is ${bytes.byteLength} bytes, above MAX_ALERT_BYTES (${MAX_ALERT_BYTES})`)
  }
  return bytes
}

/**
 * The Alert in protobuf bytes. Throws AlertDecodeError (IMMUNE_ERR_ALERT_DECODE)
 * with details.reason 'oversize' (checked first, before decoding), 'malformed'
 * (not the canonical encoding of an Alert), 'impossible-value' (more repeated
 * elements than the WIRE_MAX_* caps; the decoder stops at the cap), 'schema'
 * (a field the Alert type cannot hold: id not 16 bytes, origin not an Ed25519
 * peer id, kind unspecified, missing `seen`), or 'unknown-kind' /
 * 'unknown-field' (canonical, but of a newer minor version: see readAlertPayload).
 */
export function decodeAlert (bytes: Uint8Array): Alert {
  return decodeAlertWithOrigin(bytes).alert
}

/** decodeAlert, also returning the 32 raw Ed25519 public key bytes of the origin (for the signer check). */
export function decodeAlertWithOrigin (bytes: Uint8Array): { alert: Alert, originKey: Uint8Array } {
  const read = readAlertPayload(bytes)
  if (read.alert == null) throw read.newer
  return read
}

/**
 * An alert payload as read: the alert, or, for a canonical payload of the
 * same `version` holding a kind or fields this node does not know (a newer
 * minor version), the error to report once its origin is known to be its
 * signer (envelope.ts). Either way the origin, for that check.
 */
export type AlertPayload =
  | { alert: Alert, origin: string, originKey: Uint8Array, newer?: undefined }
  | { alert: null, origin: string, originKey: Uint8Array, newer: AlertDecodeError }

/** decodeAlert without throwing for a newer minor version's alert (see AlertPayload); throws as decodeAlert otherwise. */
export function readAlertPayload (bytes: Uint8Array): AlertPayload {
  if (!(bytes instanceof Uint8Array)) throw new AlertDecodeError('malformed', 'alert bytes must be a Uint8Array')
  if (bytes.byteLength > MAX_ALERT_BYTES) {
    throw new AlertDecodeError('oversize', `alert is ${bytes.byteLength} bytes, above MAX_ALERT_BYTES (${MAX_ALERT_BYTES})`)
  }
  // Only the canonical encoding is accepted: the bytes protons writes for the
  // decoded message (canonical-decode.ts), with room for a newer minor
  // version's kinds and fields. A lax decoder would take invalid UTF-8, wrong
  // wire types, repeated scalar fields and fields out of order, so one signed
  // payload could mean different things to different readers.
  const read = readCanonicalAlertPb(bytes)
  const pb = read.pb
  if (pb.id.byteLength !== ALERT_ID_BYTES) throw new AlertDecodeError('schema', `id must be ${ALERT_ID_BYTES} bytes, got ${pb.id.byteLength}`, 'id')
  const origin = originFromBytes(pb.origin)
  const originKey = pb.origin.subarray(6)
  if (read.newer != null) {
    // forward compatible within a major version only: another version is not ours to ignore
    if (pb.version !== PROTOCOL_VERSION) throw new AlertDecodeError('schema', `unknown version ${pb.version} (this node speaks ${PROTOCOL_VERSION})`, 'version')
    return { alert: null, origin, originKey, newer: newerContentError(read) }
  }
  const kind = KIND_FROM_PB[pb.kind]
  if (kind == null) throw new AlertDecodeError('schema', `kind ${String(pb.kind)} is not a kind of alert`, 'kind')
  if (pb.seen == null) throw new AlertDecodeError('schema', 'seen is missing', 'seen')
  const alert: Alert = {
    version: pb.version,
    id: Buffer.from(pb.id.buffer, pb.id.byteOffset, pb.id.byteLength).toString('hex'),
    origin,
    seq: pb.seq,
    issuedAtMs: pb.issuedAtMs,
    community: pb.community,
    danger: pb.danger as Alert['danger'],
    kind,
    // the decoder's nested objects have exactly the Alert type's shape and belong to nobody else: taken as they are
    seen: pb.seen,
    sources: pb.sources,
    signatures: pb.signatures,
    ttlSec: pb.ttlSec
  }
  // a copy: the decoded bytes are a view into the caller's buffer
  if (pb.evidenceDigest != null) alert.evidenceDigest = Uint8Array.from(pb.evidenceDigest)
  return { alert, origin, originKey }
}
