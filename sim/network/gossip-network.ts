/**
 * Message propagation over the overlay, gossipsub style, one heap event per
 * transmission that can still matter:
 *   - the origin sends to every connected peer (floodPublish) or its mesh;
 *   - a node that receives a message for the first time (and accepts the
 *     sender: a graylisted neighbour is ignored) hands it to the host and
 *     forwards it to its mesh peers except the sender;
 *   - every heartbeat, each node advertises the ids it received during the
 *     last `gossipHistory` heartbeats (IHAVE) to max(Dlazy, gossipFactor ×
 *     candidates) connected non-mesh peers; a peer that still lacks the
 *     message answers IWANT and gets it, so a message reaches nodes whose
 *     mesh links failed or dropped it.
 * Every transmission is counted (messages, bytes) at send time, but a heap
 * event is scheduled only when the receiver does not have the message yet
 * (a copy to a node that already has it can change nothing but the byte
 * count). Latency per transmission = the link's base latency × a per-message
 * lognormal jitter + processing time; each transmission is lost with
 * probability lossRate. Seen-sets are bitsets per alert, freed once no event
 * refers to the alert any more.
 */
import type { Prng } from '../../core/index.js'
import type { Engine } from '../engine/index.js'
import type { NetworkParams } from './network-params.js'
import type { Overlay } from './overlay.js'

/** What the network asks of the host model. */
export interface NetworkHost {
  /** Node h is up. */
  isLive: (h: number) => boolean
  /** Node h takes messages from neighbour `from` (false: graylisted by P5). */
  accepts: (h: number, from: number) => boolean
  /** Node h relays alert a (mesh forwarding and gossip; sybils drop honest alerts). */
  relays: (h: number, a: number) => boolean
  /** First receipt of alert a at node h from neighbour `from`. */
  receive: (h: number, a: number, from: number) => void
}

export interface NetworkKinds {
  deliver: number
  ihave: number
  /** Needed only with a CPU model: the end of a message's processing. */
  processed?: number
}

/**
 * Optional CPU model: every first receipt costs `costMs` of processing
 * (decrypt, validate, forward) before the node hands it on; 'per-node': each
 * node has its own CPU; 'shared': all nodes share one (N nodes in one
 * process, as in the fidelity check). Off by default (processingMs only).
 */
export interface CpuModel { mode: 'per-node' | 'shared', costMs: number }

export interface NetworkCounters {
  /** Transmissions of the full message (including duplicates and lost ones). */
  messages: number
  /** IHAVE and IWANT control messages. */
  controlMessages: number
  bytes: number
  duplicates: number
  lost: number
  receipts: number
  gossipRecoveries: number
}

const JITTER_TABLE = 4096

class Ring {
  hosts = new Int32Array(1024)
  alerts = new Int32Array(1024)
  size = 0
  push (h: number, a: number): void {
    if (this.size === this.hosts.length) {
      const nh = new Int32Array(this.size * 2); nh.set(this.hosts); this.hosts = nh
      const na = new Int32Array(this.size * 2); na.set(this.alerts); this.alerts = na
    }
    this.hosts[this.size] = h
    this.alerts[this.size] = a
    this.size++
  }
}

export class GossipNetwork {
  readonly counters: NetworkCounters = { messages: 0, controlMessages: 0, bytes: 0, duplicates: 0, lost: 0, receipts: 0, gossipRecoveries: 0 }
  private seen: Array<Uint8Array | null> = []
  private publishedAt = new Float64Array(64)
  private pending = new Int32Array(64)
  private lastHeartbeat = new Int32Array(64)
  private alertCount = 0
  private readonly active: number[] = []
  private readonly rings: Ring[]
  private ringCur = 0
  private heartbeats = 0
  private readonly jitter: Float64Array
  private busyUntil: Float64Array | null = null
  /** The origin's own transmissions (signing and its own validation come first). */
  private readonly firstJitter: Float64Array
  private readonly scratch: Int32Array
  private readonly msgBytes: number
  private readonly ihaveBytes: number
  private readonly bitsetBytes: number

  constructor (
    private readonly engine: Engine,
    readonly overlay: Overlay,
    readonly params: NetworkParams,
    private readonly rng: Prng,
    private readonly host: NetworkHost,
    private readonly kinds: NetworkKinds,
    /**
     * Optional measured per-hop delays (ms): the per-transmission factor is then
     * drawn from their empirical distribution instead of the lognormal jitter
     * (use with latencyMedianMs 1 and latencySigmaLink 0: delay = sample + processing).
     */
    delaySamples?: { relay: readonly number[], first?: readonly number[] },
    private readonly cpu?: CpuModel
  ) {
    if (cpu != null) this.busyUntil = new Float64Array(cpu.mode === 'shared' ? 1 : overlay.n)
    this.rings = Array.from({ length: Math.max(1, params.gossipHistory) }, () => new Ring())
    const table = (samples: readonly number[]): Float64Array => {
      const t = new Float64Array(JITTER_TABLE)
      const sorted = [...samples].filter(Number.isFinite).sort((a, b) => a - b)
      for (let i = 0; i < JITTER_TABLE; i++) t[i] = Math.max(0, sorted[Math.min(sorted.length - 1, Math.floor((i + 0.5) / JITTER_TABLE * sorted.length))])
      return t
    }
    if (delaySamples != null && delaySamples.relay.length > 0) {
      this.jitter = table(delaySamples.relay)
      this.firstJitter = delaySamples.first != null && delaySamples.first.length > 0 ? table(delaySamples.first) : this.jitter
    } else {
      this.jitter = new Float64Array(JITTER_TABLE)
      for (let i = 0; i < JITTER_TABLE; i++) this.jitter[i] = Math.exp(params.latencySigmaJitter * rng.nextGaussian())
      this.firstJitter = this.jitter
    }
    this.scratch = new Int32Array(overlay.cap)
    this.msgBytes = params.alertBytes + params.messageOverheadBytes
    this.ihaveBytes = params.controlBytes + params.messageIdBytes
    this.bitsetBytes = (overlay.n + 7) >> 3
  }

  get alerts (): number { return this.alertCount }

  /** Virtual time alert a was published. */
  publishedAtMs (a: number): number { return this.publishedAt[a] }

  hasSeen (a: number, h: number): boolean {
    const s = this.seen[a]
    return s != null && (s[h >> 3] & (1 << (h & 7))) !== 0
  }

  private mark (s: Uint8Array, h: number): void { s[h >> 3] |= 1 << (h & 7) }

  private delay (linkMs: number, first = false): number {
    return linkMs * (first ? this.firstJitter : this.jitter)[this.rng.nextUint32() & (JITTER_TABLE - 1)] + this.params.processingMs
  }

  private lostNow (): boolean {
    return this.params.lossRate > 0 && this.rng.next() < this.params.lossRate
  }

  private growAlerts (): void {
    const cap = this.publishedAt.length * 2
    const f = new Float64Array(cap); f.set(this.publishedAt); this.publishedAt = f
    const p = new Int32Array(cap); p.set(this.pending); this.pending = p
    const l = new Int32Array(cap); l.set(this.lastHeartbeat); this.lastHeartbeat = l
  }

  /** Publish a new alert from `origin` now; returns its index (0, 1, 2, ... in publish order). */
  publish (origin: number): number {
    const a = this.alertCount++
    if (a >= this.publishedAt.length) this.growAlerts()
    const s = new Uint8Array(this.bitsetBytes)
    this.seen[a] = s
    this.publishedAt[a] = this.engine.now
    this.lastHeartbeat[a] = this.heartbeats
    this.active.push(a)
    this.mark(s, origin)
    this.rings[this.ringCur].push(origin, a)
    // with a CPU model the origin first signs and validates its own alert
    let extra = 0
    const busy = this.busyUntil
    if (busy != null) {
      const k = this.cpu!.mode === 'shared' ? 0 : origin
      const done = Math.max(this.engine.now, busy[k]) + this.cpu!.costMs
      busy[k] = done
      extra = done - this.engine.now
    }
    const o = this.overlay
    const base = origin * o.cap
    const end = base + o.degree[origin]
    for (let slot = base; slot < end; slot++) {
      if (this.params.floodPublish || o.mesh[slot] === 1) this.send(origin, slot, a, true, extra)
    }
    return a
  }

  private send (from: number, slot: number, a: number, first = false, extraMs = 0): void {
    const c = this.counters
    const to = this.overlay.peers[slot]
    c.messages++
    c.bytes += this.msgBytes
    if (!this.host.isLive(to)) { c.lost++; return }
    if (this.hasSeen(a, to)) { c.duplicates++; return }
    if (this.lostNow()) { c.lost++; return }
    this.pending[a]++
    this.engine.after(extraMs + this.delay(this.overlay.linkLatencyMs[slot], first), this.kinds.deliver, to, a, from)
  }

  /** A DELIVER event: alert a arrives at h from `from`. */
  onDeliver (h: number, a: number, from: number): void {
    this.pending[a]--
    const s = this.seen[a]
    if (s == null) return
    if ((s[h >> 3] & (1 << (h & 7))) !== 0) { this.counters.duplicates++; return }
    if (!this.host.isLive(h) || !this.host.accepts(h, from)) return
    this.mark(s, h)
    const busy = this.busyUntil
    if (busy != null && this.kinds.processed != null) {
      // queue behind the messages this CPU is already processing
      const k = this.cpu!.mode === 'shared' ? 0 : h
      const done = Math.max(this.engine.now, busy[k]) + this.cpu!.costMs
      busy[k] = done
      this.pending[a]++
      this.engine.at(done, this.kinds.processed, h, a, from)
      return
    }
    this.accept(h, a, from)
  }

  /** With a CPU model: processing of alert a at h is done. */
  onProcessed (h: number, a: number, from: number): void {
    this.pending[a]--
    if (this.seen[a] == null || !this.host.isLive(h)) return
    this.accept(h, a, from)
  }

  private accept (h: number, a: number, from: number): void {
    this.counters.receipts++
    this.lastHeartbeat[a] = this.heartbeats
    this.rings[this.ringCur].push(h, a)
    this.host.receive(h, a, from)
    if (!this.host.relays(h, a)) return
    const o = this.overlay
    const base = h * o.cap
    const end = base + o.degree[h]
    for (let slot = base; slot < end; slot++) {
      if (o.mesh[slot] === 1 && o.peers[slot] !== from) this.send(h, slot, a)
    }
  }

  /** An IHAVE for alert a from gossiper g arrives at h: IWANT back and the message over, if h still lacks it. */
  onIhave (h: number, a: number, g: number): void {
    this.pending[a]--
    const s = this.seen[a]
    if (s == null || (s[h >> 3] & (1 << (h & 7))) !== 0 || !this.host.isLive(h)) return
    if (!this.host.accepts(h, g)) return
    const c = this.counters
    c.controlMessages++
    c.bytes += this.ihaveBytes
    if (this.lostNow() || !this.host.isLive(g)) { c.lost++; return }
    c.messages++
    c.bytes += this.msgBytes
    if (this.lostNow()) { c.lost++; return }
    const base = this.overlay.baseLatency(h, g)
    c.gossipRecoveries++
    this.pending[a]++
    this.engine.after(this.delay(base) + this.delay(base), this.kinds.deliver, h, a, g)
  }

  /** Heartbeat: IHAVE gossip for the ids received in the last gossipHistory heartbeats; free finished alerts. */
  heartbeat (): void {
    const p = this.params
    const o = this.overlay
    const c = this.counters
    if (p.gossipHistory > 0 && p.gossipDegree > 0) {
      for (const ring of this.rings) {
        for (let k = 0; k < ring.size; k++) {
          const g = ring.hosts[k]
          const a = ring.alerts[k]
          if (this.seen[a] == null || !this.host.isLive(g) || !this.host.relays(g, a)) continue
          // candidates: connected peers not in the mesh
          const base = g * o.cap
          const end = base + o.degree[g]
          let n = 0
          for (let slot = base; slot < end; slot++) if (o.mesh[slot] === 0) this.scratch[n++] = slot
          if (n === 0) continue
          const target = Math.min(n, Math.max(p.gossipDegree, Math.floor(p.gossipFactor * n)))
          for (let i = 0; i < target; i++) {
            // partial Fisher-Yates over the candidate slots
            const j = i + (target < n ? this.rng.nextInt(n - i) : 0)
            const slot = this.scratch[j]
            this.scratch[j] = this.scratch[i]
            this.scratch[i] = slot
            const to = o.peers[slot]
            c.controlMessages++
            c.bytes += this.ihaveBytes
            if (this.hasSeen(a, to) || !this.host.isLive(to) || this.lostNow()) continue
            this.pending[a]++
            this.engine.after(this.delay(o.linkLatencyMs[slot]), this.kinds.ihave, to, a, g)
          }
        }
      }
    }
    this.heartbeats++
    this.ringCur = (this.ringCur + 1) % this.rings.length
    this.rings[this.ringCur].size = 0
    // free the seen-sets nothing refers to any more
    for (let i = this.active.length - 1; i >= 0; i--) {
      const a = this.active[i]
      if (this.pending[a] === 0 && this.heartbeats - this.lastHeartbeat[a] > this.rings.length) {
        this.seen[a] = null
        this.active[i] = this.active[this.active.length - 1]
        this.active.pop()
      }
    }
  }

  /** Alerts whose seen-set is still allocated. */
  activeAlerts (): number { return this.active.length }
}
