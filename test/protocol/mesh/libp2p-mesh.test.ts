import { generateKeyPair } from '@libp2p/crypto/keys'
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createSystemClock } from '../../../core/clock.js'
import { ReplayGuard, validateAlert } from '../../../protocol/alert/index.js'
import { MeshListenError, MeshNotStartedError } from '../../../protocol/errors.js'
import { createLibp2pMesh } from '../../../protocol/mesh/libp2p-mesh.js'
import { COMMUNITY, draft, heartbeats, startNode, stopAll, waitFor } from './helpers.js'
import type { AddressInfo } from 'node:net'
import type { AlertEvent } from '../../../protocol/mesh/mesh.js'
import type { Libp2pMesh } from '../../../protocol/mesh/libp2p-mesh.js'

describe('libp2p mesh', () => {
  const nodes: Libp2pMesh[] = []
  afterEach(async () => { await stopAll(nodes) })

  it('five nodes in a line: an alert reaches the four others, verified, exactly once each', async () => {
    // line: n0 - n1 - n2 - n3 - n4, each bootstrapping to the one before
    for (let i = 0; i < 5; i++) {
      nodes.push(await startNode({ bootstrap: i === 0 ? [] : nodes[i - 1].addresses() }))
    }
    const received = nodes.map(() => [] as AlertEvent[])
    nodes.forEach((n, i) => n.onAlert((e) => { received[i].push(e) }))
    expect(await waitFor(() => nodes.every((n, i) => n.meshPeers(COMMUNITY).length >= (i === 0 || i === 4 ? 1 : 2)))).toBe(true)

    const sent = await nodes[0].publish(draft())
    expect(sent.alert.origin).toBe(nodes[0].peerId)
    expect(await waitFor(() => received.slice(1).every((r) => r.length >= 1))).toBe(true)
    // give duplicates (other paths, IHAVE/IWANT gossip) five heartbeats of every node to show up
    await heartbeats(nodes, 5)

    expect(received[0]).toHaveLength(0) // own alerts are not delivered back
    for (let i = 1; i < 5; i++) {
      expect(received[i], `node ${i}`).toHaveLength(1)
      const e = received[i][0]
      expect(e.alert.id).toBe(sent.alert.id)
      expect(e.alert.origin).toBe(nodes[0].peerId)
      expect(e.alert.seq).toBe(sent.alert.seq)
      expect(e.from).toBe(nodes[i - 1].peerId) // relayed hop by hop along the line
      expect(Buffer.from(e.envelope).equals(Buffer.from(sent.envelope))).toBe(true)
      // anyone can re-verify the envelope
      const again = await validateAlert(e.envelope, { nowMs: Date.now(), replay: new ReplayGuard() })
      expect(again.action).toBe('accept')
      expect(nodes[i].stats().delivered).toBe(1)
    }

    // peers() reports scores, communities and mesh membership
    const middle = nodes[2].peers()
    expect(middle.map((p) => p.id).sort()).toEqual([nodes[1].peerId, nodes[3].peerId].sort())
    for (const p of middle) {
      expect(p.inMesh).toBe(true)
      expect(p.communities).toEqual([COMMUNITY])
      expect(p.gossipsubScore).toBeGreaterThanOrEqual(0)
    }
    for (const a of nodes[2].addresses()) expect(a).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${nodes[2].peerId}$`))
  })

  it('publishing with no peers does not throw, and the seq increases', async () => {
    const lonely = await startNode()
    nodes.push(lonely)
    const a = await lonely.publish(draft())
    const b = await lonely.publish(draft(COMMUNITY, 1))
    expect(b.alert.seq).toBeGreaterThan(a.alert.seq)
    expect(lonely.stats().published).toBe(2)
  })

  it('a published alert that our own validator refuses is not sent (IMMUNE_ERR_ALERT_REJECTED)', async () => {
    const n = await startNode()
    nodes.push(n)
    const bad = { ...draft(), danger: 7 } as unknown as ReturnType<typeof draft>
    const err = await n.publish(bad).catch((e: unknown) => e)
    expect((err as { code: string }).code).toMatch(/^IMMUNE_ERR_ALERT_(REJECTED|ENCODE)$/)
    expect(n.stats().published).toBe(0)
  })

  it('re-dials a bootstrap peer that went away and came back', async () => {
    const key = await generateKeyPair('Ed25519')
    const first = await startNode({ privateKey: key })
    nodes.push(first)
    const addr = first.addresses()[0]
    const port = addr.split('/')[4]
    const other = await startNode({ bootstrap: [addr] })
    nodes.push(other)
    expect(await waitFor(() => other.connectedPeers().includes(first.peerId))).toBe(true)
    await first.stop()
    expect(await waitFor(() => !other.connectedPeers().includes(first.peerId))).toBe(true)
    // same identity, same port
    const back = await startNode({ privateKey: key, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    nodes.push(back)
    expect(await waitFor(() => other.connectedPeers().includes(back.peerId))).toBe(true)
    expect(await waitFor(() => other.meshPeers(COMMUNITY).includes(back.peerId))).toBe(true)
  })

  it('works over the in-memory transport', async () => {
    const a = await startNode({ transport: 'memory', listen: [`/memory/immune-a-${process.pid}`] })
    nodes.push(a)
    const b = await startNode({ transport: 'memory', listen: [`/memory/immune-b-${process.pid}`], bootstrap: a.addresses() })
    nodes.push(b)
    const got: AlertEvent[] = []
    a.onAlert((e) => got.push(e))
    expect(await waitFor(() => a.meshPeers(COMMUNITY).includes(b.peerId) && b.meshPeers(COMMUNITY).includes(a.peerId))).toBe(true)
    await b.publish(draft())
    expect(await waitFor(() => got.length === 1)).toBe(true)
    expect(got[0].alert.origin).toBe(b.peerId)
  })

  it('start/stop are idempotent; publish before start fails with IMMUNE_ERR_MESH_NOT_STARTED', async () => {
    const mesh = await createLibp2pMesh({ clock: createSystemClock() }, {
      privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], communities: [COMMUNITY]
    })
    nodes.push(mesh)
    const err = await mesh.publish(draft()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MeshNotStartedError)
    expect((err as MeshNotStartedError).code).toBe('IMMUNE_ERR_MESH_NOT_STARTED')
    expect(mesh.addresses()).toEqual([])
    await Promise.all([mesh.start(), mesh.start()])
    expect(mesh.addresses().length).toBeGreaterThan(0)
    await mesh.stop()
    await mesh.stop()
    expect(mesh.addresses()).toEqual([])
    expect(mesh.peers()).toEqual([])
  })

  it('a busy listen port fails start() with IMMUNE_ERR_MESH_LISTEN; start() works once the port is free', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as AddressInfo).port
      const key = await generateKeyPair('Ed25519')
      const busy = await createLibp2pMesh({ clock: createSystemClock() }, { privateKey: key, listen: [`/ip4/127.0.0.1/tcp/${port}`], bootstrap: [] })
      nodes.push(busy)
      const err = await busy.start().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(MeshListenError)
      expect((err as MeshListenError).code).toBe('IMMUNE_ERR_MESH_LISTEN')
      expect((err as MeshListenError).message).toContain(String(port))
      expect(busy.addresses()).toEqual([])
      await busy.stop() // nothing to stop: fine
      // once the port is free, the same mesh starts
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
      await busy.start()
      expect(busy.addresses().some((a) => a.includes(`/tcp/${port}/`))).toBe(true)
    } finally {
      server.close()
    }
  })

  it('subscribe/unsubscribe validate community ids', async () => {
    const n = await startNode()
    nodes.push(n)
    expect(() => { n.subscribe('Not Valid') }).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_COMMUNITY' }))
    n.subscribe('other-app')
    expect(n.communities()).toEqual(['other-app', COMMUNITY].sort())
    n.unsubscribe('other-app')
    expect(n.communities()).toEqual([COMMUNITY])
  })
})
