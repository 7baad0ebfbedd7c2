import { describe, expect, it } from 'vitest'
import { createPrng, deriveSeed } from '../../../core/prng.js'
import { createThreatLevel } from '../../../node/respond/threat-level.js'
import { Engine, SIM_EPOCH_MS } from '../../../sim/engine/engine.js'
import { hash01, hash3 } from '../../../sim/engine/hash.js'
import { LogHistogram } from '../../../sim/engine/log-histogram.js'

describe('Engine and its virtual clock', () => {
  it('fires timeouts and intervals in virtual time order, and clears them', () => {
    const e = new Engine()
    const log: string[] = []
    e.clock.setTimeout(() => { log.push(`t300@${e.now}`) }, 300)
    const iv = e.clock.setInterval(() => { log.push(`i@${e.now}`) }, 100)
    const gone = e.clock.setTimeout(() => { log.push('never') }, 150)
    e.clock.clearTimeout(gone)
    e.clock.setTimeout(() => { e.clock.clearInterval(iv) }, 350)
    const handled: number[] = []
    e.at(250, 5, 42)
    e.runUntil(1000, { handle: (kind, a) => { handled.push(kind, a) } })
    // at t = 300 the timeout (scheduled first) fires before the interval's re-arm (scheduled at t = 200)
    expect(log).toEqual(['i@100', 'i@200', 't300@300', 'i@300'])
    expect(handled).toEqual([5, 42])
    expect(e.now).toBe(1000)
    expect(e.clock.now()).toBe(SIM_EPOCH_MS + 1000)
    expect(e.pendingTimers()).toBe(0)
  })

  it('refuses to schedule into the past', () => {
    const e = new Engine()
    e.runUntil(100, { handle: () => {} })
    expect(() => { e.at(50, 1) }).toThrow(/past/)
  })

  it('runs the node\'s threat level on virtual time: it decays by itself', () => {
    const e = new Engine()
    const threat = createThreatLevel({ clock: e.clock })
    const changes: number[] = []
    threat.onChange((l) => { changes.push(l) })
    expect(threat.raise({ level: 2, durationMs: 60_000, origin: 'local', reason: 'test' })).toBe(2)
    expect(threat.raise({ level: 2, durationMs: 1_000, origin: 'remote', reason: 'peers' })).toBe(2)
    e.runUntil(59_999, { handle: () => {} })
    expect(threat.level()).toBe(2)
    e.runUntil(60_001, { handle: () => {} })
    expect(threat.level()).toBe(0)
    expect(changes).toEqual([2, 0])
    threat.stop()
  })
})

describe('seeded randomness', () => {
  it('the same seed gives the same streams; labels and seeds separate them', () => {
    const a = createPrng(deriveSeed(7, 'run'))
    const b = createPrng(deriveSeed(7, 'run'))
    const c = createPrng(deriveSeed(7, 'overlay'))
    const xa = Array.from({ length: 50 }, () => a.nextUint32())
    expect(Array.from({ length: 50 }, () => b.nextUint32())).toEqual(xa)
    expect(Array.from({ length: 50 }, () => c.nextUint32())).not.toEqual(xa)
  })

  it('hash01 is stateless, uniform enough and seed dependent', () => {
    expect(hash01(1, 2, 3)).toBe(hash01(1, 2, 3))
    expect(hash3(1, 2, 3)).not.toBe(hash3(2, 2, 3))
    let below = 0
    for (let i = 0; i < 20_000; i++) if (hash01(5, i, 77) < 0.3) below++
    expect(below / 20_000).toBeGreaterThan(0.28)
    expect(below / 20_000).toBeLessThan(0.32)
  })
})

describe('LogHistogram', () => {
  it('gives quantiles within its bin width', () => {
    const h = new LogHistogram()
    for (let i = 1; i <= 1000; i++) h.add(i)
    expect(h.quantile(0.5)).toBeGreaterThan(490)
    expect(h.quantile(0.5)).toBeLessThan(510)
    expect(h.quantile(0.99)).toBeGreaterThan(975)
    expect(h.quantile(0.99)).toBeLessThan(1005)
    expect(new LogHistogram().quantile(0.5)).toBeNaN()
  })
})
