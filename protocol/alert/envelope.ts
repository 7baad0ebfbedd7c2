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
 * opening takes the envelope in its one canonical layout (envelope-wire.ts;
 * anything else is malformed) and verifies with envelope-verify.ts (the same
 * check as RecordEnvelope.validate, with memoised keys). This is the one
 * place that binds an alert to its origin: the mesh carries alerts unsigned
 * at the gossipsub level (StrictNoSign), so who forwarded an alert says
 * nothing about who wrote it.
 */
import { randomBytes } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { AlertDecodeError, AlertEncodeError, AlertSignatureError } from '../errors.js'
import { ALERT_ID_BYTES, encodeAlert, MAX_ALERT_BYTES, readAlertPayload } from './codec.js'
import { verifyEd25519 } from './envelope-verify.js'
import { ALERT_CODEC, ALERT_DOMAIN, parseAlertEnvelope } from './envelope-wire.js'
import { PROTOCOL_VERSION } from './types.js'
import type { Alert, AlertDraft } from './types.js'
import type { PrivateKey, Record as Libp2pRecord } from '@libp2p/interface'

export { ALERT_CODEC, ALERT_CODEC_CODE, ALERT_DOMAIN } from './envelope-wire.js'
/** Default lifetime of an alert when the draft gives none: 1 hour. */
export const DEFAULT_ALERT_TTL_SEC = 3600

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
 * Why bytes that are not a canonical alert envelope are refused: a full
 * protobuf parse tells the codes apart (only runs for refused input).
 */
function refusal (bytes: Uint8Array): AlertDecodeError | AlertSignatureError {
  let envelope: RecordEnvelope
  try {
    envelope = RecordEnvelope.createFromProtobuf(bytes)
  } catch (err) {
    return new AlertDecodeError('malformed', `not a signed envelope: ${(err as Error).message}`)
  }
  if (envelope.publicKey.type !== 'Ed25519') return new AlertSignatureError('bad-signature', `alerts are signed with Ed25519 keys, not ${envelope.publicKey.type}`)
  if (Buffer.compare(envelope.payloadType, ALERT_CODEC) !== 0) return new AlertSignatureError('wrong-domain', 'envelope holds another record type, not an immune-mesh alert')
  if (envelope.signature.byteLength !== 64) return new AlertSignatureError('bad-signature', `an Ed25519 signature is 64 bytes, not ${envelope.signature.byteLength}`)
  return new AlertDecodeError('malformed', 'envelope is not in its canonical form (RecordEnvelope.marshal: fields once each, in order, shortest lengths, nothing else)')
}

/**
 * Verify and decode signed alert bytes. Checks, in order: size (before
 * decoding), envelope structure (the canonical layout of envelope-wire.ts),
 * key type, payload type, signature, payload decoding, origin == signer,
 * then whether the payload is of a newer minor version. Throws
 * AlertDecodeError (reason oversize | malformed | schema | impossible-value |
 * unknown-kind | unknown-field) or AlertSignatureError (reason bad-signature |
 * wrong-domain | origin-mismatch). Field values and freshness are checked by
 * validateAlert, not here.
 */
export async function openAlert (bytes: Uint8Array): Promise<OpenedAlert> {
  return openAlertSync(bytes)
}

/** openAlert without the promise (validateAlert's path: nothing in it waits). */
export function openAlertSync (bytes: Uint8Array): OpenedAlert {
  if (!(bytes instanceof Uint8Array)) throw new AlertDecodeError('malformed', 'signed alert must be a Uint8Array')
  if (bytes.byteLength > MAX_ALERT_BYTES) {
    throw new AlertDecodeError('oversize', `signed alert is ${bytes.byteLength} bytes, above MAX_ALERT_BYTES (${MAX_ALERT_BYTES})`)
  }
  const parts = parseAlertEnvelope(bytes)
  if (parts == null) throw refusal(bytes)
  if (!verifyEd25519(parts.publicKey, parts.signature, parts.signed)) throw new AlertSignatureError('bad-signature', 'envelope signature does not verify for domain ' + ALERT_DOMAIN)
  const read = readAlertPayload(parts.payload)
  // origin bytes are the identity multihash of the key: compare keys, not base58 strings
  if (Buffer.compare(read.originKey, parts.publicKey) !== 0) {
    throw new AlertSignatureError('origin-mismatch', `alert.origin ${read.origin} is not the signer ${peerIdFromPublicKey(publicKeyFromRaw(parts.publicKey)).toString()}`)
  }
  // a newer minor version's alert, signed by its origin: unknown-kind / unknown-field (ignored, nobody penalised)
  if (read.alert == null) throw read.newer
  return { alert: read.alert, signer: read.origin }
}
