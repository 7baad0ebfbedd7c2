import { describe, expect, it } from 'vitest'
import { createManualClock } from '../../core/clock.js'

describe('manual clock', () => {
  it('fires timers in time order and repeats intervals', () => {
    const clock = createManualClock(1000)
    const fired: string[] = []
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20)
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10)
    const iv = clock.setInterval(() => fired.push(`i@${clock.now()}`), 15)
    clock.advance(31)
    expect(fired).toEqual(['a@1010', 'i@1015', 'b@1020', 'i@1030'])
    expect(clock.now()).toBe(1031)
    clock.clearInterval(iv)
    clock.advance(100)
    expect(fired).toHaveLength(4)
    expect(clock.pending()).toBe(0)
  })

  it('refuses to go backwards', () => {
    const clock = createManualClock(1000)
    expect(() => { clock.set(999) }).toThrow(RangeError)
  })
})
