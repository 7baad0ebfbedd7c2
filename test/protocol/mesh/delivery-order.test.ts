/**
 * A relaying node forwards an alert to its mesh peers before its application
 * handlers see it, so slow local handling never delays the next hop; the
 * handlers still get every alert once, in order.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { COMMUNITY, draft, startNode, stopAll, waitFor } from './helpers.js'
import type { Libp2pMesh } from '../../../protocol/mesh/libp2p-mesh.js'

describe('alert delivery order', () => {
  const nodes: Libp2pMesh[] = []
  afterEach(async () => { await stopAll(nodes) })

  it('the relay forwards before its onAlert handlers run; handlers see each alert once, in order', async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startNode({ bootstrap: i === 0 ? [] : nodes[i - 1].addresses() }))
    const [a, b, c] = nodes
    expect(await waitFor(() => b.meshPeers(COMMUNITY).length >= 2 && c.meshPeers(COMMUNITY).length >= 1)).toBe(true)

    // what happens on the relay B, in order: gossipsub's forward of a message, and B's handlers
    const trace: string[] = []
    const gs = b.libp2p?.services.pubsub as unknown as { forwardMessage: (...args: unknown[]) => void }
    const forward = gs.forwardMessage.bind(gs)
    gs.forwardMessage = (...args: unknown[]) => { trace.push('forward'); forward(...args) }
    const seenByB: string[] = []
    b.onAlert((e) => { trace.push('handler 1'); seenByB.push(e.alert.id) })
    b.onAlert(() => { trace.push('handler 2') })
    const seenByC: string[] = []
    c.onAlert((e) => { seenByC.push(e.alert.id) })

    const first = await a.publish(draft(COMMUNITY, 1))
    const second = await a.publish(draft(COMMUNITY, 2))
    expect(await waitFor(() => seenByC.length >= 2)).toBe(true)
    expect(trace).toEqual(['forward', 'handler 1', 'handler 2', 'forward', 'handler 1', 'handler 2'])
    expect(seenByB).toEqual([first.alert.id, second.alert.id])
    expect(seenByC).toEqual([first.alert.id, second.alert.id])
  })
})
