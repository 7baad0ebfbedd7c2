/**
 * Per-origin rate limit of the alert mesh (protocol/mesh/origin-rate.ts):
 * the bucket itself, and on real libp2p nodes on 127.0.0.1 a fresh peer that
 * floods valid alerts (its own publishes are not limited: the mesh limits
 * what it receives) is cut off after its burst and graylisted, while an
 * honest relay that forwarded the burst pays nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { OriginRateLimiter, createOriginRateParams } from '../../../protocol/mesh/origin-rate.js'
import { defaultMeshScoreParams } from '../../../protocol/mesh/score-params.js'
import { COMMUNITY, draft, startNode, stopAll, waitFor } from './helpers.js'
import type { AlertEvent, RejectEvent } from '../../../protocol/mesh/mesh.js'

describe('origin rate limiter', () => {
  it('lets a burst through, then perSec, per origin', () => {
    const r = new OriginRateLimiter({ burst: 3, perSec: 2 })
    const t = 1_000_000
    expect([1, 2, 3, 4].map(() => r.take('a', t))).toEqual([true, true, true, false])
    expect(r.take('b', t)).toBe(true)
    expect(r.take('a', t + 499)).toBe(false)
    expect(r.take('a', t + 500)).toBe(true)
    expect(r.take('a', t + 500)).toBe(false)
    // refills up to the burst, not beyond
    expect([1, 2, 3, 4].map(() => r.take('a', t + 60_000))).toEqual([true, true, true, false])
    expect(r.stats().limited).toBe(4)
  })

  it('is bounded in origins and validates its params naming the field', () => {
    const r = new OriginRateLimiter({ burst: 1, perSec: 1, maxOrigins: 100 })
    for (let i = 0; i < 1000; i++) r.take(`o${i}`, 0)
    expect(r.stats().origins).toBe(100)
    expect(() => createOriginRateParams({ burst: 0 })).toThrow(/originRate\.burst/)
    expect(() => createOriginRateParams({ perSec: Number.NaN })).toThrow(/originRate\.perSec/)
    expect(() => createOriginRateParams({ maxOrigins: 1.5 })).toThrow(/originRate\.maxOrigins/)
  })
})

describe('origin rate limit on the mesh', () => {
  const nodes: Array<{ stop: () => Promise<void> }> = []
  afterEach(async () => { await stopAll(nodes) })

  it('a fresh peer flooding valid alerts is rejected beyond its burst (over-rate) and graylisted; a relay that forwarded its burst is not blamed', async () => {
    const limit = { burst: 5, perSec: 0.5 }
    const victim = await startNode({ originRate: limit })
    nodes.push(victim)
    const relay = await startNode({ originRate: limit, bootstrap: victim.addresses() })
    nodes.push(relay)
    const flooder = await startNode({ bootstrap: victim.addresses() })
    nodes.push(flooder)
    await flooder.connect(relay.addresses()[0])
    expect(await waitFor(() => victim.meshPeers(COMMUNITY).includes(flooder.peerId) && victim.meshPeers(COMMUNITY).includes(relay.peerId) &&
      relay.meshPeers(COMMUNITY).includes(flooder.peerId) && flooder.meshPeers(COMMUNITY).length >= 2)).toBe(true)
    const rejects: RejectEvent[] = []
    victim.onReject((e) => rejects.push(e))
    const delivered: AlertEvent[] = []
    victim.onAlert((e) => delivered.push(e))

    for (let i = 0; i < 40; i++) await flooder.publish(draft(COMMUNITY, i))
    expect(await waitFor(() => victim.score(flooder.peerId) < defaultMeshScoreParams.graylistThreshold)).toBe(true)
    const overRate = rejects.filter((e) => e.code === 'over-rate')
    expect(overRate.length).toBeGreaterThanOrEqual(4)
    expect(overRate.every((e) => e.action === 'reject' && e.from === flooder.peerId && e.origin === flooder.peerId)).toBe(true)
    // the burst got through, nothing beyond it, once each
    expect(delivered.filter((e) => e.alert.origin === flooder.peerId).length).toBe(limit.burst)
    // the relay forwarded at most its own burst: ignored at the victim, never rejected
    expect(rejects.some((e) => e.from === relay.peerId && e.action === 'reject')).toBe(false)
    expect(victim.score(relay.peerId)).toBeGreaterThanOrEqual(0)
    // the relay judged the flooder the same way
    expect(await waitFor(() => relay.score(flooder.peerId) < defaultMeshScoreParams.graylistThreshold)).toBe(true)

    // honest alerts of others still flow, the relay's own included
    const before = delivered.length
    await relay.publish(draft(COMMUNITY, 100))
    expect(await waitFor(() => delivered.length === before + 1)).toBe(true)
  })
})
