import { describe, expect, it } from 'vitest'
import { KnownClients, createKnownClientsParams } from '../../../node/intake/index.js'

describe('known normal clients', () => {
  it('needs minObservations normal requests over minSpanMs; its own level 2 ends the status for offenceMemoryMs', () => {
    const k = new KnownClients({ minObservations: 3, minSpanMs: 1000, offenceMemoryMs: 5000 })
    k.normal('a', 0)
    k.normal('a', 500)
    expect(k.isKnownNormal('a', 999)).toBe(false)
    k.normal('a', 1000)
    expect(k.isKnownNormal('a', 1000)).toBe(true)
    expect(k.isKnownNormal('unknown', 1000)).toBe(false)
    k.offence('a', 2000)
    for (let t = 2001; t < 2010; t++) k.normal('a', t)
    expect(k.isKnownNormal('a', 6000)).toBe(false)
    expect(k.isKnownNormal('a', 7001)).toBe(true)
  })

  it('is bounded and validates its params naming the field', () => {
    const k = new KnownClients({ maxClients: 10 })
    for (let i = 0; i < 100; i++) k.normal(`10.0.0.${i}`, i)
    expect(k.size).toBe(10)
    expect(() => createKnownClientsParams({ minObservations: 0 })).toThrow(/knownClients\.minObservations/)
    expect(() => createKnownClientsParams({ minSpanMs: Number.NaN })).toThrow(/knownClients\.minSpanMs/)
  })
})
