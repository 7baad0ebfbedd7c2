/** Shared helpers for the mesh tests: real libp2p nodes on 127.0.0.1, bounded polling. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createSystemClock } from '../../../core/clock.js'
import { createLibp2pMesh } from '../../../protocol/mesh/libp2p-mesh.js'
import type { AlertDraft } from '../../../protocol/alert/types.js'
import type { Libp2pMesh, Libp2pMeshInit } from '../../../protocol/mesh/libp2p-mesh.js'

export const COMMUNITY = 'test-app'
export const TEST_HEARTBEAT_MS = 100

/** Poll `cond` every `everyMs` until true or `deadlineMs` passed; returns whether it became true. */
export async function waitFor (cond: () => boolean, deadlineMs = 10_000, everyMs = 25): Promise<boolean> {
  const end = Date.now() + deadlineMs
  for (;;) {
    if (cond()) return true
    if (Date.now() >= end) return false
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

export function draft (community = COMMUNITY, n = 0): AlertDraft {
  return {
    community,
    danger: 1,
    kind: 'anomaly',
    seen: { context: 'GET /shop/item.jsp', parameter: 'id', score: 0.9 + n / 1000, explanation: `unusual length (test ${n})` },
    sources: [],
    signatures: [],
    ttlSec: 600
  }
}

/** A started mesh on 127.0.0.1:0 with a 100 ms heartbeat. */
export async function startNode (init: Partial<Libp2pMeshInit> = {}): Promise<Libp2pMesh> {
  const mesh = await createLibp2pMesh({ clock: createSystemClock() }, {
    privateKey: init.privateKey ?? await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    communities: [COMMUNITY],
    heartbeatIntervalMs: TEST_HEARTBEAT_MS,
    redialIntervalMs: 500,
    ...init
  })
  await mesh.start()
  return mesh
}

export async function stopAll (nodes: Array<{ stop: () => Promise<void> }>): Promise<void> {
  await Promise.allSettled(nodes.map(async (n) => { await n.stop() }))
  nodes.length = 0
}

/**
 * Resolves once every node has run `count` more gossipsub heartbeats (the
 * event gossipsub emits after each): "nothing more happened within n
 * heartbeats" is then a statement about heartbeats, not about wall time.
 */
export async function heartbeats (nodes: Libp2pMesh[], count: number): Promise<void> {
  await Promise.all(nodes.map(async (n) => {
    const pubsub = (n.libp2p as unknown as { services: { pubsub: EventTarget } } | null)?.services.pubsub
    if (pubsub == null) throw new Error('node not started')
    await new Promise<void>((resolve) => {
      let seen = 0
      const on = (): void => { if (++seen >= count) { pubsub.removeEventListener('gossipsub:heartbeat', on); resolve() } }
      pubsub.addEventListener('gossipsub:heartbeat', on)
    })
  }))
}
