/**
 * Forward-compatible wire (issue 12): an alert with a valid signature but a
 * kind or a field this node does not know is ignored (no penalty), and every
 * code the mesh emits is in the one validation-code table, which the last
 * test proves closed. The decoder is canonical-only (issue 16): a newer
 * version's fields are known by their numbers above the schema's, in
 * field-number order; anything else not written by the encoder is malformed.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ALERT_VALIDATION_ACTIONS, AlertValidationCode, ReplayGuard, decodeAlert, encodeAlert, validateAlert } from '../../../protocol/alert/index.js'
import { AlertDecodeError } from '../../../protocol/errors.js'
import { NOW_MS, alertFrom, peer, sealRaw, signed } from './fixtures.js'

/** A protobuf field: tag (field << 3 | wire type) then the value. */
const varint = (n: number): number[] => { const out: number[] = []; while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) } out.push(n); return out }
const lenField = (field: number, bytes: number[]): number[] => [...varint(field * 8 + 2), ...varint(bytes.length), ...bytes]
const varField = (field: number, v: number): number[] => [...varint(field * 8), ...varint(v)]
const cat = (...parts: Array<Uint8Array | number[]>): Uint8Array => Uint8Array.from(parts.flatMap(p => [...p]))

/** The top-level fields of a payload, each as [field number, its bytes (tag included), the value of a length-delimited field]. */
function fields (payload: Uint8Array): Array<[number, number[], number[]]> {
  const out: Array<[number, number[], number[]]> = []
  let i = 0
  while (i < payload.length) {
    const start = i
    let tag = 0; let mul = 1
    for (;;) { const b = payload[i++]; tag += (b & 0x7f) * mul; mul *= 128; if ((b & 0x80) === 0) break }
    const wt = tag % 8
    let valueStart = i
    if (wt === 0) { while ((payload[i++] & 0x80) !== 0); } else if (wt === 2) {
      let len = 0; mul = 1
      for (;;) { const b = payload[i++]; len += (b & 0x7f) * mul; mul *= 128; if ((b & 0x80) === 0) break }
      valueStart = i
      i += len
    } else if (wt === 1) i += 8; else i += 4
    out.push([Math.floor(tag / 8), [...payload.subarray(start, i)], [...payload.subarray(valueStart, i)]])
  }
  return out
}

/** The payload with each top-level field `field` rewritten by `fn` (given the field's value, returns the whole new field). */
function rewrite (payload: Uint8Array, field: number, fn: (value: number[]) => number[]): Uint8Array {
  return Uint8Array.from(fields(payload).flatMap(([f, whole, value]) => f === field ? fn(value) : whole))
}

/** The payload with `extra` put before the first top-level field numbered above `after` (or at the end). */
function insertAfter (payload: Uint8Array, after: number, extra: number[]): Uint8Array {
  const fs = fields(payload)
  const at = fs.findIndex(([f]) => f > after)
  const parts = fs.map(([, whole]) => whole)
  parts.splice(at < 0 ? parts.length : at, 0, extra)
  return Uint8Array.from(parts.flat())
}

/** The payload with its `kind` (field 8) replaced by `kind`. */
const withKind = (payload: Uint8Array, kind: number): Uint8Array => rewrite(payload, 8, () => varField(8, kind))

/** Why decodeAlert refuses the bytes ('ok' when it does not). */
function reasonOf (payload: Uint8Array): string {
  try {
    decodeAlert(payload)
    return 'ok'
  } catch (err) {
    if (err instanceof AlertDecodeError) return err.details.reason
    throw err
  }
}

const ctx = (): { nowMs: number, replay: ReplayGuard } => ({ nowMs: NOW_MS, replay: new ReplayGuard() })

describe('forward-compatible alerts', () => {
  it('a validly signed alert of an unknown kind is ignored, not rejected', async () => {
    const p = await peer(7)
    const payload = withKind(encodeAlert(alertFrom(p)), 9)
    const r = await validateAlert(await sealRaw(p.key, payload), ctx())
    expect(r).toMatchObject({ action: 'ignore', code: AlertValidationCode.UNKNOWN_KIND })
  })

  it('a validly signed alert with an unknown field, top level or nested, is ignored, not rejected', async () => {
    const p = await peer(8)
    const base = encodeAlert(alertFrom(p))
    // new top-level fields 14 (string), 15 (varint, twice: a repeated field) and 20 (fixed32, a two-byte tag)
    const top = cat(base, lenField(14, [0x68, 0x69]), varField(15, 0), varField(15, 300), [0xa5, 0x01, 1, 2, 3, 4])
    expect(reasonOf(top)).toBe('unknown-field')
    expect(await validateAlert(await sealRaw(p.key, top), ctx())).toMatchObject({ action: 'ignore', code: 'unknown-field' })
    // a new field 7 inside the alert's SignatureIndicator (field 11), a new field 5 inside `seen` (field 9)
    const inSignature = rewrite(base, 11, (sig) => lenField(11, [...sig, ...varField(7, 3)]))
    const inSeen = rewrite(base, 9, (seen) => lenField(9, [...seen, ...lenField(5, [0x61])]))
    for (const nested of [inSignature, inSeen]) {
      expect(reasonOf(nested)).toBe('unknown-field')
      expect(await validateAlert(await sealRaw(p.key, nested), ctx())).toMatchObject({ action: 'ignore', code: 'unknown-field' })
    }
    // a new kind and a new field together: unknown-field
    expect(reasonOf(cat(withKind(base, 9), varField(14, 1)))).toBe('unknown-field')
  })

  it('canonical only: a newer field out of field-number order, or beside a non-canonical known field, is malformed', async () => {
    const p = await peer(10)
    const base = encodeAlert(alertFrom(p))
    const field14 = lenField(14, [0x68, 0x69])
    expect(reasonOf(insertAfter(base, 13, field14))).toBe('unknown-field') // where a newer encoder writes it
    const cases: Array<[string, Uint8Array]> = [
      ['a newer field among the known ones', insertAfter(base, 8, field14)],
      ['newer fields out of order', cat(base, varField(15, 1), field14)],
      ['a known field after a newer one', cat(base, field14, varField(13, 60))],
      ['a newer field inside a signature before its known fields', rewrite(base, 11, (sig) => lenField(11, [...varField(7, 3), ...sig]))],
      ['a newer field with a non-minimal tag', cat(base, [0xf2, 0x00, 0x01, 0x61])],
      ['a newer field with a non-minimal length', cat(base, [0x72, 0x81, 0x00])],
      ['a newer field with a non-minimal varint', cat(base, [0x70, 0x81, 0x00])],
      ['a newer field cut off', cat(base, [0x72, 0x05, 0x61])],
      ['a newer field of a group wire type', cat(base, [0x73, 0x74])],
      ['a non-minimal known field beside a newer one', cat([0x08, 0x81, 0x00], base.subarray(2), field14)],
      ['a known field with the wrong wire type', cat(base, varField(9, 1))],
      ['kind written although 0', withKind(base, 0)]
    ]
    for (const [what, payload] of cases) {
      expect(reasonOf(payload), what).toBe('malformed')
      expect(await validateAlert(await sealRaw(p.key, payload), ctx()), what).toMatchObject({ action: 'reject', code: 'malformed' })
    }
  })

  it('a newer alert is ignored only when its origin signed it, and only within the major version', async () => {
    const p = await peer(11)
    const q = await peer(12)
    const newerKind = withKind(encodeAlert(alertFrom(p)), 9)
    const newerField = cat(encodeAlert(alertFrom(p)), varField(14, 1))
    for (const payload of [newerKind, newerField]) {
      // sealed by another key than its origin's: the envelope does not bind it to its origin
      expect(await validateAlert(await sealRaw(q.key, payload), ctx())).toMatchObject({ action: 'reject', code: 'origin-mismatch' })
      // a version this node does not speak is not a minor step
      const v2 = rewrite(payload, 1, () => varField(1, 2))
      expect(await validateAlert(await sealRaw(p.key, v2), ctx())).toMatchObject({ action: 'reject', code: 'schema' })
    }
  })

  it('garbage stays malformed, a forged signature stays bad-signature, and a known alert is still accepted', async () => {
    const p = await peer(9)
    const base = encodeAlert(alertFrom(p))
    expect(await validateAlert(await sealRaw(p.key, base.subarray(0, base.length - 1)), ctx())).toMatchObject({ action: 'reject', code: 'malformed' })
    const forged = await signed(p, alertFrom(p))
    forged[forged.length - 1] ^= 1
    expect((await validateAlert(forged, ctx())).code).toBe('bad-signature')
    // a newer alert with a tampered byte: bad-signature, never ignored
    const newer = await sealRaw(p.key, withKind(base, 9))
    newer[newer.length - 1] ^= 1
    expect((await validateAlert(newer, ctx())).code).toBe('bad-signature')
    expect((await validateAlert(await signed(p, alertFrom(p)), ctx())).code).toBe('ok')
  })
})

describe('the validation-code table', () => {
  it('gives every code one gossipsub action', () => {
    const codes = Object.values(AlertValidationCode)
    expect(new Set(codes).size).toBe(codes.length)
    expect(Object.keys(ALERT_VALIDATION_ACTIONS).sort()).toEqual([...codes].sort())
    expect(ALERT_VALIDATION_ACTIONS['unknown-kind']).toBe('ignore')
    expect(ALERT_VALIDATION_ACTIONS['unknown-field']).toBe('ignore')
  })

  it('is closed: the mesh and the validator emit no code outside it (protocol/), and docs/protocol.md lists each', () => {
    const table = new Set<string>(Object.values(AlertValidationCode))
    const root = join(import.meta.dirname, '..', '..', '..')
    const files = (dir: string): string[] => readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
      .filter(e => e.isFile() && e.name.endsWith('.ts')).map(e => join(e.parentPath, e.name))
    const emitted: string[] = []
    for (const f of files('protocol')) {
      const src = readFileSync(f, 'utf8')
      // code literals assigned to a validation result or a reject event
      for (const m of src.matchAll(/\bcode\s*[:=]\s*'([a-z][a-z0-9-]*)'/g)) emitted.push(`${f.slice(root.length + 1)}: ${m[1]}`)
    }
    const outside = emitted.filter(e => !table.has(e.split(': ')[1]))
    expect(outside).toEqual([])
    const doc = readFileSync(join(root, 'docs', 'protocol.md'), 'utf8')
    for (const code of table) expect(doc, code).toContain(`\`${code}\``)
  })
})
