/**
 * Canonical-only decoding of the Alert protobuf (alert.proto): accepts exactly
 * the bytes the protons encoder (alert-pb.ts) writes, and returns the same
 * object the protons decoder would. Fields come in field-number order, each
 * once (repeated fields in one run), a proto3 scalar only when it is not its
 * default, varints and lengths in their shortest form, strings as valid UTF-8,
 * and nothing else: no unknown fields, no other wire types.
 *
 * Why not protons' decoder followed by "re-encode and compare" (the check this
 * replaces): that pair cost ~13 µs per typical alert (8.8 decoding, of which
 * half in protons' JavaScript UTF-8 reader, and 4.3 re-encoding), ~14% of an
 * Ed25519 verification; this decoder checks canonical form while it reads, in
 * ~1.5 µs (`npm run bench -- protocol`: decodePerSec). The protons code stays
 * the reference: the encoder is protons', and the tests (fuzz included) check
 * that this decoder accepts what "protons decode, re-encode, compare" accepts
 * and returns what protons returns, with two deliberate differences, both
 * rejections of bytes no honest encoder writes: invalid UTF-8 that protons'
 * lax reader happens to re-encode identically (e.g. an encoded lone surrogate:
 * the encoder writes well-formed strings only, see codec.ts), and an
 * `issued_at_ms` above 2^53 - 1 (never a valid time; the field checks refuse it
 * anyway).
 *
 * Forward compatibility (docs/protocol.md): a newer minor version may add an
 * alert kind or fields without a new `version`, and an older node must ignore
 * such an alert, not reject it. So the canonical form is that of the schema
 * with room to grow: after a message's known fields (field numbers 1..N, all
 * of them used) may come fields numbered above N, in field-number order, with
 * shortest-form tags and lengths and a wire type protons writes (0, 1, 2, 5);
 * and `kind` may hold a value this node has no name for. Such bytes are read
 * to the end with every other canonical rule enforced, and reported as
 * `newer` ('unknown-field' wins over 'unknown-kind'); the caller decides
 * (codec.ts: ignored once the signature binds them to their origin). Anything
 * else that is not this encoder's output (a known field out of order or
 * repeated, an unknown field among known ones, a non-minimal varint, a kind
 * written although 0, ...) stays malformed.
 *
 * Errors: AlertDecodeError with reason 'malformed', or 'impossible-value' for
 * more repeated elements than the WIRE_MAX_* caps (as protons' MaxLengthError:
 * the decoder stops at the cap); decodeCanonicalAlertPb also throws
 * 'unknown-kind' / 'unknown-field' where readCanonicalAlertPb reports `newer`.
 */
import { AlertDecodeError } from '../errors.js'
import { Alert as AlertPb } from './alert-pb.js'

/** Decoder caps on repeated fields (also compiled into alert-pb.ts from alert.proto). */
export const WIRE_MAX_SOURCES = 64
export const WIRE_MAX_SIGNATURES = 16
export const WIRE_MAX_TOKENS = 32

// tag bytes (field number << 3 | wire type); every field number is < 16, so every tag is one byte
const T_VERSION = 0x08
const T_ID = 0x12
const T_ORIGIN = 0x1a
const T_SEQ = 0x20
const T_ISSUED_AT = 0x28
const T_COMMUNITY = 0x32
const T_DANGER = 0x38
const T_KIND = 0x40
const T_SEEN = 0x4a
const T_SOURCES = 0x52
const T_SIGNATURES = 0x5a
const T_EVIDENCE = 0x62
const T_TTL = 0x68
// Seen
const T_SEEN_CONTEXT = 0x0a
const T_SEEN_PARAMETER = 0x12
const T_SEEN_SCORE = 0x19
const T_SEEN_EXPLANATION = 0x22
// SourceIndicator
const T_SRC_ADDRESS = 0x0a
const T_SRC_TTL = 0x10
// SignatureIndicator
const T_SIG_ID = 0x0a
const T_SIG_CONTEXT = 0x12
const T_SIG_PARAMETER = 0x1a
const T_SIG_TOKENS = 0x22
const T_SIG_GENERATOR = 0x2a
const T_SIG_SAMPLES = 0x30

/** Alert.Kind values this node knows (alert.proto); a higher value is a kind of a newer minor version. */
const KINDS: ReadonlyArray<AlertPb.Kind | undefined> = [undefined, AlertPb.Kind.ANOMALY, AlertPb.Kind.SIGNATURE, AlertPb.Kind.SOURCE]

/** The highest field number of each message in alert.proto (every number from 1 up is used). */
const LAST_FIELD_ALERT = 13
const LAST_FIELD_SEEN = 4
const LAST_FIELD_SOURCE = 2
const LAST_FIELD_SIGNATURE = 6

/** What canonical bytes hold beyond this node's schema: a kind or fields of a newer minor version. */
export type NewerContent = 'unknown-kind' | 'unknown-field'

export interface CanonicalAlertRead {
  pb: AlertPb
  /** null: every kind and field is known. Otherwise pb holds the known fields (kind KIND_UNSPECIFIED for 'unknown-kind'). */
  newer: NewerContent | null
  /** The kind as written (0 when absent). */
  kindValue: number
}

/** The default of an absent bytes field (a zero-length view cannot be written to, so one is shared). */
const EMPTY = new Uint8Array(0)

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * ASCII bytes as a string. Buffer#latin1Slice (what toString('latin1') calls
 * after normalising its arguments; undocumented but in every Node release)
 * when present: toString's own argument handling was a third of this
 * decoder's time.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Buffer, from: number, to: number) => string }).latin1Slice
const latin1 = typeof latin1Slice === 'function'
  ? (view: Buffer, from: number, to: number): string => latin1Slice.call(view, from, to)
  : (view: Buffer, from: number, to: number): string => view.toString('latin1', from, to)

function malformed (what: string): never {
  throw new AlertDecodeError('malformed', `alert is not in canonical protobuf form: ${what}`)
}

class Cursor {
  pos = 0
  /** Set when fields numbered above a message's last known field were skipped. */
  newerField = false
  constructor (readonly buf: Uint8Array, readonly view: Buffer) {}

  /** A shortest-form varint of at most 32 bits. */
  uint32 (end: number, what: string): number {
    const b = this.buf
    let p = this.pos
    if (p >= end) malformed(`${what} is cut off`)
    let byte = b[p++]
    if (byte < 0x80) { this.pos = p; return byte }
    let value = byte & 0x7f
    let scale = 0x80
    for (let i = 1; i < 5; i++) {
      if (p >= end) malformed(`${what} is cut off`)
      byte = b[p++]
      if (byte < 0x80) {
        if (byte === 0) malformed(`${what} is not in shortest form`)
        if (i === 4 && byte > 0x0f) malformed(`${what} exceeds 32 bits`)
        this.pos = p
        return value + byte * scale
      }
      value += (byte & 0x7f) * scale
      scale *= 0x80
    }
    return malformed(`${what} exceeds 32 bits`)
  }

  /** A non-zero uint32 scalar (proto3 writes a zero as nothing). */
  nonZeroUint32 (end: number, what: string): number {
    const v = this.uint32(end, what)
    if (v === 0) malformed(`${what} is written although it is 0`)
    return v
  }

  /** A shortest-form, non-zero varint of at most 64 bits, as a bigint. */
  uint64 (end: number, what: string): bigint {
    const b = this.buf
    let p = this.pos
    // bits 0..27 from the first four bytes, bits 28..63 from the rest: both halves exact in a double
    let lo = 0
    let hi = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (p >= end) malformed(`${what} is cut off`)
      const byte = b[p++]
      if (i < 4) { lo += (byte & 0x7f) * scale; scale = i === 3 ? 1 : scale * 0x80 } else { hi += (byte & 0x7f) * scale; scale *= 0x80 }
      if (byte < 0x80) {
        if (byte === 0 && i > 0) malformed(`${what} is not in shortest form`)
        if (i === 9 && byte > 0x01) malformed(`${what} exceeds 64 bits`)
        this.pos = p
        const value = hi === 0 ? BigInt(lo) : (BigInt(hi) << 28n) | BigInt(lo)
        if (value === 0n) malformed(`${what} is written although it is 0`)
        return value
      }
    }
    return malformed(`${what} exceeds 64 bits`)
  }

  /** A shortest-form, non-zero varint that is a safe integer (< 2^53). */
  safeUint (end: number, what: string): number {
    const b = this.buf
    let p = this.pos
    let value = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      if (p >= end) malformed(`${what} is cut off`)
      const byte = b[p++]
      value += (byte & 0x7f) * scale
      scale *= 0x80
      if (byte < 0x80) {
        if (byte === 0 && i > 0) malformed(`${what} is not in shortest form`)
        if (i === 7 && byte > 0x0f) malformed(`${what} is above 2^53 - 1`)
        if (value === 0) malformed(`${what} is written although it is 0`)
        this.pos = p
        return value
      }
    }
    return malformed(`${what} is above 2^53 - 1`)
  }

  /** The end offset of a length-delimited field that starts here (its length read). */
  delimited (end: number, what: string): number {
    const len = this.uint32(end, `${what} length`)
    const to = this.pos + len
    if (to > end) malformed(`${what} runs past its message`)
    return to
  }

  bytes (end: number, what: string, nonEmpty: boolean): Uint8Array<ArrayBuffer> {
    const to = this.delimited(end, what)
    if (nonEmpty && to === this.pos) malformed(`${what} is written although it is empty`)
    const out = this.buf.subarray(this.pos, to) as Uint8Array<ArrayBuffer>
    this.pos = to
    return out
  }

  /** A UTF-8 string field; `nonEmpty` for proto3 scalars, which are not written when empty. */
  string (end: number, what: string, nonEmpty: boolean): string {
    const to = this.delimited(end, what)
    const from = this.pos
    if (nonEmpty && to === from) malformed(`${what} is written although it is empty`)
    this.pos = to
    const b = this.buf
    for (let i = from; i < to; i++) {
      if (b[i] >= 0x80) {
        try {
          return utf8.decode(b.subarray(from, to))
        } catch {
          return malformed(`${what} is not valid UTF-8`)
        }
      }
    }
    return latin1(this.view, from, to)
  }

  double (end: number, what: string): number {
    const p = this.pos
    if (p + 8 > end) malformed(`${what} is cut off`)
    const v = this.view.readDoubleLE(p)
    // +0 and -0 are not written (protons tests `score !== 0`); any NaN is written back bit for bit
    if (v === 0) malformed(`${what} is written although it is 0`)
    this.pos = p + 8
    return v
  }

  /**
   * The rest of a message, [pos, end), as fields numbered above `lastKnown`
   * (a newer minor version's), in field-number order, each with a
   * shortest-form tag, a wire type protons writes and a value in its
   * shortest form where it has one (varint, length). A field numbered
   * `lastKnown` or below here is a known field repeated or out of order:
   * malformed, as is anything cut off or of another wire type.
   */
  newerFields (end: number, lastKnown: number, where: string): void {
    let previous = lastKnown + 1
    while (this.pos < end) {
      const tag = this.uint32(end, `${where}: a field tag`)
      const field = tag >>> 3
      if (field <= lastKnown) malformed(`${where}: unknown, repeated or misplaced fields (fields must come once each, in field-number order)`)
      if (field < previous) malformed(`${where}: fields of a newer version out of field-number order`)
      previous = field
      switch (tag & 7) {
        case 0: this.varint64(end, `${where}: field ${field}`); break
        case 1: this.skip(8, end, `${where}: field ${field}`); break
        case 2: this.pos = this.delimited(end, `${where}: field ${field}`); break
        case 5: this.skip(4, end, `${where}: field ${field}`); break
        default: malformed(`${where}: field ${field} has wire type ${tag & 7}`)
      }
    }
    this.newerField = true
  }

  /** Step over a shortest-form varint of at most 64 bits (0 allowed: the field's meaning is not known). */
  private varint64 (end: number, what: string): void {
    const b = this.buf
    let p = this.pos
    for (let i = 0; i < 10; i++) {
      if (p >= end) malformed(`${what} is cut off`)
      const byte = b[p++]
      if (byte < 0x80) {
        if (byte === 0 && i > 0) malformed(`${what} is not in shortest form`)
        if (i === 9 && byte > 0x01) malformed(`${what} exceeds 64 bits`)
        this.pos = p
        return
      }
    }
    malformed(`${what} exceeds 64 bits`)
  }

  private skip (n: number, end: number, what: string): void {
    if (this.pos + n > end) malformed(`${what} is cut off`)
    this.pos += n
  }

  /** Whether the next field has this tag; if so, step over the tag. */
  at (tag: number, end: number): boolean {
    if (this.pos >= end || this.buf[this.pos] !== tag) return false
    this.pos++
    return true
  }
}

function seen (c: Cursor, end: number): AlertPb.Seen {
  const s: AlertPb.Seen = { context: '', parameter: '', score: 0, explanation: '' }
  if (c.at(T_SEEN_CONTEXT, end)) s.context = c.string(end, 'seen.context', true)
  if (c.at(T_SEEN_PARAMETER, end)) s.parameter = c.string(end, 'seen.parameter', true)
  if (c.at(T_SEEN_SCORE, end)) s.score = c.double(end, 'seen.score')
  if (c.at(T_SEEN_EXPLANATION, end)) s.explanation = c.string(end, 'seen.explanation', true)
  if (c.pos !== end) c.newerFields(end, LAST_FIELD_SEEN, 'seen')
  return s
}

function source (c: Cursor, end: number): AlertPb.SourceIndicator {
  const s: AlertPb.SourceIndicator = { address: '', ttlSec: 0 }
  if (c.at(T_SRC_ADDRESS, end)) s.address = c.string(end, 'sources.address', true)
  if (c.at(T_SRC_TTL, end)) s.ttlSec = c.nonZeroUint32(end, 'sources.ttl_sec')
  if (c.pos !== end) c.newerFields(end, LAST_FIELD_SOURCE, 'a source')
  return s
}

function signature (c: Cursor, end: number): AlertPb.SignatureIndicator {
  const s: AlertPb.SignatureIndicator = { id: '', context: '', parameter: '', tokens: [], generator: '', sampleCount: 0 }
  if (c.at(T_SIG_ID, end)) s.id = c.string(end, 'signatures.id', true)
  if (c.at(T_SIG_CONTEXT, end)) s.context = c.string(end, 'signatures.context', true)
  if (c.at(T_SIG_PARAMETER, end)) s.parameter = c.string(end, 'signatures.parameter', true)
  while (c.at(T_SIG_TOKENS, end)) {
    if (s.tokens.length === WIRE_MAX_TOKENS) throw new AlertDecodeError('impossible-value', `too many elements: a signature has more than ${WIRE_MAX_TOKENS} tokens`)
    s.tokens.push(c.string(end, 'signatures.tokens', false)) // repeated: an empty element is written
  }
  if (c.at(T_SIG_GENERATOR, end)) s.generator = c.string(end, 'signatures.generator', true)
  if (c.at(T_SIG_SAMPLES, end)) s.sampleCount = c.nonZeroUint32(end, 'signatures.sample_count')
  if (c.pos !== end) c.newerFields(end, LAST_FIELD_SIGNATURE, 'a signature')
  return s
}

/**
 * The Alert in canonical protobuf bytes, as protons' decoder returns it, and
 * whether they hold a kind or fields of a newer minor version. Throws
 * AlertDecodeError ('malformed' | 'impossible-value'); never reads past
 * `bytes`.
 */
export function readCanonicalAlertPb (bytes: Uint8Array): CanonicalAlertRead {
  const c = new Cursor(bytes, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  const end = bytes.byteLength
  const pb: AlertPb = {
    version: 0,
    id: EMPTY,
    origin: EMPTY,
    seq: 0n,
    issuedAtMs: 0,
    community: '',
    danger: 0,
    kind: AlertPb.Kind.KIND_UNSPECIFIED,
    sources: [],
    signatures: [],
    ttlSec: 0
  }
  if (c.at(T_VERSION, end)) pb.version = c.nonZeroUint32(end, 'version')
  if (c.at(T_ID, end)) pb.id = c.bytes(end, 'id', true)
  if (c.at(T_ORIGIN, end)) pb.origin = c.bytes(end, 'origin', true)
  if (c.at(T_SEQ, end)) pb.seq = c.uint64(end, 'seq')
  if (c.at(T_ISSUED_AT, end)) pb.issuedAtMs = c.safeUint(end, 'issued_at_ms')
  if (c.at(T_COMMUNITY, end)) pb.community = c.string(end, 'community', true)
  if (c.at(T_DANGER, end)) pb.danger = c.nonZeroUint32(end, 'danger')
  let kindValue = 0
  let newerKind = false
  if (c.at(T_KIND, end)) {
    kindValue = c.nonZeroUint32(end, 'kind')
    const kind = KINDS[kindValue]
    if (kind == null) newerKind = true
    else pb.kind = kind
  }
  if (c.at(T_SEEN, end)) {
    const to = c.delimited(end, 'seen')
    pb.seen = seen(c, to)
  }
  while (c.at(T_SOURCES, end)) {
    if (pb.sources.length === WIRE_MAX_SOURCES) throw new AlertDecodeError('impossible-value', `too many elements: more than ${WIRE_MAX_SOURCES} sources`)
    const to = c.delimited(end, 'sources')
    pb.sources.push(source(c, to))
  }
  while (c.at(T_SIGNATURES, end)) {
    if (pb.signatures.length === WIRE_MAX_SIGNATURES) throw new AlertDecodeError('impossible-value', `too many elements: more than ${WIRE_MAX_SIGNATURES} signatures`)
    const to = c.delimited(end, 'signatures')
    pb.signatures.push(signature(c, to))
  }
  if (c.at(T_EVIDENCE, end)) pb.evidenceDigest = c.bytes(end, 'evidence_digest', false) // optional: written even when empty
  if (c.at(T_TTL, end)) pb.ttlSec = c.nonZeroUint32(end, 'ttl_sec')
  if (c.pos !== end) c.newerFields(end, LAST_FIELD_ALERT, 'alert')
  return { pb, newer: c.newerField ? 'unknown-field' : newerKind ? 'unknown-kind' : null, kindValue }
}

/** readCanonicalAlertPb for bytes that must hold nothing newer: throws AlertDecodeError 'unknown-kind' / 'unknown-field' for those. */
export function decodeCanonicalAlertPb (bytes: Uint8Array): AlertPb {
  const read = readCanonicalAlertPb(bytes)
  if (read.newer != null) throw newerContentError(read)
  return read.pb
}

/** The error for an alert of a newer minor version (gossipsub 'ignore', see validation-code.ts). */
export function newerContentError (read: CanonicalAlertRead): AlertDecodeError {
  return read.newer === 'unknown-field'
    ? new AlertDecodeError('unknown-field', 'alert with fields this node does not know (a newer minor version): ignored')
    : new AlertDecodeError('unknown-kind', `alert of kind ${read.kindValue}, which this node does not know (a newer minor version): ignored`, 'kind')
}
