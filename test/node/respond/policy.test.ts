import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../node/errors.js'
import {
  createPolicy, decide, decideWithBreakdown, emptyPolicyState, recordOffence, pruneOffences
} from '../../../node/respond/index.js'
import type { DangerEvent, PolicyState } from '../../../node/respond/index.js'

const T0 = 1_700_000_000_000
const cells = [
  { name: 'web', type: 'supervised' as const },
  { name: 'db', type: 'pid' as const },
  { name: 'api', type: 'http' as const },
  { name: 'host', type: 'host' as const }
]

const ALL_ACTIONS = [
  { type: 'log' },
  { type: 'block-source', durationSec: 600 },
  { type: 'quarantine', durationSec: 60 },
  { type: 'terminate-and-renew', graceSec: 2 },
  { type: 'raise-threat', durationSec: 300 }
]

function ev (over: Partial<DangerEvent> = {}): DangerEvent {
  return { cell: 'web', level: 2, source: '203.0.113.9', context: 'GET /search', explanation: 'q: rare 3-grams (surprise 9.1)', origin: 'local', ...over }
}

describe('policy decide()', () => {
  const policy = createPolicy({
    allowlist: ['10.0.0.0/8', '2001:db8::/32', '198.51.100.7'],
    escalation: { windowSec: 3600, durationMultiplier: 2, maxDurationSec: 2000, burstSec: 0 },
    // the rules' mechanics: one level-2 offence may block its source here (the default evidence rules: source-ban.test.ts)
    sourceBan: { maxRetry: 1 },
    rules: [
      { cell: '*', level: 1, actions: ['log'] },
      { cell: '*', level: 2, actions: ALL_ACTIONS },
      { cell: 'type:pid', level: 2, actions: ['log', { type: 'quarantine', durationSec: 30 }] },
      { cell: 'api', level: 2, actions: [{ type: 'block-source', durationSec: 100 }], dryRun: true }
    ]
  }, cells)

  it('turns a local level-2 event into every action of the rule, with the explanation and expiry', () => {
    const ds = decide(ev(), emptyPolicyState(), policy, T0)
    expect(ds.map(d => d.action)).toEqual(['log', 'block-source', 'quarantine', 'terminate-and-renew', 'raise-threat'])
    const block = ds[1]
    expect(block.target).toEqual({ kind: 'source', address: '203.0.113.9' })
    expect(block.expiresAtMs).toBe(T0 + 600_000)
    expect(block.explanation).toBe('q: rare 3-grams (surprise 9.1)')
    expect(block.reason).toContain('*/2')
    expect(block.dryRun).toBe(false)
    expect(ds[2]).toMatchObject({ action: 'quarantine', target: { kind: 'cell', cell: 'web' }, expiresAtMs: T0 + 60_000 })
    expect(ds[3]).toMatchObject({ action: 'terminate-and-renew', expiresAtMs: null, params: { graceSec: 2 } })
    expect(new Set(ds.map(d => d.id)).size).toBe(ds.length)
  })

  it('is pure: the same inputs give the same decisions, and the state is not touched', () => {
    const state = emptyPolicyState()
    const before = JSON.stringify(state)
    expect(decide(ev(), state, policy, T0)).toEqual(decide(ev(), state, policy, T0))
    expect(JSON.stringify(state)).toBe(before)
  })

  it('INVARIANT: a remote event never produces quarantine or terminate-and-renew, under any rule, level or escalation', () => {
    let state: PolicyState = emptyPolicyState()
    for (const cell of ['web', 'db', 'api', 'host', 'unknown']) {
      for (const level of [1, 2] as const) {
        for (let i = 0; i < 6; i++) {
          const e = ev({ cell, level, origin: 'remote' })
          const bd = decideWithBreakdown(e, state, policy, T0 + i)
          expect(bd.decisions.some(d => d.action === 'quarantine' || d.action === 'terminate-and-renew')).toBe(false)
          state = recordOffence(state, e, bd, policy, T0 + i)
        }
      }
    }
    const bd = decideWithBreakdown(ev({ origin: 'remote' }), emptyPolicyState(), policy, T0)
    expect(bd.skipped.filter(s => s.reason === 'remote-invariant').map(s => s.action)).toEqual(['quarantine', 'terminate-and-renew'])
    // remote may still block the source (the intake only sends remote events past its quorum) and log
    expect(bd.decisions.map(d => d.action)).toEqual(['log', 'block-source', 'raise-threat'])
  })

  it('never blocks an allowlisted source (IPv4 CIDR, IPv6 CIDR, exact, IPv4-mapped)', () => {
    for (const source of ['10.1.2.3', '2001:db8::5', '198.51.100.7', '::ffff:10.9.9.9']) {
      const bd = decideWithBreakdown(ev({ source }), emptyPolicyState(), policy, T0)
      expect(bd.decisions.some(d => d.action === 'block-source')).toBe(false)
      expect(bd.skipped.some(s => s.action === 'block-source' && s.reason === 'allowlisted')).toBe(true)
    }
    const ok = decide(ev({ source: '::ffff:203.0.113.10' }), emptyPolicyState(), policy, T0).find(d => d.action === 'block-source')
    expect(ok?.target).toEqual({ kind: 'source', address: '203.0.113.10' })
  })

  it('skips block-source without a (valid) source, and process actions on cells without a process', () => {
    const noSrc = decideWithBreakdown(ev({ source: undefined }), emptyPolicyState(), policy, T0)
    expect(noSrc.skipped.find(s => s.action === 'block-source')?.reason).toBe('no-source')
    const bad = decideWithBreakdown(ev({ source: 'evil.example' }), emptyPolicyState(), policy, T0)
    expect(bad.skipped.find(s => s.action === 'block-source')?.reason).toBe('invalid-source')
    const host = decideWithBreakdown(ev({ cell: 'host' }), emptyPolicyState(), policy, T0)
    expect(host.decisions.map(d => d.action)).toEqual(['log', 'block-source', 'raise-threat'])
    expect(host.skipped.map(s => s.reason)).toEqual(['cell-has-no-process', 'cell-has-no-process'])
  })

  it('picks the most specific rule: cell name, then type:, then *', () => {
    expect(decideWithBreakdown(ev({ cell: 'db' }), emptyPolicyState(), policy, T0).rule).toBe('type:pid/2')
    expect(decideWithBreakdown(ev({ cell: 'api' }), emptyPolicyState(), policy, T0).rule).toBe('api/2')
    expect(decideWithBreakdown(ev({ cell: 'web' }), emptyPolicyState(), policy, T0).rule).toBe('*/2')
    expect(decideWithBreakdown(ev({ cell: 'web', level: 1 }), emptyPolicyState(), policy, T0).rule).toBe('*/1')
  })

  it('dry run: per rule and global; decisions say so', () => {
    const ds = decide(ev({ cell: 'api' }), emptyPolicyState(), policy, T0)
    expect(ds).toHaveLength(1)
    expect(ds[0].dryRun).toBe(true)
    expect(ds[0].reason).toMatch(/^\[dry run\]/)
    const globalDry = createPolicy({ dryRun: true, rules: [{ cell: '*', level: 2, actions: ['log', 'block-source'] }, { cell: 'web', level: 2, actions: ['block-source'], dryRun: false }] }, cells)
    expect(decide(ev({ cell: 'db' }), emptyPolicyState(), globalDry, T0).every(d => d.dryRun)).toBe(true)
    expect(decide(ev({ cell: 'web' }), emptyPolicyState(), globalDry, T0).every(d => !d.dryRun)).toBe(true)
  })

  it('escalation: durations double per earlier block in the window (one live block at a time), capped; the window forgets', () => {
    const state = emptyPolicyState()
    const durations: number[] = []
    let now = T0
    for (let i = 0; i < 5; i++) {
      const bd = decideWithBreakdown(ev(), state, policy, now)
      const block = bd.decisions.find(d => d.action === 'block-source')
      durations.push(block?.params.durationSec as number)
      expect(block?.escalation.step).toBe(i)
      recordOffence(state, ev(), bd, policy, now)
      // while it holds, the source gets no second block
      expect(decideWithBreakdown(ev(), state, policy, now + 1000).skipped.find(x => x.action === 'block-source')?.reason).toBe('already-blocked')
      now += (block?.params.durationSec as number) * 1000 + 1000
      if (now - T0 > 3_000_000) break
    }
    expect(durations).toEqual([600, 1200, 2000])
    // another source is a first offender
    expect(decide(ev({ source: '203.0.113.200' }), state, policy, now).find(d => d.action === 'block-source')?.params.durationSec).toBe(600)
    // after the window (3600 s) the offender starts again
    const later = now + 3_700_000
    expect(decide(ev(), state, policy, later).find(d => d.action === 'block-source')?.params.durationSec).toBe(600)
    pruneOffences(state, policy, later)
    expect(state.offences.size).toBe(0)
    expect(state.blocks.size).toBe(0)
  })

  it('bounds what escalation remembers (maxTracked offenders)', () => {
    const small = createPolicy({ escalation: { maxTracked: 3 } }, cells)
    const state = emptyPolicyState()
    for (let i = 0; i < 10; i++) recordOffence(state, ev({ source: `192.0.2.${i}` }), { effectiveLevel: 2, decisions: [] }, small, T0 + i)
    expect([...state.offences.keys()]).toEqual(['src:192.0.2.7', 'src:192.0.2.8', 'src:192.0.2.9'])
  })

  it('no rule for a level: no decision, and the breakdown says why', () => {
    const p = createPolicy({ rules: [{ cell: '*', level: 2, actions: ['log'] }] }, cells)
    const bd = decideWithBreakdown(ev({ level: 1 }), emptyPolicyState(), p, T0)
    expect(bd.decisions).toEqual([])
    expect(bd.skipped[0].reason).toBe('no-rule')
  })

  it('invalid policies are refused with the field, the value and what is accepted', () => {
    try {
      createPolicy({ allowlist: ['10.0.0.0/33', 'nope'], rules: [{ cell: 'ghost', level: 2, actions: [{ type: 'block-source', durationSec: -1 }, 'explode'] }, { cell: '*', level: 2, actions: [] }, { cell: '*', level: 2, actions: [] }] }, cells)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const e = err as ConfigError
      expect(e.code).toBe('IMMUNE_ERR_CONFIG')
      const fields = e.issues.map(i => i.field)
      expect(fields).toEqual(expect.arrayContaining([
        'policy.allowlist[0]', 'policy.allowlist[1]', 'policy.rules[0].cell',
        'policy.rules[0].actions[0].durationSec', 'policy.rules[0].actions[1].type', 'policy.rules[2].cell'
      ]))
      expect(e.issues.find(i => i.field === 'policy.rules[0].cell')?.accepted).toContain('web, db, api, host')
      expect(e.issues.find(i => i.field === 'policy.rules[0].actions[0].durationSec')?.value).toBe(-1)
    }
  })
})

describe('policy state persistence', () => {
  it('round-trips through JSON and skips malformed entries', async () => {
    const { createPolicy, decide, emptyPolicyState, recordOffence, policyStateToJSON, policyStateFromJSON } = await import('../../../node/respond/index.js')
    const policy = createPolicy({ sourceBan: { maxRetry: 1 } })
    const state = emptyPolicyState()
    const ev = { cell: 'web', level: 2 as const, source: '192.0.2.7', context: 'get /', explanation: 'x', origin: 'local' as const }
    const { decideWithBreakdown } = await import('../../../node/respond/index.js')
    recordOffence(state, ev, decideWithBreakdown(ev, state, policy, 1_000), policy, 1_000)
    const json = JSON.parse(JSON.stringify(policyStateToJSON(state)))
    const back = policyStateFromJSON(json)
    expect([...back.offences.entries()]).toEqual([...state.offences.entries()])
    expect([...back.blocks.entries()]).toEqual([['192.0.2.7', 1_000 + 3_600_000]])
    expect(back.seq).toBe(1)
    // the restored state remembers the live block, and escalates like the original once it ends
    expect(decideWithBreakdown(ev, back, policy, 2_000).skipped.map(x => x.reason)).toContain('already-blocked')
    expect(decide(ev, back, policy, 3_700_000).find(d => d.action === 'block-source')?.escalation.step).toBe(1)
    expect(policyStateFromJSON({ offences: { 'src:x': [{ atMs: 'no' }], 'src:y': 'no' }, seq: 3 }).offences.size).toBe(0)
    expect(policyStateFromJSON(null).offences.size).toBe(0)
  })
})
