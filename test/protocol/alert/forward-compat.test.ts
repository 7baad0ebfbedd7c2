/**
 * Forward-compatible wire (issue 12): an alert with a valid signature but a
 * kind or a field this node does not know is ignored (no penalty), and every
 * code the mesh emits is in the one validation-code table, which the last
 * test proves closed.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ALERT_VALIDATION_ACTIONS, AlertValidationCode, ReplayGuard, encodeAlert, validateAlert } from '../../../protocol/alert/index.js'
import { classifyUndecodable } from '../../../protocol/alert/wire-scan.js'
import { NOW_MS, alertFrom, peer, sealRaw, signed } from './fixtures.js'

/** A protobuf field: tag (field << 3 | wire type) then the value. */
const varint = (n: number): number[] => { const out: number[] = []; while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) } out.push(n); return out }
const lenField = (field: number, bytes: number[]): number[] => [...varint(field * 8 + 2), ...varint(bytes.length), ...bytes]
const varField = (field: number, v: number): number[] => [...varint(field * 8), ...varint(v)]
const cat = (...parts: Array<Uint8Array | number[]>): Uint8Array => Uint8Array.from(parts.flatMap(p => [...p]))

/** The payload with its `kind` (field 8) replaced by `kind`. */
function withKind (payload: Uint8Array, kind: number): Uint8Array {
  const out: number[] = []
  let i = 0
  while (i < payload.length) {
    const start = i
    let tag = 0; let mul = 1
    for (;;) { const b = payload[i++]; tag += (b & 0x7f) * mul; mul *= 128; if ((b & 0x80) === 0) break }
    const wt = tag % 8
    if (wt === 0) { while ((payload[i++] & 0x80) !== 0); } else if (wt === 2) {
      let len = 0; mul = 1
      for (;;) { const b = payload[i++]; len += (b & 0x7f) * mul; mul *= 128; if ((b & 0x80) === 0) break }
      i += len
    } else if (wt === 1) i += 8; else i += 4
    if (Math.floor(tag / 8) === 8) out.push(...varField(8, kind)); else out.push(...payload.subarray(start, i))
  }
  return Uint8Array.from(out)
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
    // a new top-level field 14 (string) and a new field 7 inside a SignatureIndicator (field 11)
    const top = cat(base, lenField(14, [0x68, 0x69]))
    expect(await validateAlert(await sealRaw(p.key, top), ctx())).toMatchObject({ action: 'ignore', code: 'unknown-field' })
    const nested = cat(base, lenField(11, [...lenField(1, [0x61]), ...lenField(5, [0x67]), ...varField(6, 1), ...varField(7, 3)]))
    expect(classifyUndecodable(nested)).toBe('unknown-field')
    expect(await validateAlert(await sealRaw(p.key, nested), ctx())).toMatchObject({ action: 'ignore', code: 'unknown-field' })
  })

  it('garbage stays malformed, a forged signature stays bad-signature, and a known alert is still accepted', async () => {
    const p = await peer(9)
    const base = encodeAlert(alertFrom(p))
    expect(await validateAlert(await sealRaw(p.key, base.subarray(0, base.length - 1)), ctx())).toMatchObject({ action: 'reject', code: 'malformed' })
    // a known field with the wrong wire type
    expect(classifyUndecodable(cat(base, varField(9, 1)))).toBe('malformed')
    const forged = await signed(p, alertFrom(p))
    forged[forged.length - 1] ^= 1
    expect((await validateAlert(forged, ctx())).code).toBe('bad-signature')
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
