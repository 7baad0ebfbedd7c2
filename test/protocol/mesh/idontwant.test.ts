/**
 * gossipsub v1.2 IDONTWANT is sent only for alerts of at least 1 KiB
 * (libp2p-mesh.ts IDONTWANT_MIN_DATA_BYTES): a typical alert (~560 bytes)
 * costs no extra control RPC per mesh peer, a large one still does.
 *
 * Line A - B - C: B receives A's alert and, before validating it, sends an
 * IDONTWANT to its other mesh peer C on the same stream as the forwarded
 * alert, so C has handled it by the time the alert reaches C's application.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { COMMUNITY, startNode, stopAll, waitFor } from './helpers.js'
import { TYPICAL_EXPLANATION, typicalAlertDraft } from '../../../protocol/alert/typical-alert.js'
import type { AlertDraft } from '../../../protocol/alert/types.js'
import type { Libp2pMesh } from '../../../protocol/mesh/libp2p-mesh.js'

/** The typical alert (protocol/alert/typical-alert.ts, ~560 bytes signed) with its explanation replaced. */
function typicalDraft (explanation: string): AlertDraft {
  return typicalAlertDraft({ community: COMMUNITY, seen: { context: 'GET /ecommerce/control/keywordsearch', parameter: 'SEARCH_STRING', score: 8.73, explanation } })
}

/** IDONTWANT message ids C holds from `from` (gossipsub's per-peer map; pruned after a few heartbeats). */
function idontwantsFrom (node: Libp2pMesh, from: string): number {
  const gs = node.libp2p?.services.pubsub as unknown as { idontwants: Map<string, Map<string, number>> }
  return gs.idontwants.get(from)?.size ?? 0
}

describe('IDONTWANT threshold', () => {
  const nodes: Libp2pMesh[] = []
  afterEach(async () => { await stopAll(nodes) })

  it('a typical alert sends no IDONTWANT to mesh peers; an alert of 1 KiB or more still does', async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startNode({ bootstrap: i === 0 ? [] : nodes[i - 1].addresses() }))
    const [a, b, c] = nodes
    expect(await waitFor(() => a.meshPeers(COMMUNITY).length >= 1 && b.meshPeers(COMMUNITY).length >= 2 && c.meshPeers(COMMUNITY).length >= 1)).toBe(true)

    // read C's IDONTWANT state at the moment each alert reaches C's application
    const atReceipt = new Map<string, number>()
    c.onAlert((e) => { atReceipt.set(e.alert.id, idontwantsFrom(c, b.peerId)) })

    const typical = await a.publish(typicalDraft(TYPICAL_EXPLANATION))
    expect(typical.envelope.byteLength).toBeGreaterThan(512) // above @libp2p/gossipsub's own default
    expect(typical.envelope.byteLength).toBeLessThan(1024)
    expect(await waitFor(() => atReceipt.has(typical.alert.id))).toBe(true)
    expect(atReceipt.get(typical.alert.id)).toBe(0)

    const large = await a.publish(typicalDraft('x'.repeat(900)))
    expect(large.envelope.byteLength).toBeGreaterThanOrEqual(1024)
    expect(await waitFor(() => atReceipt.has(large.alert.id))).toBe(true)
    expect(atReceipt.get(large.alert.id)).toBe(1)
  })
})
