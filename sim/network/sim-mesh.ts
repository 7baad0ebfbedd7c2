/**
 * The `Mesh` interface (protocol/mesh/mesh.ts) on the simulated network, for
 * node code that wants a mesh object rather than the simulator's direct calls
 * (an AlertIntake with `mesh`, an AlertPublisher's `onDanger`), and for the
 * fidelity check. One `SimMeshWorld` holds the engine, overlay and gossip
 * network; `world.mesh(i)` is node i's Mesh. Publishing creates the alert
 * (createAlert, deterministic id) and floods it through GossipNetwork;
 * receipts reach `onAlert` handlers exactly once, at virtual time.
 *
 * Differences from the libp2p mesh, on purpose: no keys and no signatures
 * (the envelope is empty: validation cost is in the latency model), no
 * validator rejections (onReject never fires), and `setApplicationScore`
 * only graylists (a score below gossipsub's graylist threshold drops the
 * peer's messages), as P5 does in gossipsub.
 */
import { createAlert } from '../../protocol/alert/index.js'
import type { AlertDraft } from '../../protocol/alert/index.js'
import type { AlertEvent, AlertHandler, ApplicationScoreFn, Mesh, MeshPeer } from '../../protocol/mesh/index.js'
import { defaultMeshScoreParams } from '../../protocol/mesh/index.js'
import type { Prng } from '../../core/index.js'
import type { Engine, EventHandler } from '../engine/index.js'
import { GossipNetwork } from './gossip-network.js'
import type { CpuModel, NetworkHost } from './gossip-network.js'
import type { NetworkParams } from './network-params.js'
import type { Overlay } from './overlay.js'

const K_DELIVER = 1
const K_IHAVE = 2
const K_HEARTBEAT = 3
const K_PROCESSED = 4
const EMPTY = new Uint8Array(0)

class SimMesh implements Mesh {
  readonly handlers = new Set<AlertHandler>()
  readonly subscribed = new Set<string>()
  appScore: ApplicationScoreFn | null = null
  started = false

  constructor (private readonly world: SimMeshWorld, readonly index: number, readonly peerId: string) {}

  async start (): Promise<void> { this.started = true }
  async stop (): Promise<void> { this.started = false }
  subscribe (community: string): void { this.subscribed.add(community) }
  unsubscribe (community: string): void { this.subscribed.delete(community) }
  communities (): string[] { return [...this.subscribed] }

  async publish (draft: AlertDraft): Promise<AlertEvent> {
    return this.world.publishFrom(this.index, draft)
  }

  onAlert (handler: AlertHandler): () => void {
    this.handlers.add(handler)
    return () => { this.handlers.delete(handler) }
  }

  peers (): MeshPeer[] {
    const o = this.world.overlay
    const out: MeshPeer[] = []
    const base = this.index * o.cap
    for (let s = base; s < base + o.degree[this.index]; s++) {
      const peer = this.world.meshes[o.peers[s]]
      out.push({ id: peer.peerId, communities: peer.communities(), gossipsubScore: this.appScore?.(peer.peerId) ?? 0, inMesh: o.mesh[s] === 1 })
    }
    return out
  }

  setApplicationScore (fn: ApplicationScoreFn): void { this.appScore = fn }

  addresses (): string[] { return [] }
}

export interface SimMeshWorldInit {
  engine: Engine
  overlay: Overlay
  params: NetworkParams
  rng: Prng
  /** Peer ids (default "sim-<i>"). */
  peerIds?: string[]
  /** Measured per-hop delays to draw from instead of the lognormal (see GossipNetwork). */
  delaySamples?: { relay: readonly number[], first?: readonly number[] }
  /** Optional CPU model (see GossipNetwork). */
  cpu?: CpuModel
}

export class SimMeshWorld implements NetworkHost, EventHandler {
  readonly engine: Engine
  readonly overlay: Overlay
  readonly network: GossipNetwork
  readonly meshes: SimMesh[]
  private readonly alerts: AlertEvent[] = []
  private seq = 0
  private heartbeatOn = false

  constructor (init: SimMeshWorldInit) {
    this.engine = init.engine
    this.overlay = init.overlay
    this.network = new GossipNetwork(init.engine, init.overlay, init.params, init.rng, this, { deliver: K_DELIVER, ihave: K_IHAVE, processed: K_PROCESSED }, init.delaySamples, init.cpu)
    this.meshes = Array.from({ length: init.overlay.n }, (_, i) => new SimMesh(this, i, init.peerIds?.[i] ?? `sim-${i}`))
  }

  mesh (i: number): Mesh { return this.meshes[i] }

  /** Start the gossip heartbeat (once). */
  private ensureHeartbeat (): void {
    if (this.heartbeatOn) return
    this.heartbeatOn = true
    this.engine.after(this.network.params.heartbeatMs, K_HEARTBEAT)
  }

  publishFrom (i: number, draft: AlertDraft): AlertEvent {
    const m = this.meshes[i]
    const alert = createAlert(draft, { id: this.alerts.length.toString(16).padStart(32, '0'), origin: m.peerId, seq: BigInt(++this.seq), nowMs: this.engine.clock.now() })
    const event: AlertEvent = { alert, envelope: EMPTY, from: m.peerId, receivedAtMs: this.engine.clock.now() }
    this.alerts.push(event)
    this.ensureHeartbeat()
    this.network.publish(i)
    return event
  }

  /** Run the engine until virtual time `untilMs` (ms since the start). */
  runUntil (untilMs: number): void { this.engine.runUntil(untilMs, this) }

  handle (kind: number, a: number, b: number, c: number): void {
    if (kind === K_DELIVER) this.network.onDeliver(a, b, c)
    else if (kind === K_IHAVE) this.network.onIhave(a, b, c)
    else if (kind === K_PROCESSED) this.network.onProcessed(a, b, c)
    else if (kind === K_HEARTBEAT) {
      this.network.heartbeat()
      if (this.network.activeAlerts() > 0) this.engine.after(this.network.params.heartbeatMs, K_HEARTBEAT)
      else this.heartbeatOn = false
    }
  }

  // NetworkHost
  isLive (h: number): boolean { return this.meshes[h].started }

  accepts (h: number, from: number): boolean {
    const fn = this.meshes[h].appScore
    return fn == null || fn(this.meshes[from].peerId) > defaultMeshScoreParams.graylistThreshold
  }

  relays (_h: number, _a: number): boolean { return true }

  receive (h: number, a: number, from: number): void {
    const m = this.meshes[h]
    const sent = this.alerts[a]
    if (!m.subscribed.has(sent.alert.community)) return
    const event: AlertEvent = { alert: sent.alert, envelope: sent.envelope, from: this.meshes[from].peerId, receivedAtMs: this.engine.clock.now() }
    for (const handler of m.handlers) handler(event)
  }
}
