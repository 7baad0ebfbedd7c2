/**
 * The memory service wired to a Libp2pMesh: its libp2p node, its communities
 * and peers, delivery to its alert handlers, and every alert it accepts or
 * publishes remembered. Used by the daemon, the tests and bench/memory.ts.
 */
import { createMemoryService } from './memory-service.js'
import type { MemoryLogger, MemoryService } from './memory-service.js'
import { MemoryStore } from './memory-store.js'
import type { MemoryStoreHooks } from './memory-store.js'
import { createMemoryParams } from './memory-params.js'
import type { MemoryParams } from './memory-params.js'
import type { MemoryValidationCode } from './validation-code.js'
import type { AlertValidationParams, ReplayGuard } from '../alert/index.js'
import type { Libp2pMesh } from '../mesh/index.js'
import type { Clock } from '../../core/index.js'

export interface MeshMemoryComponents {
  clock: Clock
  mesh: Libp2pMesh
  /** The same replay guard the mesh validates with. */
  replay: ReplayGuard
  validationParams?: Partial<AlertValidationParams>
  penalise?: (peer: string, code: MemoryValidationCode, reason: string, items: number) => void
  serveOrigin?: (origin: string) => boolean
  storeHooks?: MemoryStoreHooks
  logger?: MemoryLogger
}

export interface MeshMemory extends MemoryService {
  readonly store: MemoryStore
}

export function createMeshMemory (c: MeshMemoryComponents, init: Partial<MemoryParams> = {}): MeshMemory {
  const params = createMemoryParams(init)
  const store = new MemoryStore(params, c.storeHooks)
  const { mesh } = c
  const communityPeers = (community: string): string[] => {
    const connected = new Set(mesh.connectedPeers())
    return mesh.peers().filter((p) => connected.has(p.id) && p.communities.includes(community)).map((p) => p.id).sort()
  }
  const service = createMemoryService({
    clock: c.clock,
    store,
    libp2p: () => mesh.libp2p,
    communities: () => mesh.communities(),
    communityPeers,
    meshPeers: (community) => mesh.meshPeers(community),
    deliver: (ev) => { mesh.deliver(ev) },
    replay: c.replay,
    ...(c.validationParams != null ? { validationParams: c.validationParams } : {}),
    ...(c.penalise != null ? { penalise: c.penalise } : {}),
    ...(c.serveOrigin != null ? { serveOrigin: c.serveOrigin } : {}),
    ...(c.logger != null ? { logger: c.logger } : {})
  }, params)
  let unsubs: Array<() => void> = []
  return {
    ...service,
    store,
    async start () {
      if (unsubs.length === 0) unsubs = [mesh.onAlert((ev) => { service.remember(ev) }), mesh.onPublished((ev) => { service.remember(ev) })]
      await service.start()
    },
    async stop () {
      for (const u of unsubs) u()
      unsubs = []
      await service.stop()
    }
  }
}
