/**
 * Forward compatibility (issue 12): a newer node may add an alert kind or a
 * field in a minor step, without a new `version`. An older node that meets
 * such an alert must ignore it (gossipsub `ignore`: no penalty for the peer
 * that forwarded it), never reject it. The codec accepts only the canonical
 * encoding of the schema it knows, so when decoding fails or the bytes are
 * not canonical, this scan of the protobuf wire format tells the two
 * forward-compatible cases apart from garbage:
 *   - `unknown-kind`: every field is known, and `kind` holds a value this
 *     node has no name for;
 *   - `unknown-field`: a field number the schema (alert.proto) does not
 *     have, at the top level or inside Seen, SourceIndicator or SignatureIndicator.
 * Anything else (truncation, wrong wire types, bad lengths) stays malformed.
 * Pure; reads at most the bytes given.
 */

/** Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
type WireType = 0 | 1 | 2 | 5

/** Field number → [wire type, nested schema when it is a message]. */
type Schema = ReadonlyMap<number, readonly [WireType, Schema?]>

const SEEN: Schema = new Map([[1, [2]], [2, [2]], [3, [1]], [4, [2]]])
const SOURCE: Schema = new Map([[1, [2]], [2, [0]]])
const SIGNATURE: Schema = new Map([[1, [2]], [2, [2]], [3, [2]], [4, [2]], [5, [2]], [6, [0]]])
const ALERT: Schema = new Map<number, readonly [WireType, Schema?]>([
  [1, [0]], [2, [2]], [3, [2]], [4, [0]], [5, [0]], [6, [2]], [7, [0]], [8, [0]],
  [9, [2, SEEN]], [10, [2, SOURCE]], [11, [2, SIGNATURE]], [12, [2]], [13, [0]]
])
const KIND_FIELD = 8
/** Alert.Kind values this node knows (alert.proto). */
const KNOWN_KINDS = new Set([0, 1, 2, 3])

export type WireVerdict = 'unknown-field' | 'unknown-kind' | 'malformed'

class Reader {
  pos: number
  constructor (readonly buf: Uint8Array, readonly start: number, readonly end: number) { this.pos = start }
  get done (): boolean { return this.pos >= this.end }
  varint (): number | null {
    let v = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) return null
      const b = this.buf[this.pos++]
      v += (b & 0x7f) * mul
      if ((b & 0x80) === 0) return v
      mul *= 128
    }
    return null
  }
}

/** Scan one message; null when it is well formed and fully known. */
function scan (buf: Uint8Array, start: number, end: number, schema: Schema, top: boolean): WireVerdict | null {
  const r = new Reader(buf, start, end)
  let verdict: WireVerdict | null = null
  while (!r.done) {
    const tag = r.varint()
    if (tag == null) return 'malformed'
    const field = Math.floor(tag / 8)
    const wt = tag % 8
    if (field === 0) return 'malformed'
    let valueStart = r.pos
    let value: number | null = null
    switch (wt) {
      case 0: value = r.varint(); if (value == null) return 'malformed'; break
      case 1: r.pos += 8; break
      case 5: r.pos += 4; break
      case 2: {
        const len = r.varint()
        if (len == null || r.pos + len > end) return 'malformed'
        valueStart = r.pos
        r.pos += len
        break
      }
      default: return 'malformed'
    }
    if (r.pos > end) return 'malformed'
    const known = schema.get(field)
    if (known == null) { verdict = 'unknown-field'; continue }
    if (known[0] !== wt) return 'malformed'
    if (known[1] != null) {
      const inner = scan(buf, valueStart, r.pos, known[1], false)
      if (inner === 'malformed') return 'malformed'
      if (inner != null) verdict = inner
    }
    if (top && field === KIND_FIELD && value != null && !KNOWN_KINDS.has(value) && verdict == null) verdict = 'unknown-kind'
  }
  return verdict
}

/** Why alert bytes the codec could not take are (not) forward-compatible. */
export function classifyUndecodable (payload: Uint8Array): WireVerdict {
  return scan(payload, 0, payload.byteLength, ALERT, true) ?? 'malformed'
}
