/** Shared fixtures of the alert protocol tests: keys, a typical alert, raw sealing for forgeries. */
import { typicalAlertDraft } from '../../../protocol/alert/typical-alert.js'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { ALERT_CODEC, ALERT_DOMAIN, createAlert, signAlert } from '../../../protocol/alert/index.js'
import type { Alert, AlertDraft } from '../../../protocol/alert/index.js'
import type { PrivateKey } from '@libp2p/interface'

export const NOW_MS = 1_700_000_000_000

export interface TestPeer {
  key: PrivateKey
  id: string
}

/** A deterministic Ed25519 identity (seed byte repeated). */
export async function peer (seedByte: number): Promise<TestPeer> {
  const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seedByte))
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

/** A typical alert: one signature of 5 tokens, one source, a realistic explanation (protocol/alert/typical-alert.ts). */
export const typicalDraft = typicalAlertDraft

let counter = 0
/** A fresh alert from `from`, with a deterministic id unless given. */
export function alertFrom (from: TestPeer, init: { seq?: bigint, nowMs?: number, id?: string } = {}, draft: AlertDraft = typicalDraft()): Alert {
  counter++
  return createAlert(draft, {
    origin: from.id,
    seq: init.seq ?? BigInt(counter),
    nowMs: init.nowMs ?? NOW_MS,
    id: init.id ?? counter.toString(16).padStart(32, '0')
  })
}

export async function signed (from: TestPeer, alert: Alert): Promise<Uint8Array> {
  return signAlert(alert, from.key)
}

/** Seal arbitrary payload bytes, as an attacker with its own key can, optionally under another domain/codec. */
export async function sealRaw (key: PrivateKey, payload: Uint8Array, opts: { domain?: string, codec?: Uint8Array } = {}): Promise<Uint8Array> {
  const record = {
    domain: opts.domain ?? ALERT_DOMAIN,
    codec: opts.codec ?? ALERT_CODEC,
    marshal: () => payload,
    equals: () => false
  }
  return (await RecordEnvelope.seal(record, key)).marshal()
}
