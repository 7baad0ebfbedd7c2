import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { InvalidParamsError, SignaturesNotStartedError } from '../../../node/errors.js'
import type { HttpObservation } from '../../../node/observation.js'
import { createReservoir, RESERVOIR_SUBLEVEL } from '../../../node/signatures/reservoir.js'
import type { ReservoirParams } from '../../../node/signatures/reservoir.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'

let dir: string
let stores: Store[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'immune-reservoir-'))
  stores = []
})

afterEach(async () => {
  for (const s of stores) await s.close()
  rmSync(dir, { recursive: true, force: true })
})

async function openStore (): Promise<Store> {
  const s = createStore({ dataDir: dir })
  await s.open()
  stores.push(s)
  return s
}

const obs = (i: number, extra = ''): HttpObservation => ({
  kind: 'http', time: 1_700_000_000_000 + i, method: 'GET', path: '/shop/item.jsp', query: `id=${i}${extra}`, body: '', headers: { 'user-agent': 'x' }, source: '10.0.0.1'
})
const idOf = (o: HttpObservation): number => Number(/id=(\d+)/.exec(o.query)?.[1])

describe('reservoir', () => {
  it('is bounded per context and keeps the most recent observations plus a uniform long-term sample', async () => {
    const store = await openStore()
    const clock = createManualClock()
    const params: Partial<ReservoirParams> = { recentPerContext: 10, longTermPerContext: 100, seed: 1 }
    const r = createReservoir({ store, clock }, params)
    await r.start()
    for (let i = 1; i <= 10_000; i++) r.add('ctx', obs(i))
    const values = r.values('ctx')
    expect(values.length).toBeLessThanOrEqual(110)
    expect(values.length).toBeGreaterThanOrEqual(100)
    expect(r.size).toBe(values.length)
    expect(r.seen('ctx')).toBe(10_000)
    // the ring: the last ten, newest first
    expect(values.slice(0, 10).map(idOf)).toEqual([10_000, 9999, 9998, 9997, 9996, 9995, 9994, 9993, 9992, 9991])
    // algorithm R: the long-term part is spread over the whole history (a ring or a biased sampler would not be)
    const longTerm = values.slice(10).map(idOf)
    const mean = longTerm.reduce((a, b) => a + b, 0) / longTerm.length
    expect(mean).toBeGreaterThan(3500)
    expect(mean).toBeLessThan(6500)
    expect(longTerm.filter((i) => i <= 5000).length).toBeGreaterThan(25)
    // stored trimmed: no headers or source address
    expect(values[0].headers).toEqual({})
    expect(values[0].source).toBeUndefined()
    await r.stop()
  })

  it('bounds the number of contexts, dropping the one with the oldest addition', async () => {
    const store = await openStore()
    const clock = createManualClock()
    const r = createReservoir({ store, clock }, { maxContexts: 3, recentPerContext: 5, longTermPerContext: 5 })
    await r.start()
    for (const c of ['a', 'b', 'c']) { r.add(c, obs(1)); clock.advance(10) }
    r.add('a', obs(2)) // 'a' is now the most recent
    clock.advance(10)
    r.add('d', obs(3))
    expect(r.contexts().sort()).toEqual(['a', 'c', 'd'])
    expect(r.values('b')).toEqual([])
    await r.stop()
    await r.stop() // idempotent
  })

  it('trims large observations to maxStoredChars, body first', async () => {
    const store = await openStore()
    const r = createReservoir({ store, clock: createManualClock() }, { maxStoredChars: 40 })
    await r.start()
    r.add('ctx', { ...obs(1), body: 'x='.padEnd(100, 'y') })
    const [kept] = r.values('ctx')
    expect(kept.path.length + kept.query.length + kept.body.length).toBe(40)
    expect(kept.query).toBe('id=1')
    await r.stop()
  })

  it('survives a real level close and reopen, and keeps counting where it stopped', async () => {
    const clock = createManualClock()
    const params: Partial<ReservoirParams> = { recentPerContext: 20, longTermPerContext: 30, maxContexts: 2, seed: 'persist' }
    let store = await openStore()
    let r = createReservoir({ store, clock }, params)
    await r.start()
    for (let i = 1; i <= 500; i++) r.add('GET /a', obs(i))
    clock.advance(10)
    for (let i = 1; i <= 7; i++) r.add('POST /b', obs(i, '&n=%27x'))
    clock.advance(10)
    r.add('GET /c', obs(1)) // maxContexts 2: evicts 'GET /a', the context with the oldest addition
    const before = { contexts: r.contexts().sort(), b: r.values('POST /b'), c: r.values('GET /c'), seenB: r.seen('POST /b') }
    expect(before.contexts).toEqual(['GET /c', 'POST /b'])
    await r.stop()
    await store.close()

    store = await openStore()
    r = createReservoir({ store, clock }, params)
    expect(() => { r.add('x', obs(1)) }).toThrow(SignaturesNotStartedError)
    await r.start()
    await r.start() // idempotent
    expect(r.contexts().sort()).toEqual(before.contexts)
    expect(r.values('POST /b')).toEqual(before.b)
    expect(r.values('GET /c')).toEqual(before.c)
    expect(r.values('GET /a')).toEqual([])
    expect(r.seen('POST /b')).toBe(before.seenB)
    // no evicted or stale keys left behind in the sublevel
    const keys = await store.sub(RESERVOIR_SUBLEVEL).keys().all()
    expect(keys.some((k) => k.includes(encodeURIComponent('GET /a')))).toBe(false)
    for (let i = 8; i <= 100; i++) r.add('POST /b', obs(i))
    expect(r.seen('POST /b')).toBe(100)
    expect(r.values('POST /b').length).toBeLessThanOrEqual(50)
    expect(new Set(r.values('POST /b')).size).toBe(r.values('POST /b').length)
    await r.stop()
    await store.close()

    // reopened with smaller bounds: the restored sample shrinks to fit
    store = await openStore()
    r = createReservoir({ store, clock }, { ...params, recentPerContext: 5, longTermPerContext: 5 })
    await r.start()
    expect(r.values('POST /b').length).toBeLessThanOrEqual(10)
    expect(r.values('POST /b').length).toBeGreaterThan(0)
    await r.stop()
  })

  it('flushes pending additions on its interval', async () => {
    const store = await openStore()
    const clock = createManualClock()
    const r = createReservoir({ store, clock }, { flushIntervalMs: 1000 })
    await r.start()
    r.add('ctx', obs(1))
    const sub = store.sub(RESERVOIR_SUBLEVEL)
    expect(await sub.keys().all()).toEqual([])
    clock.advance(1000)
    let keys: string[] = []
    for (let i = 0; i < 100 && keys.length === 0; i++) {
      await new Promise((resolve) => setImmediate(resolve))
      keys = await sub.keys().all()
    }
    expect(keys.filter((k) => k.startsWith('r|') || k.startsWith('l|'))).toHaveLength(2)
    await r.stop()
    expect(clock.pending()).toBe(0)
  })

  it('validates its params', () => {
    try {
      createReservoir({ store: {} as unknown as Store, clock: createManualClock() }, { recentPerContext: -1 })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidParamsError)
      expect((err as InvalidParamsError).code).toBe('IMMUNE_ERR_INVALID_PARAMS')
    }
  })
})
