/**
 * Typed arrays to and from base64 (little-endian, whatever the host), for
 * compact JSON snapshots of models: a Float64Array of 50,000 values is 533 kB
 * of base64 instead of about 1 MB as a JSON number array, and restores bit-exact.
 */
import { endianness } from 'node:os'

const LITTLE = endianness() === 'LE'

function bytesOf (a: Float64Array | Int32Array): Buffer {
  const view = Buffer.from(a.buffer, a.byteOffset, a.byteLength)
  if (LITTLE) return view
  const copy = Buffer.from(view)
  if (a instanceof Float64Array) copy.swap64()
  else copy.swap32()
  return copy
}

export function encodeFloat64 (a: Float64Array): string {
  return bytesOf(a).toString('base64')
}

export function encodeInt32 (a: Int32Array): string {
  return bytesOf(a).toString('base64')
}

/** Decode base64 to a Float64Array; null when the byte length is not a multiple of 8. */
export function decodeFloat64 (s: string): Float64Array | null {
  const buf = Buffer.from(s, 'base64')
  if (buf.byteLength % 8 !== 0) return null
  const out = new Float64Array(buf.byteLength / 8)
  const bytes = Buffer.from(out.buffer)
  buf.copy(bytes)
  if (!LITTLE) bytes.swap64()
  return out
}

/** Decode base64 to an Int32Array; null when the byte length is not a multiple of 4. */
export function decodeInt32 (s: string): Int32Array | null {
  const buf = Buffer.from(s, 'base64')
  if (buf.byteLength % 4 !== 0) return null
  const out = new Int32Array(buf.byteLength / 4)
  const bytes = Buffer.from(out.buffer)
  buf.copy(bytes)
  if (!LITTLE) bytes.swap32()
  return out
}
