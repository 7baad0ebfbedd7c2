import { describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { createAlertPublisher, createAlertPublisherParams } from '../../../node/intake/index.js'
import type { LocalDanger } from '../../../node/intake/index.js'
import { createFakeMesh, makeSignature } from './fake-mesh.js'

const T0 = 1_700_000_000_000

function danger (over: Partial<LocalDanger> = {}): LocalDanger {
  return { community: 'shop', level: 2, context: 'GET /item', parameter: 'id', score: 12, reasons: [{ parameter: 'id', feature: 'unseen-3grams', surprise: 9.5 }], ...over }
}

describe('alert publisher', () => {
  it('publishes a signature alert for a level-2 danger with a signature, with the source when known', async () => {
    const clock = createManualClock(T0)
    const mesh = createFakeMesh('self', () => clock.now())
    const pub = createAlertPublisher({ clock, mesh })
    const sig = makeSignature('s1', ['union', 'select'])
    const out = await pub.onDanger(danger({ signature: sig, source: '203.0.113.5' }))
    expect(out).toMatchObject({ published: true, reason: 'publish' })
    expect(out.event?.alert.origin).toBe('self')
    expect(mesh.published).toHaveLength(1)
    expect(mesh.published[0]).toMatchObject({
      community: 'shop',
      kind: 'signature',
      danger: 2,
      signatures: [sig],
      sources: [{ address: '203.0.113.5', ttlSec: 3600 }],
      seen: { context: 'GET /item', parameter: 'id', score: 12 }
    })
  })

  it('does not share below the minimum level', () => {
    const clock = createManualClock(T0)
    const pub = createAlertPublisher({ clock })
    expect(pub.decide(danger({ level: 1, signature: makeSignature('s', ['x']) })).reason).toBe('below-level')
    expect(createAlertPublisher({ clock }, { minLevel: 1 }).decide(danger({ level: 1 })).reason).toBe('publish')
  })

  it('a source alone gives a source alert; a bare anomaly gives an anomaly alert', () => {
    const clock = createManualClock(T0)
    const pub = createAlertPublisher({ clock })
    expect(pub.decide(danger({ context: 'a', source: '192.0.2.1' })).draft).toMatchObject({ kind: 'source', sources: [{ address: '192.0.2.1' }], signatures: [] })
    expect(pub.decide(danger({ context: 'b' })).draft).toMatchObject({ kind: 'anomaly', sources: [], signatures: [] })
    expect(createAlertPublisher({ clock }, { publishAnomalies: false }).decide(danger({ context: 'b' })).reason).toBe('nothing-new')
  })

  it('rate-limits per context: repeats are suppressed, something new goes out at once', () => {
    const clock = createManualClock(T0)
    const pub = createAlertPublisher({ clock }, { contextIntervalMs: 30_000 })
    const s1 = makeSignature('s1', ['union'])
    expect(pub.decide(danger({ signature: s1 })).reason).toBe('publish')
    // an attack burst: the same signature 100 times
    for (let i = 0; i < 100; i++) expect(pub.decide(danger({ signature: s1 })).reason).toBe('rate-limited')
    // a new signature for that context is news
    expect(pub.decide(danger({ signature: makeSignature('s2', ['sleep(']) })).draft?.kind).toBe('signature')
    // a new source too
    expect(pub.decide(danger({ source: '192.0.2.8' })).draft?.kind).toBe('source')
    expect(pub.decide(danger({ source: '192.0.2.8' })).reason).toBe('rate-limited')
    // another context is independent
    expect(pub.decide(danger({ context: 'POST /login', signature: s1 })).reason).toBe('publish')
    clock.advance(30_000)
    expect(pub.decide(danger({ signature: s1 })).draft?.kind).toBe('anomaly')
    expect(pub.stats()).toEqual({ published: 5, suppressed: 101, withheldSources: 0 })
  })

  it('a global budget stops storms across many contexts, and refills with time', () => {
    const clock = createManualClock(T0)
    const pub = createAlertPublisher({ clock }, { maxPerMinute: 5 })
    const reasons = Array.from({ length: 8 }, (_, i) => pub.decide(danger({ context: `ctx-${i}` })).reason)
    expect(reasons.filter(r => r === 'publish')).toHaveLength(5)
    expect(reasons.slice(5)).toEqual(['budget-exhausted', 'budget-exhausted', 'budget-exhausted'])
    clock.advance(12_000) // one token back
    expect(pub.decide(danger({ context: 'ctx-9' })).reason).toBe('publish')
    expect(pub.decide(danger({ context: 'ctx-10' })).reason).toBe('budget-exhausted')
  })

  it('a publish failure comes back in the outcome', async () => {
    const clock = createManualClock(T0)
    const pub = createAlertPublisher({ clock, mesh: { publish: async () => { throw new Error('no peers') } } })
    const out = await pub.onDanger(danger())
    expect(out.published).toBe(false)
    expect((out.error as Error).message).toBe('no peers')
  })

  it('validates its params', () => {
    expect(() => createAlertPublisherParams({ minLevel: 3 as 2 })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
    expect(() => createAlertPublisherParams({ ttlSec: 0 })).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'publisher.ttlSec' }) }))
  })
})
