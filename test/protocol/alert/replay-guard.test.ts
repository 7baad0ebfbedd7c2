import { describe, expect, it } from 'vitest'
import { InvalidParamsError, ReplayStateError } from '../../../protocol/errors.js'
import { ReplayGuard } from '../../../protocol/alert/index.js'

const key = (origin: string, seq: bigint, id?: string): { id: string, origin: string, seq: bigint } =>
  ({ origin, seq, id: id ?? `${origin}-${seq}` })

describe('ReplayGuard', () => {
  it('check is pure: checking never changes the answer', () => {
    const g = new ReplayGuard()
    const k = key('A', 5n)
    expect(g.check(k)).toBe('ok')
    expect(g.check(k)).toBe('ok')
    expect(g.size).toEqual({ ids: 0, origins: 0 })
    g.record(k)
    expect(g.check(k)).toBe('duplicate')
    expect(g.check(key('A', 5n, 'other-id'))).toBe('replay')
  })

  it('keeps a sliding window per origin, like IPsec anti-replay', () => {
    const g = new ReplayGuard({ windowSize: 8 })
    g.record(key('A', 100n))
    // far jump ahead: window restarts, old bits gone, but everything at or below 100-8 is too old
    g.record(key('A', 200n))
    expect(g.check(key('A', 100n, 'x'))).toBe('replay')
    expect(g.check(key('A', 193n, 'x'))).toBe('ok')
    expect(g.check(key('A', 192n, 'x'))).toBe('replay')
    g.record(key('A', 195n))
    g.record(key('A', 201n)) // shifts by one: 195 is now 6 back
    expect(g.check(key('A', 195n, 'y'))).toBe('replay')
    expect(g.check(key('A', 196n, 'y'))).toBe('ok')
    expect(g.check(key('A', 194n, 'y'))).toBe('ok') // 7 back: the oldest slot of an 8-wide window
    expect(g.check(key('A', 193n, 'y'))).toBe('replay') // 8 back: outside
    // other origins are independent
    expect(g.check(key('B', 1n))).toBe('ok')
    // recording a seq below the window only remembers its id
    g.record(key('A', 3n, 'late'))
    expect(g.check(key('A', 3n, 'late'))).toBe('duplicate')
  })

  it('accepts every permutation of a reordered burst exactly once', () => {
    const g = new ReplayGuard()
    const order = [7n, 3n, 9n, 1n, 2n, 8n, 4n, 6n, 5n, 10n]
    for (const seq of order) {
      expect(g.check(key('A', seq, `n${seq}`))).toBe('ok')
      g.record(key('A', seq, `n${seq}`))
    }
    for (const seq of order) expect(g.check(key('A', seq, `again${seq}`))).toBe('replay')
  })

  it('is bounded: ids and origins are LRU-evicted', () => {
    const g = new ReplayGuard({ maxIds: 100, maxOrigins: 10 })
    for (let i = 0; i < 1000; i++) g.record(key(`O${i % 50}`, BigInt(i)))
    expect(g.size).toEqual({ ids: 100, origins: 10 })
    expect(g.check(key('O49', 999n))).toBe('duplicate')
    expect(g.check(key('O0', 0n))).toBe('ok') // forgotten
  })

  it('survives a JSON round trip (persisted by the node) with the same answers', () => {
    const g = new ReplayGuard({ windowSize: 16 })
    for (const seq of [50n, 52n, 55n]) g.record(key('A', seq))
    g.record(key('B', 1n))
    const restored = ReplayGuard.restore(JSON.parse(JSON.stringify(g)), { windowSize: 16 })
    for (const seq of [39n, 40n, 50n, 51n, 52n, 53n, 55n, 56n]) {
      expect(restored.check(key('A', seq, `fresh${seq}`)), `seq ${seq}`).toBe(g.check(key('A', seq, `fresh${seq}`)))
    }
    expect(restored.check(key('A', 52n))).toBe('duplicate')
    expect(restored.check(key('B', 1n, 'z'))).toBe('replay')
    expect(restored.toJSON()).toEqual(g.toJSON())
  })

  it('refuses a state or params that are not one, with a coded error', () => {
    expect(() => ReplayGuard.restore({ version: 2 })).toThrow(ReplayStateError)
    expect(() => ReplayGuard.restore({ version: 1, ids: [1], origins: [] })).toThrow(ReplayStateError)
    try {
      ReplayGuard.restore({ version: 1, windowSize: 64, ids: [], origins: [{ origin: 'A', highest: '-1', bitmap: '1' }] })
    } catch (err) {
      expect((err as ReplayStateError).code).toBe('IMMUNE_ERR_REPLAY_STATE')
      expect((err as ReplayStateError).details.field).toBe('origins[0]')
    }
    expect(() => new ReplayGuard({ windowSize: 0 })).toThrow(InvalidParamsError)
  })
})
