/**
 * A raw mesh peer in the test process (protocol/mesh's libp2p gossipsub on
 * 127.0.0.1), bootstrapped to running daemons: it can publish any signed alert
 * as a peer would, and sees what the daemons publish.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createSystemClock } from '../../../core/clock.js'
import { createLibp2pMesh } from '../../../protocol/mesh/index.js'
import type { AlertEvent, Libp2pMesh } from '../../../protocol/mesh/index.js'
import type { AlertDraft } from '../../../protocol/alert/types.js'

export interface MeshPeer {
  mesh: Libp2pMesh
  readonly peerId: string
  /** Alerts received from the mesh so far. */
  received: AlertEvent[]
  publish: (draft: AlertDraft) => Promise<AlertEvent>
  stop: () => Promise<void>
}

export async function startMeshPeer (opts: { bootstrap: string[], communities: string[], heartbeatIntervalMs?: number }): Promise<MeshPeer> {
  const mesh = await createLibp2pMesh({ clock: createSystemClock() }, {
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: opts.bootstrap,
    communities: opts.communities,
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 200,
    redialIntervalMs: 500
  })
  const received: AlertEvent[] = []
  mesh.onAlert((ev) => { received.push(ev) })
  await mesh.start()
  return {
    mesh,
    peerId: mesh.peerId,
    received,
    publish: async (draft) => await mesh.publish(draft),
    stop: async () => { await mesh.stop() }
  }
}

/** A level-2 anomaly alert about a context, naming source addresses to block. */
export function anomalyAlert (community: string, context: string, sources: string[], n = 0): AlertDraft {
  return {
    community,
    danger: 2,
    kind: 'anomaly',
    seen: { context, parameter: 'q', score: 30 + n / 1000, explanation: `q: unseen-3grams 54 unseen (remote test ${n})` },
    sources: sources.map((address) => ({ address, ttlSec: 3600 })),
    signatures: [],
    ttlSec: 600
  }
}
