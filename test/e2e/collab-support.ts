/**
 * Helpers shared by the collaboration end-to-end tests (test/e2e/collab*.test.ts):
 * a community of real daemons on 127.0.0.1 started through the e2e daemon pool,
 * trained on generated shop traffic (scripts/demo-shop.ts) through the ingest
 * API, and small typed readers of the local API.
 */
import { createShopTraffic, toObservation } from '../../scripts/demo-shop.js'
import type { ShopRequest } from '../../scripts/demo-shop.js'
import type { DaemonPool, RunningDaemon } from './support/daemon.js'
import { getOk, postJson, waitFor } from './support/http.js'

/** What GET /v1/observe answers for one observation. */
export interface Verdict {
  verdict: 'allow' | 'block'
  danger: number
  score: number | null
  phase: string
  context?: string
  reasons: Array<{ feature: string, parameter?: string, observed: unknown, expected: string }>
}

export interface SignatureView {
  id: string
  origin: string
  origins: string[]
  context: string
  parameter: string
  tokens: string[]
  status: string
  adopted: boolean
  reason: string
  code?: string
  normalMatches: number
  hits: number
}

export interface PeerView {
  id: string
  reputation: number
  weight: number
  blacklisted: boolean
  selfish: boolean
  gossipsubScore: number
  connected: boolean
  inMesh: boolean
}

export interface StoredAlertView {
  id: string
  origin: string
  from: string
  kind: string
  outcome?: string
  decisionId?: string
  seen: { context: string }
  sources: Array<{ address: string }>
  signatures: Array<{ id: string, tokens: string[] }>
}

/**
 * The config every community member runs: short learning (so a test can train
 * in seconds), the ingest API's observations as the software of community
 * `default`, no host cell (no /proc sampling noise).
 */
export const COMMUNITY_CONFIG: Record<string, unknown> = {
  cells: [],
  learning: { minObservations: 60, minDurationSec: 0 }
}

/**
 * Starts n daemons one after another, each bootstrapped to all those before it
 * (a full mesh: every member is a direct peer of every other, so each judges
 * all the others); resolves once every node has a gossipsub mesh peer in the
 * community (so the first alert is not published into the void).
 */
export async function startCommunity (pool: DaemonPool, n: number, config: Record<string, unknown> = COMMUNITY_CONFIG, namePrefix = 'honest'): Promise<RunningDaemon[]> {
  const nodes: RunningDaemon[] = []
  for (let i = 0; i < n; i++) {
    nodes.push(await pool.start({ name: `${namePrefix}${i}`, config, args: nodes.flatMap((d) => ['--bootstrap', d.addresses[0]]) }))
  }
  await waitForMesh(nodes, nodes.map((d) => d.peerId))
  await waitFor('every member connected to every other', async () => {
    for (const d of nodes) {
      const connected = new Set((await getOk<PeerView[]>(d.apiUrl, '/peers')).filter((p) => p.connected).map((p) => p.id))
      if (!nodes.every((x) => x === d || connected.has(x.peerId))) return false
    }
    return true
  }, { timeoutMs: 20_000, intervalMs: 200 })
  return nodes
}

/** Every node has at least one gossipsub mesh peer, and together they reach every expected peer id. */
export async function waitForMesh (nodes: RunningDaemon[], expected: string[], timeoutMs = 20_000): Promise<void> {
  await waitFor('a connected community mesh', async () => {
    const seen = new Set<string>()
    for (const d of nodes) {
      const peers = await getOk<PeerView[]>(d.apiUrl, '/peers')
      const mesh = peers.filter((p) => p.inMesh)
      if (mesh.length === 0) return false
      seen.add(d.peerId)
      for (const p of mesh) seen.add(p.id)
    }
    return expected.every((id) => seen.has(id))
  }, { timeoutMs, intervalMs: 200 })
}

/** POST a batch of requests to a node's ingest API; returns the verdicts. */
export async function observe (d: RunningDaemon, reqs: ShopRequest[]): Promise<Verdict[]> {
  const r = await postJson(d.apiUrl, '/v1/observe', reqs.map(toObservation))
  if (r.status !== 200) throw new Error(`POST /v1/observe at ${d.name}: HTTP ${r.status} ${r.text.slice(0, 500)}`)
  return r.body as Verdict[]
}

/** POST one request; returns its verdict. */
export async function observeOne (d: RunningDaemon, req: ShopRequest): Promise<Verdict> {
  const r = await postJson(d.apiUrl, '/v1/observe', toObservation(req))
  if (r.status !== 200) throw new Error(`POST /v1/observe at ${d.name}: HTTP ${r.status} ${r.text.slice(0, 500)}`)
  return r.body as Verdict
}

/**
 * Teaches a node normal traffic: `count` requests of its own seed (each node
 * has its own customers), then checks that the shop's endpoints all guard.
 * Returns the verdicts (the caller may assert that nothing was blocked).
 */
export async function train (d: RunningDaemon, seed: number | string, count: number): Promise<Verdict[]> {
  const traffic = createShopTraffic(seed)
  const out: Verdict[] = []
  for (let done = 0; done < count; done += 200) out.push(...await observe(d, traffic.take(Math.min(200, count - done))))
  return out
}

export const signatures = async (d: RunningDaemon): Promise<SignatureView[]> => await getOk<SignatureView[]>(d.apiUrl, '/signatures')
export const peers = async (d: RunningDaemon): Promise<PeerView[]> => await getOk<PeerView[]>(d.apiUrl, '/peers')
export const alerts = async (d: RunningDaemon): Promise<StoredAlertView[]> => await getOk<StoredAlertView[]>(d.apiUrl, '/alerts')

/** A summary of verdicts for failure messages: "allow/0/guarding: 190, block/2/guarding: 1". */
export function tally (vs: Verdict[]): Record<string, number> {
  const t: Record<string, number> = {}
  for (const v of vs) {
    const k = `${v.verdict}/${v.danger}/${v.phase}`
    t[k] = (t[k] ?? 0) + 1
  }
  return t
}
