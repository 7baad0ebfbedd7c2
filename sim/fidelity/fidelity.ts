/**
 * The fidelity check: does the simulator's network model, calibrated to a
 * transport, reproduce how fast real nodes deliver an alert?
 *
 *   1. Real: `measureRealDelivery` (N libp2p nodes in this process, memory
 *      transport, real signed alerts); per-node receipt times and the
 *      forwarding peer of each receipt, plus the topology.
 *   2. Calibration on the even-numbered alerts. In one process the memory
 *      transport is not latency-bound but CPU-bound: every receipt is
 *      decrypted, validated (Ed25519) and forwarded on the one event loop all
 *      nodes share. So the simulator runs with its CPU model ('shared': one
 *      queue for all nodes) and a near-zero link latency, and the per-message
 *      cost is the one whose simulated delivery curve is closest (KS) to the
 *      calibration alerts' (a grid search over 0.05–20 ms).
 *      ('independent' instead draws every hop from the measured per-hop
 *      delays, as for a latency-bound network: reported beside it.)
 *   3. Simulation of the odd-numbered (held-out) alerts on the same topology
 *      (same links, same mesh flags, same origins, same heartbeat),
 *      `repetitions` times each with different seeds.
 *   4. The delivery curves (fraction of (alert, node) receipts done by time
 *      t) and their Kolmogorov–Smirnov distance, against FIDELITY_KS_TOLERANCE.
 */
import { createPrng, deriveSeed } from '../../core/index.js'
import { Engine } from '../engine/index.js'
import type { CpuModel } from '../network/index.js'
import { createNetworkParams } from '../network/index.js'
import { Overlay } from '../network/index.js'
import type { OverlayEdge } from '../network/index.js'
import { SimMeshWorld } from '../network/index.js'
import { FIDELITY_COMMUNITY, measureRealDelivery } from './real-delivery.js'
import type { RealDelivery, RealDeliveryInit } from './real-delivery.js'
import { empiricalCdf, fitLognormal, ksDistance, quantile } from './stats.js'
import type { LognormalFit } from './stats.js'

/**
 * The KS distance the check accepts. With ~10 held-out alerts on 50 nodes
 * (~500 receipts) the 5% critical value of the two-sample test is ≈ 0.06; the
 * tolerance is wider because the real curve also carries the machine's load
 * (docs/simulator.md, "Fidelity").
 */
export const FIDELITY_KS_TOLERANCE = 0.2

/** Link latency of the in-process memory transport under the CPU model (a few event-loop turns). */
const MEMORY_LINK_MS = 0.1

export interface SimDeliveryInit {
  nodes: number
  edges: OverlayEdge[]
  origins: number[]
  heartbeatMs: number
  repetitions: number
  seed: number
  /** CPU model: near-zero links, per-receipt cost on a shared or per-node CPU. */
  cpu?: CpuModel
  /** Without a CPU model: per-hop delays drawn from these measured ones. */
  delaySamples?: { relay: readonly number[], first?: readonly number[] }
}

/**
 * Receipt times (ms after publish) and hop counts (hops from the origin along
 * the path the first copy took) of every (alert, node) pair in the simulator,
 * pooled over origins and repetitions.
 */
export function simulateDelivery (init: SimDeliveryInit): { times: number[], hops: number[], deliveryRatio: number } {
  const empirical = init.cpu == null && init.delaySamples != null && init.delaySamples.relay.length > 0
  const params = createNetworkParams({
    latencyMedianMs: empirical ? 1 : MEMORY_LINK_MS,
    latencySigmaLink: 0,
    latencySigmaJitter: 0.5,
    processingMs: 0,
    lossRate: 0,
    heartbeatMs: Math.max(10, init.heartbeatMs)
  })
  const times: number[] = []
  const hops: number[] = []
  let expected = 0
  for (let r = 0; r < init.repetitions; r++) {
    for (let k = 0; k < init.origins.length; k++) {
      const engine = new Engine()
      const overlay = Overlay.fromEdges(init.nodes, params, init.edges)
      const world = new SimMeshWorld({
        engine,
        overlay,
        params,
        rng: createPrng(deriveSeed(init.seed, r, k)),
        ...(empirical ? { delaySamples: init.delaySamples } : {}),
        ...(init.cpu != null ? { cpu: init.cpu } : {})
      })
      const hop = new Int32Array(init.nodes).fill(-1)
      hop[init.origins[k]] = 0
      for (let i = 0; i < init.nodes; i++) {
        const m = world.mesh(i)
        void m.start()
        m.subscribe(FIDELITY_COMMUNITY)
        m.onAlert((e) => {
          times.push(engine.now)
          const f = Number(e.from.slice(4))
          hop[i] = (hop[f] ?? -1) + 1
          hops.push(hop[i])
        })
      }
      void world.mesh(init.origins[k]).publish({
        community: FIDELITY_COMMUNITY, danger: 2, kind: 'anomaly', seen: { context: 'c', parameter: '', score: 1, explanation: '' }, sources: [], signatures: [], ttlSec: 600
      })
      world.runUntil(60_000)
      expected += init.nodes - 1
    }
  }
  return { times, hops, deliveryRatio: expected > 0 ? times.length / expected : 0 }
}

/** Hop counts of real receipts (hops from the origin along the forwarding peers). */
export function realHops (alerts: RealDelivery['alerts']): number[] {
  const out: number[] = []
  for (const a of alerts) {
    const hop = new Map<number, number>([[a.origin, 0]])
    for (const r of [...a.receipts].sort((x, y) => x.atMs - y.atMs)) {
      const h = (hop.get(r.from) ?? 0) + 1
      hop.set(r.node, h)
      out.push(h)
    }
  }
  return out
}

/** Total variation distance between two samples of small integers. */
export function tvDistance (a: readonly number[], b: readonly number[]): number {
  const max = Math.max(0, ...a, ...b)
  let d = 0
  for (let v = 0; v <= max; v++) {
    const pa = a.filter(x => x === v).length / Math.max(1, a.length)
    const pb = b.filter(x => x === v).length / Math.max(1, b.length)
    d += Math.abs(pa - pb)
  }
  return d / 2
}

/**
 * Per-hop delays from real receipts: receipt time minus the forwarder's
 * receipt time; `first` holds the hops from the origin (measured from the
 * publish call, so they include signing and the origin's own validation).
 */
export function hopDelays (alerts: RealDelivery['alerts']): { relay: number[], first: number[], all: number[] } {
  const relay: number[] = []
  const first: number[] = []
  for (const a of alerts) {
    const at = new Map<number, number>([[a.origin, 0]])
    for (const r of a.receipts) at.set(r.node, r.atMs)
    for (const r of a.receipts) {
      const f = at.get(r.from)
      if (f == null || r.atMs < f) continue
      if (r.from === a.origin) first.push(r.atMs - f)
      else relay.push(r.atMs - f)
    }
  }
  return { relay, first, all: [...first, ...relay] }
}

const receiptTimes = (alerts: RealDelivery['alerts']): number[] => alerts.flatMap(a => a.receipts.map(r => r.atMs))

/** The per-receipt CPU cost (shared CPU) whose simulated curve is closest to the calibration alerts'. */
export function calibrateCpuCost (real: RealDelivery, calib: RealDelivery['alerts'], heartbeatMs: number, seed: number): { costMs: number, ks: number } {
  const target = receiptTimes(calib)
  let best = { costMs: 1, ks: Infinity }
  for (let i = 0; i <= 24; i++) {
    const costMs = 0.05 * Math.pow(400, i / 24) // 0.05 .. 20 ms, log-spaced
    const sim = simulateDelivery({ nodes: real.nodes, edges: real.edges, origins: calib.map(a => a.origin), heartbeatMs, repetitions: 3, seed, cpu: { mode: 'shared', costMs } })
    const ks = ksDistance(target, sim.times)
    if (ks < best.ks) best = { costMs, ks }
  }
  return best
}

export interface FidelityCurveStats { p50Ms: number, p90Ms: number, p99Ms: number }

export interface FidelityResult {
  nodes: number
  edges: number
  meshEdges: number
  alerts: number
  calibrationAlerts: number
  heldOutAlerts: number
  /** The model compared: a shared CPU with the calibrated per-receipt cost. */
  model: { cpu: 'shared', costMs: number, linkMs: number, calibrationKs: number }
  /** Per-hop delays measured on the calibration alerts (lognormal fit), for reference. */
  hopDelay: LognormalFit
  realDeliveryRatio: number
  simDeliveryRatio: number
  real: FidelityCurveStats
  sim: FidelityCurveStats
  ksDistance: number
  ksTolerance: number
  withinTolerance: boolean
  /** Hop-count distributions (share of receipts at 1, 2, ... hops) and their total variation distance: the topology side, insensitive to CPU load. */
  hops: { real: number[], sim: number[], tvDistance: number }
  /** The latency-bound alternative (independent hops drawn from the measured delays), for comparison. */
  independentHopsKsDistance: number
  /** Delivery curves: fraction of (alert, node) receipts done by each time. */
  curve: { tMs: number[], real: number[], sim: number[] }
  meshFormMs: number
  nonFiniteTimes: number
}

export async function runFidelityCheck (init: RealDeliveryInit & { repetitions?: number }): Promise<FidelityResult> {
  const real = await measureRealDelivery(init)
  const heartbeatMs = init.heartbeatMs ?? 100
  const seed = init.seed ?? 1
  const calib = real.alerts.filter((_, i) => i % 2 === 0)
  const held = real.alerts.length > 1 ? real.alerts.filter((_, i) => i % 2 === 1) : real.alerts
  const delays = hopDelays(calib)
  const cost = calibrateCpuCost(real, calib, heartbeatMs, seed)
  const realTimes = receiptTimes(held)
  const base = { nodes: real.nodes, edges: real.edges, origins: held.map(a => a.origin), heartbeatMs, repetitions: init.repetitions ?? 20, seed: seed + 1 }
  const sim = simulateDelivery({ ...base, cpu: { mode: 'shared', costMs: cost.costMs } })
  const independent = simulateDelivery({ ...base, delaySamples: { relay: delays.relay.length > 0 ? delays.relay : delays.all, first: delays.first } })
  // rounded up, so the last point of both curves is 1
  let maxT = 0
  for (const t of realTimes) if (t > maxT) maxT = t
  for (const t of sim.times) if (t > maxT) maxT = t
  maxT = Math.ceil(maxT * 1000) / 1000
  const steps = 60
  const tMs = Array.from({ length: steps + 1 }, (_, i) => i === steps ? maxT : Number((maxT * i / steps).toFixed(3)))
  const q = (xs: number[]): FidelityCurveStats => ({
    p50Ms: Number(quantile(xs, 0.5).toFixed(3)), p90Ms: Number(quantile(xs, 0.9).toFixed(3)), p99Ms: Number(quantile(xs, 0.99).toFixed(3))
  })
  const ks = ksDistance(realTimes, sim.times)
  const fit = fitLognormal(delays.all)
  const rh = realHops(held)
  const histogram = (xs: number[]): number[] => {
    const max = Math.max(0, ...xs)
    return Array.from({ length: max + 1 }, (_, v) => Number((xs.filter(x => x === v).length / Math.max(1, xs.length)).toFixed(4)))
  }
  return {
    nodes: real.nodes,
    edges: real.edges.length,
    meshEdges: real.edges.filter(e => e.mesh).length,
    alerts: real.alerts.length,
    calibrationAlerts: calib.length,
    heldOutAlerts: held.length,
    model: { cpu: 'shared', costMs: Number(cost.costMs.toFixed(4)), linkMs: MEMORY_LINK_MS, calibrationKs: Number(cost.ks.toFixed(4)) },
    hopDelay: { medianMs: Number(fit.medianMs.toFixed(4)), sigma: Number(fit.sigma.toFixed(4)), samples: fit.samples },
    realDeliveryRatio: Number((realTimes.length / Math.max(1, held.length * (real.nodes - 1))).toFixed(4)),
    simDeliveryRatio: Number(sim.deliveryRatio.toFixed(4)),
    real: q(realTimes),
    sim: q(sim.times),
    ksDistance: Number(ks.toFixed(4)),
    ksTolerance: FIDELITY_KS_TOLERANCE,
    withinTolerance: ks <= FIDELITY_KS_TOLERANCE,
    hops: { real: histogram(rh), sim: histogram(sim.hops), tvDistance: Number(tvDistance(rh, sim.hops).toFixed(4)) },
    independentHopsKsDistance: Number(ksDistance(realTimes, independent.times).toFixed(4)),
    curve: { tMs, real: empiricalCdf(realTimes, tMs).map(v => Number(v.toFixed(4))), sim: empiricalCdf(sim.times, tMs).map(v => Number(v.toFixed(4))) },
    meshFormMs: Math.round(real.meshFormMs),
    /** Receipt times that are not finite numbers (must be 0; they would bend both curves). */
    nonFiniteTimes: realTimes.filter((t) => !Number.isFinite(t)).length + sim.times.filter((t) => !Number.isFinite(t)).length
  }
}
