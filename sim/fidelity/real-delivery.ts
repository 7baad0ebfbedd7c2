/**
 * The real side of the fidelity check: N real nodes (protocol/mesh's libp2p
 * gossipsub mesh, memory transport, Noise, yamux, StrictNoSign, the alert
 * validator) in this process; real signed alerts published with
 * `mesh.publish`, and each node's receipt time measured from the publish
 * call. Also records the topology (connections and mesh links) so the
 * simulator can run on the same graph.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { performance } from 'node:perf_hooks'
import { createSystemClock } from '../../core/index.js'
import { createPrng } from '../../core/index.js'
import { createLibp2pMesh } from '../../protocol/mesh/index.js'
import type { Libp2pMesh } from '../../protocol/mesh/index.js'
import type { AlertDraft } from '../../protocol/alert/index.js'
import type { OverlayEdge } from '../network/index.js'

export interface Receipt { node: number, from: number, atMs: number }

export interface RealDelivery {
  nodes: number
  edges: OverlayEdge[]
  alerts: Array<{ origin: number, receipts: Receipt[] }>
  meshFormMs: number
}

export interface RealDeliveryInit {
  nodes: number
  /** Each node dials up to this many random earlier nodes. */
  dials?: number
  alerts?: number
  seed?: number
  heartbeatMs?: number
  /** Pause between alerts (ms of real time). */
  spacingMs?: number
  formDeadlineMs?: number
  deliveryDeadlineMs?: number
  /** The real-time source for receipt times (default performance.now). */
  now?: () => number
}

export const FIDELITY_COMMUNITY = 'fidelity-app'

function draft (k: number): AlertDraft {
  return {
    community: FIDELITY_COMMUNITY,
    danger: 2,
    kind: 'signature',
    seen: { context: 'GET /shop/item.jsp', parameter: 'id', score: 0.97, explanation: `fidelity alert ${k}: unusual parameter` },
    sources: [{ address: '198.18.0.7', ttlSec: 900 }],
    signatures: [{ id: '3f1c9a0e5b7d2468ace013579bdf2468', context: 'GET /shop/item.jsp', parameter: 'id', tokens: ["'", 'union', 'select', 'from', '--'], generator: 'clonal-token-set/1', sampleCount: 2 }],
    ttlSec: 600
  }
}

export async function measureRealDelivery (init: RealDeliveryInit): Promise<RealDelivery> {
  const n = init.nodes
  const dials = init.dials ?? 4
  const count = init.alerts ?? 10
  const heartbeatMs = init.heartbeatMs ?? 100
  const spacingMs = init.spacingMs ?? 300
  const now = init.now ?? (() => performance.now())
  const clock = createSystemClock()
  const rng = createPrng(init.seed ?? 1)
  const tag = `${process.pid}-${Math.floor(now() * 1000)}`
  const sleep = async (ms: number): Promise<void> => { await new Promise<void>((resolve) => { clock.setTimeout(resolve, ms) }) }
  const until = async (cond: () => boolean, deadlineMs: number): Promise<boolean> => {
    const end = now() + deadlineMs
    for (let i = 0; i < 100_000; i++) {
      if (cond()) return true
      if (now() > end) return false
      await sleep(20)
    }
    return cond()
  }
  const nodes: Libp2pMesh[] = []
  try {
    const t0 = now()
    for (let i = 0; i < n; i++) {
      const bootstrap: string[] = []
      const earlier = [...Array(i).keys()]
      for (let k = 0; k < dials && earlier.length > 0; k++) {
        const [j] = earlier.splice(rng.nextInt(earlier.length), 1)
        bootstrap.push(nodes[j].addresses()[0])
      }
      const mesh = await createLibp2pMesh({ clock }, {
        privateKey: await generateKeyPair('Ed25519'),
        listen: [`/memory/fidelity-${tag}-${i}`],
        transport: 'memory',
        bootstrap,
        communities: [FIDELITY_COMMUNITY],
        heartbeatIntervalMs: heartbeatMs,
        redialIntervalMs: 500
      })
      await mesh.start()
      nodes.push(mesh)
    }
    await until(() => nodes.every((m) => {
      const mp = m.meshPeers(FIDELITY_COMMUNITY).length
      return mp >= 1 && mp >= Math.min(4, m.connectedPeers().length)
    }), init.formDeadlineMs ?? 30_000)
    await sleep(heartbeatMs * 5)
    const meshFormMs = now() - t0
    const index = new Map(nodes.map((m, i) => [m.peerId, i]))
    const edges: OverlayEdge[] = []
    for (let i = 0; i < n; i++) {
      const mine = new Set(nodes[i].meshPeers(FIDELITY_COMMUNITY))
      for (const p of nodes[i].connectedPeers()) {
        const j = index.get(p)
        if (j == null || j <= i) continue
        const mesh = mine.has(p) || nodes[j].meshPeers(FIDELITY_COMMUNITY).includes(nodes[i].peerId)
        edges.push({ a: i, b: j, mesh })
      }
    }
    let current: { id: string | null, start: number, receipts: Receipt[], seen: Set<number> } = { id: null, start: 0, receipts: [], seen: new Set() }
    nodes.forEach((m, i) => m.onAlert((e) => {
      const at = now()
      if (e.alert.id !== current.id || current.seen.has(i)) return
      current.seen.add(i)
      current.receipts.push({ node: i, from: index.get(e.from) ?? -1, atMs: at - current.start })
    }))
    const alerts: RealDelivery['alerts'] = []
    for (let k = 0; k < count; k++) {
      const origin = rng.nextInt(n)
      const receipts: Receipt[] = []
      current = { id: null, start: now(), receipts, seen: new Set([origin]) }
      // the id is known only once publish returns; receipts that race ahead are matched by content below
      const pending: Array<{ i: number, at: number, id: string, from: string }> = []
      const off = nodes.map((m, i) => m.onAlert((e) => { pending.push({ i, at: now(), id: e.alert.id, from: e.from }) }))
      const sent = await nodes[origin].publish(draft(k))
      current.id = sent.alert.id
      for (const p of pending) {
        if (p.id !== sent.alert.id || current.seen.has(p.i)) continue
        current.seen.add(p.i)
        receipts.push({ node: p.i, from: index.get(p.from) ?? -1, atMs: p.at - current.start })
      }
      off.forEach((f) => { f() })
      await until(() => current.seen.size >= n, init.deliveryDeadlineMs ?? 5000)
      alerts.push({ origin, receipts: receipts.slice() })
      await sleep(spacingMs)
    }
    return { nodes: n, edges, alerts, meshFormMs }
  } finally {
    await Promise.allSettled(nodes.map(async (m) => { await m.stop() }))
  }
}
