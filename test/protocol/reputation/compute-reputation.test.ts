import { describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import {
  REPUTATION_TERMS, computeReputation, createReputationParams, decayFactor, defaultReputationParams, emptyEvidence, influence,
  newcomerReputation, toApplicationScore, ReputationTable
} from '../../../protocol/reputation/index.js'
import type { PeerEvidence, ReputationTerm } from '../../../protocol/reputation/index.js'

const DAY = 86_400_000
const T0 = 1_700_000_000_000

function evidence (counts: Partial<Record<ReputationTerm, number>>, at = T0, blacklisted = false): PeerEvidence {
  return { counts: REPUTATION_TERMS.map(t => counts[t] ?? 0), lastUpdateMs: at, firstSeenMs: at, blacklisted }
}

describe('Beta reputation math', () => {
  const params = createReputationParams()

  it('a peer without evidence has E 0.5, weight 0, confidence 0', () => {
    const rep = computeReputation(emptyEvidence(T0), params, T0)
    expect(rep.value).toBe(0.5)
    expect(rep.weight).toBe(0)
    expect(rep.confidence).toBe(0)
    expect(rep.blacklisted).toBe(false)
    expect(newcomerReputation(params)).toEqual(rep)
  })

  it('E = (r + 1) / (r + s + 2) with the term weights', () => {
    // 3 corroborations: r = 3, s = 0 → 4/5
    expect(computeReputation(evidence({ R1: 3 }), params, T0).value).toBeCloseTo(0.8, 12)
    // plus one failed vetting (weight 3): s = 3 → 4/8
    const rep = computeReputation(evidence({ R1: 3, R2: 1 }), params, T0)
    expect(rep.value).toBeCloseTo(0.5, 12)
    expect(rep.positive).toBe(3)
    expect(rep.negative).toBe(3)
    // weight = n / (n + 5), confidence = n / (n + 2)
    expect(rep.weight).toBeCloseTo(6 / 11, 12)
    expect(rep.confidence).toBeCloseTo(6 / 8, 12)
    // R3 weight 2, R4 weight 0.5: r = 0, s = 2 + 1 → 1/5
    expect(computeReputation(evidence({ R3: 1, R4: 2 }), params, T0).value).toBeCloseTo(1 / 5, 12)
  })

  it('forgetting: decayFactor halves per half-life', () => {
    expect(decayFactor(0, DAY)).toBe(1)
    expect(decayFactor(-5, DAY)).toBe(1)
    expect(decayFactor(DAY, DAY)).toBeCloseTo(0.5, 15)
    expect(decayFactor(3 * DAY, DAY)).toBeCloseTo(0.125, 15)
    expect(decayFactor(1e12, Infinity)).toBe(1)
  })

  it('forgetting halves evidence after a half-life (ManualClock, lazily at read time)', () => {
    const clock = createManualClock(T0)
    const table = new ReputationTable()
    table.record('p', 'R1', 4, clock.now())
    table.record('p', 'R2', 2, clock.now())
    const r0 = table.get('p', clock.now())
    expect(r0.breakdown.R1).toBe(4)
    expect(r0.breakdown.R2).toBe(-6)
    clock.advance(params.terms.R1.halfLifeMs) // 7 days
    const r1 = table.get('p', clock.now())
    expect(r1.breakdown.R1).toBeCloseTo(2, 10)
    // R2 forgets more slowly (30 d): 6 · 0.5^(7/30)
    expect(r1.breakdown.R2).toBeCloseTo(-6 * Math.pow(0.5, 7 / 30), 10)
    clock.advance(params.terms.R2.halfLifeMs - params.terms.R1.halfLifeMs) // 30 days in total
    expect(table.get('p', clock.now()).breakdown.R2).toBeCloseTo(-3, 10)
    // new evidence adds to the decayed counts
    table.record('p', 'R1', 1, clock.now())
    expect(table.get('p', clock.now()).breakdown.R1).toBeCloseTo(4 * Math.pow(0.5, 30 / 7) + 1, 10)
  })

  it('the breakdown sums to r (positives) and −s (negatives), caps applied', () => {
    const rep = computeReputation(evidence({ R1: 7, R2: 1, R3: 2, R4: 3, R5: 10 }), params, T0 + 3 * DAY)
    let pos = 0
    let neg = 0
    for (const t of REPUTATION_TERMS) {
      if (rep.breakdown[t] >= 0) pos += rep.breakdown[t]
      else neg -= rep.breakdown[t]
    }
    expect(pos).toBeCloseTo(rep.positive, 12)
    expect(neg).toBeCloseTo(rep.negative, 12)
    expect(rep.breakdown.R1).toBeGreaterThan(0)
    for (const t of ['R2', 'R3', 'R4', 'R5'] as const) expect(rep.breakdown[t]).toBeLessThan(0)
    // R5 is capped at 2 units however many selfish episodes
    expect(rep.breakdown.R5).toBe(-2)
    expect(rep.value).toBeCloseTo((rep.positive + 1) / (rep.positive + rep.negative + 2), 12)
  })

  it('newcomer weight grows with evidence: 0, then k/(k+k) = 0.5 at k units, towards 1', () => {
    const k = params.weightHalfEvidence
    const weights = [0, 1, 2, k, 20, 100].map(n => computeReputation(evidence({ R1: n }), params, T0).weight)
    expect(weights[0]).toBe(0)
    expect(weights[3]).toBeCloseTo(0.5, 12)
    for (let i = 1; i < weights.length; i++) expect(weights[i]).toBeGreaterThan(weights[i - 1])
    expect(weights[5]).toBeLessThan(1)
    // a fresh identity has no say at all
    expect(influence(computeReputation(emptyEvidence(T0), params, T0))).toBe(0)
  })
})

describe('blacklisting', () => {
  const params = createReputationParams()

  it('needs minimum evidence: one failed vetting (s = 3) does not blacklist, two (s = 6) do', () => {
    const one = computeReputation(evidence({ R2: 1 }), params, T0)
    expect(one.value).toBeCloseTo(0.2, 12)
    expect(one.blacklisted).toBe(false)
    const two = computeReputation(evidence({ R2: 2 }), params, T0)
    expect(two.value).toBeCloseTo(1 / 8, 12)
    expect(two.blacklisted).toBe(true)
  })

  it('with a high min evidence, a low E alone does not blacklist', () => {
    const strict = createReputationParams({ blacklistMinEvidence: 10 })
    const rep = computeReputation(evidence({ R2: 3 }), strict, T0) // s = 9
    expect(rep.value).toBeLessThan(strict.blacklistBelow)
    expect(rep.blacklisted).toBe(false)
    expect(computeReputation(evidence({ R2: 4 }), strict, T0).blacklisted).toBe(true)
  })

  it('hysteresis: a blacklisted peer stays blacklisted between the two thresholds', () => {
    // r = 2, s = 6: E = 3/10 = 0.3, between blacklistBelow 0.2 and unblacklistAbove 0.35
    const mid = { R1: 2, R2: 2 }
    expect(computeReputation(evidence(mid, T0, false), params, T0).blacklisted).toBe(false)
    expect(computeReputation(evidence(mid, T0, true), params, T0).blacklisted).toBe(true)
    // r = 4, s = 6: E = 5/12 ≈ 0.417 >= 0.35: leaves the blacklist
    expect(computeReputation(evidence({ R1: 4, R2: 2 }, T0, true), params, T0).blacklisted).toBe(false)
  })

  it('the table commits transitions: blacklisted, stays through the band, leaves above it, and forgetting forgives', () => {
    const clock = createManualClock(T0)
    const table = new ReputationTable()
    table.record('liar', 'R2', 2, clock.now())
    expect(table.isBlacklisted('liar', clock.now())).toBe(true)
    table.record('liar', 'R1', 2, clock.now()) // E 0.3: in the band
    expect(table.get('liar', clock.now()).blacklisted).toBe(true)
    // with no new evidence everything fades and E drifts back towards 0.5
    clock.advance(120 * DAY) // s: 6 → 0.375 after four R2 half-lives: E = 1/2.375 ≈ 0.42
    const later = table.get('liar', clock.now())
    expect(later.value).toBeGreaterThan(params.unblacklistAbove)
    expect(later.blacklisted).toBe(false)
  })

  it('rejects invalid params with IMMUNE_ERR_INVALID_PARAMS naming the field', () => {
    const cases: Array<[Parameters<typeof createReputationParams>[0], string]> = [
      [{ blacklistBelow: 0.5, unblacklistAbove: 0.4 }, 'reputation.unblacklistAbove'],
      [{ weightHalfEvidence: 0 }, 'reputation.weightHalfEvidence'],
      [{ terms: { R2: { weight: -1 } } }, 'reputation.terms.R2.weight'],
      [{ terms: { R1: { halfLifeMs: 0 } } }, 'reputation.terms.R1.halfLifeMs'],
      [{ maxPeers: 0 }, 'reputation.maxPeers'],
      [{ blacklistedApplicationScore: 5 }, 'reputation.blacklistedApplicationScore']
    ]
    for (const [init, field] of cases) {
      let err: unknown
      try { createReputationParams(init) } catch (e) { err = e }
      expect(err, field).toMatchObject({ code: 'IMMUNE_ERR_INVALID_PARAMS', details: { field } })
    }
    expect(Object.isFrozen(createReputationParams())).toBe(true)
    expect(defaultReputationParams.terms.R1.weight).toBe(1)
  })
})

describe('gossipsub P5 mapping', () => {
  const params = createReputationParams()

  it('blacklisted: large negative; bad: negative but above it; newcomer: 0; good: small positive', () => {
    const blacklisted = toApplicationScore(computeReputation(evidence({ R2: 5 }), params, T0), params)
    const bad = toApplicationScore(computeReputation(evidence({ R1: 1, R3: 1 }), params, T0), params)
    const newcomer = toApplicationScore(computeReputation(emptyEvidence(T0), params, T0), params)
    const good = toApplicationScore(computeReputation(evidence({ R1: 50 }), params, T0), params)
    expect(blacklisted).toBe(params.blacklistedApplicationScore)
    // below the mesh's graylistThreshold (−100) even with the topic score at its cap (+20), appSpecificWeight 1
    expect(blacklisted + 20).toBeLessThan(-100)
    expect(bad).toBeLessThan(0)
    expect(bad).toBeGreaterThan(blacklisted)
    expect(newcomer).toBe(0)
    expect(good).toBeGreaterThan(0)
    expect(good).toBeLessThanOrEqual(params.goodApplicationScoreMax)
  })

  it('the table maps unknown peers to 0', () => {
    const table = new ReputationTable()
    expect(table.applicationScore('nobody', T0)).toBe(0)
    table.record('x', 'R2', 3, T0)
    expect(table.applicationScore('x', T0)).toBe(-200)
  })
})
