import { describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/index.js'
import { assessDanger, createBrain, createBrainParams, describeSignal } from '../../../node/brain/index.js'
import type { Danger } from '../../../node/brain/index.js'
import { InvalidParamsError } from '../../../node/errors.js'
import { createPolicy } from '../../../node/respond/index.js'
import { makeSignature } from '../../../node/signatures/index.js'

const sig = makeSignature({ context: 'get /item', parameter: 'id', tokens: ['union', 'select'], generator: 'clonal-token-set/1', sampleCount: 1 })
const danger = (over: Partial<Danger> = {}): Danger => ({
  cell: 'web', community: 'shop', observation: 'http', context: 'get /item', parameter: 'id', source: '203.0.113.5',
  profile: { level: 2, score: 7.5 }, explanation: 'id: rare 3-grams', ...over
})

describe('node/brain', () => {
  it('combines signals: type 2 blocks alone; a peer\'s type 1 only with a local score >= 1, or alone at a learning member that vetted it; every signal is named', () => {
    // type 2 (made here): danger 2 whatever the profile says
    const local = assessDanger(danger({ profile: { level: 0, score: 0.2 }, signature: { indicator: sig, origin: 'local' } }))
    expect(local.level).toBe(2)
    expect(local.signals.map(s => [s.kind, s.level])).toEqual([['signature', 2], ['profile', 0]])
    expect(describeSignal(local.signals[0])).toBe(`matches adopted signature ${sig.id} (type 2, local)`)
    // a peer's type 1 on a request the guarding profile finds normal: nothing (a poisoned signature blocks nothing normal)
    const peer = { indicator: sig, origin: 'peer' as const, from: '12D3KooWPeer' }
    const t1normal = assessDanger(danger({ profile: { level: 0, score: 0.2 }, signature: peer }))
    expect(t1normal.level).toBe(0)
    expect(describeSignal(t1normal.signals.find(s => s.kind === 'signature')!)).toBe(`matches adopted signature ${sig.id} (type 1, 12D3KooWPeer): not enough alone`)
    // ... with the profile's danger signal one: two signals, danger 2
    expect(assessDanger(danger({ profile: { level: 1, score: 3 }, signature: peer })).level).toBe(2)
    // promoted to type 2 on own evidence: alone
    expect(assessDanger(danger({ profile: { level: 0, score: 0.2 }, signature: { ...peer, type: 2 } })).level).toBe(2)
    // a learning member (no profile verdict): only when the body says it may act alone
    expect(assessDanger(danger({ profile: null, signature: peer })).level).toBe(0)
    const alone = assessDanger(danger({ profile: null, signature: { ...peer, alone: true } }))
    expect(alone.level).toBe(2)
    expect(alone.signals[0].signature).toEqual({ id: sig.id, origin: 'peer', type: 1, from: '12D3KooWPeer', alone: true })
    expect(assessDanger(danger({ profile: null })).level).toBe(0)
  })

  it('a decision names the signature, its type and origin, and the local score; a type 1 acting alone credits and publishes nothing', () => {
    const brain = createBrain({ clock: createManualClock(), policy: createPolicy({}, [{ name: 'web', type: 'http' }]) })
    const peer = { indicator: sig, origin: 'peer' as const, from: '12D3KooWPeer' }
    const two = brain.onDanger(danger({ profile: { level: 1, score: 3.25, phase: 'guarding' }, signature: peer }))
    expect(two.verdict).toBe('block')
    expect(two.event?.refs).toMatchObject({ signature: sig.id, signatureType: 1, signatureOrigin: '12D3KooWPeer', score: 3.25, profileLevel: 1, phase: 'guarding', signals: 'signature+profile' })
    expect(two.breakdown?.decisions[0].refs).toMatchObject({ signature: sig.id, signatureType: 1, signatureOrigin: '12D3KooWPeer', score: 3.25 })
    expect(two.corroboration).toMatchObject({ signatureId: sig.id })
    expect(two.publication).not.toBeNull()
    const alone = brain.onDanger(danger({ profile: null, source: '203.0.113.9', signature: { ...peer, alone: true } }))
    expect(alone.verdict).toBe('block')
    expect(alone.event?.refs).toMatchObject({ signature: sig.id, signatureType: 1, signatureOrigin: '12D3KooWPeer', score: -1, phase: 'learning' })
    expect(alone.corroboration).toBeNull()
    expect(alone.publication).toBeNull()
  })

  it('level 2 blocks the request; the source only on strong evidence (three offences); raises the threat, corroborates, asks clonal selection; level 0 does nothing', () => {
    const clock = createManualClock()
    const brain = createBrain({ clock, policy: createPolicy({}, [{ name: 'web', type: 'http' }]) })
    const first = brain.onDanger(danger())
    expect(first.verdict).toBe('block')
    expect(first.breakdown?.decisions.map(d => d.action)).toEqual(['log', 'raise-threat'])
    expect(first.breakdown?.skipped).toMatchObject([{ action: 'block-source', reason: 'insufficient-evidence' }])
    expect(first.breakdown?.ban).toMatchObject({ ban: false, offences: 1 })
    expect(brain.isDenied('203.0.113.5')).toBe(false)
    clock.advance(1000)
    brain.onDanger(danger())
    clock.advance(1000)
    const r = brain.onDanger(danger())
    expect(r.verdict).toBe('block')
    expect(r.breakdown?.decisions.map(d => d.action)).toEqual(['log', 'block-source', 'raise-threat'])
    expect(r.breakdown?.ban).toMatchObject({ ban: true, basis: 'repeat', offences: 3 })
    expect(r.event?.refs).toMatchObject({ score: 7.5, signals: 'profile' })
    expect(brain.isDenied('203.0.113.5')).toBe(true)
    expect(brain.threat.level()).toBe(2)
    expect(r.corroboration).toEqual({ community: 'shop', context: 'get /item', parameter: 'id', source: '203.0.113.5' })
    expect(r.publication).toMatchObject({ clonal: true, danger: { level: 2, score: 7.5, source: '203.0.113.5' } })
    const calm = brain.onDanger(danger({ profile: { level: 0, score: 0.1 }, source: '203.0.113.6' }))
    expect(calm).toMatchObject({ level: 0, verdict: 'allow', event: null, breakdown: null, corroboration: null, publication: null })
    // a block lasts its decision's time
    clock.advance(3600 * 1000)
    expect(brain.isDenied('203.0.113.5')).toBe(false)
  })

  it('level 1 never blocks and corroborates a named source only; a process danger publishes nothing', () => {
    const brain = createBrain({ clock: createManualClock(), policy: createPolicy({}) })
    const r = brain.onDanger(danger({ profile: { level: 1, score: 3 } }))
    expect(r.verdict).toBe('allow')
    expect(r.corroboration).toEqual({ community: 'shop', source: '203.0.113.5' })
    expect(r.publication).toBeNull()
    expect(brain.onDanger(danger({ observation: 'process', source: undefined })).publication).toBeNull()
  })

  it('dry-run: decisions are recorded as dry-run, nothing is denied, the request passes', () => {
    const brain = createBrain({ clock: createManualClock(), policy: createPolicy({ dryRun: true }) })
    const r = brain.onDanger(danger({ signature: { indicator: sig, origin: 'local' } }))
    expect(r.verdict).toBe('allow')
    expect(r.dryRun).toBe(true)
    expect(r.breakdown?.decisions.every(d => d.dryRun)).toBe(true)
    expect(brain.isDenied('203.0.113.5')).toBe(false)
    expect(r.publication).toMatchObject({ clonal: false, danger: { score: 0, signature: { id: sig.id } } })
  })

  it('an allowlisted source is never denied, even at danger 2', () => {
    const brain = createBrain({ clock: createManualClock(), policy: createPolicy({ allowlist: ['203.0.113.0/24'] }) })
    const r = brain.onDanger(danger())
    expect(r.verdict).toBe('block')
    expect(r.breakdown?.skipped.map(s => s.reason)).toContain('allowlisted')
    expect(brain.isDenied('203.0.113.5')).toBe(false)
  })

  it('remote evidence: a quorum block never quarantines or terminates, and a refutation lifts exactly its holds', () => {
    const clock = createManualClock()
    const brain = createBrain({ clock, policy: createPolicy({ rules: [{ cell: '*', level: 2, actions: ['block-source', 'quarantine', 'terminate-and-renew'] }] }) }, { remoteCell: 'edge' })
    const remote = brain.onRemoteBlock({ address: '203.0.113.5', untilMs: clock.now() + 60_000, why: 'quorum' })
    expect(remote.event).toMatchObject({ cell: 'edge', origin: 'remote', context: 'peer quorum' })
    expect(remote.breakdown.decisions.map(d => d.action)).toEqual(['block-source'])
    expect(remote.breakdown.ban).toMatchObject({ ban: true, basis: 'quorum' })
    expect(remote.breakdown.skipped.map(s => s.reason)).toEqual(['remote-invariant', 'remote-invariant'])
    // evidence lives as long as its claim (issue 15): the votes' 60 s, not the policy's duration
    expect(remote.breakdown.decisions[0].expiresAtMs).toBe(clock.now() + 60_000)
    expect(remote.breakdown.decisions[0].params.durationSec).toBe(60)
    // a local signature hit while the quorum's block holds: one live block per source
    const local = brain.onDanger(danger({ cell: 'edge', signature: { indicator: sig, origin: 'local' } }))
    expect(local.breakdown?.skipped.map(s => s.reason)).toContain('already-blocked')
    expect(brain.denyList.get('203.0.113.5')?.decisionIds).toEqual([remote.breakdown.decisions[0].id])
    const ids = brain.onRemoteUnblock('203.0.113.5')
    expect(ids).toEqual([remote.breakdown.decisions[0].id])
    expect(brain.isDenied('203.0.113.5')).toBe(false)
    expect(brain.onRemoteUnblock('203.0.113.5')).toEqual([])
  })

  it('peer warnings raise sensitivity (capped, the larger factor wins, per community) and the threat to 1 only', () => {
    const clock = createManualClock()
    const brain = createBrain({ clock, policy: createPolicy({}) }, { maxSensitivityFactor: 3, peerThreatMs: 60_000 })
    brain.onPeerWarning({ community: 'shop', context: 'get /item', factor: 10, untilMs: clock.now() + 30_000 })
    brain.onPeerWarning({ community: 'shop', context: 'get /item', factor: 1.5, untilMs: clock.now() + 40_000 })
    expect(brain.sensitivityFactor('shop', 'get /item')).toBe(3)
    expect(brain.sensitivityFactor('blog', 'get /item')).toBe(1)
    expect(brain.threat.level()).toBe(1)
    clock.advance(35_000)
    expect(brain.sensitivityFactor('shop', 'get /item')).toBe(3)
    clock.advance(10_000)
    expect(brain.sensitivityFactor('shop', 'get /item')).toBe(1)
    clock.advance(20_000)
    expect(brain.threat.level()).toBe(0)
  })

  it('validates its params with coded errors', () => {
    expect(() => createBrainParams({ maxSensitivityFactor: 0.5 })).toThrow(InvalidParamsError)
    expect(() => createBrainParams({ remoteCell: '' })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS', details: expect.objectContaining({ field: 'brain.remoteCell' }) }))
  })
})
