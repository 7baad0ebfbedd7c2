import { multiaddr } from '@multiformats/multiaddr'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { InvalidParamsError } from '../../../protocol/errors.js'
import { Alert as AlertPb } from '../../../protocol/alert/alert-pb.js'
import {
  ALERT_VALIDATION_ACTIONS, AlertValidationCode, createAlertValidationParams, defaultAlertValidationParams, encodeAlert,
  MAX_ALERT_BYTES, ReplayGuard, signAlert, validateAlert
} from '../../../protocol/alert/index.js'
import { alertFrom, NOW_MS, peer, sealRaw, signed, typicalDraft } from './fixtures.js'
import type { Alert, AlertValidationResult } from '../../../protocol/alert/index.js'

const MIN = 60_000

async function validate (bytes: Uint8Array, replay = new ReplayGuard(), nowMs = NOW_MS): Promise<AlertValidationResult> {
  return validateAlert(bytes, { nowMs, replay })
}

describe('validateAlert', () => {
  it('accepts a genuine alert and returns it with its signer; validation does not record', async () => {
    const a = await peer(1)
    const alert = alertFrom(a)
    const guard = new ReplayGuard()
    const r = await validate(await signed(a, alert), guard)
    expect(r).toMatchObject({ action: 'accept', code: 'ok', signer: a.id })
    expect(r.alert).toEqual(alert)
    expect(guard.size).toEqual({ ids: 0, origins: 0 })
    expect((await validate(await signed(a, alert), guard)).code).toBe('ok')
  })

  it('every code has the documented action', () => {
    for (const code of Object.values(AlertValidationCode)) {
      const expected = code === 'ok' ? 'accept' : ['duplicate', 'stale', 'expired', 'replay', 'unknown-kind', 'unknown-field', 'validator-error', 'validator-no-alert', 'over-rate-relayed'].includes(code) ? 'ignore' : 'reject'
      expect(ALERT_VALIDATION_ACTIONS[code], code).toBe(expected)
    }
  })

  describe('reject', () => {
    it('oversize: a signed envelope above 16 KiB, before any decoding or verifying', async () => {
      const a = await peer(1)
      const pb = AlertPb.decode(encodeAlert(alertFrom(a)))
      const huge = AlertPb.encode({ ...pb, seen: { ...pb.seen!, explanation: 'A'.repeat(MAX_ALERT_BYTES) } })
      const bytes = await sealRaw(a.key, huge)
      expect(bytes.byteLength).toBeGreaterThan(MAX_ALERT_BYTES)
      expect(await validate(bytes)).toMatchObject({ action: 'reject', code: 'oversize' })
      expect((await validate(new Uint8Array(MAX_ALERT_BYTES + 1))).code).toBe('oversize')
    })

    it('malformed: random bytes, a bare payload, and a validly signed garbage payload', async () => {
      const a = await peer(1)
      expect((await validate(Uint8Array.from([1, 2, 3, 4, 5]))).code).toBe('malformed')
      expect((await validate(new Uint8Array(0))).code).toBe('malformed')
      expect((await validate(encodeAlert(alertFrom(a))))).toMatchObject({ action: 'reject', code: 'malformed' })
      expect((await validate(await sealRaw(a.key, Uint8Array.from([0x12, 0x10, 0x01]))))).toMatchObject({ action: 'reject', code: 'malformed' })
    })

    it('bad-signature: signature made by another key over the victim\'s public key', async () => {
      const victim = await peer(1)
      const attacker = await peer(2)
      const alert = alertFrom(victim)
      const genuine = RecordEnvelope.createFromProtobuf(await signed(victim, alert))
      const attackerSig = RecordEnvelope.createFromProtobuf(await sealRaw(attacker.key, genuine.payload)).signature
      const forged = new RecordEnvelope({ ...genuine, signature: attackerSig }).marshal()
      expect(await validate(forged)).toMatchObject({ action: 'reject', code: 'bad-signature' })
    })

    it('bad-signature: one tampered payload byte (danger 1 → 2)', async () => {
      const a = await peer(1)
      const alert = alertFrom(a, {}, typicalDraft({ danger: 1 }))
      const genuine = RecordEnvelope.createFromProtobuf(await signed(a, alert))
      const payload = Uint8Array.from(genuine.payload)
      const at = payload.indexOf(0x38) // field 7 (danger), varint
      expect(payload[at + 1]).toBe(1)
      payload[at + 1] = 2
      const tampered = new RecordEnvelope({ ...genuine, payload }).marshal()
      expect(await validate(tampered)).toMatchObject({ action: 'reject', code: 'bad-signature' })
    })

    it('bad-signature: our payload type but signed for another domain; a truncated signature', async () => {
      const a = await peer(1)
      expect((await validate(await sealRaw(a.key, encodeAlert(alertFrom(a)), { domain: 'libp2p-peer-record' }))).code).toBe('bad-signature')
      const genuine = RecordEnvelope.createFromProtobuf(await signed(a, alertFrom(a)))
      const short = new RecordEnvelope({ ...genuine, signature: genuine.signature.subarray(0, 63) }).marshal()
      expect((await validate(short)).code).toBe('bad-signature')
    })

    it('wrong-domain: a genuine libp2p signed peer record', async () => {
      const a = await peer(1)
      const record = new PeerRecord({ peerId: peerIdFromPrivateKey(a.key), multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/4001')], seqNumber: 1n })
      const bytes = (await RecordEnvelope.seal(record, a.key)).marshal()
      expect(await validate(bytes)).toMatchObject({ action: 'reject', code: 'wrong-domain' })
    })

    it('origin-mismatch: an attacker signs with its own key an alert naming a victim as origin', async () => {
      const victim = await peer(1)
      const attacker = await peer(2)
      const bytes = await sealRaw(attacker.key, encodeAlert(alertFrom(victim)))
      expect(await validate(bytes)).toMatchObject({ action: 'reject', code: 'origin-mismatch' })
    })

    it('schema: unknown version, bad community, kind without its indicators, missing issue time', async () => {
      const a = await peer(1)
      const base = alertFrom(a)
      const cases: Array<[string, Partial<Alert>]> = [
        ['version', { version: 2 }],
        ['community', { community: 'Shop With Spaces' }],
        ['community', { community: '' }],
        ['signatures', { kind: 'signature', signatures: [] }],
        ['sources', { kind: 'source', sources: [] }],
        ['issuedAtMs', { issuedAtMs: 0 }],
        ['seen.context', { seen: { ...base.seen, context: '' } }]
      ]
      for (const [field, patch] of cases) {
        const r = await validate(await signAlert({ ...base, ...patch }, a.key))
        expect(r.code, field).toBe('schema')
        expect(r.action).toBe('reject')
        expect(r.reason).toContain(field)
      }
    })

    it('impossible-value: danger, ttl, score, indicators, addresses, tokens, digest', async () => {
      const a = await peer(1)
      const base = alertFrom(a)
      const sig = base.signatures[0]
      const p = defaultAlertValidationParams
      const cases: Array<[string, Partial<Alert>]> = [
        ['danger 3', { danger: 3 as 2 }],
        ['danger 0', { danger: 0 as 1 }],
        ['ttl 0', { ttlSec: 0 }],
        ['ttl > max', { ttlSec: p.maxTtlSec + 1 }],
        ['NaN score', { seen: { ...base.seen, score: Number.NaN } }],
        ['negative score', { seen: { ...base.seen, score: -0.5 } }],
        ['infinite score', { seen: { ...base.seen, score: Number.POSITIVE_INFINITY } }],
        ['long explanation', { seen: { ...base.seen, explanation: 'x'.repeat(p.maxExplanationChars + 1) } }],
        ['too many indicators', { sources: Array.from({ length: p.maxIndicators }, (_, i) => ({ address: `198.51.100.${i}`, ttlSec: 60 })) }],
        ['bad IPv4 text', { sources: [{ address: '999.1.1.1', ttlSec: 60 }] }],
        ['CIDR', { sources: [{ address: '10.0.0.0/8', ttlSec: 60 }] }],
        ['host:port', { sources: [{ address: '203.0.113.5:80', ttlSec: 60 }] }],
        ['unspecified', { sources: [{ address: '0.0.0.0', ttlSec: 60 }] }],
        ['zone index', { sources: [{ address: 'fe80::1%eth0', ttlSec: 60 }] }],
        ['source ttl 0', { sources: [{ address: '2001:db8::1', ttlSec: 0 }] }],
        ['empty token set', { signatures: [{ ...sig, tokens: [] }] }],
        ['empty token', { signatures: [{ ...sig, tokens: ['UNION', ''] }] }],
        ['too many tokens', { signatures: [{ ...sig, tokens: Array.from({ length: p.maxTokensPerSignature + 1 }, (_, i) => `t${i}`) }] }],
        ['sampleCount 0', { signatures: [{ ...sig, sampleCount: 0 }] }],
        ['empty generator', { signatures: [{ ...sig, generator: '' }] }],
        ['empty digest', { evidenceDigest: new Uint8Array(0) }],
        ['huge digest', { evidenceDigest: new Uint8Array(p.maxEvidenceDigestBytes + 1) }]
      ]
      for (const [name, patch] of cases) {
        const r = await validate(await signAlert({ ...base, ...patch }, a.key))
        expect(r.code, name).toBe('impossible-value')
        expect(r.action).toBe('reject')
      }
      // an IPv6 source is fine
      expect((await validate(await signAlert({ ...base, sources: [{ address: '2001:db8::1', ttlSec: 60 }] }, a.key))).code).toBe('ok')
    })
  })

  describe('ignore', () => {
    it('stale: issued beyond the allowed skew, in either direction', async () => {
      const a = await peer(1)
      const future = await signed(a, alertFrom(a, { nowMs: NOW_MS + 6 * MIN }))
      expect(await validate(future)).toMatchObject({ action: 'ignore', code: 'stale' })
      const past = await signed(a, alertFrom(a, { nowMs: NOW_MS - 10 * MIN })) // ttl 1 h: not expired
      expect(await validate(past)).toMatchObject({ action: 'ignore', code: 'stale' })
      // inside the skew both ways is fine
      expect((await validate(await signed(a, alertFrom(a, { nowMs: NOW_MS + 4 * MIN })))).code).toBe('ok')
      expect((await validate(await signed(a, alertFrom(a, { nowMs: NOW_MS - 4 * MIN })))).code).toBe('ok')
      // the skew is a param
      const strict = createAlertValidationParams({ maxSkewMs: MIN })
      expect((await validateAlert(await signed(a, alertFrom(a, { nowMs: NOW_MS - 2 * MIN })), { nowMs: NOW_MS, replay: new ReplayGuard(), params: strict })).code).toBe('stale')
    })

    it('expired: past issuedAt + ttl although within the skew', async () => {
      const a = await peer(1)
      const short = await signed(a, alertFrom(a, { nowMs: NOW_MS - 2 * MIN }, typicalDraft({ ttlSec: 60 })))
      expect(await validate(short)).toMatchObject({ action: 'ignore', code: 'expired' })
      expect((await validate(short, new ReplayGuard(), NOW_MS - 90_000)).code).toBe('ok')
    })

    it('duplicate: the same alert again after it was recorded, even re-signed with a new seq', async () => {
      const a = await peer(1)
      const guard = new ReplayGuard()
      const alert = alertFrom(a, { seq: 10n })
      const bytes = await signed(a, alert)
      const first = await validate(bytes, guard)
      expect(first.code).toBe('ok')
      guard.record(first.alert!)
      expect(await validate(bytes, guard)).toMatchObject({ action: 'ignore', code: 'duplicate' })
      expect((await validate(await signed(a, { ...alert, seq: 11n }), guard)).code).toBe('duplicate')
    })

    it('replay: a seq already seen, or older than the window; out-of-order within the window is accepted', async () => {
      const a = await peer(1)
      const guard = new ReplayGuard()
      const accept = async (seq: bigint): Promise<AlertValidationResult> => {
        const r = await validate(await signed(a, alertFrom(a, { seq })), guard)
        if (r.action === 'accept') guard.record(r.alert!)
        return r
      }
      expect((await accept(100n)).code).toBe('ok')
      expect((await accept(103n)).code).toBe('ok')
      // gossip reordering: 101 and 102 arrive after 103
      expect((await accept(102n)).code).toBe('ok')
      expect((await accept(101n)).code).toBe('ok')
      // a different alert (new id) reusing a seq that was used
      expect(await accept(101n)).toMatchObject({ action: 'ignore', code: 'replay' })
      expect((await accept(103n)).code).toBe('replay')
      // older than the 64-wide window
      expect((await accept(103n - 64n)).code).toBe('replay')
      expect((await accept(103n - 63n)).code).toBe('ok')
    })
  })

  it('params are validated, and the error names the field', () => {
    expect(() => createAlertValidationParams({ maxTtlSec: 0 })).toThrow(InvalidParamsError)
    try {
      createAlertValidationParams({ maxSkewMs: -1 })
    } catch (err) {
      expect((err as InvalidParamsError).code).toBe('IMMUNE_ERR_INVALID_PARAMS')
      expect((err as InvalidParamsError).details.field).toBe('alertValidation.maxSkewMs')
    }
    const p = createAlertValidationParams({ maxIndicators: 4 })
    expect(p.maxIndicators).toBe(4)
    expect(p.maxSkewMs).toBe(defaultAlertValidationParams.maxSkewMs)
    expect(Object.isFrozen(p)).toBe(true)
  })
})
