import { describe, expect, it } from 'vitest'
import { ReputationTable } from '../../../protocol/reputation/index.js'

const T0 = 1_700_000_000_000

describe('ReputationTable', () => {
  it('unknown peers read as newcomers and are not stored', () => {
    const t = new ReputationTable()
    const rep = t.get('stranger', T0)
    expect(rep.value).toBe(0.5)
    expect(rep.weight).toBe(0)
    expect(t.size).toBe(0)
    expect(t.explain('stranger', T0)).toMatchObject({ known: false, events: [] })
  })

  it('explain() lists the recent evidence, oldest first, bounded per peer', () => {
    const t = new ReputationTable({ maxEventsPerPeer: 3 })
    for (let i = 0; i < 5; i++) t.record('p', i % 2 === 0 ? 'R1' : 'R4', 1, T0 + i, `event ${i}`)
    const ex = t.explain('p', T0 + 10)
    expect(ex.known).toBe(true)
    expect(ex.events.map(e => e.note)).toEqual(['event 2', 'event 3', 'event 4'])
    expect(ex.events.map(e => e.term)).toEqual(['R1', 'R4', 'R1'])
    expect(ex.reputation.breakdown.R1).toBeCloseTo(3, 6)
    expect(ex.firstSeenMs).toBe(T0)
    // the simulator switches the ring off
    const quiet = new ReputationTable({ maxEventsPerPeer: 0 })
    quiet.record('p', 'R1', 1, T0, 'x')
    expect(quiet.explain('p', T0).events).toEqual([])
  })

  it('rejects unknown terms and bad amounts', () => {
    const t = new ReputationTable()
    expect(() => t.record('p', 'R9' as 'R1', 1, T0)).toThrow(RangeError)
    expect(() => t.record('p', 'R1', -1, T0)).toThrow(RangeError)
    expect(() => t.record('p', 'R1', Number.NaN, T0)).toThrow(RangeError)
  })

  it('toJSON/restore round-trips through JSON and keeps decaying from the stored time', () => {
    const t = new ReputationTable()
    t.record('good', 'R1', 12, T0, 'corroborated')
    t.record('liar', 'R2', 3, T0, 'poison')
    t.record('mixed', 'R1', 2, T0)
    t.record('mixed', 'R3', 1, T0 + 1000)
    const json = JSON.parse(JSON.stringify(t.toJSON())) as unknown
    const u = new ReputationTable()
    u.restore(json)
    const later = T0 + 3 * 86_400_000
    for (const id of ['good', 'liar', 'mixed']) {
      expect(u.get(id, later)).toEqual(t.get(id, later))
    }
    expect(u.isBlacklisted('liar', later)).toBe(true)
    expect(u.explain('good', later).events[0]).toMatchObject({ term: 'R1', amount: 12, note: 'corroborated' })
  })

  it('restore() refuses a bad snapshot with IMMUNE_ERR_REPUTATION_SNAPSHOT and leaves the table untouched', () => {
    const t = new ReputationTable()
    t.record('keep', 'R1', 1, T0)
    const bads: unknown[] = [
      null,
      { version: 2, peers: [] },
      { version: 1, peers: [{ id: 'x', counts: [-1], lastUpdateMs: 0, firstSeenMs: 0, blacklisted: false }] },
      { version: 1, peers: [{ id: 'x', counts: [1], lastUpdateMs: 0, firstSeenMs: 0, blacklisted: 'no' }] },
      { version: 1, peers: [{ id: 'x', counts: [], lastUpdateMs: 0, firstSeenMs: 0, blacklisted: false }, { id: 'x', counts: [], lastUpdateMs: 0, firstSeenMs: 0, blacklisted: false }] }
    ]
    for (const b of bads) {
      let err: unknown
      try { t.restore(b) } catch (e) { err = e }
      expect(err).toMatchObject({ code: 'IMMUNE_ERR_REPUTATION_SNAPSHOT', details: { part: 'reputation' } })
    }
    expect(t.has('keep')).toBe(true)
  })

  it('stays within maxPeers, evicting the least informative of the least recently used', () => {
    const t = new ReputationTable({ maxPeers: 4, evictionScan: 4 })
    t.record('rich', 'R1', 10, T0)
    t.record('poor', 'R4', 1, T0) // 0.5 units
    t.record('mid', 'R1', 3, T0)
    t.record('mid2', 'R1', 2, T0)
    t.record('new', 'R1', 1, T0 + 1)
    expect(t.size).toBe(4)
    expect(t.has('poor')).toBe(false)
    expect(t.has('rich')).toBe(true)
  })

  it('a sybil flood cannot push a blacklisted liar out of memory', () => {
    const t = new ReputationTable({ maxPeers: 50 })
    t.record('liar', 'R2', 2, T0)
    expect(t.isBlacklisted('liar', T0)).toBe(true)
    for (let i = 0; i < 1000; i++) t.record(`sybil-${i}`, 'R4', 1, T0 + i)
    expect(t.size).toBe(50)
    expect(t.isBlacklisted('liar', T0 + 1000)).toBe(true)
    expect(t.blacklisted(T0 + 1000)).toEqual(['liar'])
  })
})
