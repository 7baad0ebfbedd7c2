/**
 * Signed alerts: the encoded Alert is the payload of a libp2p signed envelope
 * (RecordEnvelope from @libp2p/peer-record, the format of libp2p's signed peer
 * records, RFC 0002 in libp2p/specs). The origin signs with its libp2p Ed25519
 * identity key; the envelope carries the public key, so anyone holding the
 * bytes can re-verify the alert later without trusting whoever forwarded it.
 *
 * The signature covers varint-prefixed (domain, payload type, payload), with
 *   domain       = "immune-mesh-alert"  (ALERT_DOMAIN; never transmitted)
 *   payload type = unsigned-varint(0x300a1e) (ALERT_CODEC_CODE, in the
 *                  multicodec private-use range 0x300000-0x3fffff)
 * so an alert signature can never be replayed as a peer record or any other
 * libp2p signed record, and vice versa. Sealing uses RecordEnvelope.seal;
 * opening parses with RecordEnvelope and verifies with envelope-verify.ts
 * (the same check as RecordEnvelope.validate, with memoised keys).
 */
import { randomBytes } from 'node:crypto'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { AlertDecodeError, AlertEncodeError, AlertSignatureError } from '../errors.js'
import { ALERT_ID_BYTES, decodeAlertWithOrigin, encodeAlert, MAX_ALERT_BYTES } from './codec.js'
import { verifyEd25519Envelope } from './envelope-verify.js'
import { PROTOCOL_VERSION } from './types.js'
import type { Alert, AlertDraft } from './types.js'
import type { PrivateKey, Record as Libp2pRecord } from '@libp2p/interface'

export const ALERT_DOMAIN = 'immune-mesh-alert'
const ALERT_DOMAIN_BYTES = new TextEncoder().encode(ALERT_DOMAIN)
/** Multicodec code of the alert payload type (private-use range). */
export const ALERT_CODEC_CODE = 0x300a1e
/** Default lifetime of an alert when the draft gives none: 1 hour. */
export const DEFAULT_ALERT_TTL_SEC = 3600

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

/** A libp2p Record holding an encoded alert. */
export class AlertRecord implements Libp2pRecord {
  readonly domain = ALERT_DOMAIN
  readonly codec = ALERT_CODEC
  constructor (readonly payload: Uint8Array) {}

  marshal (): Uint8Array {
    return this.payload
  }

  equals (other: Libp2pRecord): boolean {
    return other instanceof AlertRecord && Buffer.compare(this.payload, other.payload) === 0
  }
}

export interface CreateAlertInit {
  /** Our peer id (base58btc), the signer's. */
  origin: string
  /** Our next sequence number (protocol/mesh/seq-store.ts). */
  seq: bigint
  nowMs: number
  /** 32 lower-case hex digits; random when absent. */
  id?: string
}

/** A fresh random alert id: 16 bytes as 32 hex digits. */
export function newAlertId (): string {
  return randomBytes(ALERT_ID_BYTES).toString('hex')
}

/** The alert a draft becomes: version, id, origin, seq and issue time filled in. Pure except for the random id. */
export function createAlert (draft: AlertDraft, init: CreateAlertInit): Alert {
  const alert: Alert = {
    version: PROTOCOL_VERSION,
    id: init.id ?? newAlertId(),
    origin: init.origin,
    seq: init.seq,
    issuedAtMs: Math.floor(init.nowMs),
    community: draft.community,
    danger: draft.danger,
    kind: draft.kind,
    seen: { ...draft.seen },
    sources: draft.sources.map((s) => ({ ...s })),
    signatures: draft.signatures.map((s) => ({ ...s, tokens: [...s.tokens] })),
    ttlSec: draft.ttlSec ?? DEFAULT_ALERT_TTL_SEC
  }
  if (draft.evidenceDigest != null) alert.evidenceDigest = draft.evidenceDigest
  return alert
}

/**
 * The signed envelope bytes of an alert. Throws AlertEncodeError
 * (IMMUNE_ERR_ALERT_ENCODE) when the key is not Ed25519, alert.origin is not
 * the key's peer id, a field cannot be encoded, or the envelope would exceed
 * MAX_ALERT_BYTES.
 */
export async function signAlert (alert: Alert, privateKey: PrivateKey): Promise<Uint8Array> {
  if (privateKey?.type !== 'Ed25519') throw new AlertEncodeError('privateKey', 'alerts are signed with an Ed25519 key')
  const signer = peerIdFromPrivateKey(privateKey).toString()
  if (alert.origin !== signer) throw new AlertEncodeError('origin', `alert.origin ${alert.origin} is not the signing key's peer id ${signer}`)
  const envelope = await RecordEnvelope.seal(new AlertRecord(encodeAlert(alert)), privateKey)
  const bytes = envelope.marshal()
  if (bytes.byteLength > MAX_ALERT_BYTES) {
    throw new AlertEncodeError('size', `signed alert is ${bytes.byteLength} bytes, above MAX_ALERT_BYTES (${MAX_ALERT_BYTES})`)
  }
  return bytes
}

export interface OpenedAlert {
  alert: Alert
  /** Peer id of the envelope's key (equals alert.origin). */
  signer: string
}

/**
 * Verify and decode signed alert bytes. Checks, in order: size (before
 * decoding), envelope structure, key type, payload type, signature, payload
 * decoding, origin == signer. Throws AlertDecodeError (reason oversize |
 * malformed | schema) or AlertSignatureError (reason bad-signature |
 * wrong-domain | origin-mismatch). Field values and freshness are checked by
 * validateAlert, not here.
 */
export async function openAlert (bytes: Uint8Array): Promise<OpenedAlert> {
  if (!(bytes instanceof Uint8Array)) throw new AlertDecodeError('malformed', 'signed alert must be a Uint8Array')
  if (bytes.byteLength > MAX_ALERT_BYTES) {
    throw new AlertDecodeError('oversize', `signed alert is ${bytes.byteLength} bytes, above MAX_ALERT_BYTES (${MAX_ALERT_BYTES})`)
  }
  let envelope: RecordEnvelope
  try {
    envelope = RecordEnvelope.createFromProtobuf(bytes)
  } catch (err) {
    throw new AlertDecodeError('malformed', `not a signed envelope: ${(err as Error).message}`)
  }
  if (envelope.publicKey.type !== 'Ed25519') throw new AlertSignatureError('bad-signature', `alerts are signed with Ed25519 keys, not ${envelope.publicKey.type}`)
  if (Buffer.compare(envelope.payloadType, ALERT_CODEC) !== 0) throw new AlertSignatureError('wrong-domain', 'envelope holds another record type, not an immune-mesh alert')
  if (envelope.payload.byteLength > MAX_ALERT_BYTES) {
    throw new AlertDecodeError('oversize', `alert payload is ${envelope.payload.byteLength} bytes, above MAX_ALERT_BYTES (${MAX_ALERT_BYTES})`)
  }
  if (!verifyEd25519Envelope(envelope.publicKey.raw, envelope.signature, ALERT_DOMAIN_BYTES, envelope.payloadType, envelope.payload)) throw new AlertSignatureError('bad-signature', 'envelope signature does not verify for domain ' + ALERT_DOMAIN)
  const { alert, originKey } = decodeAlertWithOrigin(envelope.payload)
  // origin bytes are the identity multihash of the key: compare keys, not base58 strings
  if (Buffer.compare(originKey, envelope.publicKey.raw) !== 0) {
    throw new AlertSignatureError('origin-mismatch', `alert.origin ${alert.origin} is not the signer ${peerIdFromPublicKey(envelope.publicKey).toString()}`)
  }
  return { alert, signer: alert.origin }
}
