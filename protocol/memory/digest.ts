/**
 * Digests of a set of live alert ids, for anti-entropy (sorted-id ranges in
 * the manner of range-based set reconciliation: Meyer, "Range-Based Set
 * Reconciliation", 2023, as in negentropy; here with one fixed level of 256
 * ranges, since the sets are small):
 *
 * - An id (16 random bytes) falls in bucket = its first byte (256 ranges of
 *   the sorted id space).
 * - An item's hash is the first 8 bytes of SHA-256(id) (so an origin cannot
 *   line up fingerprints by choosing ids); a set's fingerprint is the SUM of
 *   its items' hashes mod 2^64 (not XOR: a sum resists cancelling subsets),
 *   with the count beside it. Add and remove are O(1), so the digest of the
 *   memory is always current.
 * - Two members in sync exchange one count + 8-byte fingerprint per
 *   community (IN_SYNC). Otherwise the server answers its bucket table
 *   (256 × (count uint16, low 32 bits of the bucket sum) = 1,536 bytes), the
 *   requester finds the buckets that differ and asks for those alone, listing
 *   the ids it already holds there, so only missing items travel.
 */
import { createHash } from 'node:crypto'

export const BUCKETS = 256
export const BUCKET_ENTRY_BYTES = 6
export const BUCKET_TABLE_BYTES = BUCKETS * BUCKET_ENTRY_BYTES
export const BUCKET_BITMAP_BYTES = BUCKETS / 8
export const FINGERPRINT_BYTES = 8
const MASK64 = (1n << 64n) - 1n

/** The bucket of an alert id (hex): its first byte. */
export function bucketOf (idHex: string): number {
  return parseInt(idHex.slice(0, 2), 16)
}

/** 64-bit hash of an id (hex): the first 8 bytes of SHA-256 of its bytes. */
export function idHash (idHex: string): bigint {
  return createHash('sha256').update(Buffer.from(idHex, 'hex')).digest().readBigUInt64BE(0)
}

export function fingerprintBytes (sum: bigint): Uint8Array {
  const b = Buffer.alloc(FINGERPRINT_BYTES)
  b.writeBigUInt64BE(sum & MASK64)
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

export function fingerprintFromBytes (b: Uint8Array): bigint {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).readBigUInt64BE(0)
}

export interface BucketEntry { count: number, fp: number }

/** An incrementally maintained digest of one community's live ids. */
export class SetDigest {
  count = 0
  sum = 0n
  private readonly bucketCount = new Uint32Array(BUCKETS)
  private readonly bucketSum: bigint[] = new Array<bigint>(BUCKETS).fill(0n)

  add (idHex: string, hash: bigint): void {
    const b = bucketOf(idHex)
    this.count++
    this.sum = (this.sum + hash) & MASK64
    this.bucketCount[b]++
    this.bucketSum[b] = (this.bucketSum[b] + hash) & MASK64
  }

  remove (idHex: string, hash: bigint): void {
    const b = bucketOf(idHex)
    this.count--
    this.sum = (this.sum - hash) & MASK64
    this.bucketCount[b]--
    this.bucketSum[b] = (this.bucketSum[b] - hash) & MASK64
  }

  bucket (b: number): BucketEntry {
    return { count: this.bucketCount[b], fp: Number(this.bucketSum[b] & 0xffffffffn) }
  }

  /** 256 × (count uint16 BE, saturated; fingerprint uint32 BE). */
  table (): Uint8Array {
    const out = Buffer.alloc(BUCKET_TABLE_BYTES)
    for (let b = 0; b < BUCKETS; b++) {
      const e = this.bucket(b)
      out.writeUInt16BE(Math.min(e.count, 0xffff), b * BUCKET_ENTRY_BYTES)
      out.writeUInt32BE(e.fp, b * BUCKET_ENTRY_BYTES + 2)
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  }
}

/** Read a bucket table (length checked by the codec). */
export function readBucketTable (t: Uint8Array): BucketEntry[] {
  const b = Buffer.from(t.buffer, t.byteOffset, t.byteLength)
  const out: BucketEntry[] = []
  for (let i = 0; i < BUCKETS; i++) out.push({ count: b.readUInt16BE(i * BUCKET_ENTRY_BYTES), fp: b.readUInt32BE(i * BUCKET_ENTRY_BYTES + 2) })
  return out
}

/** The buckets where the peer's table differs from ours and the peer holds something. */
export function differingBuckets (mine: SetDigest, theirs: BucketEntry[]): number[] {
  const out: number[] = []
  for (let b = 0; b < BUCKETS; b++) {
    const t = theirs[b]
    if (t.count === 0) continue
    const m = mine.bucket(b)
    if (Math.min(m.count, 0xffff) !== t.count || m.fp !== t.fp) out.push(b)
  }
  return out
}

export function bucketBitmap (buckets: Iterable<number>): Uint8Array {
  const out = new Uint8Array(BUCKET_BITMAP_BYTES)
  for (const b of buckets) out[b >> 3] |= 1 << (b & 7)
  return out
}

export function bucketsOfBitmap (bitmap: Uint8Array): number[] {
  const out: number[] = []
  for (let b = 0; b < BUCKETS; b++) if ((bitmap[b >> 3] & (1 << (b & 7))) !== 0) out.push(b)
  return out
}

export function inBitmap (bitmap: Uint8Array, b: number): boolean {
  return (bitmap[b >> 3] & (1 << (b & 7))) !== 0
}

/**
 * Bloom filter of n ids at a false-positive rate p, in bytes (m = -n ln p / ln² 2):
 * what the same anti-entropy round would send as a Bloom filter, for the
 * side-by-side figure (bench/memory.ts).
 */
export function bloomFilterBytes (n: number, p: number): number {
  if (n <= 0) return 0
  return Math.ceil(-n * Math.log(p) / (Math.LN2 * Math.LN2) / 8)
}
