/**
 * The canonical-only Alert decoder against its reference: protons' decoder
 * followed by "re-encode and compare" (what codec.ts did before), with valid
 * UTF-8 and a safe issued_at_ms required on top (the two documented
 * differences). Both must accept the same bytes and return the same message.
 */
import { MaxLengthError } from 'protons-runtime'
import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../core/index.js'
import { AlertDecodeError } from '../../../protocol/errors.js'
import { Alert as AlertPb } from '../../../protocol/alert/alert-pb.js'
import { decodeCanonicalAlertPb, WIRE_MAX_SIGNATURES, WIRE_MAX_SOURCES, WIRE_MAX_TOKENS } from '../../../protocol/alert/canonical-decode.js'
import { decodeAlert, encodeAlert } from '../../../protocol/alert/index.js'
import { alertFrom, peer, typicalDraft } from './fixtures.js'
import type { Alert } from '../../../protocol/alert/index.js'

interface WellFormed { isWellFormed: () => boolean }
const wellFormed = (s: string): boolean => (s as unknown as WellFormed).isWellFormed()

function strings (pb: AlertPb): string[] {
  return [
    pb.community,
    ...(pb.seen == null ? [] : [pb.seen.context, pb.seen.parameter, pb.seen.explanation]),
    ...pb.sources.map((s) => s.address),
    ...pb.signatures.flatMap((s) => [s.id, s.context, s.parameter, s.generator, ...s.tokens])
  ]
}

type Outcome = { ok: true, pb: AlertPb } | { ok: false, reason: string }

/** The reference: protons decode, the bytes must be what protons re-encodes, strings well-formed, issued_at_ms safe. */
function reference (bytes: Uint8Array): Outcome {
  let pb: AlertPb
  try {
    pb = AlertPb.decode(bytes, { limits: { sources: WIRE_MAX_SOURCES, signatures: WIRE_MAX_SIGNATURES, signatures$: { tokens: WIRE_MAX_TOKENS } } })
  } catch (err) {
    return { ok: false, reason: err instanceof MaxLengthError ? 'impossible-value' : 'malformed' }
  }
  if (Buffer.compare(AlertPb.encode(pb), bytes) !== 0) return { ok: false, reason: 'malformed' }
  if (!strings(pb).every(wellFormed) || !Number.isSafeInteger(pb.issuedAtMs)) return { ok: false, reason: 'malformed' }
  return { ok: true, pb }
}

function strict (bytes: Uint8Array): Outcome {
  try {
    return { ok: true, pb: decodeCanonicalAlertPb(bytes) }
  } catch (err) {
    if (!(err instanceof AlertDecodeError)) throw err
    return { ok: false, reason: err.details.reason }
  }
}

/** Compare messages with typed arrays as plain byte lists (subarray views vs copies). */
const plain = (pb: AlertPb): unknown => JSON.parse(JSON.stringify(pb, (_k, v: unknown) => {
  if (typeof v === 'bigint') return `${v}n`
  if (v instanceof Uint8Array) return Array.from(v)
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v)
  return v
}))

function expectSame (bytes: Uint8Array, label: string): Outcome {
  const r = reference(bytes)
  const s = strict(bytes)
  expect(s.ok, `${label}: accepted by one decoder only (${Buffer.from(bytes).toString('hex').slice(0, 160)})`).toBe(r.ok)
  if (r.ok && s.ok) expect(plain(s.pb), label).toEqual(plain(r.pb))
  return s
}

function reasonOf (bytes: Uint8Array): string {
  const s = strict(bytes)
  return s.ok ? 'ok' : s.reason
}

const cat = (...parts: ArrayLike<number>[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => Array.from(p)))

/** Canonical alert bytes with the one-byte `kind` value (field 8, tag 0x40) replaced; the fields before it have one-byte tags. */
function withKindValue (bytes: Uint8Array, kind: number): Uint8Array {
  const out = Uint8Array.from(bytes)
  let i = 0
  const varint = (): number => { let v = 0; let m = 1; for (;;) { const b = out[i++]; v += (b & 0x7f) * m; m *= 128; if (b < 0x80) return v } }
  while (out[i] !== 0x40) {
    const wt = out[i++] & 7
    const v = varint()
    if (wt === 2) i += v
  }
  expect(out[i + 1]).toBeLessThan(0x80)
  out[i + 1] = kind
  return out
}

async function samples (): Promise<Alert[]> {
  const a = await peer(21)
  return [
    alertFrom(a),
    alertFrom(a, { seq: (1n << 64n) - 1n }, typicalDraft({ evidenceDigest: new Uint8Array(32).fill(3) })),
    alertFrom(a, { seq: 1n, nowMs: Number.MAX_SAFE_INTEGER }, typicalDraft({ evidenceDigest: new Uint8Array(0), kind: 'anomaly', signatures: [], sources: [] })),
    alertFrom(a, { seq: 1_765_000_000_000_000n }, typicalDraft({ kind: 'source', signatures: [], sources: Array.from({ length: WIRE_MAX_SOURCES }, (_, i) => ({ address: `10.0.${i}.1`, ttlSec: i + 1 })) })),
    alertFrom(a, { seq: 2n ** 35n }, typicalDraft({ seen: { context: 'cell:web', parameter: '', score: 0, explanation: '\ufeffBOM kept; é∆ 🙂 \u0000 nul' } })),
    alertFrom(a, { seq: 3n }, typicalDraft({ seen: { context: 'x', parameter: 'p', score: Number.NaN, explanation: '' } })),
    alertFrom(a, { seq: 4n }, typicalDraft({ seen: { context: 'x', parameter: 'p', score: Number.POSITIVE_INFINITY, explanation: 'e' } })),
    alertFrom(a, { seq: 5n }, typicalDraft({ signatures: [{ id: 's', context: 'c', parameter: '', tokens: ['', ...Array.from({ length: WIRE_MAX_TOKENS - 1 }, (_, i) => `t${i}`)], generator: 'g', sampleCount: 0xffffffff }] }))
  ]
}

describe('canonical alert decoder', () => {
  it('decodes every encoder output exactly as protons does', async () => {
    for (const [i, alert] of (await samples()).entries()) {
      const bytes = encodeAlert(alert)
      const s = expectSame(bytes, `sample ${i}`)
      expect(s.ok, `sample ${i}`).toBe(true)
      const back = decodeAlert(bytes)
      if (Number.isNaN(alert.seen.score)) expect(Number.isNaN(back.seen.score)).toBe(true)
      else expect(back).toEqual(alert)
    }
  })

  it('accepts exactly what the reference accepts, on 20,000 seeded mutations', async () => {
    const prng = createPrng(0xc0dec)
    const int = (n: number): number => prng.nextInt(n)
    const pool = (await samples()).map(encodeAlert)
    const interesting = [0x00, 0x01, 0x02, 0x08, 0x0a, 0x12, 0x1a, 0x22, 0x7f, 0x80, 0xbf, 0xc0, 0xed, 0xef, 0xf0, 0xff]
    let accepted = 0
    let mutantsAccepted = 0
    for (let i = 0; i < 20_000; i++) {
      const base = pool[int(pool.length)]
      let b: Uint8Array = Uint8Array.from(base)
      for (let k = 1 + int(3); k > 0; k--) {
        const at = int(Math.max(1, b.byteLength))
        switch (int(6)) {
          case 0: b[at] ^= 1 << int(8); break
          case 1: b[at] = interesting[int(interesting.length)]; break
          case 2: b = b.subarray(0, at); break
          case 3: b = cat(b.subarray(0, at), [interesting[int(interesting.length)]], b.subarray(at)); break
          case 4: b = cat(b.subarray(0, at), b.subarray(Math.min(b.byteLength, at + 1 + int(4)))); break
          default: { const j = Math.min(b.byteLength, at + 1 + int(24)); b = cat(b.subarray(0, j), b.subarray(at, j), b.subarray(j)) }
        }
      }
      const s = expectSame(b, `mutation ${i}`)
      if (s.ok) {
        accepted++
        if (Buffer.compare(b, base) !== 0) mutantsAccepted++
      }
    }
    // the mutations must reach deep enough that some still decode (a flipped byte inside a string, ...)
    expect(accepted).toBeGreaterThan(100)
    expect(mutantsAccepted).toBeGreaterThan(50)
  })

  it('refuses each kind of non-canonical encoding as malformed', async () => {
    const good = encodeAlert((await samples())[0])
    expect(reasonOf(good)).toBe('ok')
    expect(good[0]).toBe(0x08) // version = 1
    expect(good[1]).toBe(0x01)
    const rest = good.subarray(2)
    const cases: Array<[string, Uint8Array]> = [
      ['non-minimal varint', cat([0x08, 0x81, 0x00], rest)],
      ['a scalar written although 0', cat([0x08, 0x00], good)],
      ['a field twice', cat(good, [0x68, 0x05])],
      ['fields out of order', cat(rest, [0x08, 0x01])],
      ['an unknown field before a known one', cat(good.subarray(0, 2), [0x70, 0x01], rest)],
      ['a kind written although 0', cat(good.subarray(0, 2), [0x40, 0x00], rest)],
      ['another wire type for a known field', cat([0x09, 1, 0, 0, 0, 0, 0, 0, 0], rest)],
      ['a varint above 32 bits', cat([0x08, 0x80, 0x80, 0x80, 0x80, 0x10], rest)],
      ['a 10-byte varint for a uint32', cat([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], rest)],
      ['cut off', good.subarray(0, good.byteLength - 1)],
      ['a length past the end', cat(good, [0x62, 0x05, 0x01])]
    ]
    for (const [what, bytes] of cases) {
      expect(reference(bytes).ok, `reference on ${what}`).toBe(false)
      expect(reasonOf(bytes), what).toBe('malformed')
    }
  })

  it('reads a newer minor version\'s fields (numbered above the schema\'s, after the known ones) and kinds to the end, as unknown-*', async () => {
    const good = encodeAlert((await samples())[0])
    // the reference (protons decode, re-encode, compare) refuses them all; the decoder names them (codec.ts ignores them once signed)
    const newer: Array<[string, Uint8Array, string]> = [
      ['an unknown field', cat(good, [0x70, 0x01]), 'unknown-field'],
      ['an unknown multi-byte tag', cat(good, [0x80, 0x01, 0x01]), 'unknown-field'],
      ['an unknown kind', withKindValue(good, 7), 'unknown-kind']
    ]
    for (const [what, bytes, reason] of newer) {
      expect(reference(bytes).ok, `reference on ${what}`).toBe(false)
      expect(reasonOf(bytes), what).toBe(reason)
    }
  })

  it('takes strings as strict UTF-8: overlong forms, encoded surrogates and stray bytes are malformed; a BOM is kept', () => {
    const withCommunity = (utf8: number[]): Uint8Array => cat([0x08, 0x01, 0x32, utf8.length], utf8)
    expect(reasonOf(withCommunity([0x61, 0x62]))).toBe('ok')
    expect(decodeCanonicalAlertPb(withCommunity([0xef, 0xbb, 0xbf, 0x61])).community).toBe('\ufeffa')
    expect(decodeCanonicalAlertPb(withCommunity([0xf0, 0x9f, 0x99, 0x82])).community).toBe('🙂')
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xb0, 0x80], [0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      expect(reasonOf(withCommunity(bad)), Buffer.from(bad).toString('hex')).toBe('malformed')
    }
    // protons' lax reader turns the encoded lone surrogate into one that its writer puts back: the reference
    // without the UTF-8 rule would take it; the strict decoder does not
    const lone = withCommunity([0xed, 0xa0, 0x80])
    expect(Buffer.compare(AlertPb.encode(AlertPb.decode(lone)), lone)).toBe(0)
  })

  it('stops at the repeated-field caps with impossible-value, as protons does', async () => {
    const a = await peer(22)
    const base = AlertPb.decode(encodeAlert(alertFrom(a)))
    const tooMany: Array<[string, AlertPb]> = [
      ['sources', { ...base, sources: Array.from({ length: WIRE_MAX_SOURCES + 1 }, () => ({ address: '10.0.0.1', ttlSec: 1 })) }],
      ['signatures', { ...base, signatures: Array.from({ length: WIRE_MAX_SIGNATURES + 1 }, () => base.signatures[0]) }],
      ['tokens', { ...base, signatures: [{ ...base.signatures[0], tokens: Array.from({ length: WIRE_MAX_TOKENS + 1 }, (_, i) => `t${i}`) }] }]
    ]
    for (const [what, pb] of tooMany) {
      const bytes = AlertPb.encode(pb)
      expect(reference(bytes), what).toEqual({ ok: false, reason: 'impossible-value' })
      expect(reasonOf(bytes), what).toBe('impossible-value')
    }
  })

  it('refuses an issued_at_ms above 2^53 - 1, and takes the full uint64 range for seq', () => {
    const issued = (varint: number[]): Uint8Array => cat([0x08, 0x01, 0x28], varint)
    expect(decodeCanonicalAlertPb(issued([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])).issuedAtMs).toBe(Number.MAX_SAFE_INTEGER)
    expect(reasonOf(issued([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]))).toBe('malformed') // 2^53
    const seq = (varint: number[]): Uint8Array => cat([0x08, 0x01, 0x20], varint)
    expect(decodeCanonicalAlertPb(seq([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).seq).toBe((1n << 64n) - 1n)
    expect(reasonOf(seq([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]))).toBe('malformed')
    expect(reasonOf(seq([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]))).toBe('malformed')
  })

  it('the encoder writes a lone surrogate as U+FFFD, so every alert it writes decodes', async () => {
    const a = await peer(23)
    for (const explanation of ['x\ud800y', '\udc00', 'long '.repeat(20) + '\ud83d']) {
      const alert = alertFrom(a, {}, typicalDraft({ seen: { context: 'c', parameter: 'p', score: 1, explanation } }))
      expect(decodeAlert(encodeAlert(alert)).seen.explanation).toBe(explanation.replace(/[\ud800-\udfff]/g, '\ufffd'))
    }
  })
})
