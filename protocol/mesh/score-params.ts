/**
 * gossipsub v1.1 peer-score parameters for the alert mesh, set on purpose.
 *
 * gossipsub scores each peer with P1..P7 (see @libp2p/gossipsub
 * score/compute-score.js):
 *   score = min(topicScoreCap, Σ_topics topicWeight·(P1 + P2 + P3 + P3b + P4)) + P5·w5 + P6·w6 + P7·w7
 * Its defaults are tuned for busy block-gossip topics; alert topics are quiet
 * (a handful of messages an hour), so several defaults are wrong here:
 *
 * - P1 time in mesh: the default `timeInMeshQuantum` is 1 ms, so after a few
 *   seconds every mesh peer sits at `timeInMeshCap` (3,600) and the topic score
 *   is pinned at `topicScoreCap`; an invalid-message penalty of -1·n² is then
 *   hidden until n ≈ 60 (measured while planning). We count whole seconds and
 *   give an hour in the mesh at most +10.
 * - P3 mesh message deliveries: the default expects 20 deliveries per decay
 *   window from each mesh peer and penalises the deficit squared. On a quiet
 *   alert topic every honest peer has a deficit, so P3 (and the sticky P3b) are
 *   off (weight 0).
 * - P4 invalid messages: -10·n². One bad alert costs a peer 10 (an hour-old
 *   honest peer with full P1/P2 credit survives one mistake), two cost 40, four
 *   cost 160 which is below the graylist threshold: a peer that keeps sending
 *   invalid alerts goes negative (pruned from the mesh at the next heartbeat),
 *   then below gossipThreshold, then is graylisted (its RPCs are dropped).
 *   Decay 0.995 per second: half-life ≈ 2.3 min, so a one-off glitch heals.
 * - P5 application score: weight 1, so the node's own reputation (protocol/
 *   reputation) is added as is; a reputation of -100 graylists the peer.
 * - P6 IP colocation: more than 10 peers from one address cost (n-10)²·-10, but
 *   loopback is whitelisted so local tests, the benchmark and several nodes on
 *   one host are not penalised.
 * - P7 behaviour penalty (broken IWANT promises, GRAFT during backoff): -5 per
 *   squared excess over 4; decays 0.95 per second.
 *
 * Thresholds: gossip -10 < 0, publish -50, graylist -100, acceptPX 10 (only peers
 * that earned trust, e.g. by P5), opportunistic graft 2.
 */
import { InvalidParamsError } from '../errors.js'
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

export interface MeshScoreParams {
  /** Weight of each community topic in the total score. */
  topicWeight: number
  /** P1: points per `timeInMeshQuantumMs` spent in the mesh, capped at `timeInMeshCap` quanta. */
  timeInMeshWeight: number
  timeInMeshQuantumMs: number
  timeInMeshCap: number
  /** P2: points per first delivery of a valid alert; decays per decay interval; capped. */
  firstMessageDeliveriesWeight: number
  firstMessageDeliveriesDecay: number
  firstMessageDeliveriesCap: number
  /** P3/P3b: off by default on quiet alert topics (see the module comment). */
  meshMessageDeliveriesWeight: number
  meshFailurePenaltyWeight: number
  /** P4: weight (negative) of the squared count of invalid alerts; the count decays per interval. */
  invalidMessageDeliveriesWeight: number
  invalidMessageDeliveriesDecay: number
  /** Cap on the positive total of the topic terms. */
  topicScoreCap: number
  /** P5: weight of the application (reputation) score. */
  appSpecificWeight: number
  /** P6: IP colocation. */
  ipColocationFactorWeight: number
  ipColocationFactorThreshold: number
  ipColocationFactorWhitelist: readonly string[]
  /** P7: behaviour penalty. */
  behaviourPenaltyWeight: number
  behaviourPenaltyThreshold: number
  behaviourPenaltyDecay: number
  /** How often counters decay (gossipsub requires >= 1 s). */
  decayIntervalMs: number
  decayToZero: number
  /** How long a disconnected peer's score is remembered (so reconnecting does not wash it). */
  retainScoreMs: number
  /** Thresholds. */
  gossipThreshold: number
  publishThreshold: number
  graylistThreshold: number
  acceptPXThreshold: number
  opportunisticGraftThreshold: number
}

export const defaultMeshScoreParams: Readonly<MeshScoreParams> = Object.freeze({
  topicWeight: 1,
  // an hour in the mesh earns +10 (3600 quanta of 1 s × 1/360)
  timeInMeshWeight: 1 / 360,
  timeInMeshQuantumMs: 1000,
  timeInMeshCap: 3600,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.995,
  firstMessageDeliveriesCap: 10,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.995,
  topicScoreCap: 20,
  appSpecificWeight: 1,
  ipColocationFactorWeight: -10,
  ipColocationFactorThreshold: 10,
  ipColocationFactorWhitelist: Object.freeze(['127.0.0.1', '::1']),
  behaviourPenaltyWeight: -5,
  behaviourPenaltyThreshold: 4,
  behaviourPenaltyDecay: 0.95,
  decayIntervalMs: 1000,
  decayToZero: 0.01,
  retainScoreMs: 3_600_000,
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -100,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 2
})

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

function check (ok: boolean, field: string, value: unknown, accepted: string): void {
  if (!ok) throw new InvalidParamsError(`meshScore.${field}`, value, accepted)
}

/** Throws InvalidParamsError naming the first field that is out of range. */
export function validateMeshScoreParams (p: MeshScoreParams): void {
  for (const [k, v] of Object.entries(p)) {
    if (k === 'ipColocationFactorWhitelist') continue
    check(isFiniteNumber(v), k, v, 'a finite number')
  }
  const decay = (k: keyof MeshScoreParams): void => {
    const v = p[k] as number
    check(v > 0 && v < 1, k, v, 'a number in (0, 1)')
  }
  check(p.topicWeight >= 0, 'topicWeight', p.topicWeight, '>= 0')
  check(p.timeInMeshWeight >= 0, 'timeInMeshWeight', p.timeInMeshWeight, '>= 0')
  check(p.timeInMeshQuantumMs > 0, 'timeInMeshQuantumMs', p.timeInMeshQuantumMs, '> 0 (milliseconds)')
  check(p.timeInMeshCap > 0, 'timeInMeshCap', p.timeInMeshCap, '> 0')
  check(p.firstMessageDeliveriesWeight >= 0, 'firstMessageDeliveriesWeight', p.firstMessageDeliveriesWeight, '>= 0')
  decay('firstMessageDeliveriesDecay')
  check(p.firstMessageDeliveriesCap > 0, 'firstMessageDeliveriesCap', p.firstMessageDeliveriesCap, '> 0')
  check(p.meshMessageDeliveriesWeight <= 0, 'meshMessageDeliveriesWeight', p.meshMessageDeliveriesWeight, '<= 0')
  check(p.meshFailurePenaltyWeight <= 0, 'meshFailurePenaltyWeight', p.meshFailurePenaltyWeight, '<= 0')
  check(p.invalidMessageDeliveriesWeight <= 0, 'invalidMessageDeliveriesWeight', p.invalidMessageDeliveriesWeight, '<= 0')
  decay('invalidMessageDeliveriesDecay')
  check(p.topicScoreCap >= 0, 'topicScoreCap', p.topicScoreCap, '>= 0 (0 = no cap)')
  check(p.ipColocationFactorWeight <= 0, 'ipColocationFactorWeight', p.ipColocationFactorWeight, '<= 0')
  check(p.ipColocationFactorWeight === 0 || p.ipColocationFactorThreshold >= 1, 'ipColocationFactorThreshold', p.ipColocationFactorThreshold, '>= 1')
  check(Array.isArray(p.ipColocationFactorWhitelist) && p.ipColocationFactorWhitelist.every((ip) => typeof ip === 'string'),
    'ipColocationFactorWhitelist', p.ipColocationFactorWhitelist, 'an array of IP address strings')
  check(p.behaviourPenaltyWeight <= 0, 'behaviourPenaltyWeight', p.behaviourPenaltyWeight, '<= 0')
  check(p.behaviourPenaltyThreshold >= 0, 'behaviourPenaltyThreshold', p.behaviourPenaltyThreshold, '>= 0')
  decay('behaviourPenaltyDecay')
  check(p.decayIntervalMs >= 1000, 'decayIntervalMs', p.decayIntervalMs, '>= 1000 (gossipsub minimum)')
  decay('decayToZero')
  check(p.retainScoreMs >= 0, 'retainScoreMs', p.retainScoreMs, '>= 0')
  check(p.gossipThreshold <= 0, 'gossipThreshold', p.gossipThreshold, '<= 0')
  check(p.publishThreshold <= p.gossipThreshold, 'publishThreshold', p.publishThreshold, '<= gossipThreshold')
  check(p.graylistThreshold <= p.publishThreshold, 'graylistThreshold', p.graylistThreshold, '<= publishThreshold')
  check(p.acceptPXThreshold >= 0, 'acceptPXThreshold', p.acceptPXThreshold, '>= 0')
  check(p.opportunisticGraftThreshold >= 0, 'opportunisticGraftThreshold', p.opportunisticGraftThreshold, '>= 0')
}

/** Defaults merged with `partial`, validated and frozen. */
export function createMeshScoreParams (partial: Partial<MeshScoreParams> = {}): Readonly<MeshScoreParams> {
  const merged: MeshScoreParams = { ...defaultMeshScoreParams, ...partial }
  merged.ipColocationFactorWhitelist = Object.freeze([...merged.ipColocationFactorWhitelist])
  validateMeshScoreParams(merged)
  return Object.freeze(merged)
}

/** gossipsub's per-topic params for one community topic. */
export function toTopicScoreParams (p: MeshScoreParams): TopicScoreParams {
  return {
    topicWeight: p.topicWeight,
    timeInMeshWeight: p.timeInMeshWeight,
    timeInMeshQuantum: p.timeInMeshQuantumMs,
    timeInMeshCap: p.timeInMeshCap,
    firstMessageDeliveriesWeight: p.firstMessageDeliveriesWeight,
    firstMessageDeliveriesDecay: p.firstMessageDeliveriesDecay,
    firstMessageDeliveriesCap: p.firstMessageDeliveriesCap,
    meshMessageDeliveriesWeight: p.meshMessageDeliveriesWeight,
    // only read when P3 is on: gossipsub's defaults
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 20,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    meshFailurePenaltyWeight: p.meshFailurePenaltyWeight,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: p.invalidMessageDeliveriesWeight,
    invalidMessageDeliveriesDecay: p.invalidMessageDeliveriesDecay
  }
}

/** gossipsub's peer-score params; `appSpecificScore` is read on every score computation (P5). */
export function toPeerScoreParams (p: MeshScoreParams, topics: readonly string[], appSpecificScore: (peerId: string) => number): PeerScoreParams {
  const topicParams: Record<string, TopicScoreParams> = {}
  for (const topic of topics) topicParams[topic] = toTopicScoreParams(p)
  return {
    topics: topicParams,
    topicScoreCap: p.topicScoreCap,
    appSpecificScore,
    appSpecificWeight: p.appSpecificWeight,
    IPColocationFactorWeight: p.ipColocationFactorWeight,
    IPColocationFactorThreshold: p.ipColocationFactorThreshold,
    IPColocationFactorWhitelist: new Set(p.ipColocationFactorWhitelist),
    behaviourPenaltyWeight: p.behaviourPenaltyWeight,
    behaviourPenaltyThreshold: p.behaviourPenaltyThreshold,
    behaviourPenaltyDecay: p.behaviourPenaltyDecay,
    decayInterval: p.decayIntervalMs,
    decayToZero: p.decayToZero,
    retainScore: p.retainScoreMs
  }
}

export function toPeerScoreThresholds (p: MeshScoreParams): PeerScoreThresholds {
  return {
    gossipThreshold: p.gossipThreshold,
    publishThreshold: p.publishThreshold,
    graylistThreshold: p.graylistThreshold,
    acceptPXThreshold: p.acceptPXThreshold,
    opportunisticGraftThreshold: p.opportunisticGraftThreshold
  }
}
