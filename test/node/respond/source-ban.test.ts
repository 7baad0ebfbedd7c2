/**
 * Blocking the source is a sterner decision than blocking the request
 * (issue 11): the default policy's evidence rules (policy.sourceBan),
 * request-only verdicts, one live block per source, escalation by event
 * time with bursts as one offence and a bounded multiplier, the scanner rule
 * on the learned per-source rate, and forgiving an unblocked source.
 */
import { describe, expect, it } from 'vitest'
import { createManualClock, createPrng } from '../../../core/index.js'
import { createBrain } from '../../../node/brain/index.js'
import {
  binomialTail, createDecisionLogic, createPolicy, decideWithBreakdown, emptyPolicyState, recordOffence, recordRequest
} from '../../../node/respond/index.js'
import type { DangerEvent, DecideBreakdown, Policy, PolicyState } from '../../../node/respond/index.js'

const T0 = 1_700_000_000_000
const SRC = '203.0.113.9'

function ev (over: Partial<DangerEvent> = {}): DangerEvent {
  return { cell: 'web', level: 2, source: SRC, context: 'get /item', explanation: 'id: rare 3-grams', origin: 'local', ...over }
}

/** decide + record, as the decision logic does. */
function step (state: PolicyState, policy: Policy, e: DangerEvent, nowMs: number): DecideBreakdown {
  const bd = decideWithBreakdown(e, state, policy, nowMs)
  recordOffence(state, e, bd, policy, nowMs)
  return bd
}
const blocks = (bd: DecideBreakdown): number[] => bd.decisions.filter(d => d.action === 'block-source').map(d => d.params.durationSec as number)
const skip = (bd: DecideBreakdown): string | undefined => bd.skipped.find(s => s.action === 'block-source')?.reason

describe('source bans (policy.sourceBan, defaults)', () => {
  const policy = createPolicy({})

  it('one danger-2 verdict blocks the request only; three within the find time (10 min) block the source', () => {
    const state = emptyPolicyState()
    const first = step(state, policy, ev({ atMs: T0 }), T0)
    expect(blocks(first)).toEqual([])
    expect(skip(first)).toBe('insufficient-evidence')
    expect(first.skipped.find(s => s.action === 'block-source')?.detail).toContain('1 of 3 level-2 offences within 600s')
    expect(blocks(step(state, policy, ev({ atMs: T0 + 60_000 }), T0 + 60_000))).toEqual([])
    const third = step(state, policy, ev({ atMs: T0 + 120_000 }), T0 + 120_000)
    expect(blocks(third)).toEqual([3600])
    expect(third.ban).toMatchObject({ ban: true, basis: 'repeat', offences: 3 })
    expect(third.decisions.find(d => d.action === 'block-source')?.reason).toContain('3 level-2 offences within 600s')
    // offences spread wider than the find time never add up
    const slow = emptyPolicyState()
    for (let i = 0; i < 10; i++) expect(blocks(step(slow, policy, ev({ atMs: T0 + i * 400_000 }), T0 + i * 400_000))).toEqual([])
  })

  it('a signature hit, a peer quorum or (when configured) a very high score block at once', () => {
    expect(decideWithBreakdown(ev({ signatureHit: true }), emptyPolicyState(), policy, T0).ban).toMatchObject({ ban: true, basis: 'signature' })
    expect(decideWithBreakdown(ev({ origin: 'remote' }), emptyPolicyState(), policy, T0).ban).toMatchObject({ ban: true, basis: 'quorum' })
    // scoreMargin is off by default
    expect(decideWithBreakdown(ev({ scoreMargin: 50 }), emptyPolicyState(), policy, T0).ban?.ban).toBe(false)
    const strict = createPolicy({ sourceBan: { scoreMargin: 4, onSignature: false, onQuorum: false } })
    expect(decideWithBreakdown(ev({ scoreMargin: 5 }), emptyPolicyState(), strict, T0).ban).toMatchObject({ ban: true, basis: 'score' })
    expect(decideWithBreakdown(ev({ scoreMargin: 3 }), emptyPolicyState(), strict, T0).ban?.ban).toBe(false)
    expect(decideWithBreakdown(ev({ signatureHit: true }), emptyPolicyState(), strict, T0).ban?.ban).toBe(false)
    expect(blocks(decideWithBreakdown(ev({ origin: 'remote' }), emptyPolicyState(), strict, T0))).toEqual([])
  })

  it('request-only verdicts (innate probes) never count toward a ban, however many', () => {
    const state = emptyPolicyState()
    for (let i = 0; i < 10; i++) {
      const bd = step(state, policy, ev({ requestOnly: true, atMs: T0 + i * 10_000 }), T0 + i * 10_000)
      expect(blocks(bd)).toEqual([])
      expect(skip(bd)).toBe('request-only')
      expect(bd.ban?.offences).toBe(0)
    }
    // ...nor with real offences: two of those and probes are still two
    const mixed = emptyPolicyState()
    step(mixed, policy, ev({ atMs: T0 }), T0)
    step(mixed, policy, ev({ requestOnly: true, atMs: T0 + 1000 }), T0 + 1000)
    expect(blocks(step(mixed, policy, ev({ atMs: T0 + 2000 }), T0 + 2000))).toEqual([])
  })

  it('one source, one live block: a burst decided before the first block applies makes one block, not an escalation per line', () => {
    const state = emptyPolicyState()
    const made: number[] = []
    // 44 signature hits of one poll, all decided at the same instant
    for (let i = 0; i < 44; i++) made.push(...blocks(step(state, policy, ev({ signatureHit: true, atMs: T0 + i }), T0 + 1000)))
    expect(made).toEqual([3600])
  })

  it('counts offences by event time: a line read in a later poll is an earlier offence, and a burst is one offence', () => {
    const p = createPolicy({ sourceBan: { maxRetry: 1 }, escalation: { burstSec: 60 } })
    const state = emptyPolicyState()
    // first block at t=0, lasting 1 h
    expect(blocks(step(state, p, ev({ atMs: T0 }), T0))).toEqual([3600])
    // two hours later, a burst of level-2 offences; then a late line of the same burst arrives in a later poll
    const t = T0 + 2 * 3_600_000
    expect(blocks(step(state, p, ev({ atMs: t + 10_000 }), t + 10_000))).toEqual([7200])
    const late = step(state, p, ev({ atMs: t + 5_000 }), t + 20_000)
    expect(skip(late)).toBe('already-blocked')
    expect(late.escalation.atMs).toBe(t + 5_000)
    // the late line sits before the burst's offence in the record (event-time order)
    expect(state.offences.get(`src:${SRC}`)?.map(o => o.atMs)).toEqual([T0, t + 5_000, t + 10_000])
    // after that block ends: two earlier blocks (separate bursts) → x4
    const u = t + 10_000 + 7_200_000 + 1000
    expect(blocks(step(state, p, ev({ atMs: u }), u))).toEqual([14_400])
    // a future event time is not trusted: it counts as now
    expect(decideWithBreakdown(ev({ atMs: u + 10 ** 9 }), state, p, u + 1).escalation.atMs).toBe(u + 1)
  })

  it('penalties within burstSec of each other are one offence (a frozen cell sampled 16 times is one incident)', () => {
    const p = createPolicy({ escalation: { burstSec: 60 }, rules: [{ cell: '*', level: 2, actions: [{ type: 'quarantine', durationSec: 300 }] }] }, [{ name: 'app', type: 'pid' }])
    const state = emptyPolicyState()
    const durations: number[] = []
    for (let i = 0; i < 16; i++) {
      const bd = step(state, p, { cell: 'app', level: 2, context: 'process:app', explanation: 'cpu', origin: 'local', atMs: T0 + i * 1000 }, T0 + i * 1000)
      durations.push(bd.decisions[0].params.durationSec as number)
    }
    expect(new Set(durations)).toEqual(new Set([300]))
    // the next incident, after the burst, is the second offence
    const next = step(state, p, { cell: 'app', level: 2, context: 'process:app', explanation: 'cpu', origin: 'local', atMs: T0 + 120_000 }, T0 + 120_000)
    expect(next.decisions[0].params.durationSec).toBe(600)
    expect(next.escalation.step).toBe(1)
  })

  it('escalation is bounded and readable: the multiplier stops where the longest base reaches maxDurationSec', () => {
    const p = createPolicy({ escalation: { burstSec: 0 }, rules: [{ cell: '*', level: 2, actions: [{ type: 'quarantine', durationSec: 300 }] }] }, [{ name: 'app', type: 'pid' }])
    const state = emptyPolicyState()
    let last: DecideBreakdown | null = null
    for (let i = 0; i < 60; i++) last = step(state, p, { cell: 'app', level: 2, context: 'process:app', explanation: 'cpu', origin: 'local', atMs: T0 + i * 1000 }, T0 + i * 1000)
    // 300 s x 2^11 = 614400 s ≥ 7 days: the multiplier stops at 2048
    expect(last!.escalation.multiplier).toBe(2048)
    expect(last!.decisions[0].params.durationSec).toBe(604_800)
    expect(last!.decisions[0].reason).toMatch(/604800s = 300s x2048, the maximum/)
  })

  it('the scanner rule: a source whose requests are mostly anomalies is blocked; a busy client at the learned rate never is', () => {
    const state = emptyPolicyState()
    // the site's normal traffic: 5,000 requests from 50 clients, 1% anomalous (level 1)
    const prng = createPrng('scanner-rule')
    let t = T0
    let busyBlocked = false
    for (let i = 0; i < 5000; i++) {
      t += 100
      const client = `198.51.100.${prng.nextInt(50)}`
      if (prng.next() < 0.01) { if (blocks(step(state, policy, ev({ level: 1, source: client, atMs: t }), t)).length > 0) busyBlocked = true } else recordRequest(state, client, t, policy)
    }
    // one busy client: 3,000 requests in 5 minutes, 30 of them anomalous (more than minAnomalies, at the learned rate)
    for (let i = 0; i < 3000; i++) {
      t += 100
      if (i % 100 === 3) { if (blocks(step(state, policy, ev({ level: 1, source: '198.51.100.200', atMs: t }), t)).length > 0) busyBlocked = true } else recordRequest(state, '198.51.100.200', t, policy)
    }
    expect(busyBlocked).toBe(false)
    // a scanner: every request an anomaly (unknown endpoints at level 1)
    let scannerBlockedAt = -1
    for (let i = 0; i < 100 && scannerBlockedAt < 0; i++) {
      t += 50
      const bd = step(state, policy, ev({ level: 1, source: '192.0.2.66', atMs: t }), t)
      if (blocks(bd).length > 0) {
        scannerBlockedAt = i + 1
        expect(bd.ban).toMatchObject({ ban: true, basis: 'scanner' })
        expect(bd.escalation.levelBumped).toBe(true)
        expect(bd.effectiveLevel).toBe(2)
        expect(bd.ban?.scanner?.rate).toBeLessThan(0.02)
      }
    }
    expect(scannerBlockedAt).toBe(20)
  })

  it('the scanner rule counts request-only probes as anomalies, and can be turned off', () => {
    const state = emptyPolicyState()
    let blockedAt = -1
    for (let i = 0; i < 40 && blockedAt < 0; i++) if (blocks(step(state, policy, ev({ requestOnly: true, atMs: T0 + i * 100 }), T0 + i * 100)).length > 0) blockedAt = i + 1
    expect(blockedAt).toBe(20)
    const off = createPolicy({ sourceBan: { scanner: { enabled: false } } })
    const s2 = emptyPolicyState()
    for (let i = 0; i < 40; i++) expect(blocks(step(s2, off, ev({ requestOnly: true, atMs: T0 + i * 100 }), T0 + i * 100))).toEqual([])
  })

  it('binomial tail: exact against a direct sum', () => {
    const direct = (k: number, n: number, p: number): number => {
      let s = 0
      for (let j = k; j <= n; j++) {
        let c = 1
        for (let i = 0; i < j; i++) c = c * (n - i) / (i + 1)
        s += c * p ** j * (1 - p) ** (n - j)
      }
      return s
    }
    for (const [k, n, p] of [[3, 10, 0.1], [20, 20, 0.01], [30, 300, 0.05], [5, 40, 0.2], [1, 5, 0.5]] as const) {
      expect(binomialTail(k, n, p)).toBeCloseTo(direct(k, n, p), 12)
    }
    expect(binomialTail(0, 10, 0.1)).toBe(1)
    expect(binomialTail(11, 10, 0.1)).toBe(0)
  })

  it('an unblocked source is forgiven: its live block and record end, the next offence is a first one', () => {
    const logic = createDecisionLogic(policy)
    for (let i = 0; i < 3; i++) logic.decide(ev({ atMs: T0 + i }), T0 + i)
    expect(logic.liveBlockUntil(SRC, T0 + 10)).toBe(T0 + 2 + 3_600_000)
    logic.forgive(SRC)
    expect(logic.liveBlockUntil(SRC, T0 + 10)).toBeNull()
    expect(logic.decide(ev({ atMs: T0 + 20 }), T0 + 20).ban).toMatchObject({ ban: false, offences: 1 })
  })

  it('the brain: a single verdict blocks the request, the scanner bump blocks the request and the source', () => {
    const clock = createManualClock(T0)
    const brain = createBrain({ clock, policy })
    const r = brain.onDanger({ cell: 'web', community: 'shop', observation: 'http', context: 'get /.git/config', source: SRC, profile: { level: 2, score: 9 }, explanation: 'probe', requestOnly: true, atMs: T0 })
    expect(r.verdict).toBe('block')
    expect(r.event?.requestOnly).toBe(true)
    expect(brain.isDenied(SRC)).toBe(false)
    let last = r
    for (let i = 0; i < 19; i++) {
      clock.advance(100)
      last = brain.onDanger({ cell: 'web', community: 'shop', observation: 'http', context: `get /x${i}`, source: SRC, profile: { level: 1, score: 2 }, explanation: 'unknown endpoint', atMs: clock.now() })
    }
    expect(last.level).toBe(1)
    expect(last.verdict).toBe('block')
    expect(brain.isDenied(SRC)).toBe(true)
  })
})
