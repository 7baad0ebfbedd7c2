import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../core/prng.js'
import { EventHeap } from '../../../sim/engine/event-heap.js'
import { SimEngineError } from '../../../sim/errors.js'

function drain (h: EventHeap): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = []
  while (h.pop()) out.push([h.time, h.kind, h.a])
  return out
}

describe('EventHeap', () => {
  it('pops in time order, growing past its initial capacity', () => {
    const h = new EventHeap(16)
    const rng = createPrng(1)
    const times: number[] = []
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor(rng.next() * 1000) / 10
      times.push(t)
      h.push(t, 1, i, 0, 0)
    }
    expect(h.size).toBe(5000)
    const got = drain(h).map(e => e[0])
    expect(got).toEqual([...times].sort((a, b) => a - b))
    expect(h.size).toBe(0)
    expect(h.pop()).toBe(false)
  })

  it('breaks ties by insertion order, whatever the heap layout', () => {
    const h = new EventHeap(16)
    // interleave many equal times with others so sifting moves them around
    for (let i = 0; i < 300; i++) {
      h.push(5, 2, i, 0, 0)
      h.push(10 - (i % 7), 3, i, 0, 0)
    }
    const fives = drain(h).filter(e => e[0] === 5 && e[1] === 2).map(e => e[2])
    expect(fives).toEqual(Array.from({ length: 300 }, (_, i) => i))
  })

  it('interleaved push/pop reuses slots and keeps the order; payloads come back intact', () => {
    const h = new EventHeap(16)
    const rng = createPrng(9)
    let now = 0
    const seen: number[] = []
    for (let i = 0; i < 2000; i++) {
      h.push(now + rng.next() * 10, 7, i, -i, i * 2)
      if (i % 3 === 0 && h.pop()) {
        expect(h.time).toBeGreaterThanOrEqual(now)
        now = h.time
        expect(h.b + h.a).toBe(0)
        expect(h.c).toBe(h.a * 2)
        seen.push(h.a)
      }
    }
    let last = now
    while (h.pop()) { expect(h.time).toBeGreaterThanOrEqual(last); last = h.time; seen.push(h.a) }
    expect(new Set(seen).size).toBe(2000)
  })

  it('refuses a NaN time with IMMUNE_ERR_SIM_ENGINE', () => {
    const h = new EventHeap()
    let err: unknown
    try { h.push(Number.NaN, 1, 0, 0, 0) } catch (e) { err = e }
    expect(err).toBeInstanceOf(SimEngineError)
    expect((err as SimEngineError).code).toBe('IMMUNE_ERR_SIM_ENGINE')
  })
})
