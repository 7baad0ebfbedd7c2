/**
 * Ed25519 verification of a signed alert envelope, byte-for-byte the check of
 * RecordEnvelope.validate (@libp2p/peer-record): the signature covers
 *   varint(len(domain)) ‖ domain ‖ varint(len(payloadType)) ‖ payloadType ‖ varint(len(payload)) ‖ payload
 * but with node:crypto KeyObjects memoised per public key. @libp2p/crypto
 * already verifies with node:crypto on Node; it re-imports the key (JWK) on
 * every call, about 15% of a verify (bench/protocol.ts: ~5,900 → ~7,000
 * verifies per CPU-second on the 2-core CI box). Tests check that both
 * verifiers agree on genuine, tampered, forged and foreign envelopes.
 */
import { createPublicKey, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { evictOldest } from '../../core/index.js'

const ED25519_PUBLIC_KEY_BYTES = 32
const ED25519_SIGNATURE_BYTES = 64
/** Bounded memo of imported keys (a community has few origins); FIFO eviction. */
const KEY_MEMO_MAX = 1024
const keyMemo = new Map<string, KeyObject>()

function keyObject (raw: Uint8Array): KeyObject {
  const memoKey = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
  let key = keyMemo.get(memoKey)
  if (key == null) {
    key = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url') } })
    evictOldest(keyMemo, KEY_MEMO_MAX - 1)
    keyMemo.set(memoKey, key)
  }
  return key
}

function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 128); len++ }
  return len
}

function writeVarint (out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  out[at++] = n
  return at
}

/** The bytes an envelope signature covers (libp2p signed envelope, RFC 0002). */
export function envelopeSignedBytes (domain: Uint8Array, payloadType: Uint8Array, payload: Uint8Array): Uint8Array {
  const parts = [domain, payloadType, payload]
  const out = new Uint8Array(parts.reduce((n, p) => n + varintLength(p.byteLength) + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    at = writeVarint(out, at, p.byteLength)
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** Whether `signature` is `rawPublicKey`'s Ed25519 signature of the envelope fields. Never throws. */
export function verifyEd25519Envelope (rawPublicKey: Uint8Array, signature: Uint8Array, domain: Uint8Array, payloadType: Uint8Array, payload: Uint8Array): boolean {
  return verifyEd25519(rawPublicKey, signature, envelopeSignedBytes(domain, payloadType, payload))
}

/** Whether `signature` is `rawPublicKey`'s Ed25519 signature of `message`, with the key's KeyObject memoised. Never throws. */
export function verifyEd25519 (rawPublicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean {
  if (rawPublicKey.byteLength !== ED25519_PUBLIC_KEY_BYTES || signature.byteLength !== ED25519_SIGNATURE_BYTES) return false
  try {
    return verify(null, message, keyObject(rawPublicKey), signature)
  } catch {
    return false
  }
}
