/**
 * Alert protocol throughput: signing, and full validation (envelope decode,
 * Ed25519 verify, payload decode + canonical check, field checks, freshness,
 * replay check) of a typical alert: one signature of 5 tokens, one source.
 *
 *   npm run bench -- protocol [count]
 *
 * Prints {"bench":"protocol","signPerSec":…,"verifyPerSec":…,"alertBytes":…,…}.
 * verifyPerSec is validateAlert on distinct alerts (distinct ids and seqs) with
 * one replay guard that is only checked, as gossipsub's validator does; the
 * breakdown (libp2pVerifyPerSec = RecordEnvelope.validate alone, openPerSec = openAlert) shows where the time goes.
 */
import '../protocol/polyfill.js'
import { typicalAlertDraft } from '../protocol/alert/typical-alert.js'
import { cpus, loadavg } from 'node:os'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { createSystemClock } from '../core/index.js'
import { ALERT_DOMAIN, createAlert, decodeAlert, encodeAlert, openAlert, ReplayGuard, signAlert, validateAlert } from '../protocol/alert/index.js'
import { printResult } from './lib.js'
import type { AlertDraft } from '../protocol/alert/index.js'

const count = Number(process.argv[2] ?? 5000)
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
const alerts = Array.from({ length: count }, (_, i) => createAlert(draft, { origin, seq: BigInt(i + 1), nowMs }))

// warm-up (JIT, key import paths)
for (let i = 0; i < 200; i++) await validateAlert(await signAlert(alerts[i], key), { nowMs, replay: new ReplayGuard() })

let t0 = mark()
const signed: Uint8Array[] = []
for (const a of alerts) signed.push(await signAlert(a, key))
const signSec = elapsed(t0)

const guard = new ReplayGuard()
let accepted = 0
t0 = mark()
for (const bytes of signed) {
  const r = await validateAlert(bytes, { nowMs, replay: guard })
  if (r.action === 'accept') accepted++
}
const verifySec = elapsed(t0)
if (accepted !== count) throw new Error(`only ${accepted} of ${count} typical alerts were accepted`)

t0 = mark()
for (const bytes of signed) await openAlert(bytes)
const openSec = elapsed(t0)

const envelopes = signed.map((b) => RecordEnvelope.createFromProtobuf(b))
t0 = mark()
for (const e of envelopes) await e.validate(ALERT_DOMAIN)
const rawVerifySec = elapsed(t0)

const payloads = envelopes.map((e) => e.payload)
t0 = mark()
for (const p of payloads) decodeAlert(p)
const decodeSec = elapsed(t0)

const rate = (t: { cpu: number }): number => Math.round(count / t.cpu)
const wallRate = (t: { wall: number }): number => Math.round(count / t.wall)
printResult({
  bench: 'protocol',
  count,
  signPerSec: rate(signSec),
  verifyPerSec: rate(verifySec),
  openPerSec: rate(openSec),
  libp2pVerifyPerSec: rate(rawVerifySec),
  decodePerSec: rate(decodeSec),
  signPerWallSec: wallRate(signSec),
  verifyPerWallSec: wallRate(verifySec),
  alertBytes: signed[0].byteLength,
  payloadBytes: encodeAlert(alerts[0]).byteLength,
  loadAvg1m: Math.round(loadavg()[0] * 100) / 100,
  cpus: cpus().length,
  node: process.version
})
