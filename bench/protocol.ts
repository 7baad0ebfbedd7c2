/**
 * Alert protocol throughput: signing, and full validation (envelope decode,
 * Ed25519 verify, payload decode + canonical check, field checks, freshness,
 * replay check) of a typical alert: one signature of 5 tokens, one source.
 *
 *   npm run bench -- protocol [count]
 *
 * Prints {"bench":"protocol","signPerSec":…,"verifyPerSec":…,"nativeVerifyPerSec":…,"alertBytes":…,…}.
 * verifyPerSec is validateAlert on distinct alerts (distinct ids and seqs) with
 * one replay guard that is only checked, as gossipsub's validator does.
 * Its limit, measured in the same run: nativeVerifyPerSec is node:crypto's
 * Ed25519 verify alone, with the key imported once (a cached KeyObject), over
 * the very bytes each alert's signature covers; the two are measured in
 * alternating blocks of 100 alerts so that a change in the machine's load hits both, and
 * verifyVsNative is their ratio (issue 16: >= 0.9). The breakdown
 * (libp2pVerifyPerSec = RecordEnvelope.validate alone, openPerSec = openAlert,
 * decodePerSec = decodeAlert of the payload) shows where the time goes.
 */
import { typicalAlertDraft } from '../protocol/alert/typical-alert.js'
import { cpus, loadavg } from 'node:os'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { createPublicKey, verify } from 'node:crypto'
import { createSystemClock } from '../core/index.js'
import { ALERT_DOMAIN, createAlert, decodeAlert, encodeAlert, openAlert, ReplayGuard, signAlert, validateAlert } from '../protocol/alert/index.js'
import { envelopeSignedBytes } from '../protocol/alert/envelope-verify.js'
import { printResult } from './lib.js'
import type { AlertDraft } from '../protocol/alert/index.js'

const count = Number(process.argv[2] ?? 5000)
/** validateAlert and the native verify go over the same alerts this many times, alternating every BLOCK alerts */
const ROUNDS = 3
const BLOCK = 100
const clock = createSystemClock()

const draft: AlertDraft = typicalAlertDraft()

/**
 * Timing: CPU seconds of this process (process.cpuUsage) as well as wall
 * seconds. The *PerSec figures are per CPU-second, i.e. what one core does,
 * so they stay meaningful on a machine shared with other work; the wall
 * figures (and the load average) are printed beside them.
 */
interface Mark { wall: bigint, cpu: NodeJS.CpuUsage }
const mark = (): Mark => ({ wall: process.hrtime.bigint(), cpu: process.cpuUsage() })
const elapsed = (m: Mark): { wall: number, cpu: number } => {
  const c = process.cpuUsage(m.cpu)
  return { wall: Number(process.hrtime.bigint() - m.wall) / 1e9, cpu: (c.user + c.system) / 1e6 }
}

const key = await generateKeyPair('Ed25519')
const origin = peerIdFromPrivateKey(key).toString()
const nowMs = clock.now()
const alerts = Array.from({ length: count }, (_, i) => createAlert(draft, { origin, seq: BigInt(nowMs) * 1000n + BigInt(i), nowMs }))

// warm-up (JIT, key import paths)
for (let i = 0; i < 200; i++) await validateAlert(await signAlert(alerts[i], key), { nowMs, replay: new ReplayGuard() })

let t0 = mark()
const signed: Uint8Array[] = []
for (const a of alerts) signed.push(await signAlert(a, key))
const signSec = elapsed(t0)

// the limit: what each signature check costs node:crypto alone, key imported once
const envelopes = signed.map((b) => RecordEnvelope.createFromProtobuf(b))
const domainBytes = new TextEncoder().encode(ALERT_DOMAIN)
const signedBytes = envelopes.map((e) => envelopeSignedBytes(domainBytes, e.payloadType, e.payload))
const keyObject = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(envelopes[0].publicKey.raw).toString('base64url') } })
const signatures = envelopes.map((e) => e.signature)

const verifySec = { wall: 0, cpu: 0 }
const nativeSec = { wall: 0, cpu: 0 }
const add = (to: { wall: number, cpu: number }, t: { wall: number, cpu: number }): void => { to.wall += t.wall; to.cpu += t.cpu }
for (let round = 0; round < ROUNDS; round++) {
  const guard = new ReplayGuard()
  let accepted = 0
  let valid = 0
  // alternate in blocks, so that what the neighbours do to the machine falls on both alike
  for (let from = 0; from < count; from += BLOCK) {
    const to = Math.min(count, from + BLOCK)
    t0 = mark()
    for (let i = from; i < to; i++) {
      const r = await validateAlert(signed[i], { nowMs, replay: guard })
      if (r.action === 'accept') accepted++
    }
    add(verifySec, elapsed(t0))
    t0 = mark()
    for (let i = from; i < to; i++) if (verify(null, signedBytes[i], keyObject, signatures[i])) valid++
    add(nativeSec, elapsed(t0))
  }
  if (accepted !== count) throw new Error(`only ${accepted} of ${count} typical alerts were accepted`)
  if (valid !== count) throw new Error(`native verify refused ${count - valid} genuine signatures`)
}

t0 = mark()
for (const bytes of signed) await openAlert(bytes)
const openSec = elapsed(t0)

t0 = mark()
for (const e of envelopes) await e.validate(ALERT_DOMAIN)
const rawVerifySec = elapsed(t0)

const payloads = envelopes.map((e) => e.payload)
t0 = mark()
for (const p of payloads) decodeAlert(p)
const decodeSec = elapsed(t0)

const rate = (t: { cpu: number }, n = count): number => Math.round(n / t.cpu)
const wallRate = (t: { wall: number }, n = count): number => Math.round(n / t.wall)
printResult({
  bench: 'protocol',
  count,
  rounds: ROUNDS,
  signPerSec: rate(signSec),
  verifyPerSec: rate(verifySec, count * ROUNDS),
  nativeVerifyPerSec: rate(nativeSec, count * ROUNDS),
  verifyVsNative: Math.round(nativeSec.cpu / verifySec.cpu * 1000) / 1000,
  openPerSec: rate(openSec),
  libp2pVerifyPerSec: rate(rawVerifySec),
  decodePerSec: rate(decodeSec),
  signPerWallSec: wallRate(signSec),
  verifyPerWallSec: wallRate(verifySec, count * ROUNDS),
  nativeVerifyPerWallSec: wallRate(nativeSec, count * ROUNDS),
  alertBytes: signed[0].byteLength,
  payloadBytes: encodeAlert(alerts[0]).byteLength,
  loadAvg1m: Math.round(loadavg()[0] * 100) / 100,
  cpus: cpus().length,
  node: process.version
})
