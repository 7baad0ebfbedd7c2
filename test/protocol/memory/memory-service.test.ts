/**
 * The memory protocol between real libp2p nodes on 127.0.0.1: a newcomer
 * catches up on a community's live alerts (each delivered once to its alert
 * handlers, as if gossiped), two members in sync exchange one digest and no
 * items, and a peer that serves forged and expired items is penalised and
 * nothing it sent is adopted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createSystemClock } from '../../../core/index.js'
import { createAlert, ReplayGuard, signAlert } from '../../../protocol/alert/index.js'
import { createMeshMemory } from '../../../protocol/memory/index.js'
import type { MeshMemory, MemoryValidationCode, SyncResult } from '../../../protocol/memory/index.js'
import type { AlertEvent, Libp2pMesh } from '../../../protocol/mesh/index.js'
import { COMMUNITY, draft, startNode, stopAll, waitFor } from '../mesh/helpers.js'

interface Member { mesh: Libp2pMesh, memory: MeshMemory, delivered: AlertEvent[], penalties: Array<{ peer: string, code: MemoryValidationCode, items: number }> }

async function member (bootstrap: string[] = [], init: Parameters<typeof createMeshMemory>[1] = {}): Promise<Member> {
  const replay = new ReplayGuard()
  const mesh = await startNode({ bootstrap, replayGuard: replay })
  const delivered: AlertEvent[] = []
  const penalties: Member['penalties'] = []
  mesh.onAlert((ev) => { delivered.push(ev) })
  const memory = createMeshMemory({ clock: createSystemClock(), mesh, replay, penalise: (peer, code, _r, items) => { penalties.push({ peer, code, items }) } }, { checkIntervalMs: 100, ...init })
  await memory.start()
  return { mesh, memory, delivered, penalties }
}

const nextSync = async (m: Member, pred: (r: SyncResult) => boolean = () => true): Promise<SyncResult> => await new Promise((resolve) => {
  const off = m.memory.onSync((r) => { if (pred(r)) { off(); resolve(r) } })
})

describe('memory protocol (/immune/1/memory) on real libp2p nodes', () => {
  const stoppables: Array<{ stop: () => Promise<void> }> = []
  afterEach(async () => { await stopAll(stoppables) })

  it('a newcomer with an empty memory gets every live alert of its community, once each, from two peers', async () => {
    const a = await member()
    const b = await member(a.mesh.addresses())
    stoppables.push(a.memory, b.memory, a.mesh, b.mesh)
    expect(await waitFor(() => a.mesh.meshPeers(COMMUNITY).length > 0 && b.mesh.meshPeers(COMMUNITY).length > 0)).toBe(true)
    const published: string[] = []
    for (let i = 0; i < 40; i++) published.push((await (i % 2 === 0 ? a : b).mesh.publish(draft(COMMUNITY, i))).alert.id)
    expect(await waitFor(() => a.memory.store.count(COMMUNITY) === 40 && b.memory.store.count(COMMUNITY) === 40)).toBe(true)

    const c = await member([...a.mesh.addresses(), ...b.mesh.addresses()])
    stoppables.push(c.memory, c.mesh)
    const r = await nextSync(c, (x) => x.accepted > 0)
    expect(r.reason).toBe('start')
    expect(await waitFor(() => c.delivered.length >= 40)).toBe(true)
    expect(new Set(c.delivered.map((e) => e.alert.id))).toEqual(new Set(published))
    expect(c.delivered.length).toBe(40) // once each
    expect(c.memory.store.count(COMMUNITY)).toBe(40)
    expect(c.memory.store.digest(COMMUNITY).sum).toBe(a.memory.store.digest(COMMUNITY).sum)
    expect(c.penalties).toEqual([])
    // every item came from a peer that holds it, and the delivered envelope is the original one
    for (const ev of c.delivered) expect([a.mesh.peerId, b.mesh.peerId]).toContain(ev.from)

    // in sync: a digest exchange and no items
    const again = await c.memory.sync(COMMUNITY, [a.mesh.peerId], 'manual')
    expect(again.outcome).toBe('in-sync')
    expect(again.received).toBe(0)
    const st = c.memory.stats().communities.find((s) => s.community === COMMUNITY)
    expect(st?.accepted).toBe(40)
    expect(st?.lastSync?.outcome).toBe('in-sync')
  }, 30_000)

  it('only the missing items travel between two members that differ by a few', async () => {
    const a = await member()
    const b = await member(a.mesh.addresses())
    stoppables.push(a.memory, b.memory, a.mesh, b.mesh)
    expect(await waitFor(() => a.mesh.meshPeers(COMMUNITY).length > 0)).toBe(true)
    for (let i = 0; i < 30; i++) await a.mesh.publish(draft(COMMUNITY, i))
    expect(await waitFor(() => b.memory.store.count(COMMUNITY) === 30)).toBe(true)
    // b's own catch-up at start is over (it compared digests with a)
    expect(await waitFor(() => ['in-sync', 'updated'].includes(b.memory.stats().communities.find((x) => x.community === COMMUNITY)?.lastSync?.outcome ?? ''))).toBe(true)
    // three alerts b never heard of (a remembers them, as if b had been away)
    const key = (a.mesh.libp2p as unknown as { components: { privateKey: Parameters<typeof signAlert>[1] } }).components.privateKey
    for (let i = 0; i < 3; i++) {
      const alert = createAlert(draft(COMMUNITY, 100 + i), { origin: a.mesh.peerId, seq: BigInt(1e15 + i), nowMs: Date.now() })
      a.memory.remember({ alert, envelope: await signAlert(alert, key) })
    }
    const before = b.delivered.length
    const r = await b.memory.sync(COMMUNITY, [a.mesh.peerId], 'manual')
    expect(r.accepted).toBe(3)
    expect(r.received).toBe(3)
    expect(b.delivered.length - before).toBe(3)
  }, 30_000)

  it('a peer serving forged and expired items is penalised and nothing it sent is adopted', async () => {
    const honest = await member()
    const liar = await member(honest.mesh.addresses())
    stoppables.push(honest.memory, liar.memory, honest.mesh, liar.mesh)
    expect(await waitFor(() => honest.mesh.meshPeers(COMMUNITY).length > 0)).toBe(true)
    // the liar's memory: a genuine alert, one with a tampered byte (forged), one long expired
    const key = (liar.mesh.libp2p as unknown as { components: { privateKey: Parameters<typeof signAlert>[1] } }).components.privateKey
    const now = Date.now()
    const genuine = createAlert(draft(COMMUNITY, 1), { origin: liar.mesh.peerId, seq: 1n, nowMs: now })
    const forged = createAlert(draft(COMMUNITY, 2), { origin: liar.mesh.peerId, seq: 2n, nowMs: now })
    const expired = createAlert({ ...draft(COMMUNITY, 3), ttlSec: 60 }, { origin: liar.mesh.peerId, seq: 3n, nowMs: now - 3_600_000 })
    const forgedEnv = await signAlert(forged, key)
    forgedEnv[forgedEnv.length - 1] ^= 1
    // put straight into its store (an honest node never holds these): as if live for an hour
    for (const [a, env] of [[genuine, await signAlert(genuine, key)], [forged, forgedEnv], [expired, await signAlert(expired, key)]] as const) {
      liar.memory.store.add({ ...a, issuedAtMs: now, ttlSec: 3600 }, env, now)
    }
    const newcomer = await member([liar.mesh.addresses()[0]])
    stoppables.push(newcomer.memory, newcomer.mesh)
    const r = await nextSync(newcomer, (x) => x.peers.includes(liar.mesh.peerId))
    expect(r.outcome).toBe('junk')
    expect(r.junk[0].peer).toBe(liar.mesh.peerId)
    expect(['item-invalid', 'item-expired']).toContain(r.junk[0].code)
    expect(newcomer.penalties.map((p) => p.peer)).toContain(liar.mesh.peerId)
    // nothing of that answer was adopted, not even the genuine item beside the junk
    expect(newcomer.delivered.filter((e) => e.from === liar.mesh.peerId)).toEqual([])
    expect(newcomer.memory.store.count(COMMUNITY)).toBe(0)
    // and the liar is not asked again for a while
    const again = await newcomer.memory.sync(COMMUNITY, [liar.mesh.peerId], 'manual')
    expect(again.peers).toEqual([])
  }, 30_000)
})
