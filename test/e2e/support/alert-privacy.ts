/**
 * The e2e suite's capture hook for "what leaves a host" (issue 13,
 * docs/protocol.md): every daemon pool (support/daemon.ts) calls
 * `checkPublishedAlerts` from its cleanup, after its daemons stopped. It
 * reads, from each daemon's own level db (a real store, as the daemon left it):
 *   - the normal sample it held (the `reservoir` sublevel: what its clonal
 *     selection and vetting used as "self"), and
 *   - every valid alert it received (the `alerts` sublevel keeps the signed
 *     envelope), which it re-verifies and decodes with the protocol's own
 *     decoder (protocol/alert: signature, canonical form, origin == signer).
 * For each decoded alert whose origin is one of the pool's daemons (the
 * publisher), it asserts that
 *   - no source address is loopback, private, shared, link-local, unique-local
 *     or otherwise reserved, nor in the publisher's policy allowlist or
 *     trusted proxies;
 *   - no value of the publisher's normal sample (a parameter value of five
 *     characters or more with a letter in it: shorter ones, or numbers, occur
 *     in any text by chance, e.g. inside a score) occurs in any text the alert
 *     carries: the explanation, the parameter names, the signature tokens.
 * So every alert published by any daemon in the e2e suite that reached
 * another daemon is checked, whatever the test was about.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createSystemClock } from '../../../core/clock.js'
import { openAlert } from '../../../protocol/alert/index.js'
import type { Alert } from '../../../protocol/alert/index.js'
import { createStore } from '../../../node/store/index.js'
import { createReservoir, observationDocs } from '../../../node/signatures/index.js'
import { createSourceFilter, isReservedAddress } from '../../../node/intake/index.js'

export interface PublisherFacts {
  peerId: string
  dataDir: string
  config: Record<string, unknown>
}

export interface PrivacyReport {
  /** Alerts decoded and checked (origin is a pool daemon). */
  checked: number
  /** Alerts read whose origin is not a pool daemon (hand-made test peers, liars): decoded, not judged. */
  foreign: number
  /** Normal values of all publishers looked for. */
  normalValues: number
  violations: string[]
}

const MIN_VALUE_CHARS = 5

/** The distinctive values of a normal sample: canonical parameter values with a letter, of MIN_VALUE_CHARS or more. */
function normalValues (entries: ReadonlyArray<{ obs: Parameters<typeof observationDocs>[0] }>): Set<string> {
  const out = new Set<string>()
  for (const e of entries) {
    const docs = observationDocs(e.obs)
    for (const s of docs.spans) {
      const v = docs.whole.slice(s.start, s.end)
      if (v.length >= MIN_VALUE_CHARS && /\p{L}/u.test(v)) out.add(v)
    }
  }
  return out
}

interface DbContents { values: Set<string>, alerts: Alert[] }

async function readDb (dataDir: string): Promise<DbContents | null> {
  if (!existsSync(join(dataDir, 'db'))) return null
  const store = createStore({ dataDir })
  await store.open()
  try {
    const reservoir = createReservoir({ store, clock: createSystemClock() })
    await reservoir.start()
    const values = normalValues(reservoir.all())
    await reservoir.stop()
    const alerts: Alert[] = []
    for await (const [, v] of store.sub('alerts').iterator()) {
      const env = (v as { envelope?: string }).envelope
      if (typeof env !== 'string') continue
      alerts.push((await openAlert(new Uint8Array(Buffer.from(env, 'base64')))).alert)
    }
    return { values, alerts }
  } finally {
    await store.close()
  }
}

function listOf (v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

/** Texts of an alert that the publisher wrote (besides its context, the endpoint's name). */
function texts (a: Alert): string[] {
  return [a.seen.explanation, a.seen.parameter, ...a.signatures.flatMap((s) => [s.parameter, ...s.tokens])].map((t) => t.toLowerCase())
}

/** Read every publisher's normal sample and every alert any of them received; judge the alerts of the publishers. */
export async function checkPublishedAlerts (publishers: readonly PublisherFacts[]): Promise<PrivacyReport> {
  const byPeer = new Map<string, { values: Set<string>, filter: ReturnType<typeof createSourceFilter> }>()
  const received: Alert[] = []
  const seenDirs = new Set<string>()
  for (const p of publishers) {
    const policy = (p.config.policy ?? {}) as Record<string, unknown>
    const collab = (p.config.collaboration ?? {}) as Record<string, unknown>
    const filter = createSourceFilter({ allowlist: policy.allowlist === undefined ? ['127.0.0.1', '::1'] : listOf(policy.allowlist), trustedProxies: listOf(collab.trustedProxies) })
    let entry = byPeer.get(p.peerId)
    if (entry == null) { entry = { values: new Set(), filter }; byPeer.set(p.peerId, entry) }
    if (seenDirs.has(p.dataDir)) continue
    seenDirs.add(p.dataDir)
    const db = await readDb(p.dataDir)
    if (db == null) continue
    for (const v of db.values) entry.values.add(v)
    received.push(...db.alerts)
  }
  const violations: string[] = []
  let checked = 0
  let foreign = 0
  const ids = new Set<string>()
  for (const a of received) {
    if (ids.has(a.id)) continue
    ids.add(a.id)
    const pub = byPeer.get(a.origin)
    if (pub == null) { foreign++; continue }
    checked++
    for (const s of a.sources) {
      if (isReservedAddress(s.address)) violations.push(`alert ${a.id} from ${a.origin} names the reserved address ${s.address}`)
      else if (!pub.filter.shareable(s.address)) violations.push(`alert ${a.id} from ${a.origin} names ${s.address} (${pub.filter.exclusion(s.address) ?? '?'} at its publisher)`)
    }
    const t = texts(a)
    for (const v of pub.values) {
      const hit = t.find((x) => x.includes(v))
      if (hit != null) violations.push(`alert ${a.id} from ${a.origin} carries the normal value ${JSON.stringify(v)} of its publisher in ${JSON.stringify(hit.slice(0, 120))}`)
    }
  }
  let normal = 0
  for (const e of byPeer.values()) normal += e.values.size
  return { checked, foreign, normalValues: normal, violations }
}
