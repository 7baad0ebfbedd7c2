import { describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { applicationScoreFn, createAlertIntake, createAlertIntakeParams } from '../../../node/intake/index.js'
import type { AlertDecisionRecord, AlertIntakeInit, VetResult } from '../../../node/intake/index.js'
import { ReputationTable } from '../../../protocol/reputation/index.js'
import type { SignatureIndicator } from '../../../protocol/alert/types.js'
import { createFakeMesh, makeAlert, makeSignature, toEvent } from './fake-mesh.js'

const T0 = 1_700_000_000_000
const MIN = 60_000

/** A small real vetter: a signature fails when one of its tokens occurs in our "normal sample". */
function tokenVetter (normalTokens: string[]): (sig: SignatureIndicator) => VetResult {
  const normal = new Set(normalTokens)
  return (sig) => {
    const hits = sig.tokens.filter(t => normal.has(t)).length
    return { adopted: hits === 0, reason: hits === 0 ? 'matches nothing normal' : `${hits} token(s) occur in normal traffic`, normalMatches: hits }
  }
}

function setup (init: AlertIntakeInit = {}, opts: { vet?: (sig: SignatureIndicator) => VetResult | Promise<VetResult>, isKnownNormal?: (address: string) => boolean } = {}) {
  const clock = createManualClock(T0)
  const mesh = createFakeMesh('self', () => clock.now())
  const reputation = new ReputationTable()
  const adopted: Array<[string, string]> = []
  const raises: Array<{ community: string, context: string, factor: number, untilMs: number }> = []
  const blocks: Array<{ address: string, untilMs: number, why: string }> = []
  const unblocks: string[] = []
  const records: AlertDecisionRecord[] = []
  const vetCalls: string[] = []
  const vet = opts.vet ?? tokenVetter(['select', 'admin'])
  const intake = createAlertIntake({
    clock,
    mesh,
    reputation,
    vetSignature: (sig) => { vetCalls.push(sig.id); return vet(sig) },
    adoptSignature: (sig, origin) => { adopted.push([sig.id, origin]) },
    raiseSensitivity: (community, context, factor, untilMs) => { raises.push({ community, context, factor, untilMs }) },
    blockSource: (address, untilMs, why) => { blocks.push({ address, untilMs, why }) },
    unblockSource: (address) => { unblocks.push(address) },
    record: (_alert, rec) => { records.push(rec) },
    ...(opts.isKnownNormal != null ? { isKnownNormal: opts.isKnownNormal } : {})
  }, init)
  intake.start()
  /** Give a peer a history of n corroborated warnings. */
  const establish = (peer: string, n: number): void => { reputation.record(peer, 'R1', n, clock.now(), 'history') }
  return { clock, mesh, reputation, intake, adopted, raises, blocks, unblocks, records, vetCalls, establish }
}

describe('alert intake: signatures', () => {
  it('adopts a signature that matches nothing normal, once, and credits no evidence either way', () => {
    const s = setup()
    const sig = makeSignature('sig-union', ['union', '/*'])
    s.mesh.deliver(makeAlert({ origin: 'alice', signatures: [sig] }))
    expect(s.adopted).toEqual([['sig-union', 'alice']])
    expect(s.records[0]).toMatchObject({ outcome: 'accepted', origin: 'alice', signatures: [{ id: 'sig-union', outcome: 'adopted', normalMatches: 0 }] })
    expect(s.reputation.get('alice', s.clock.now()).breakdown.R2).toBe(0)
    // the same signature from another origin: not vetted again, not adopted twice
    s.mesh.deliver(makeAlert({ origin: 'bob', signatures: [sig] }))
    expect(s.vetCalls).toEqual(['sig-union'])
    expect(s.adopted).toHaveLength(1)
    expect(s.records[1].signatures[0].outcome).toBe('already-adopted')
    expect(s.intake.stats()).toMatchObject({ alerts: 2, accepted: 2, signaturesAdopted: 1, signaturesRejected: 0 })
  })

  it('rejects a signature that matches normal traffic, counts R2 against the origin and makes the alert suspect', () => {
    const s = setup()
    s.establish('mallory', 5) // even a known peer gets no say for a poisoned alert
    const poison = makeSignature('sig-select', ['select', 'from'])
    s.mesh.deliver(makeAlert({ origin: 'mallory', signatures: [poison], sources: [{ address: '203.0.113.9', ttlSec: 600 }] }))
    expect(s.adopted).toEqual([])
    const rec = s.records[0]
    expect(rec.outcome).toBe('suspect')
    expect(rec.signatures[0]).toMatchObject({ outcome: 'rejected', normalMatches: 1 })
    expect(rec.sensitivity).toBeUndefined()
    expect(rec.sources).toEqual([])
    expect(s.raises).toEqual([])
    const rep = s.reputation.get('mallory', s.clock.now())
    expect(rep.breakdown.R2).toBe(-3)
    expect(s.reputation.explain('mallory', s.clock.now()).events.at(-1)).toMatchObject({ term: 'R2', note: expect.stringContaining('sig-select') })
  })

  it('works the same with an asynchronous vetter', async () => {
    const vet = tokenVetter(['select'])
    const s = setup({}, { vet: async (sig) => await Promise.resolve(vet(sig)) })
    const good = s.intake.handleAlert(toEvent(makeAlert({ origin: 'alice', signatures: [makeSignature('g1', ['union'])] }), s.clock.now()))
    expect(good).toBeInstanceOf(Promise)
    expect((await good).signatures[0].outcome).toBe('adopted')
    const bad = await s.intake.handleAlert(toEvent(makeAlert({ origin: 'eve', signatures: [makeSignature('b1', ['select'])] }), s.clock.now()))
    expect(bad.outcome).toBe('suspect')
    expect(s.adopted).toEqual([['g1', 'alice']])
  })

  it('vetting codes: too-generic counts against the origin; insufficient-normal does not and is vetted again later', () => {
    let normalSamples = 0
    const s = setup({}, {
      vet: (sig) => sig.tokens.includes('id')
        ? { adopted: false, code: 'too-generic', reason: 'too generic: token "id"', normalMatches: 0 }
        : normalSamples < 10
          ? { adopted: false, code: 'insufficient-normal', reason: `only ${normalSamples} normal observation(s)`, normalMatches: 0 }
          : { adopted: true, code: 'adopted', reason: 'matches none', normalMatches: 0 }
    })
    s.mesh.deliver(makeAlert({ origin: 'vague', signatures: [makeSignature('gen', ['id'])] }))
    expect(s.records[0]).toMatchObject({ outcome: 'suspect', signatures: [{ outcome: 'rejected' }] })
    expect(s.reputation.get('vague', s.clock.now()).breakdown.R2).toBe(-3)
    const early = makeSignature('early', ['union select'])
    s.mesh.deliver(makeAlert({ origin: 'alice', signatures: [early] }))
    expect(s.records[1]).toMatchObject({ outcome: 'accepted', signatures: [{ outcome: 'not-adopted' }] })
    expect(s.reputation.get('alice', s.clock.now()).negative).toBe(0)
    normalSamples = 50 // the node has learned enough normal traffic since
    s.mesh.deliver(makeAlert({ origin: 'bob', signatures: [early] }))
    expect(s.records[2].signatures[0].outcome).toBe('adopted')
    expect(s.vetCalls.filter(id => id === 'early')).toHaveLength(2)
    expect(s.adopted).toEqual([['early', 'bob']])
  })

  it('a vetter that throws neither adopts nor blames', () => {
    const s = setup({}, { vet: () => { throw new Error('reservoir not loaded') } })
    s.mesh.deliver(makeAlert({ origin: 'alice', signatures: [makeSignature('x', ['union'])] }))
    expect(s.records[0].signatures[0]).toMatchObject({ outcome: 'error', reason: expect.stringContaining('reservoir not loaded') })
    expect(s.records[0].outcome).toBe('accepted')
    expect(s.adopted).toEqual([])
    expect(s.reputation.get('alice', s.clock.now()).negative).toBe(0)
  })

  it('a liar is blacklisted after two poisoned signatures; its later alerts are ignored and its P5 goes negative', () => {
    const s = setup()
    s.mesh.deliver(makeAlert({ origin: 'liar', signatures: [makeSignature('p1', ['select'])] }))
    expect(s.reputation.isBlacklisted('liar', s.clock.now())).toBe(false)
    s.mesh.deliver(makeAlert({ origin: 'liar', signatures: [makeSignature('p2', ['admin'])] }))
    expect(s.reputation.isBlacklisted('liar', s.clock.now())).toBe(true)
    const calls = s.vetCalls.length
    s.mesh.deliver(makeAlert({ origin: 'liar', signatures: [makeSignature('p3', ['harmless'])], sources: [{ address: '203.0.113.1', ttlSec: 60 }] }))
    expect(s.vetCalls.length).toBe(calls) // not even vetted
    expect(s.adopted).toEqual([])
    const last = s.records.at(-1)!
    expect(last.outcome).toBe('ignored-blacklisted')
    expect(s.intake.decision(last.id)).toEqual(last)
    expect(s.intake.stats().ignoredBlacklisted).toBe(1)
    // start() wired gossipsub P5
    expect(s.mesh.scoreFn).toBeTypeOf('function')
    expect(s.mesh.scoreFn!('liar')).toBe(-200)
    expect(s.mesh.scoreFn!('stranger')).toBe(0)
  })

  it('alerts our validator rejects count R4 against the forwarding peer; ignored ones do not', () => {
    const s = setup()
    s.mesh.reject({ from: 'relay', community: 'shop', action: 'reject', code: 'bad-signature' })
    s.mesh.reject({ from: 'relay', community: 'shop', action: 'ignore', code: 'stale' })
    const rep = s.reputation.get('relay', s.clock.now())
    expect(rep.breakdown.R4).toBe(-0.5)
    expect(s.reputation.explain('relay', s.clock.now()).events).toEqual([expect.objectContaining({ term: 'R4', note: expect.stringContaining('bad-signature') })])
  })

  it('drops duplicate deliveries and our own alerts', () => {
    const s = setup()
    const a = makeAlert({ origin: 'alice', signatures: [makeSignature('d1', ['union'])] })
    s.mesh.deliver(a)
    s.mesh.deliver(a, 'relay')
    s.mesh.deliver(makeAlert({ origin: 'self' }))
    expect(s.records.map(r => r.outcome)).toEqual(['accepted', 'duplicate', 'ignored-own'])
    expect(s.vetCalls).toEqual(['d1'])
  })
})

describe('alert intake: remote source blocks need a reputation-weighted quorum of independent origins', () => {
  const src = (address: string, ttlSec = 1800) => [{ address, ttlSec }]

  it('blocks when two established origins agree, with expiry min(ttl, maxBlock), and explains it', () => {
    const s = setup({ maxBlockMs: 20 * MIN })
    s.establish('alice', 20)
    s.establish('bob', 20)
    s.mesh.deliver(makeAlert({ origin: 'alice', sources: src('203.0.113.7', 1800) }))
    expect(s.blocks).toEqual([])
    s.clock.advance(1000)
    s.mesh.deliver(makeAlert({ origin: 'bob', sources: src('203.0.113.7', 600) }))
    expect(s.blocks).toHaveLength(1)
    // bob's indicator lasts 600 s; maxBlock 20 min: the smaller wins
    expect(s.blocks[0].untilMs).toBe(s.clock.now() + 600_000)
    const rec = s.records.at(-1)!
    expect(rec.sources[0]).toMatchObject({ address: '203.0.113.7', blocked: true, origins: 2 })
    const block = s.intake.decision(rec.sources[0].blockDecisionId!)
    expect(block).toMatchObject({ type: 'block-source', address: '203.0.113.7', quorum: { required: 1.5, minOrigins: 2 } })
    if (block?.type !== 'block-source') throw new Error('expected a block decision')
    expect(block.quorum.origins.map(o => o.origin).sort()).toEqual(['alice', 'bob'])
    expect(block.quorum.sum).toBeGreaterThanOrEqual(1.5)
    expect(s.blocks[0].why).toContain(block.id)
    // a third voter does not re-block while the block holds
    s.establish('carol', 20)
    s.mesh.deliver(makeAlert({ origin: 'carol', sources: src('203.0.113.7') }))
    expect(s.blocks).toHaveLength(1)
    expect(s.intake.blockedSources().map(b => b.address)).toEqual(['203.0.113.7'])
  })

  it('never blocks on one peer, however trusted and however often it repeats itself', () => {
    const s = setup()
    s.establish('alice', 1000)
    for (let i = 0; i < 20; i++) s.mesh.deliver(makeAlert({ origin: 'alice', sources: src('198.51.100.1') }))
    expect(s.blocks).toEqual([])
    expect(s.records.at(-1)!.sources[0]).toMatchObject({ origins: 1, blocked: false })
  })

  it('never blocks on many newcomers (sybils), nor on one established peer plus sybils', () => {
    const s = setup()
    for (let i = 0; i < 200; i++) s.mesh.deliver(makeAlert({ origin: `sybil-${i}`, sources: src('198.51.100.2') }))
    expect(s.blocks).toEqual([])
    // memory stays bounded: at most maxOriginsPerKey votes per address are remembered
    expect(s.records.at(-1)!.sources[0]).toMatchObject({ sum: 0, origins: 32 })
    s.establish('alice', 50)
    s.mesh.deliver(makeAlert({ origin: 'alice', sources: src('198.51.100.2') }))
    expect(s.blocks).toEqual([])
  })

  it('sybils with a little evidence each are below minVoterInfluence and add nothing to the quorum', () => {
    // one corroboration each: weight 1/6 · E 2/3 ≈ 0.11 < minVoterInfluence 0.25 (default)
    const s = setup()
    const lax = setup({ minVoterInfluence: 0.05 })
    for (const t of [s, lax]) {
      t.establish('alice', 20)
      for (let i = 0; i < 10; i++) t.establish(`sybil-${i}`, 1)
      for (let i = 0; i < 10; i++) t.mesh.deliver(makeAlert({ origin: `sybil-${i}`, sources: src('192.0.2.50') }))
      t.mesh.deliver(makeAlert({ origin: 'alice', sources: src('192.0.2.50') }))
    }
    expect(s.blocks).toEqual([])
    expect(s.records.at(-1)!.sources[0]).toMatchObject({ origins: 11, blocked: false })
    // with a lax minimum, ten lightly-established sybils plus one honest peer would pass: why the default is 0.25
    expect(lax.blocks).toHaveLength(1)
  })

  it('expired votes do not count', () => {
    const s = setup()
    s.establish('alice', 20)
    s.establish('bob', 20)
    s.mesh.deliver(makeAlert({ origin: 'alice', sources: src('192.0.2.9', 60) }))
    s.clock.advance(61_000)
    s.mesh.deliver(makeAlert({ origin: 'bob', sources: src('192.0.2.9', 60) }))
    expect(s.blocks).toEqual([])
  })

  it('a blacklisted origin loses its vote', () => {
    const s = setup()
    s.establish('alice', 20)
    s.establish('bob', 20)
    s.mesh.deliver(makeAlert({ origin: 'bob', sources: src('192.0.2.10') }))
    // bob turns out to be a liar
    s.reputation.record('bob', 'R2', 40, s.clock.now())
    expect(s.reputation.isBlacklisted('bob', s.clock.now())).toBe(true)
    s.mesh.deliver(makeAlert({ origin: 'alice', sources: src('192.0.2.10') }))
    expect(s.blocks).toEqual([])
  })

  it('refuting a source (our own evidence says it is normal) penalises the warners (R3) and lifts the block', () => {
    const s = setup()
    s.establish('alice', 20)
    s.establish('bob', 20)
    s.mesh.deliver(makeAlert({ origin: 'alice', sources: src('192.0.2.77') }))
    s.mesh.deliver(makeAlert({ origin: 'bob', sources: src('192.0.2.77') }))
    expect(s.blocks).toHaveLength(1)
    const before = s.reputation.get('alice', s.clock.now()).value
    const res = s.intake.refute({ source: '192.0.2.77', reason: 'our own client, 2,000 normal requests today' })
    expect(res.refuted.map(r => r.origin).sort()).toEqual(['alice', 'bob'])
    expect(res.unblocked).toEqual(['192.0.2.77'])
    expect(s.unblocks).toEqual(['192.0.2.77'])
    expect(s.reputation.get('alice', s.clock.now()).value).toBeLessThan(before)
    expect(s.reputation.get('alice', s.clock.now()).breakdown.R3).toBe(-2)
    expect(s.intake.decision(res.decisionId!)).toMatchObject({ type: 'refutation', unblocked: ['192.0.2.77'] })
    // the same warnings are not refuted twice
    expect(s.intake.refute({ source: '192.0.2.77', reason: 'again' }).refuted).toEqual([])
  })
})

describe('alert intake: corroboration and sensitivity', () => {
  it('corroboration credits R1 once to each origin that warned within the window', () => {
    const s = setup()
    s.mesh.deliver(makeAlert({ origin: 'alice', context: 'POST /login' }))
    s.mesh.deliver(makeAlert({ origin: 'bob', context: 'POST /login' }))
    s.mesh.deliver(makeAlert({ origin: 'carol', context: 'GET /other' }))
    const e0 = s.reputation.get('alice', s.clock.now())
    s.clock.advance(5 * MIN)
    // a bare anomaly warning is credited only for its own context and parameter
    expect(s.intake.corroborate({ community: 'shop', context: 'POST /login', parameter: 'user' }).credited).toEqual([])
    const res = s.intake.corroborate({ community: 'shop', context: 'POST /login', parameter: 'id' })
    expect(res.credited.map(c => c.origin).sort()).toEqual(['alice', 'bob'])
    const e1 = s.reputation.get('alice', s.clock.now())
    expect(e1.value).toBeGreaterThan(e0.value)
    expect(e1.weight).toBeGreaterThan(e0.weight)
    expect(e1.breakdown.R1).toBe(1)
    expect(s.reputation.get('carol', s.clock.now()).breakdown.R1).toBe(0)
    // the detector fires again on the same attack: no double credit
    expect(s.intake.corroborate({ community: 'shop', context: 'POST /login', parameter: 'id' }).credited).toEqual([])
    expect(s.intake.decision(res.decisionId!)).toMatchObject({ type: 'corroboration', event: { context: 'POST /login' } })
  })

  it('issue 15: credit needs evidence naming the claim, and lives as long as the claim', () => {
    const s = setup()
    // three warners about one context: one names sources, one carries a signature, one is a bare anomaly on parameter id
    s.mesh.deliver(makeAlert({ origin: 'names', context: 'GET /item', sources: [{ address: '203.0.113.7', ttlSec: 60 }] }))
    s.mesh.deliver(makeAlert({ origin: 'carries', context: 'GET /item', signatures: [makeSignature('s-1', ['union select'])] }))
    s.mesh.deliver(makeAlert({ origin: 'bare', context: 'GET /item', ttlSec: 120 }))
    s.clock.advance(10_000)
    // our detector on that context, from another source, blaming another parameter: nobody's claim
    expect(s.intake.corroborate({ community: 'shop', context: 'GET /item', parameter: 'q', source: '198.51.100.9' }).credited).toEqual([])
    // the same context and parameter credits the bare anomaly only
    expect(s.intake.corroborate({ community: 'shop', context: 'GET /item', parameter: 'id', source: '198.51.100.9' }).credited.map(c => c.origin)).toEqual(['bare'])
    // the named source, within its 60 s
    expect(s.intake.corroborate({ community: 'shop', context: 'GET /other', source: '203.0.113.7' }).credited.map(c => c.origin)).toEqual(['names'])
    // a hit on the carried signature
    expect(s.intake.corroborate({ community: 'shop', context: 'GET /item', signatureId: 's-1' }).credited.map(c => c.origin)).toEqual(['carries'])

    // a claim that ended earns nothing: a 60 s source warning met after 61 s
    s.mesh.deliver(makeAlert({ origin: 'late', context: 'GET /item', sources: [{ address: '203.0.113.8', ttlSec: 60 }], ttlSec: 600 }))
    s.clock.advance(61_000)
    expect(s.intake.corroborate({ community: 'shop', context: 'GET /item', source: '203.0.113.8' }).credited).toEqual([])
  })

  it('issue 15: a known normal client named as an attacker refutes the origin; no quorum ever blocks it', () => {
    const normal = new Set(['198.51.100.77'])
    const s = setup({}, { isKnownNormal: (a: string) => normal.has(a) })
    s.establish('alice', 40)
    s.establish('bob', 40)
    const before = s.reputation.get('alice', s.clock.now())
    s.mesh.deliver(makeAlert({ origin: 'alice', sources: [{ address: '198.51.100.77', ttlSec: 3600 }] }))
    s.mesh.deliver(makeAlert({ origin: 'bob', sources: [{ address: '198.51.100.77', ttlSec: 3600 }] }))
    expect(s.blocks).toHaveLength(0)
    const after = s.reputation.get('alice', s.clock.now())
    expect(after.breakdown.R3).toBeLessThan(before.breakdown.R3)
    const rec = s.intake.decisions(10).find(d => d.type === 'alert' && d.origin === 'bob')
    expect(rec).toMatchObject({ sources: [{ address: '198.51.100.77', knownNormal: true, blocked: false }] })
    expect(s.intake.decisions(10).filter(d => d.type === 'refutation')).toHaveLength(2)
    // the same two peers still block an address that is not a known client
    s.mesh.deliver(makeAlert({ origin: 'alice', sources: [{ address: '203.0.113.9', ttlSec: 3600 }] }))
    s.mesh.deliver(makeAlert({ origin: 'bob', sources: [{ address: '203.0.113.9', ttlSec: 3600 }] }))
    expect(s.blocks.map(b => b.address)).toEqual(['203.0.113.9'])
  })

  it('a signature hit or a source corroborates the origins that sent them; old warnings do not', () => {
    const s = setup({ corroborationWindowMs: 30 * MIN })
    s.mesh.deliver(makeAlert({ origin: 'alice', signatures: [makeSignature('s-hit', ['union'])] }))
    s.mesh.deliver(makeAlert({ origin: 'bob', sources: [{ address: '192.0.2.5', ttlSec: 3600 }] }))
    s.mesh.deliver(makeAlert({ origin: 'old', context: 'GET /x' }))
    s.clock.advance(10 * MIN)
    expect(s.intake.corroborate({ community: 'shop', signatureId: 's-hit' }).credited).toEqual([{ origin: 'alice', alertIds: [expect.any(String)] }])
    expect(s.intake.corroborate({ community: 'shop', source: '192.0.2.5' }).credited.map(c => c.origin)).toEqual(['bob'])
    s.clock.advance(25 * MIN)
    expect(s.intake.corroborate({ community: 'shop', context: 'GET /x' }).credited).toEqual([])
  })

  it('refuting one alert by origin and id counts R3 once, and a refuted warning earns no credit later', () => {
    const s = setup()
    const a = makeAlert({ origin: 'eve', context: 'GET /q' })
    s.mesh.deliver(a)
    expect(s.intake.refute({ origin: 'eve', alertId: a.id, reason: 'no such request in our logs' }).refuted).toEqual([{ origin: 'eve', alertIds: [a.id] }])
    expect(s.intake.refute({ origin: 'eve', alertId: a.id, reason: 'again' }).refuted).toEqual([])
    expect(s.reputation.get('eve', s.clock.now()).breakdown.R3).toBe(-2)
    expect(s.intake.corroborate({ community: 'shop', context: 'GET /q' }).credited).toEqual([])
  })

  it('a suspect alert (poisoned signature) earns no credit later', () => {
    const s = setup()
    s.mesh.deliver(makeAlert({ origin: 'mallory', context: 'GET /item', signatures: [makeSignature('p', ['select'])] }))
    expect(s.intake.corroborate({ community: 'shop', context: 'GET /item' }).credited).toEqual([])
  })

  it('raises sensitivity by the origin\'s reputation: nothing for a newcomer, more for a trusted peer, bounded in time', () => {
    const s = setup({ maxSensitivityFactor: 2, maxSensitivityMs: 10 * MIN })
    s.mesh.deliver(makeAlert({ origin: 'newbie', context: 'GET /a' }))
    expect(s.raises).toEqual([])
    expect(s.records[0].sensitivity).toBeUndefined()
    s.establish('known', 3)
    s.establish('trusted', 40)
    s.mesh.deliver(makeAlert({ origin: 'known', context: 'GET /b', ttlSec: 3600 }))
    s.mesh.deliver(makeAlert({ origin: 'trusted', context: 'GET /c', ttlSec: 120 }))
    expect(s.raises).toHaveLength(2)
    const [known, trusted] = s.raises
    expect(known.factor).toBeGreaterThan(1)
    expect(trusted.factor).toBeGreaterThan(known.factor)
    expect(trusted.factor).toBeLessThanOrEqual(2)
    // influence of 'known' = weight · E = (3/8) · (4/5) = 0.3 → factor 1.3
    expect(known.factor).toBeCloseTo(1.3, 10)
    expect(known.untilMs).toBe(s.clock.now() + 10 * MIN) // bounded by maxSensitivityMs
    expect(trusted.untilMs).toBe(s.clock.now() + 120_000) // bounded by the alert's ttl
    expect(s.records.at(-1)!.sensitivity!.contributors[0]).toMatchObject({ origin: 'trusted' })
  })

  it('warnings from several origins add up, capped at the maximum factor', () => {
    const s = setup({ maxSensitivityFactor: 3 })
    for (const p of ['a', 'b', 'c', 'd']) s.establish(p, 10)
    for (const p of ['a', 'b', 'c', 'd']) s.mesh.deliver(makeAlert({ origin: p, context: 'GET /hot' }))
    const factors = s.raises.map(r => r.factor)
    for (let i = 1; i < factors.length; i++) expect(factors[i]).toBeGreaterThanOrEqual(factors[i - 1])
    expect(factors.at(-1)).toBe(3)
  })
})

describe('alert intake: selfish members, lifecycle, persistence', () => {
  it('flags a subscribed peer that stays silent through community-wide attacks and counts R5 against it', () => {
    const s = setup({ selfish: { minEpisodes: 5, episodeQuietMs: MIN, maxEpisodeMs: 10 * MIN, cooldownMs: MIN } })
    const members = ['a', 'b', 'c', 'quiet']
    s.mesh.peerList = members.map(id => ({ id, communities: ['shop'], gossipsubScore: 0, inMesh: true }))
    let flaggedAfter = -1
    for (let e = 0; e < 10 && flaggedAfter < 0; e++) {
      for (const p of ['a', 'b', 'c']) s.mesh.deliver(makeAlert({ origin: p, context: `GET /attack-${e}` }))
      s.clock.advance(2 * MIN) // housekeeping (every 10 s) closes the quiet episode
      if (s.intake.isSelfish('quiet')) flaggedAfter = e + 1
    }
    // the others report every episode: base rate (3e + 1)/(3e + 2), H0 rate half of it;
    // after 7 episodes 0.522^7 ≈ 0.011 is not yet below alpha 0.01, after 8 0.519^8 ≈ 0.005 is
    expect(flaggedAfter).toBe(8)
    expect(s.intake.selfishPeers()).toEqual(['quiet'])
    const ex = s.intake.explainPeer('quiet')
    expect(ex.selfish).toMatchObject({ selfish: true, reported: 0, episodes: 8 })
    expect(ex.reputation.breakdown.R5).toBeLessThan(0)
    expect(ex.events.some(e => e.term === 'R5')).toBe(true)
    expect(s.intake.stats().selfishFlagged).toBe(1)
    for (const p of ['a', 'b', 'c']) expect(s.intake.isSelfish(p)).toBe(false)
    // selfishness alone lowers priority but never blacklists (R5 is capped)
    expect(ex.reputation.blacklisted).toBe(false)
  })

  it('start/stop are idempotent and release the mesh handler and the timer', () => {
    const s = setup()
    s.intake.start()
    expect(s.mesh.handlers.size).toBe(1)
    expect(s.mesh.rejectHandlers.size).toBe(1)
    expect(s.clock.pending()).toBe(1)
    s.intake.stop()
    s.intake.stop()
    expect(s.mesh.handlers.size).toBe(0)
    expect(s.mesh.rejectHandlers.size).toBe(0)
    expect(s.clock.pending()).toBe(0)
  })

  it('toJSON/restore: a vote from before a restart completes a quorum after it', () => {
    const s = setup()
    s.establish('alice', 20)
    s.establish('bob', 20)
    s.mesh.deliver(makeAlert({ origin: 'alice', sources: [{ address: '192.0.2.200', ttlSec: 3600 }], context: 'GET /z' }))
    const snap = JSON.parse(JSON.stringify({ intake: s.intake.toJSON(), reputation: s.reputation.toJSON() })) as { intake: unknown, reputation: unknown }
    s.intake.stop()

    const t = setup()
    t.clock.set(s.clock.now() + 1000)
    t.reputation.restore(snap.reputation)
    t.intake.restore(snap.intake)
    expect(t.intake.decisions(10).map(d => d.id)).toEqual(s.intake.decisions(10).map(d => d.id))
    t.mesh.deliver(makeAlert({ origin: 'bob', sources: [{ address: '192.0.2.200', ttlSec: 3600 }] }))
    expect(t.blocks).toHaveLength(1)
    // decision ids continue after the restored sequence
    expect(new Set(t.intake.decisions(100).map(d => d.id)).size).toBe(t.intake.decisions(100).length)
    // the restored warning can still be corroborated
    // (by what it claimed: the source it named; its context alone does not credit it)
    expect(t.intake.corroborate({ community: 'shop', context: 'GET /z', parameter: 'id' }).credited).toEqual([])
    expect(t.intake.corroborate({ community: 'shop', context: 'GET /z', source: '192.0.2.200' }).credited.map(c => c.origin).sort()).toEqual(['alice', 'bob'])
    let err: unknown
    try { t.intake.restore({ version: 1, seq: -1, warnings: [], votes: [], blocked: [], decisions: [] }) } catch (e) { err = e }
    expect(err).toMatchObject({ code: 'IMMUNE_ERR_REPUTATION_SNAPSHOT', details: { part: 'intake', field: 'seq' } })
  })

  it('runs without a mesh (the simulator): synchronous handleAlert, subscribers from a callback', () => {
    const clock = createManualClock(T0)
    const reputation = new ReputationTable({ maxEventsPerPeer: 0 })
    const intake = createAlertIntake({
      clock,
      peerId: 'n0',
      reputation,
      vetSignature: tokenVetter([]),
      adoptSignature: () => {},
      raiseSensitivity: () => {},
      blockSource: () => {},
      subscribers: () => ['n1', 'n2', 'n3']
    }, { maxDecisions: 0 })
    const rec = intake.handleAlert(toEvent(makeAlert({ origin: 'n1', signatures: [makeSignature('q', ['x'])] }), clock.now()))
    expect(rec).not.toBeInstanceOf(Promise)
    expect((rec as AlertDecisionRecord).outcome).toBe('accepted')
    expect(intake.decisions()).toEqual([])
    intake.handleAlert(toEvent(makeAlert({ origin: 'n2' }), clock.now()))
    clock.advance(2 * MIN)
    const closed = intake.tick()
    expect(closed[0]).toMatchObject({ confirmedBy: 'quorum', counted: expect.arrayContaining(['n1', 'n2', 'n3']) })
  })

  it('validates its params', () => {
    expect(() => createAlertIntakeParams({ sourceMinOrigins: 1 })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS', details: expect.objectContaining({ field: 'intake.sourceMinOrigins' }) }))
    expect(() => createAlertIntakeParams({ maxSensitivityFactor: 0.5 })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
    expect(() => createAlertIntakeParams({ selfish: { alpha: 2 } })).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'selfish.alpha' }) }))
  })

  it('applicationScoreFn reads the clock at every call', () => {
    const clock = createManualClock(T0)
    const table = new ReputationTable()
    table.record('p', 'R1', 10, clock.now())
    const fn = applicationScoreFn(table, clock)
    const a = fn('p')
    clock.advance(30 * 86_400_000)
    expect(fn('p')).toBeLessThan(a)
    expect(fn('p')).toBeGreaterThan(0)
    expect(applicationScoreFn(table, T0)('p')).toBe(a)
  })
})
