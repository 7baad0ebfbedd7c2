/**
 * The Beta reputation, as pure functions (CONVENTIONS.md 3).
 *
 * Per peer we keep raw evidence counts per term (R1..R5) as of `lastUpdateMs`.
 * Forgetting (Jøsang & Ismail 2002, §4.2) is applied lazily at read time:
 * count(t) = count(t0) · 0.5^((t − t0) / halfLife), so there is no timer per
 * peer and an idle peer costs nothing. Then
 *   r = Σ positive terms (weight · count, capped),  s = Σ negative terms,
 *   E = (r + 1) / (r + s + 2)                       (expected value of Beta(r+1, s+1))
 *   weight = n / (n + k)                            (n = r + s, k = weightHalfEvidence)
 *   confidence = n / (n + 2)                        (1 − subjective-logic uncertainty)
 */
import { REPUTATION_TERMS, TERM_SIGN } from './reputation-params.js'
import type { ReputationParams, ReputationTerm } from './reputation-params.js'

/** What the table stores per peer. `counts` are raw (unweighted) counts at `lastUpdateMs`, indexed like REPUTATION_TERMS. */
export interface PeerEvidence {
  counts: number[]
  lastUpdateMs: number
  firstSeenMs: number
  /** The blacklist state after the last evaluation (needed for hysteresis). */
  blacklisted: boolean
}

export type ReputationBreakdown = Record<ReputationTerm, number>

export interface Reputation {
  /** E = (r + 1) / (r + s + 2), in (0, 1); 0.5 for a peer we know nothing about. */
  value: number
  /** n / (n + k): how much this peer's word counts in weighted decisions (0 for a newcomer). */
  weight: number
  /** n / (n + 2): the Beta distribution's certainty. */
  confidence: number
  blacklisted: boolean
  /** r: positive evidence (decayed, weighted). */
  positive: number
  /** s: negative evidence (decayed, weighted). */
  negative: number
  /** Signed contribution of each term (R1 ≥ 0, others ≤ 0); positives sum to r, negatives to −s. */
  breakdown: ReputationBreakdown
}

/** The forgetting factor for dtMs: 0.5^(dt / halfLife). 1 for dt <= 0 or an infinite half-life. */
export function decayFactor (dtMs: number, halfLifeMs: number): number {
  if (!(dtMs > 0) || halfLifeMs === Infinity) return 1
  return Math.pow(0.5, dtMs / halfLifeMs)
}

/** A fresh evidence record (all counts 0). */
export function emptyEvidence (nowMs: number): PeerEvidence {
  return { counts: REPUTATION_TERMS.map(() => 0), lastUpdateMs: nowMs, firstSeenMs: nowMs, blacklisted: false }
}

/** Raw counts decayed to nowMs (pure: returns a new array). */
export function decayedCounts (stats: PeerEvidence, params: ReputationParams, nowMs: number): number[] {
  const dt = nowMs - stats.lastUpdateMs
  const out = new Array<number>(REPUTATION_TERMS.length)
  for (let i = 0; i < REPUTATION_TERMS.length; i++) {
    const c = stats.counts[i] ?? 0
    out[i] = c === 0 ? 0 : c * decayFactor(dt, params.terms[REPUTATION_TERMS[i]].halfLifeMs)
  }
  return out
}

/** Decay `stats` in place to nowMs (used before adding evidence). */
export function decayInPlace (stats: PeerEvidence, params: ReputationParams, nowMs: number): void {
  if (nowMs <= stats.lastUpdateMs) return
  const d = decayedCounts(stats, params, nowMs)
  for (let i = 0; i < d.length; i++) stats.counts[i] = d[i]
  stats.lastUpdateMs = nowMs
}

/** The weighted, capped contribution of each term (signed), from decayed counts. */
export function termContributions (counts: readonly number[], params: ReputationParams): ReputationBreakdown {
  const b = {} as ReputationBreakdown
  for (let i = 0; i < REPUTATION_TERMS.length; i++) {
    const t = REPUTATION_TERMS[i]
    const tp = params.terms[t]
    const v = Math.min(tp.cap, tp.weight * (counts[i] ?? 0))
    b[t] = v === 0 ? 0 : TERM_SIGN[t] * v
  }
  return b
}

/** The blacklist transition with hysteresis: enter below blacklistBelow (with min evidence), leave at unblacklistAbove. */
export function nextBlacklisted (wasBlacklisted: boolean, value: number, evidence: number, params: ReputationParams): boolean {
  if (wasBlacklisted) return value < params.unblacklistAbove
  return evidence >= params.blacklistMinEvidence && value < params.blacklistBelow
}

/** Beta reputation of one peer at nowMs, with the breakdown by term. Pure. */
export function computeReputation (stats: PeerEvidence, params: ReputationParams, nowMs: number): Reputation {
  const breakdown = termContributions(decayedCounts(stats, params, nowMs), params)
  let r = 0
  let s = 0
  for (const t of REPUTATION_TERMS) {
    const v = breakdown[t]
    if (v >= 0) r += v
    else s -= v
  }
  const n = r + s
  const value = (r + 1) / (n + 2)
  return {
    value,
    weight: n / (n + params.weightHalfEvidence),
    confidence: n / (n + 2),
    blacklisted: nextBlacklisted(stats.blacklisted, value, n, params),
    positive: r,
    negative: s,
    breakdown
  }
}

/** The reputation of a peer we have no evidence about. */
export function newcomerReputation (params: ReputationParams): Reputation {
  return computeReputation(emptyEvidence(0), params, 0)
}

/**
 * gossipsub P5 (application-specific score) from a reputation: a large negative
 * constant when blacklisted, else weight · (2E − 1) scaled by
 * goodApplicationScoreMax (≥ 0 side) or badApplicationScoreMax (< 0 side).
 * A newcomer (weight 0) scores 0.
 */
export function toApplicationScore (rep: Reputation, params: ReputationParams): number {
  if (rep.blacklisted) return params.blacklistedApplicationScore
  const x = rep.weight * (2 * rep.value - 1)
  return x >= 0 ? x * params.goodApplicationScoreMax : x * params.badApplicationScoreMax
}

/** How much one peer's word counts in a weighted decision: weight · E (0 when blacklisted). */
export function influence (rep: Reputation): number {
  return rep.blacklisted ? 0 : rep.weight * rep.value
}
