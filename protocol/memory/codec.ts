/**
 * Encoding and validation of memory messages. Pure, and the decoders never
 * throw for any input bytes: they return a code (validation-code.ts). Sizes
 * are checked before decoding, repeated data is carried in fixed-width byte
 * fields whose lengths are checked, and the items of an answer are
 * raw-deflated envelopes whose inflation stops at maxAnswerBytes (node:zlib
 * maxOutputLength), so a deflate bomb costs at most that much work.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { ALERT_COMMUNITY_PATTERN } from '../alert/index.js'
import { BUCKET_BITMAP_BYTES, BUCKET_TABLE_BYTES, FINGERPRINT_BYTES, fingerprintBytes, fingerprintFromBytes, readBucketTable } from './digest.js'
import type { BucketEntry } from './digest.js'
import { MemoryRequest as PbRequest, MemoryResponse as PbResponse } from './memory-pb.js'
import { MemoryValidationCode } from './validation-code.js'
import type { MemoryParams } from './memory-params.js'

export const MEMORY_PROTOCOL_VERSION = 1
/** The libp2p protocol id: the major version is in the path, as for the community topics. */
export const MEMORY_PROTOCOL = '/immune/1/memory'
export const ID_BYTES = 16

export type MemoryRequest =
  | { mode: 'digest', community: string, count: number, fingerprint: bigint }
  | { mode: 'fetch', community: string, buckets: Uint8Array, have: string[], after: string | null, maxItems: number }

export type MemoryStatus = 'ok' | 'in-sync' | 'different' | 'busy' | 'rate-limited' | 'refused' | 'unknown-community'

export interface MemoryResponse {
  status: MemoryStatus
  count: number
  fingerprint: bigint
  /** DIFFERENT: the server's bucket table. */
  buckets?: BucketEntry[]
  /** OK: the envelopes, in the order sent. */
  items: Uint8Array[]
  more: boolean
  retryAfterMs: number
  reason: string
}

export type Decoded<T> = { ok: true, value: T } | { ok: false, code: MemoryValidationCode, reason: string }

const fail = <T>(code: MemoryValidationCode, reason: string): Decoded<T> => ({ ok: false, code, reason })

const STATUS_TO_PB: Record<MemoryStatus, PbResponse.Status> = {
  ok: PbResponse.Status.OK,
  'in-sync': PbResponse.Status.IN_SYNC,
  different: PbResponse.Status.DIFFERENT,
  busy: PbResponse.Status.BUSY,
  'rate-limited': PbResponse.Status.RATE_LIMITED,
  refused: PbResponse.Status.REFUSED,
  'unknown-community': PbResponse.Status.UNKNOWN_COMMUNITY
}
const PB_TO_STATUS = new Map<string, MemoryStatus>(Object.entries(STATUS_TO_PB).map(([k, v]) => [v, k as MemoryStatus]))

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const u8 = (b: Buffer): Uint8Array<ArrayBuffer> => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength)

export function encodeMemoryRequest (r: MemoryRequest): Uint8Array {
  if (r.mode === 'digest') {
    return PbRequest.encode({ version: MEMORY_PROTOCOL_VERSION, mode: PbRequest.Mode.DIGEST, community: r.community, count: r.count, fingerprint: fingerprintBytes(r.fingerprint) as Uint8Array<ArrayBuffer> })
  }
  return PbRequest.encode({
    version: MEMORY_PROTOCOL_VERSION,
    mode: PbRequest.Mode.FETCH,
    community: r.community,
    buckets: r.buckets as Uint8Array<ArrayBuffer>,
    have: u8(Buffer.from(r.have.join(''), 'hex')),
    ...(r.after != null ? { after: u8(Buffer.from(r.after, 'hex')) } : {}),
    maxItems: r.maxItems
  })
}

/** Validate a request's bytes (server side). */
export function decodeMemoryRequest (bytes: Uint8Array, params: Pick<MemoryParams, 'maxRequestBytes' | 'maxHaveIds'>): Decoded<MemoryRequest> {
  if (bytes.byteLength > params.maxRequestBytes) return fail(MemoryValidationCode.OVERSIZE, `request of ${bytes.byteLength} bytes (max ${params.maxRequestBytes})`)
  let pb: PbRequest
  try {
    pb = PbRequest.decode(bytes)
  } catch (e) {
    return fail(MemoryValidationCode.MALFORMED, (e as Error).message)
  }
  if (pb.version !== MEMORY_PROTOCOL_VERSION) return fail(MemoryValidationCode.UNSUPPORTED_VERSION, `version ${pb.version} (this node speaks ${MEMORY_PROTOCOL_VERSION})`)
  if (typeof pb.community !== 'string' || !ALERT_COMMUNITY_PATTERN.test(pb.community)) return fail(MemoryValidationCode.BAD_COMMUNITY, `community must match ${String(ALERT_COMMUNITY_PATTERN)}`)
  if (pb.mode === PbRequest.Mode.DIGEST) {
    const fp = pb.fingerprint ?? new Uint8Array()
    if (fp.byteLength !== FINGERPRINT_BYTES) return fail(MemoryValidationCode.BAD_FIELD, `fingerprint: ${fp.byteLength} bytes (must be ${FINGERPRINT_BYTES})`)
    if (pb.have.byteLength > 0 || pb.buckets.byteLength > 0 || pb.after.byteLength > 0) return fail(MemoryValidationCode.BAD_FIELD, 'a DIGEST request carries no buckets, have or after')
    return { ok: true, value: { mode: 'digest', community: pb.community, count: pb.count, fingerprint: fingerprintFromBytes(fp) } }
  }
  if (pb.mode === PbRequest.Mode.FETCH) {
    if (pb.buckets.byteLength !== BUCKET_BITMAP_BYTES) return fail(MemoryValidationCode.BAD_FIELD, `buckets: ${pb.buckets.byteLength} bytes (must be ${BUCKET_BITMAP_BYTES})`)
    if (pb.have.byteLength % ID_BYTES !== 0) return fail(MemoryValidationCode.BAD_FIELD, `have: ${pb.have.byteLength} bytes (must be a multiple of ${ID_BYTES})`)
    const n = pb.have.byteLength / ID_BYTES
    if (n > params.maxHaveIds) return fail(MemoryValidationCode.TOO_MANY_IDS, `have: ${n} ids (max ${params.maxHaveIds})`)
    if (pb.after.byteLength !== 0 && pb.after.byteLength !== ID_BYTES) return fail(MemoryValidationCode.BAD_FIELD, `after: ${pb.after.byteLength} bytes (must be empty or ${ID_BYTES})`)
    if (pb.maxItems < 1) return fail(MemoryValidationCode.BAD_FIELD, 'max_items must be >= 1')
    if (pb.count !== 0 || (pb.fingerprint != null && pb.fingerprint.byteLength > 0)) return fail(MemoryValidationCode.BAD_FIELD, 'a FETCH request carries no count or fingerprint')
    const all = hex(pb.have)
    const have: string[] = []
    for (let i = 0; i < n; i++) have.push(all.slice(i * 32, i * 32 + 32))
    return { ok: true, value: { mode: 'fetch', community: pb.community, buckets: pb.buckets, have, after: pb.after.byteLength === 0 ? null : hex(pb.after), maxItems: pb.maxItems } }
  }
  return fail(MemoryValidationCode.BAD_MODE, `mode ${String(pb.mode)}`)
}

function writeVarint (n: number, out: number[]): void {
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n >>>= 7 }
  out.push(n)
}

/** Raw-deflate of varint-length-prefixed envelopes. */
export function packItems (items: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = []
  for (const it of items) {
    const len: number[] = []
    writeVarint(it.byteLength, len)
    parts.push(Uint8Array.from(len), it)
  }
  return u8(deflateRawSync(Buffer.concat(parts), { level: 6 }))
}

export interface ResponseInit {
  status: MemoryStatus
  count?: number
  fingerprint?: bigint
  buckets?: Uint8Array
  items?: Uint8Array[]
  more?: boolean
  retryAfterMs?: number
  reason?: string
}

export function encodeMemoryResponse (r: ResponseInit): Uint8Array {
  const items = r.items ?? []
  return PbResponse.encode({
    version: MEMORY_PROTOCOL_VERSION,
    status: STATUS_TO_PB[r.status],
    count: r.count ?? 0,
    ...(r.fingerprint != null ? { fingerprint: fingerprintBytes(r.fingerprint) as Uint8Array<ArrayBuffer> } : {}),
    ...(r.buckets != null ? { buckets: r.buckets as Uint8Array<ArrayBuffer> } : {}),
    ...(items.length > 0 ? { items: packItems(items) as Uint8Array<ArrayBuffer>, itemCount: items.length } : {}),
    more: r.more ?? false,
    retryAfterMs: r.retryAfterMs ?? 0,
    reason: (r.reason ?? '').slice(0, 256)
  })
}

/** Unpack `items`: inflate at most maxAnswerBytes, then exactly `count` length-prefixed envelopes, each at most maxItemBytes. */
export function unpackItems (packed: Uint8Array, count: number, maxAnswerBytes: number, maxItemBytes: number): Decoded<Uint8Array[]> {
  let raw: Buffer
  try {
    raw = inflateRawSync(packed, { maxOutputLength: maxAnswerBytes })
  } catch (e) {
    return fail(MemoryValidationCode.BAD_ITEMS, `items do not inflate within ${maxAnswerBytes} bytes: ${(e as Error).message}`)
  }
  const out: Uint8Array[] = []
  let off = 0
  while (off < raw.length) {
    let len = 0
    let shift = 0
    let b: number
    do {
      if (off >= raw.length || shift > 28) return fail(MemoryValidationCode.BAD_ITEMS, `item ${out.length}: bad length prefix`)
      b = raw[off++]
      len += (b & 0x7f) * 2 ** shift
      shift += 7
    } while ((b & 0x80) !== 0)
    if (len > maxItemBytes) return fail(MemoryValidationCode.ITEM_OVERSIZE, `item ${out.length}: ${len} bytes (max ${maxItemBytes})`)
    if (off + len > raw.length) return fail(MemoryValidationCode.BAD_ITEMS, `item ${out.length}: truncated`)
    out.push(u8(raw.subarray(off, off + len)))
    off += len
    if (out.length > count) return fail(MemoryValidationCode.BAD_ITEMS, `more envelopes than item_count ${count}`)
  }
  if (out.length !== count) return fail(MemoryValidationCode.BAD_ITEMS, `${out.length} envelopes, item_count says ${count}`)
  return { ok: true, value: out }
}

/**
 * Validate an answer's bytes (client side) against the request it answers.
 * Item envelopes are only unpacked here; the client validates each as an
 * alert (memory-client.ts).
 */
export function decodeMemoryResponse (bytes: Uint8Array, request: MemoryRequest, params: Pick<MemoryParams, 'maxResponseBytes' | 'maxAnswerBytes' | 'maxItemsPerAnswer'>, maxItemBytes: number): Decoded<MemoryResponse> {
  if (bytes.byteLength > params.maxResponseBytes) return fail(MemoryValidationCode.OVERSIZE, `answer of ${bytes.byteLength} bytes (max ${params.maxResponseBytes})`)
  let pb: PbResponse
  try {
    pb = PbResponse.decode(bytes)
  } catch (e) {
    return fail(MemoryValidationCode.MALFORMED, (e as Error).message)
  }
  if (pb.version !== MEMORY_PROTOCOL_VERSION) return fail(MemoryValidationCode.UNSUPPORTED_VERSION, `version ${pb.version} (this node speaks ${MEMORY_PROTOCOL_VERSION})`)
  const status = PB_TO_STATUS.get(pb.status as string)
  if (status == null) return fail(MemoryValidationCode.BAD_MODE, `status ${String(pb.status)}`)
  const expected: MemoryStatus[] = request.mode === 'digest' ? ['in-sync', 'different', 'busy', 'rate-limited', 'refused', 'unknown-community'] : ['ok', 'busy', 'rate-limited', 'refused', 'unknown-community']
  if (!expected.includes(status)) return fail(MemoryValidationCode.BAD_MODE, `status ${status} does not answer a ${request.mode} request`)
  const res: MemoryResponse = { status, count: pb.count, fingerprint: 0n, items: [], more: pb.more, retryAfterMs: pb.retryAfterMs, reason: pb.reason }
  if (status === 'in-sync' || status === 'different') {
    const fp = pb.fingerprint ?? new Uint8Array()
    if (fp.byteLength !== FINGERPRINT_BYTES) return fail(MemoryValidationCode.BAD_FIELD, `fingerprint: ${fp.byteLength} bytes (must be ${FINGERPRINT_BYTES})`)
    res.fingerprint = fingerprintFromBytes(fp)
  }
  if (status === 'different') {
    if (pb.buckets.byteLength !== BUCKET_TABLE_BYTES) return fail(MemoryValidationCode.BAD_FIELD, `buckets: ${pb.buckets.byteLength} bytes (must be ${BUCKET_TABLE_BYTES})`)
    res.buckets = readBucketTable(pb.buckets)
  } else if (pb.buckets.byteLength !== 0) {
    return fail(MemoryValidationCode.BAD_FIELD, `a ${status} answer carries no bucket table`)
  }
  if (status === 'ok') {
    const limit = Math.min(params.maxItemsPerAnswer, request.mode === 'fetch' ? request.maxItems : 0)
    if (pb.itemCount > limit) return fail(MemoryValidationCode.TOO_MANY_ITEMS, `${pb.itemCount} items (max ${limit})`)
    if (pb.itemCount === 0 && pb.items.byteLength > 0) return fail(MemoryValidationCode.BAD_FIELD, 'items without item_count')
    if (pb.itemCount > 0) {
      const items = unpackItems(pb.items, pb.itemCount, params.maxAnswerBytes, maxItemBytes)
      if (!items.ok) return items
      res.items = items.value
    }
  } else if (pb.items.byteLength !== 0 || pb.itemCount !== 0) {
    return fail(MemoryValidationCode.BAD_FIELD, `a ${status} answer carries no items`)
  }
  return { ok: true, value: res }
}
