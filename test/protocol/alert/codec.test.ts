import { describe, expect, it } from 'vitest'
import { AlertDecodeError, AlertEncodeError } from '../../../protocol/errors.js'
import { Alert as AlertPb } from '../../../protocol/alert/alert-pb.js'
import { decodeAlert, encodeAlert, MAX_ALERT_BYTES, originToBytes, signAlert, WIRE_MAX_SOURCES, WIRE_MAX_TOKENS } from '../../../protocol/alert/index.js'
import { alertFrom, peer, typicalDraft } from './fixtures.js'
import type { Alert } from '../../../protocol/alert/index.js'

function decodeError (fn: () => unknown): AlertDecodeError {
  try {
    fn()
  } catch (err) {
    if (err instanceof AlertDecodeError) return err
    throw err
  }
  throw new Error('expected AlertDecodeError')
}

describe('alert codec', () => {
  it('round-trips every field, including bigint seq and the optional digest', async () => {
    const a = await peer(1)
    const alert = alertFrom(a, { seq: (1n << 63n) + 5n }, typicalDraft({ evidenceDigest: new Uint8Array(32).fill(7) }))
    const back = decodeAlert(encodeAlert(alert))
    expect(back).toEqual(alert)
    expect(back.seq).toBe((1n << 63n) + 5n)
    expect(back.evidenceDigest).toEqual(new Uint8Array(32).fill(7))

    const noDigest = alertFrom(a, { seq: 9n }, typicalDraft({ kind: 'anomaly', sources: [], signatures: [] }))
    const back2 = decodeAlert(encodeAlert(noDigest))
    expect(back2).toEqual(noDigest)
    expect('evidenceDigest' in back2).toBe(false)
  })

  it('encodes a typical alert (1 signature of 5 tokens, 1 source) in well under 2 KiB, signed envelope included', async () => {
    const a = await peer(1)
    const alert = alertFrom(a)
    const payload = encodeAlert(alert)
    const envelope = await signAlert(alert, a.key)
    expect(payload.byteLength).toBeLessThan(2048)
    expect(envelope.byteLength).toBeLessThan(2048)
    expect(envelope.byteLength).toBeGreaterThan(payload.byteLength)
  })

  it('refuses oversize bytes before decoding', () => {
    const big = new Uint8Array(MAX_ALERT_BYTES + 1)
    expect(decodeError(() => decodeAlert(big)).details.reason).toBe('oversize')
    // exactly the maximum is not oversize (it is just not an alert)
    expect(decodeError(() => decodeAlert(new Uint8Array(MAX_ALERT_BYTES).fill(0xff))).details.reason).toBe('malformed')
  })

  it('reports garbage as malformed and a missing/invalid structural field as schema', async () => {
    expect(decodeError(() => decodeAlert(Uint8Array.from([0x12, 0x10, 0x01]))).details.reason).toBe('malformed')
    const a = await peer(2)
    const good = AlertPb.decode(encodeAlert(alertFrom(a)))
    const cases: Array<[string, Partial<AlertPb>]> = [
      ['id', { id: new Uint8Array(8) }],
      ['origin', { origin: new Uint8Array(38) }],
      ['kind', { kind: AlertPb.Kind.KIND_UNSPECIFIED }],
      ['seen', { seen: undefined }]
    ]
    for (const [field, patch] of cases) {
      const err = decodeError(() => decodeAlert(AlertPb.encode({ ...good, ...patch })))
      expect(err.details.reason, field).toBe('schema')
      expect(err.details.field).toBe(field)
    }
  })

  it('caps repeated fields inside the decoder (a hostile message cannot allocate many elements)', async () => {
    const a = await peer(3)
    const good = AlertPb.decode(encodeAlert(alertFrom(a)))
    const manySources = AlertPb.encode({ ...good, sources: Array.from({ length: WIRE_MAX_SOURCES + 1 }, () => ({ address: '1.1.1.1', ttlSec: 1 })) })
    expect(manySources.byteLength).toBeLessThan(MAX_ALERT_BYTES)
    expect(decodeError(() => decodeAlert(manySources)).details.reason).toBe('impossible-value')
    const sig = good.signatures[0]
    const manyTokens = AlertPb.encode({ ...good, signatures: [{ ...sig, tokens: Array.from({ length: WIRE_MAX_TOKENS + 1 }, (_, i) => `t${i}`) }] })
    expect(decodeError(() => decodeAlert(manyTokens)).details.reason).toBe('impossible-value')
  })

  it('refuses to encode what the wire cannot hold, naming the field', async () => {
    const a = await peer(4)
    const base = alertFrom(a)
    const cases: Array<[string, Partial<Alert>]> = [
      ['id', { id: 'not-hex' }],
      ['origin', { origin: 'QmNotAPeerId' }],
      ['seq', { seq: -1n }],
      ['issuedAtMs', { issuedAtMs: 1.5 }],
      ['danger', { danger: -1 as unknown as 1 }],
      ['ttlSec', { ttlSec: 2 ** 33 }],
      ['kind', { kind: 'virus' as unknown as 'anomaly' }],
      ['size', { seen: { ...base.seen, explanation: 'x'.repeat(MAX_ALERT_BYTES) } }]
    ]
    for (const [field, patch] of cases) {
      let err: unknown
      try { encodeAlert({ ...base, ...patch }) } catch (e) { err = e }
      expect(err, field).toBeInstanceOf(AlertEncodeError)
      expect((err as AlertEncodeError).code).toBe('IMMUNE_ERR_ALERT_ENCODE')
      expect((err as AlertEncodeError).details.field).toBe(field)
    }
  })

  it('puts the origin on the wire as the 38-byte Ed25519 multihash', async () => {
    const a = await peer(5)
    expect(originToBytes(a.id).byteLength).toBe(38)
  })
})
