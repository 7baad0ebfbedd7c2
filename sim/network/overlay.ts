/**
 * The overlay: who is connected to whom, and which connections are gossipsub
 * mesh links. Struct of arrays: node i's connections are the slots
 * [i·cap, i·cap + degree[i]) of `peers`, with a parallel mesh flag and a
 * per-link base latency (drawn once per link, the same in both directions).
 * Links are symmetric, as gossipsub's GRAFT/PRUNE keep them.
 *
 * Building is random but deterministic (seeded): each node in turn opens mesh
 * links to random nodes until it has D, never pushing anyone above Dhi, then
 * `extraConnections` gossip-only connections. Repair (at heartbeats) follows
 * gossipsub: drop links to peers that left or that we distrust, graft
 * connected peers when below Dlo, and open new connections when none are left.
 */
import type { Prng } from '../../core/index.js'
import { SimEngineError } from '../errors.js'
import type { NetworkParams } from './network-params.js'

/** A symmetric hash of a link to a standard normal deviate (deterministic per seed and pair). */
function linkNormal (seed: number, i: number, j: number): number {
  const lo = i < j ? i : j
  const hi = i < j ? j : i
  let h1 = Math.imul(lo ^ seed, 0x9e3779b1) ^ Math.imul(hi + 0x7f4a7c15, 0x85ebca6b)
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x21f0aaad)
  h1 = Math.imul(h1 ^ (h1 >>> 15), 0x735a2d97)
  h1 = (h1 ^ (h1 >>> 15)) >>> 0
  let h2 = Math.imul(h1 ^ 0x5bd1e995, 0x27d4eb2f) ^ hi
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x2c1b3c6d)
  h2 = Math.imul(h2 ^ (h2 >>> 12), 0x297a2d39)
  h2 = (h2 ^ (h2 >>> 15)) >>> 0
  const u1 = (h1 + 1) / 4294967297
  const u2 = h2 / 4294967296
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
}

export interface OverlayEdge { a: number, b: number, mesh: boolean }

export class Overlay {
  readonly n: number
  readonly cap: number
  readonly peers: Int32Array
  readonly mesh: Uint8Array
  readonly linkLatencyMs: Float32Array
  readonly degree: Uint8Array
  readonly meshCount: Uint8Array
  /** Control messages (GRAFT/PRUNE) sent by repairs. */
  controlMessages = 0

  constructor (n: number, readonly params: NetworkParams, private readonly latencySeed: number, cap?: number) {
    if (!Number.isInteger(n) || n < 1) throw new SimEngineError(`overlay size must be an integer >= 1, got ${n}`)
    this.n = n
    this.cap = Math.min(255, cap ?? params.meshDegreeHigh + params.extraConnections + 4)
    this.peers = new Int32Array(n * this.cap)
    this.mesh = new Uint8Array(n * this.cap)
    this.linkLatencyMs = new Float32Array(n * this.cap)
    this.degree = new Uint8Array(n)
    this.meshCount = new Uint8Array(n)
  }

  /** The base latency of link (i, j): lognormal(median, sigmaLink), symmetric. */
  baseLatency (i: number, j: number): number {
    const p = this.params
    return p.latencySigmaLink === 0 ? p.latencyMedianMs : p.latencyMedianMs * Math.exp(p.latencySigmaLink * linkNormal(this.latencySeed, i, j))
  }

  slotOf (i: number, j: number): number {
    const base = i * this.cap
    const end = base + this.degree[i]
    for (let s = base; s < end; s++) if (this.peers[s] === j) return s
    return -1
  }

  connected (i: number, j: number): boolean { return this.slotOf(i, j) >= 0 }

  canLink (i: number, j: number): boolean {
    return i !== j && this.degree[i] < this.cap && this.degree[j] < this.cap && !this.connected(i, j)
  }

  /** Connect i and j (both directions). Returns false when either side is full or they are already connected. */
  link (i: number, j: number, mesh: boolean, latencyMs?: number): boolean {
    if (!this.canLink(i, j)) return false
    const lat = latencyMs ?? this.baseLatency(i, j)
    const si = i * this.cap + this.degree[i]++
    const sj = j * this.cap + this.degree[j]++
    this.peers[si] = j
    this.peers[sj] = i
    this.linkLatencyMs[si] = lat
    this.linkLatencyMs[sj] = lat
    if (mesh) {
      this.mesh[si] = 1
      this.mesh[sj] = 1
      this.meshCount[i]++
      this.meshCount[j]++
    } else {
      this.mesh[si] = 0
      this.mesh[sj] = 0
    }
    return true
  }

  private removeSlot (i: number, s: number): void {
    const last = i * this.cap + this.degree[i] - 1
    if (this.mesh[s] === 1) this.meshCount[i]--
    if (s !== last) {
      this.peers[s] = this.peers[last]
      this.mesh[s] = this.mesh[last]
      this.linkLatencyMs[s] = this.linkLatencyMs[last]
    }
    this.mesh[last] = 0
    this.degree[i]--
  }

  unlink (i: number, j: number): boolean {
    const si = this.slotOf(i, j)
    if (si < 0) return false
    this.removeSlot(i, si)
    const sj = this.slotOf(j, i)
    if (sj >= 0) this.removeSlot(j, sj)
    return true
  }

  /** Set the mesh flag of link (i, j) on both sides. */
  setMesh (i: number, j: number, mesh: boolean): void {
    const si = this.slotOf(i, j)
    const sj = this.slotOf(j, i)
    if (si < 0 || sj < 0) return
    const v = mesh ? 1 : 0
    if (this.mesh[si] !== v) { this.mesh[si] = v; this.meshCount[i] += mesh ? 1 : -1 }
    if (this.mesh[sj] !== v) { this.mesh[sj] = v; this.meshCount[j] += mesh ? 1 : -1 }
  }

  /** Disconnect i from everyone; calls `touched(j)` for each former neighbour. */
  isolate (i: number, touched: (j: number) => void): void {
    while (this.degree[i] > 0) {
      const j = this.peers[i * this.cap + this.degree[i] - 1]
      this.unlink(i, j)
      touched(j)
    }
  }

  /** A random overlay over nodes [0, n) for which `eligible(i)` holds. */
  static random (n: number, params: NetworkParams, rng: Prng, latencySeed: number, eligible?: (i: number) => boolean): Overlay {
    const o = new Overlay(n, params, latencySeed)
    const ok = eligible ?? (() => true)
    const D = params.meshDegree
    for (let i = 0; i < n; i++) {
      if (!ok(i)) continue
      let tries = 0
      while (o.meshCount[i] < D && tries++ < 20 * D) {
        const j = rng.nextInt(n)
        if (!ok(j) || o.meshCount[j] >= params.meshDegreeHigh || !o.canLink(i, j)) continue
        o.link(i, j, true)
      }
    }
    for (let i = 0; i < n; i++) {
      if (!ok(i)) continue
      let added = 0
      let tries = 0
      while (added < params.extraConnections && tries++ < 20 * (params.extraConnections + 1)) {
        const j = rng.nextInt(n)
        if (!ok(j) || !o.canLink(i, j)) continue
        o.link(i, j, false)
        added++
      }
    }
    return o
  }

  /** An overlay with exactly these links (the fidelity check mirrors a real libp2p topology). */
  static fromEdges (n: number, params: NetworkParams, edges: OverlayEdge[], latencySeed = 1): Overlay {
    let maxDeg = 1
    const deg = new Array<number>(n).fill(0)
    for (const e of edges) { deg[e.a]++; deg[e.b]++ }
    for (const d of deg) maxDeg = Math.max(maxDeg, d)
    const o = new Overlay(n, params, latencySeed, Math.max(maxDeg, params.meshDegreeHigh + params.extraConnections + 4))
    for (const e of edges) {
      if (!o.connected(e.a, e.b)) o.link(e.a, e.b, e.mesh)
      else if (e.mesh) o.setMesh(e.a, e.b, true)
    }
    return o
  }

  /**
   * Heartbeat repair of node i (gossipsub's mesh maintenance): drop links to
   * peers that are gone or banned (PRUNE), graft connected peers while below
   * Dlo (up to D), open new connections to random live nodes when nothing is
   * left to graft, prune down to D above Dhi.
   */
  repair (i: number, rng: Prng, live: (j: number) => boolean, banned: (i: number, j: number) => boolean, touched?: (j: number) => void): void {
    const p = this.params
    const cap = this.cap
    // drop dead or banned (the banned peer loses a link too: it repairs at its next heartbeat)
    for (let s = i * cap + this.degree[i] - 1; s >= i * cap; s--) {
      const j = this.peers[s]
      if (!live(j) || banned(i, j)) {
        if (this.mesh[s] === 1) this.controlMessages++
        this.unlink(i, j)
        touched?.(j)
      }
    }
    if (this.meshCount[i] < p.meshDegreeLow) {
      // graft connected non-mesh peers
      const base = i * cap
      for (let s = base; s < base + this.degree[i] && this.meshCount[i] < p.meshDegree; s++) {
        const j = this.peers[s]
        if (this.mesh[s] === 0 && this.meshCount[j] < p.meshDegreeHigh) {
          this.setMesh(i, j, true)
          this.controlMessages++
        }
      }
      // open new connections
      let tries = 0
      while (this.meshCount[i] < p.meshDegree && tries++ < 20 * p.meshDegree) {
        const j = rng.nextInt(this.n)
        if (!live(j) || banned(i, j) || this.meshCount[j] >= p.meshDegreeHigh || !this.canLink(i, j)) continue
        this.link(i, j, true)
        this.controlMessages++
      }
    }
    if (this.meshCount[i] > p.meshDegreeHigh) {
      const base = i * cap
      for (let s = base + this.degree[i] - 1; s >= base && this.meshCount[i] > p.meshDegree; s--) {
        if (this.mesh[s] === 1) {
          const j = this.peers[s]
          this.setMesh(i, j, false)
          this.controlMessages++
          touched?.(j)
        }
      }
    }
  }

  /** Mean mesh degree and mean connection count over the nodes with at least one connection. */
  stats (): { meanMeshDegree: number, meanConnections: number, isolated: number } {
    let m = 0
    let c = 0
    let k = 0
    let isolated = 0
    for (let i = 0; i < this.n; i++) {
      if (this.degree[i] === 0) { isolated++; continue }
      m += this.meshCount[i]
      c += this.degree[i]
      k++
    }
    return { meanMeshDegree: k === 0 ? 0 : m / k, meanConnections: k === 0 ? 0 : c / k, isolated }
  }
}
