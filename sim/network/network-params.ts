/**
 * Parameters of the simulated network (params pattern, CONVENTIONS.md 2).
 * Degrees and gossip come from gossipsub v1.1 (@libp2p/gossipsub constants:
 * D 6, Dlo 4, Dhi 12, Dlazy 6, gossipFactor 0.25, history_gossip 3, 1 s
 * heartbeat, floodPublish on); sizes from `npm run bench -- protocol`
 * (docs/protocol.md: a typical signed alert is 557 bytes). docs/simulator.md
 * explains each value.
 */
import { InvalidParamsError } from '../../protocol/errors.js'

export interface NetworkParams {
  /** D: mesh degree each node aims for. */
  meshDegree: number
  /** Dlo: below this a node grafts at the next heartbeat. */
  meshDegreeLow: number
  /** Dhi: above this a node prunes down to D. */
  meshDegreeHigh: number
  /** Dlazy: minimum number of non-mesh peers that get IHAVE gossip per heartbeat. */
  gossipDegree: number
  /** gossipsub's gossipFactor: gossip to max(Dlazy, gossipFactor × candidates) peers. */
  gossipFactor: number
  /** Connections each node opens beyond its mesh (gossip-only peers). */
  extraConnections: number
  heartbeatMs: number
  /** Heartbeats a message id is advertised in IHAVE (history_gossip). */
  gossipHistory: number
  /** The origin sends to every connected peer, not just its mesh (gossipsub v1.1 floodPublish). */
  floodPublish: boolean
  /** Per-link one-way latency: lognormal with this median ... */
  latencyMedianMs: number
  /** ... this sigma across links (a link keeps its latency) ... */
  latencySigmaLink: number
  /** ... times a per-message lognormal jitter with this sigma. */
  latencySigmaJitter: number
  /** Validation and forwarding time per hop (Ed25519 verify ~170 µs + checks, bench protocol). */
  processingMs: number
  /** Probability that one transmission is lost. */
  lossRate: number
  /** Signed alert envelope bytes (bench protocol: 557). */
  alertBytes: number
  /** gossipsub message framing around the envelope: topic, from, seqno, signature, protobuf tags, noise/yamux frame. */
  messageOverheadBytes: number
  /** One IHAVE or IWANT control message: framing and topic ... */
  controlBytes: number
  /** ... plus this per message id (sha-256). */
  messageIdBytes: number
}

export const defaultNetworkParams: NetworkParams = Object.freeze({
  meshDegree: 6,
  meshDegreeLow: 4,
  meshDegreeHigh: 12,
  gossipDegree: 6,
  gossipFactor: 0.25,
  extraConnections: 4,
  heartbeatMs: 1000,
  gossipHistory: 3,
  floodPublish: true,
  latencyMedianMs: 30,
  latencySigmaLink: 0.6,
  latencySigmaJitter: 0.15,
  processingMs: 0.3,
  lossRate: 0.001,
  alertBytes: 557,
  messageOverheadBytes: 160,
  controlBytes: 48,
  messageIdBytes: 32
})

export function validateNetworkParams (p: NetworkParams, prefix = 'network'): void {
  const num = (f: keyof NetworkParams, ok: (v: number) => boolean, accepted: string): void => {
    const v = p[f]
    if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) throw new InvalidParamsError(`${prefix}.${f}`, v, accepted)
  }
  const int = (f: keyof NetworkParams, min: number, max: number): void => { num(f, v => Number.isInteger(v) && v >= min && v <= max, `an integer in [${min}, ${max}]`) }
  int('meshDegree', 1, 64)
  int('meshDegreeLow', 1, 64)
  int('meshDegreeHigh', 1, 128)
  if (!(p.meshDegreeLow <= p.meshDegree && p.meshDegree <= p.meshDegreeHigh)) {
    throw new InvalidParamsError(`${prefix}.meshDegree`, p.meshDegree, `meshDegreeLow (${p.meshDegreeLow}) <= meshDegree <= meshDegreeHigh (${p.meshDegreeHigh})`)
  }
  int('gossipDegree', 0, 64)
  num('gossipFactor', v => v >= 0 && v <= 1, 'a number in [0, 1]')
  int('extraConnections', 0, 64)
  num('heartbeatMs', v => Number.isFinite(v) && v >= 10, 'a finite number of milliseconds >= 10')
  int('gossipHistory', 0, 16)
  if (typeof p.floodPublish !== 'boolean') throw new InvalidParamsError(`${prefix}.floodPublish`, p.floodPublish, 'true or false')
  num('latencyMedianMs', v => Number.isFinite(v) && v >= 0, 'a finite number of milliseconds >= 0')
  num('latencySigmaLink', v => Number.isFinite(v) && v >= 0 && v <= 5, 'a number in [0, 5]')
  num('latencySigmaJitter', v => Number.isFinite(v) && v >= 0 && v <= 5, 'a number in [0, 5]')
  num('processingMs', v => Number.isFinite(v) && v >= 0, 'a finite number of milliseconds >= 0')
  num('lossRate', v => v >= 0 && v < 1, 'a probability in [0, 1)')
  int('alertBytes', 1, 1 << 20)
  int('messageOverheadBytes', 0, 1 << 16)
  int('controlBytes', 0, 1 << 16)
  int('messageIdBytes', 0, 1024)
}

export function createNetworkParams (init: Partial<NetworkParams> = {}): NetworkParams {
  const p = { ...defaultNetworkParams, ...init }
  validateNetworkParams(p)
  return Object.freeze(p)
}
