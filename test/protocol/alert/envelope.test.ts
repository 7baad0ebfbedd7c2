import { generateKeyPair } from '@libp2p/crypto/keys'
import { RecordEnvelope } from '@libp2p/peer-record'
import { describe, expect, it } from 'vitest'
import { AlertDecodeError, AlertEncodeError, AlertSignatureError } from '../../../protocol/errors.js'
import { ALERT_CODEC, ALERT_CODEC_CODE, ALERT_DOMAIN, createAlert, DEFAULT_ALERT_TTL_SEC, encodeAlert, openAlert, PROTOCOL_VERSION, signAlert } from '../../../protocol/alert/index.js'
import { verifyEd25519Envelope } from '../../../protocol/alert/envelope-verify.js'
import { alertFrom, NOW_MS, peer, sealRaw, typicalDraft } from './fixtures.js'

async function rejection (p: Promise<unknown>): Promise<{ code: string, reason: string }> {
  try {
    await p
  } catch (err) {
    const e = err as AlertDecodeError | AlertSignatureError
    return { code: e.code, reason: e.details.reason }
  }
  throw new Error('expected a rejection')
}

describe('alert envelope', () => {
  it('payload type is the unsigned varint of the private-use multicodec 0x300a1e', () => {
    expect(ALERT_CODEC_CODE).toBe(0x300a1e)
    expect([...ALERT_CODEC]).toEqual([0x9e, 0x94, 0xc0, 0x01])
    expect(ALERT_DOMAIN).toBe('immune-mesh-alert')
  })

  it('createAlert fills version, id, origin, seq, time and default ttl, and copies the draft', async () => {
    const a = await peer(1)
    const draft = typicalDraft({ ttlSec: undefined })
    const alert = createAlert(draft, { origin: a.id, seq: 42n, nowMs: NOW_MS + 0.7 })
    expect(alert.version).toBe(PROTOCOL_VERSION)
    expect(alert.id).toMatch(/^[0-9a-f]{32}$/)
    expect(alert.origin).toBe(a.id)
    expect(alert.seq).toBe(42n)
    expect(alert.issuedAtMs).toBe(NOW_MS)
    expect(alert.ttlSec).toBe(DEFAULT_ALERT_TTL_SEC)
    draft.signatures[0].tokens.push('mutated later')
    expect(alert.signatures[0].tokens).toHaveLength(5)
    const other = createAlert(draft, { origin: a.id, seq: 43n, nowMs: NOW_MS })
    expect(other.id).not.toBe(alert.id)
  })

  it('signs and opens: anyone can re-verify the origin from the bytes alone', async () => {
    const a = await peer(1)
    const alert = alertFrom(a)
    const bytes = await signAlert(alert, a.key)
    const opened = await openAlert(bytes)
    expect(opened.signer).toBe(a.id)
    expect(opened.alert).toEqual(alert)
    const env = RecordEnvelope.createFromProtobuf(bytes)
    expect(await env.validate(ALERT_DOMAIN)).toBe(true)
    expect(await env.validate('libp2p-peer-record')).toBe(false)
  })

  it('refuses to sign with a key that is not the origin, or not Ed25519', async () => {
    const a = await peer(1)
    const b = await peer(2)
    await expect(signAlert(alertFrom(a), b.key)).rejects.toMatchObject({ code: AlertEncodeError.code, details: { field: 'origin' } })
    const secp = await generateKeyPair('secp256k1')
    await expect(signAlert(alertFrom(a), secp)).rejects.toMatchObject({ code: AlertEncodeError.code, details: { field: 'privateKey' } })
  })

  it('throws coded errors for forged, tampered, foreign and mis-attributed envelopes', async () => {
    const a = await peer(1)
    const b = await peer(2)
    const alert = alertFrom(a)
    const good = await signAlert(alert, a.key)

    // tampered payload byte
    const env = RecordEnvelope.createFromProtobuf(good)
    const payload = Uint8Array.from(env.payload)
    payload[payload.length - 1] ^= 0x01
    const tampered = new RecordEnvelope({ publicKey: env.publicKey, payloadType: env.payloadType, payload, signature: env.signature }).marshal()
    expect(await rejection(openAlert(tampered))).toEqual({ code: AlertSignatureError.code, reason: 'bad-signature' })

    // b signs, but claims a's key
    const byB = RecordEnvelope.createFromProtobuf(await sealRaw(b.key, encodeAlert(alert)))
    const forged = new RecordEnvelope({ publicKey: env.publicKey, payloadType: ALERT_CODEC, payload: env.payload, signature: byB.signature }).marshal()
    expect(await rejection(openAlert(forged))).toEqual({ code: AlertSignatureError.code, reason: 'bad-signature' })

    // b signs honestly with its own key an alert that names a as origin
    expect(await rejection(openAlert(await sealRaw(b.key, encodeAlert(alert))))).toEqual({ code: AlertSignatureError.code, reason: 'origin-mismatch' })

    // another record type
    expect(await rejection(openAlert(await sealRaw(a.key, encodeAlert(alert), { domain: 'libp2p-peer-record', codec: Uint8Array.from([0x03, 0x01]) }))))
      .toEqual({ code: AlertSignatureError.code, reason: 'wrong-domain' })

    // not an envelope at all
    expect(await rejection(openAlert(encodeAlert(alert)))).toEqual({ code: AlertDecodeError.code, reason: 'malformed' })
  })

  it('our memoised verifier agrees with RecordEnvelope.validate on genuine, tampered, forged and foreign envelopes', async () => {
    const a = await peer(1)
    const b = await peer(2)
    const payload = encodeAlert(alertFrom(a, {}, typicalDraft({ seen: { context: 'c', parameter: '', score: 1, explanation: 'é'.repeat(200) } })))
    expect(payload.byteLength).toBeGreaterThan(127) // two-byte varint length
    const genuine = RecordEnvelope.createFromProtobuf(await sealRaw(a.key, payload))
    const tamperedPayload = Uint8Array.from(genuine.payload)
    tamperedPayload[10] ^= 0x40
    const badSig = Uint8Array.from(genuine.signature)
    badSig[0] ^= 1
    const foreign = RecordEnvelope.createFromProtobuf(await sealRaw(a.key, payload, { domain: 'libp2p-peer-record' }))
    const byB = RecordEnvelope.createFromProtobuf(await sealRaw(b.key, payload))
    const cases: Array<[string, RecordEnvelope, boolean]> = [
      ['genuine', genuine, true],
      ['tampered payload', new RecordEnvelope({ ...genuine, payload: tamperedPayload }), false],
      ['flipped signature bit', new RecordEnvelope({ ...genuine, signature: badSig }), false],
      ['other domain', foreign, false],
      ['other key', new RecordEnvelope({ ...genuine, signature: byB.signature }), false],
      ['other payload type', new RecordEnvelope({ ...genuine, payloadType: Uint8Array.of(0x03, 0x01) }), false]
    ]
    const domain = new TextEncoder().encode(ALERT_DOMAIN)
    for (const [name, env, expected] of cases) {
      expect(await env.validate(ALERT_DOMAIN), name).toBe(expected)
      expect(verifyEd25519Envelope(env.publicKey.raw, env.signature, domain, env.payloadType, env.payload), name).toBe(expected)
    }
    expect(verifyEd25519Envelope(genuine.publicKey.raw, genuine.signature.subarray(1), domain, genuine.payloadType, genuine.payload)).toBe(false)
  })

  it('takes an envelope only in its one canonical layout, so a relay cannot re-frame a genuine alert into a new message id', async () => {
    const a = await peer(1)
    const alert = alertFrom(a, {}, typicalDraft({ seen: { context: 'c', parameter: '', score: 1, explanation: 'x'.repeat(200) } }))
    const good = await signAlert(alert, a.key)
    expect((await openAlert(good)).alert).toEqual(alert)
    // the layout, byte for byte (envelope-wire.ts), is what RecordEnvelope.marshal writes
    expect(Buffer.compare(RecordEnvelope.createFromProtobuf(good).marshal(), good)).toBe(0)
    expect([...good.subarray(0, 6)]).toEqual([0x0a, 0x24, 0x08, 0x01, 0x12, 0x20])
    expect([...good.subarray(38, 45)]).toEqual([0x12, 0x04, 0x9e, 0x94, 0xc0, 0x01, 0x1a])

    const env = RecordEnvelope.createFromProtobuf(good)
    const field = (tag: number, value: Uint8Array, paddedLength = false): number[] => [tag, ...(paddedLength ? [0x80 | value.byteLength, 0x00] : [value.byteLength]), ...value]
    const payloadField = (): number[] => { const n = env.payload.byteLength; return [0x1a, 0x80 | (n & 0x7f), n >> 7, ...env.payload] }
    const keyPb = good.subarray(2, 38)
    const keySwapped = Uint8Array.from([0x12, 0x20, ...env.publicKey.raw, 0x08, 0x01])
    const reframed: Array<[string, Uint8Array]> = [
      ['an unknown field appended', Uint8Array.from([...good, 0x30, 0x01])],
      ['an unknown field inside', Uint8Array.from([...field(0x0a, keyPb), 0x20, 0x00, ...good.subarray(38)])],
      ['signature before payload', Uint8Array.from([...good.subarray(0, 44), ...field(0x2a, env.signature), ...payloadField()])],
      ['a field twice', Uint8Array.from([...good, ...field(0x2a, env.signature)])],
      ['a padded length', Uint8Array.from([...good.subarray(0, 38), ...field(0x12, ALERT_CODEC, true), ...good.subarray(44)])],
      ["the key's protobuf fields swapped", Uint8Array.from([...field(0x0a, keySwapped), ...good.subarray(38)])]
    ]
    for (const [what, bytes] of reframed) {
      // the signature still holds for the payload: only the framing differs
      const parsed = RecordEnvelope.createFromProtobuf(bytes)
      expect(Buffer.compare(parsed.payload, env.payload), what).toBe(0)
      expect(await parsed.validate(ALERT_DOMAIN), what).toBe(true)
      expect(await rejection(openAlert(bytes)), what).toEqual({ code: AlertDecodeError.code, reason: 'malformed' })
    }
  })
})
