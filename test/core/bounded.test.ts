import { describe, expect, it } from 'vitest'
import { boundedAdd, boundedSet, evictOldest, makeRoomForOrigin } from '../../core/index.js'

describe('bounded collections', () => {
  it('evictOldest drops the first-inserted keys until the budget holds', () => {
    const m = new Map([['a', 1], ['b', 2], ['c', 3], ['d', 4]])
    expect(evictOldest(m, 2)).toBe(2)
    expect([...m.keys()]).toEqual(['c', 'd'])
    expect(evictOldest(m, 5)).toBe(0)
    const s = new Set([1, 2, 3])
    evictOldest(s, 0)
    expect(s.size).toBe(0)
  })

  it('boundedSet refreshes a key to most recent before evicting', () => {
    const m = new Map<string, number>()
    boundedSet(m, 'a', 1, 2)
    boundedSet(m, 'b', 2, 2)
    boundedSet(m, 'a', 3, 2) // a is now the most recent
    boundedSet(m, 'c', 4, 2) // b is the oldest
    expect([...m.entries()]).toEqual([['a', 3], ['c', 4]])
  })

  it('boundedAdd keeps a set under its budget in recency order', () => {
    const s = new Set<string>()
    for (const v of ['x', 'y', 'x', 'z']) boundedAdd(s, v, 2)
    expect([...s]).toEqual(['x', 'z'])
  })

  it('makeRoomForOrigin evicts the weakest origin at capacity, never a known one', () => {
    const m = new Map([['strong', 1], ['weak', 2]])
    const weight: Record<string, number> = { strong: 0.9, weak: 0.1 }
    makeRoomForOrigin(m, 'strong', 2, o => weight[o] ?? 0)
    expect(m.size).toBe(2)
    makeRoomForOrigin(m, 'new', 2, o => weight[o] ?? 0)
    expect([...m.keys()]).toEqual(['strong'])
  })
})
