/**
 * Parameters of the local Beta reputation (Jøsang & Ismail 2002, "The Beta
 * Reputation System", with their forgetting factor), in the params pattern of
 * gossipsub's score/peer-score-params.ts: an interface, defaults, a
 * constructor that merges once and freezes, and a validator.
 *
 * Evidence terms, named like gossipsub's P1..P7 (docs/reputation.md):
 *   R1 corroborated alert      (+)  a peer warned us and we met the attack ourselves
 *   R2 failed vetting          (−)  a signature it sent matched our own normal traffic
 *   R3 refuted alert           (−)  our own evidence contradicts its alert
 *   R4 invalid message         (−)  gossipsub's validator rejected a message it sent
 *   R5 selfishness             (−)  stayed silent through attacks the community reported
 */
import { InvalidParamsError } from '../errors.js'

export const REPUTATION_TERMS = ['R1', 'R2', 'R3', 'R4', 'R5'] as const
export type ReputationTerm = typeof REPUTATION_TERMS[number]

/** +1 for positive evidence (r of the Beta distribution), −1 for negative (s). Fixed by meaning, not configurable. */
export const TERM_SIGN: Readonly<Record<ReputationTerm, 1 | -1>> = Object.freeze({ R1: 1, R2: -1, R3: -1, R4: -1, R5: -1 })

export const TERM_DESCRIPTION: Readonly<Record<ReputationTerm, string>> = Object.freeze({
  R1: 'corroborated alert',
  R2: 'signature failed vetting',
  R3: 'refuted alert',
  R4: 'invalid message',
  R5: 'selfish (silent through community attacks)'
})

export interface ReputationTermParams {
  /** Units of Beta evidence per recorded event (r for R1, s for the others). Must be >= 0 (0 disables the term). */
  weight: number
  /** Evidence halves every halfLifeMs (the forgetting factor λ = 0.5 per half-life, applied lazily). */
  halfLifeMs: number
  /** Upper bound on the term's weighted contribution (Infinity for none). */
  cap: number
}

export interface ReputationParams {
  terms: Record<ReputationTerm, ReputationTermParams>
  /**
   * Newcomer weight: weight = n / (n + weightHalfEvidence), n = r + s. A peer
   * needs this much evidence to reach weight 0.5, so fresh identities (sybils)
   * cannot sway a weighted decision.
   */
  weightHalfEvidence: number
  /** Blacklist when E < blacklistBelow ... */
  blacklistBelow: number
  /** ... and there is at least this much evidence (r + s). */
  blacklistMinEvidence: number
  /** Hysteresis: a blacklisted peer leaves the blacklist only when E >= unblacklistAbove (> blacklistBelow). */
  unblacklistAbove: number
  /**
   * gossipsub P5 value of a blacklisted peer. With the mesh's appSpecificWeight 1,
   * graylistThreshold −100 and topicScoreCap 20 (protocol/mesh/score-params.ts),
   * −200 puts a blacklisted peer below the graylist whatever its topic terms.
   */
  blacklistedApplicationScore: number
  /** P5 of a fully trusted peer (weight → 1, E → 1): small, so a good reputation cannot buy mesh slots. */
  goodApplicationScoreMax: number
  /** Magnitude of P5 for a fully distrusted peer that is not (yet) blacklisted. */
  badApplicationScoreMax: number
  /** Bound on the number of peers a ReputationTable keeps (least informative evicted first). */
  maxPeers: number
  /** Evidence events kept per peer for explain() (0 disables the ring: the simulator). */
  maxEventsPerPeer: number
  /** How many least-recently-used entries eviction inspects to find the least informative one. */
  evictionScan: number
}

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/**
 * Defaults and why (docs/reputation.md has the long form):
 * - positive evidence (R1) is forgotten faster (7 d) than lies (R2, R3: 30 d):
 *   "trust is slow to earn and quick to lose", which blunts on-off (betrayal) attackers.
 * - R2 weighs 3: a signature that matches our own normal sample is direct,
 *   self-checked evidence (Vigilante's "check, don't trust"); two such
 *   signatures blacklist a newcomer, one does not (honest deployments can differ).
 * - R4 weighs 0.5 and fades in a day: invalid messages may come from version skew.
 * - R5 is capped at 2 units: selfishness lowers priority but alone never reaches
 *   blacklistMinEvidence, i.e. never blacklists (Communizer treats free riders
 *   and liars separately).
 * - weightHalfEvidence 5: a sybil needs five corroborated warnings to count half as much as a known peer.
 * - P5: blacklisted −200 < graylistThreshold (−100) − topicScoreCap (20) of protocol/mesh/score-params.ts;
 *   a bad peer at most −10 (below gossipThreshold −10 only at the extreme), a good one at most +1.
 */
export const defaultReputationParams: ReputationParams = Object.freeze({
  terms: Object.freeze({
    R1: Object.freeze({ weight: 1, halfLifeMs: 7 * DAY_MS, cap: Infinity }),
    R2: Object.freeze({ weight: 3, halfLifeMs: 30 * DAY_MS, cap: Infinity }),
    R3: Object.freeze({ weight: 2, halfLifeMs: 30 * DAY_MS, cap: Infinity }),
    R4: Object.freeze({ weight: 0.5, halfLifeMs: DAY_MS, cap: 10 }),
    R5: Object.freeze({ weight: 0.5, halfLifeMs: 7 * DAY_MS, cap: 2 })
  }) as Record<ReputationTerm, ReputationTermParams>,
  weightHalfEvidence: 5,
  blacklistBelow: 0.2,
  blacklistMinEvidence: 5,
  unblacklistAbove: 0.35,
  blacklistedApplicationScore: -200,
  goodApplicationScoreMax: 1,
  badApplicationScoreMax: 10,
  maxPeers: 10_000,
  maxEventsPerPeer: 16,
  evictionScan: 16
}) as ReputationParams

export interface ReputationParamsInit extends Partial<Omit<ReputationParams, 'terms'>> {
  terms?: Partial<Record<ReputationTerm, Partial<ReputationTermParams>>>
}

/** Params objects made by createReputationParams: already validated and frozen, shared as they are (one copy for 1M simulated tables). */
const created = new WeakSet<object>()

/** Merge once over the defaults, validate, freeze. Returns `init` itself when it already is a created params object. */
export function createReputationParams (init: ReputationParamsInit = {}): ReputationParams {
  if (created.has(init)) return init as ReputationParams
  const terms = {} as Record<ReputationTerm, ReputationTermParams>
  for (const t of REPUTATION_TERMS) {
    terms[t] = Object.freeze({ ...defaultReputationParams.terms[t], ...(init.terms?.[t] ?? {}) })
  }
  const p: ReputationParams = { ...defaultReputationParams, ...init, terms: Object.freeze(terms) as Record<ReputationTerm, ReputationTermParams> }
  validateReputationParams(p)
  Object.freeze(p)
  created.add(p)
  return p
}

function finite (field: string, v: unknown, min: number, accepted: string, exclusiveMin = false): void {
  if (typeof v !== 'number' || Number.isNaN(v) || (exclusiveMin ? v <= min : v < min)) throw new InvalidParamsError(field, v, accepted)
}

function int (field: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidParamsError(field, v, `an integer >= ${min}`)
}

/** Throws InvalidParamsError (IMMUNE_ERR_INVALID_PARAMS) naming the field. */
export function validateReputationParams (p: ReputationParams): void {
  if (p.terms == null || typeof p.terms !== 'object') throw new InvalidParamsError('reputation.terms', p.terms, 'an object with R1..R5')
  for (const t of REPUTATION_TERMS) {
    const tp = p.terms[t]
    if (tp == null) throw new InvalidParamsError(`reputation.terms.${t}`, tp, '{ weight, halfLifeMs, cap }')
    finite(`reputation.terms.${t}.weight`, tp.weight, 0, 'a number >= 0 (0 disables the term)')
    if (!Number.isFinite(tp.weight)) throw new InvalidParamsError(`reputation.terms.${t}.weight`, tp.weight, 'a finite number >= 0')
    finite(`reputation.terms.${t}.halfLifeMs`, tp.halfLifeMs, 0, 'a number of milliseconds > 0 (Infinity: never forget)', true)
    finite(`reputation.terms.${t}.cap`, tp.cap, 0, 'a number > 0 or Infinity', true)
  }
  for (const k of Object.keys(p.terms)) {
    if (!(REPUTATION_TERMS as readonly string[]).includes(k)) throw new InvalidParamsError(`reputation.terms.${k}`, k, REPUTATION_TERMS.join(', '))
  }
  finite('reputation.weightHalfEvidence', p.weightHalfEvidence, 0, 'a finite number > 0', true)
  if (!Number.isFinite(p.weightHalfEvidence)) throw new InvalidParamsError('reputation.weightHalfEvidence', p.weightHalfEvidence, 'a finite number > 0')
  if (typeof p.blacklistBelow !== 'number' || !(p.blacklistBelow >= 0 && p.blacklistBelow < 1)) {
    throw new InvalidParamsError('reputation.blacklistBelow', p.blacklistBelow, 'a number in [0, 1)')
  }
  if (typeof p.unblacklistAbove !== 'number' || !(p.unblacklistAbove >= p.blacklistBelow && p.unblacklistAbove <= 1)) {
    throw new InvalidParamsError('reputation.unblacklistAbove', p.unblacklistAbove, `a number in [blacklistBelow (${p.blacklistBelow}), 1] (hysteresis)`)
  }
  finite('reputation.blacklistMinEvidence', p.blacklistMinEvidence, 0, 'a number >= 0')
  if (typeof p.blacklistedApplicationScore !== 'number' || !(p.blacklistedApplicationScore < 0) || !Number.isFinite(p.blacklistedApplicationScore)) {
    throw new InvalidParamsError('reputation.blacklistedApplicationScore', p.blacklistedApplicationScore, 'a finite negative number')
  }
  finite('reputation.goodApplicationScoreMax', p.goodApplicationScoreMax, 0, 'a finite number >= 0')
  finite('reputation.badApplicationScoreMax', p.badApplicationScoreMax, 0, 'a finite number >= 0')
  if (p.badApplicationScoreMax > -p.blacklistedApplicationScore) {
    throw new InvalidParamsError('reputation.badApplicationScoreMax', p.badApplicationScoreMax, `<= -blacklistedApplicationScore (${-p.blacklistedApplicationScore}), so a blacklisted peer always scores lowest`)
  }
  int('reputation.maxPeers', p.maxPeers, 1)
  int('reputation.maxEventsPerPeer', p.maxEventsPerPeer, 0)
  int('reputation.evictionScan', p.evictionScan, 1)
}
