import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../core/prng.js'
import { Engine } from '../../../sim/engine/engine.js'
import { GossipNetwork } from '../../../sim/network/gossip-network.js'
import type { NetworkHost } from '../../../sim/network/gossip-network.js'
import { createNetworkParams } from '../../../sim/network/network-params.js'
import { Overlay } from '../../../sim/network/overlay.js'
import { SimMeshWorld } from '../../../sim/network/sim-mesh.js'
import type { AlertEvent } from '../../../protocol/mesh/mesh.js'

const params = createNetworkParams()

/** Every link is present on both sides with the same mesh flag and latency; meshCount matches the flags. Returns the problems. */
function asymmetries (o: Overlay): string[] {
  const bad: string[] = []
  for (let i = 0; i < o.n; i++) {
    let mesh = 0
    for (let s = i * o.cap; s < i * o.cap + o.degree[i]; s++) {
      const j = o.peers[s]
      const back = o.slotOf(j, i)
      if (j === i || back < 0 || o.mesh[back] !== o.mesh[s] || o.linkLatencyMs[back] !== o.linkLatencyMs[s]) bad.push(`${i}-${j}`)
      mesh += o.mesh[s]
    }
    if (mesh !== o.meshCount[i]) bad.push(`meshCount ${i}`)
  }
  return bad
}

class Recorder implements NetworkHost {
  got = new Map<number, number>()
  drop = new Set<number>()
  constructor (private readonly engine: Engine) {}
  isLive (): boolean { return true }
  accepts (): boolean { return true }
  relays (h: number): boolean { return !this.drop.has(h) }
  receive (h: number): void { this.got.set(h, (this.got.get(h) ?? 0) + 1); void this.engine }
}

describe('overlay', () => {
  it('random: symmetric links, mesh degrees within [1, Dhi] and around D, deterministic per seed', () => {
    const o = Overlay.random(2000, params, createPrng(3), 11)
    expect(asymmetries(o)).toEqual([])
    const outOfBounds = Array.from(o.meshCount).filter(d => d < 1 || d > params.meshDegreeHigh)
    expect(outOfBounds).toEqual([])
    const st = o.stats()
    expect(st.meanMeshDegree).toBeGreaterThanOrEqual(params.meshDegree)
    expect(st.meanMeshDegree).toBeLessThanOrEqual(params.meshDegreeHigh)
    const again = Overlay.random(2000, params, createPrng(3), 11)
    expect(Buffer.from(again.peers.buffer).equals(Buffer.from(o.peers.buffer))).toBe(true)
  })

  it('repair after nodes leave: neighbours graft back to at least Dlo; banned peers are dropped', () => {
    const o = Overlay.random(500, params, createPrng(5), 1)
    const dead = new Set<number>()
    const touched = new Set<number>()
    for (let i = 0; i < 100; i++) { dead.add(i); o.isolate(i, (j) => { touched.add(j) }) }
    const live = (j: number): boolean => !dead.has(j)
    const banned = (i: number, j: number): boolean => i === 200 && j < 300
    touched.add(200)
    const rng = createPrng(6)
    for (const j of [...touched].sort((a, b) => a - b)) if (live(j)) o.repair(j, rng, live, banned)
    expect(asymmetries(o)).toEqual([])
    for (const j of touched) {
      if (!live(j)) continue
      expect(o.meshCount[j]).toBeGreaterThanOrEqual(params.meshDegreeLow)
      for (let s = j * o.cap; s < j * o.cap + o.degree[j]; s++) expect(dead.has(o.peers[s])).toBe(false)
    }
    for (let s = 200 * o.cap; s < 200 * o.cap + o.degree[200]; s++) expect(o.peers[s]).toBeGreaterThanOrEqual(300)
  })
})

describe('gossip network', () => {
  it('delivers to every node exactly once and counts duplicates and bytes', () => {
    const engine = new Engine()
    const o = Overlay.random(1000, params, createPrng(1), 1)
    const host = new Recorder(engine)
    const net = new GossipNetwork(engine, o, params, createPrng(2), host, { deliver: 1, ihave: 2 })
    net.publish(0)
    let hb = 0
    engine.runUntil(10_000, { handle: (k, a, b, c) => { if (k === 1) net.onDeliver(a, b, c); else if (k === 2) net.onIhave(a, b, c) } })
    for (let t = 1000; t <= 10_000; t += 1000) { net.heartbeat(); hb++ }
    expect(hb).toBe(10)
    expect(host.got.size).toBe(999) // everyone but the origin
    expect([...host.got.values()].every(v => v === 1)).toBe(true)
    expect(net.counters.duplicates).toBeGreaterThan(0)
    expect(net.counters.bytes).toBeGreaterThanOrEqual(net.counters.messages * (params.alertBytes + params.messageOverheadBytes))
    expect(net.activeAlerts()).toBe(0)
  })

  it('lazy gossip (IHAVE/IWANT) reaches nodes whose mesh peers all drop the message', () => {
    // a line of mesh links 0-1-2, plus a gossip-only link 0-3 and mesh 3-2... node 2's only mesh peer (1) drops
    const p = createNetworkParams({ floodPublish: false, lossRate: 0 })
    const o = Overlay.fromEdges(4, p, [{ a: 0, b: 1, mesh: true }, { a: 1, b: 2, mesh: true }, { a: 0, b: 2, mesh: false }, { a: 0, b: 3, mesh: true }])
    const engine = new Engine()
    const host = new Recorder(engine)
    host.drop.add(1)
    const net = new GossipNetwork(engine, o, p, createPrng(4), host, { deliver: 1, ihave: 2 })
    const handler = { handle: (k: number, a: number, b: number, c: number): void => { if (k === 1) net.onDeliver(a, b, c); else if (k === 2) net.onIhave(a, b, c); else if (k === 3) { net.heartbeat(); if (engine.now < 5000) engine.after(p.heartbeatMs, 3) } } }
    engine.after(p.heartbeatMs, 3)
    net.publish(0)
    engine.runUntil(900, handler)
    expect(host.got.has(1)).toBe(true)
    expect(host.got.has(2)).toBe(false) // 1 drops it, 0-2 is not a mesh link
    engine.runUntil(6000, handler)
    expect(host.got.get(2)).toBe(1) // IHAVE from 0 at the heartbeat, then IWANT
    expect(net.counters.gossipRecoveries).toBeGreaterThanOrEqual(1)
  })
})

describe('SimMeshWorld (the Mesh interface on the simulated network)', () => {
  it('publish reaches every subscribed node once, with the origin and a forwarder', async () => {
    const engine = new Engine()
    const o = Overlay.random(50, params, createPrng(8), 2)
    const world = new SimMeshWorld({ engine, overlay: o, params, rng: createPrng(9) })
    const got: AlertEvent[][] = Array.from({ length: 50 }, () => [])
    for (let i = 0; i < 50; i++) {
      const m = world.mesh(i)
      await m.start()
      m.subscribe('app')
      m.onAlert((e) => { got[i].push(e) })
    }
    const sent = await world.mesh(7).publish({ community: 'app', danger: 1, kind: 'anomaly', seen: { context: 'c', parameter: '', score: 1, explanation: '' }, sources: [], signatures: [], ttlSec: 60 })
    world.runUntil(5000)
    expect(got[7]).toHaveLength(0)
    for (let i = 0; i < 50; i++) {
      if (i === 7) continue
      expect(got[i]).toHaveLength(1)
      expect(got[i][0].alert.id).toBe(sent.alert.id)
      expect(got[i][0].alert.origin).toBe('sim-7')
      expect(world.mesh(i).peers().map(p => p.id)).toContain(got[i][0].from)
    }
  })
})
