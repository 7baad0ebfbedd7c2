/**
 * Fuzz: 100,000+ hostile byte strings through openAlert + validateAlert with a
 * seeded PRNG (reproducible). Nothing may throw, and nothing may be accepted
 * unless it is byte for byte a genuinely signed original: the mesh's message
 * id is a hash of these bytes (StrictNoSign), so no mutation of a genuine
 * envelope may pass as another message carrying the same alert.
 */
import { isIP } from 'node:net'
import { RecordEnvelope } from '@libp2p/peer-record'
import { describe, expect, it } from 'vitest'
import { verifyEd25519Envelope } from '../../../protocol/alert/envelope-verify.js'
import { ALERT_DOMAIN, decodeAlert, encodeAlert, MAX_ALERT_BYTES, openAlert, ReplayGuard, signAlert, validateAlert } from '../../../protocol/alert/index.js'
import { alertFrom, NOW_MS, peer, sealRaw, typicalDraft } from './fixtures.js'
import { createPrng } from '../../../core/prng.js'
import type { Alert, AlertValidationResult, ValidationAction } from '../../../protocol/alert/index.js'

type Rng = () => number
/** Inputs per section ×SCALE (issue 15: >= 1e5 seeded inputs; FUZZ_SCALE=1 for a quick look). */
const SCALE = Number(process.env.FUZZ_SCALE ?? 10)
/** Uniform floats in [0, 1) from the project's seeded generator. */
function seededRng (seed: number): Rng {
  const prng = createPrng(seed)
  return () => prng.next()
}
const int = (rng: Rng, n: number): number => Math.floor(rng() * n)
const randomBytes = (rng: Rng, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(rng, 256))

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

/** One random mutation: bit flips, byte overwrite, truncation, insertion, deletion, splice with another input, duplication. */
function mutate (rng: Rng, input: Uint8Array, pool: Uint8Array[]): Uint8Array {
  const b = Uint8Array.from(input)
  const at = (): number => int(rng, Math.max(1, b.byteLength))
  switch (int(rng, 8)) {
    case 0: { // 1..4 bit flips
      const n = 1 + int(rng, 4)
      for (let i = 0; i < n && b.byteLength > 0; i++) b[at()] ^= 1 << int(rng, 8)
      return b
    }
    case 1: { // overwrite bytes, favouring protobuf-significant values
      const interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x1a, 0x2a]
      if (b.byteLength > 0) b[at()] = rng() < 0.5 ? interesting[int(rng, interesting.length)] : int(rng, 256)
      return b
    }
    case 2: return b.subarray(0, at()) // truncation
    case 3: { // insertion
      const i = at()
      return concat(b.subarray(0, i), randomBytes(rng, 1 + int(rng, 16)), b.subarray(i))
    }
    case 4: { // deletion
      const i = at()
      return concat(b.subarray(0, i), b.subarray(Math.min(b.byteLength, i + 1 + int(rng, 8))))
    }
    case 5: { // splice with another input
      const other = pool[int(rng, pool.length)]
      return concat(b.subarray(0, at()), other.subarray(int(rng, Math.max(1, other.byteLength))))
    }
    case 6: { // duplicate a range
      const i = at()
      const j = Math.min(b.byteLength, i + 1 + int(rng, 32))
      return concat(b.subarray(0, j), b.subarray(i, j), b.subarray(j))
    }
    default: { // append garbage, sometimes a lot
      return concat(b, randomBytes(rng, rng() < 0.05 ? MAX_ALERT_BYTES : 1 + int(rng, 64)))
    }
  }
}

const ACTIONS = new Set<ValidationAction>(['accept', 'reject', 'ignore'])

/** An oracle written independently of alert-checks.ts: what an accepted alert must satisfy. */
function plausible (a: Alert): boolean {
  return a.version === 1 &&
    (a.danger === 1 || a.danger === 2) &&
    Number.isInteger(a.ttlSec) && a.ttlSec >= 1 && a.ttlSec <= 86_400 &&
    Number.isFinite(a.seen.score) && a.seen.score >= 0 &&
    /^[a-z0-9._-]{1,64}$/.test(a.community) &&
    /^[0-9a-f]{32}$/.test(a.id) &&
    a.sources.every((s) => isIP(s.address) !== 0 && !s.address.includes('%') && s.address !== '0.0.0.0' && s.address !== '::' && s.ttlSec >= 1) &&
    a.signatures.every((s) => s.tokens.length >= 1 && s.tokens.every((t) => t.length > 0) && s.sampleCount >= 1) &&
    Math.abs(a.issuedAtMs - NOW_MS) <= 5 * 60_000
}

describe('alert fuzz', () => {
  it('100,000+ random and mutated inputs: nothing throws, nothing forged is accepted', async () => {
    const rng = seededRng(0x1a1e27)
    const a = await peer(11)
    const b = await peer(12)
    const drafts = [
      typicalDraft(),
      typicalDraft({ kind: 'anomaly', sources: [], signatures: [], danger: 1 }),
      typicalDraft({ kind: 'source', signatures: [], sources: [{ address: '2001:db8::7', ttlSec: 60 }, { address: '198.51.100.4', ttlSec: 600 }] }),
      typicalDraft({ evidenceDigest: new Uint8Array(32).fill(9) }),
      typicalDraft({ seen: { context: 'cell:web', parameter: '', score: 0.25, explanation: 'é∆ unicode 🙂 '.repeat(20) } })
    ]
    const originals = new Map<string, { alert: Alert, bytes: Uint8Array, payload: Uint8Array }>()
    let seq = 1n
    for (const from of [a, b]) {
      for (const d of drafts) {
        const alert = alertFrom(from, { seq: seq++ }, d)
        const bytes = await signAlert(alert, from.key)
        originals.set(alert.id, { alert, bytes, payload: encodeAlert(alert) })
      }
    }
    const pool = [...originals.values()].map((o) => o.bytes)
    const payloads = [...originals.values()].map((o) => o.payload)
    const counts = { total: 0, accepted: 0, acceptedMutants: 0 }
    const byCode = new Map<string, number>()
    const DOMAIN = new TextEncoder().encode(ALERT_DOMAIN)
    let crossChecked = 0

    const run = async (bytes: Uint8Array): Promise<AlertValidationResult> => {
      counts.total++
      let r: AlertValidationResult
      try {
        r = await validateAlert(bytes, { nowMs: NOW_MS, replay: new ReplayGuard() })
      } catch (err) {
        throw new Error(`validateAlert threw for input ${Buffer.from(bytes).toString('hex').slice(0, 200)}: ${String(err)}`)
      }
      expect(ACTIONS.has(r.action)).toBe(true)
      byCode.set(r.code, (byCode.get(r.code) ?? 0) + 1)
      if (r.action === 'accept') counts.accepted++
      return r
    }

    // 1. the originals are accepted
    for (const o of originals.values()) expect((await run(o.bytes)).code).toBe('ok')

    // 2. mutated envelopes: accepted only if they are an original, byte for byte
    for (let i = 0; i < 7000 * SCALE; i++) {
      let m = pool[int(rng, pool.length)]
      const n = 1 + int(rng, 3)
      for (let k = 0; k < n; k++) m = mutate(rng, m, pool)
      const r = await run(m)
      if (i % (8 * SCALE) === 0 && r.code !== 'malformed' && r.code !== 'oversize') {
        // cross-check our verifier against libp2p's on what parses as an envelope
        const env = RecordEnvelope.createFromProtobuf(m)
        if (env.publicKey.type === 'Ed25519') {
          const libp2p = await env.validate(ALERT_DOMAIN).catch(() => false) // it throws on a signature that is not 64 bytes
          expect(verifyEd25519Envelope(env.publicKey.raw, env.signature, DOMAIN, env.payloadType, env.payload)).toBe(libp2p)
          crossChecked++
        }
      }
      if (r.action === 'accept') {
        const original = originals.get(r.alert!.id)
        expect(original, 'accepted an alert that was never signed').toBeDefined()
        expect(r.alert).toEqual(original!.alert)
        expect(r.signer).toBe(original!.alert.origin)
        expect(Buffer.compare(RecordEnvelope.createFromProtobuf(m).payload, original!.payload)).toBe(0)
        if (Buffer.compare(m, original!.bytes) !== 0) counts.acceptedMutants++
      }
    }

    // 3. pure random bytes, some with an envelope-like first byte
    for (let i = 0; i < 1600 * SCALE; i++) {
      const r = randomBytes(rng, int(rng, 1200))
      if (r.byteLength > 0 && rng() < 0.5) r[0] = 0x0a
      expect((await run(r)).action).not.toBe('accept')
    }

    // 4. an attacker signs mutated payloads with its own key (valid signatures over hostile content):
    //    decode + checks must hold; anything accepted must be a plausible alert that round-trips
    for (let i = 0; i < 1000 * SCALE; i++) {
      let p = payloads[int(rng, 5)] // a's payloads: origin matches a's key
      const n = 1 + int(rng, 2)
      for (let k = 0; k < n; k++) p = mutate(rng, p, payloads)
      const r = await run(await sealRaw(a.key, p))
      if (r.action === 'accept') {
        expect(r.signer).toBe(a.id)
        expect(plausible(r.alert!), JSON.stringify(r.alert, (_k, v) => typeof v === 'bigint' ? v.toString() : v)).toBe(true)
        expect(decodeAlert(encodeAlert(r.alert!))).toEqual(r.alert)
        expect((await openAlert(await signAlert(r.alert!, a.key))).alert).toEqual(r.alert)
      }
    }

    // 5. structured mutations: one field of a genuine alert set to a hostile value, then signed by its origin
    const pick = <T>(xs: T[]): T => xs[int(rng, xs.length)]
    const hostileText = (): string => pick(['', 'x'.repeat(300), 'x'.repeat(1100), '\u0000', 'é', '1.2.3.4', '::', '0.0.0.0', '::ffff:1.2.3.4', 'fe80::1%eth0', '256.1.1.1', ' 1.2.3.4', 'UNION'])
    const hostileNumber = (): number => pick([0, 1, -1, 2, 3, 0.5, 86_400, 86_401, 2 ** 31, 0xffffffff, Number.NaN, Number.POSITIVE_INFINITY, -0])
    const base = alertFrom(a, { seq: 1000n })
    for (let i = 0; i < 600 * SCALE; i++) {
      const m: Alert = structuredClone(base)
      switch (int(rng, 10)) {
        case 0: m.danger = hostileNumber() as 1; break
        case 1: m.ttlSec = hostileNumber(); break
        case 2: m.seen.score = hostileNumber(); break
        case 3: m.sources = Array.from({ length: int(rng, 40) }, () => ({ address: hostileText(), ttlSec: hostileNumber() })); break
        case 4: m.signatures[0].tokens = Array.from({ length: int(rng, 40) }, hostileText); break
        case 5: m.signatures[0].sampleCount = hostileNumber(); break
        case 6: m.community = hostileText(); break
        case 7: m.seen = { ...m.seen, context: hostileText(), explanation: hostileText() }; break
        case 8: m.kind = pick(['anomaly', 'signature', 'source']); m.sources = rng() < 0.5 ? [] : m.sources; m.signatures = rng() < 0.5 ? [] : m.signatures; break
        default: m.issuedAtMs = NOW_MS + pick([-1, 1]) * int(rng, 3) * 3 * 60_000; m.version = pick([0, 1, 1, 2])
      }
      let bytes: Uint8Array
      try {
        bytes = await signAlert(m, a.key)
      } catch {
        continue // not encodable (negative/fractional uint32): the sender cannot even put it on the wire
      }
      const r = await run(bytes)
      if (r.action === 'accept') {
        expect(plausible(r.alert!), JSON.stringify(r.alert, (_k, v) => typeof v === 'bigint' ? v.toString() : v)).toBe(true)
      }
    }

    if (process.env.FUZZ_STATS != null) console.log(counts, crossChecked, Object.fromEntries(byCode))
    expect(counts.total).toBeGreaterThanOrEqual(10_000 * SCALE)
    expect(counts.acceptedMutants, 'a re-framed envelope was accepted').toBe(0)
    expect(crossChecked).toBeGreaterThan(50)
    // the fuzz must exercise the deep paths, not only the cheap early rejects
    for (const code of ['malformed', 'bad-signature', 'schema', 'impossible-value', 'oversize', 'ok']) {
      expect(byCode.get(code) ?? 0, `code ${code} never produced`).toBeGreaterThan(0)
    }
  }, 900_000)
})
