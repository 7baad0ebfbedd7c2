/**
 * The daemon's immune memory (issue 14, protocol/memory): the live alerts of
 * each community, persisted in the `memory` sublevel (so a restarted member
 * still serves its peers), the memory service on the mesh, its penalties in
 * the reputation table (R4, as an invalid gossiped alert, hence gossipsub P5)
 * and its counters in /metrics.
 *
 * Synced alerts reach the intake through mesh.deliver(): the collaboration
 * stores them and the intake vets, weighs and counts them exactly as gossiped
 * ones (reputation of the origin, expiry, signature types, replay).
 */
import { AlertValidationCode, validateAlert } from '../../protocol/alert/index.js'
import type { ReplayGuard } from '../../protocol/alert/index.js'
import { createMeshMemory } from '../../protocol/memory/index.js'
import type { MeshMemory, MemoryParams, MemoryStats, MemoryItem } from '../../protocol/memory/index.js'
import type { Libp2pMesh } from '../../protocol/mesh/index.js'
import type { Clock } from '../../core/index.js'
import type { Store } from '../store/index.js'
import type { NodeMetrics } from '../metrics.js'
import type { Logger } from './logger.js'
import type { Collaboration } from './collaboration.js'

export interface DaemonMemoryComponents {
  clock: Clock
  store: Store
  logger: Logger
  mesh: Libp2pMesh
  replay: ReplayGuard
  collab: Collaboration
  metrics?: NodeMetrics
}

export interface DaemonMemory {
  readonly service: MeshMemory
  start: () => Promise<void>
  stop: () => Promise<void>
  stats: () => MemoryStats
}

/** Most R4 one junk answer costs its peer (the table caps R4 at 10 anyway). */
const MAX_PENALTY_PER_ANSWER = 4

const keyOf = (item: Pick<MemoryItem, 'community' | 'id'>): string => `${item.community}:${item.id}`

export function createDaemonMemory (c: DaemonMemoryComponents, params: Partial<MemoryParams>): DaemonMemory {
  const { clock, logger } = c
  const db = c.store.sub('memory')
  let loading = false
  const onError = (err: unknown): void => { logger.error({ err }, 'memory persistence failed') }
  const service = createMeshMemory({
    clock,
    mesh: c.mesh,
    replay: c.replay,
    logger,
    penalise: (peer, code, reason, items) => {
      c.collab.reputation.record(peer, 'R4', Math.min(items, MAX_PENALTY_PER_ANSWER), clock.now(), `memory answer: ${code}: ${reason}`)
    },
    serveOrigin: (origin) => !c.collab.reputation.isBlacklisted(origin, clock.now()),
    storeHooks: {
      onAdd: (item) => {
        if (loading) return
        void db.put(keyOf(item), { envelope: Buffer.from(item.envelope).toString('base64'), expiresAtMs: item.expiresAtMs }).catch(onError)
      },
      onRemove: (item) => { void db.del(keyOf(item)).catch(onError) }
    }
  }, params)

  service.onSync((r) => {
    const m = c.metrics
    if (m == null) return
    m.memoryItems.inc({ community: r.community, outcome: 'received' }, r.received)
    m.memoryItems.inc({ community: r.community, outcome: 'accepted' }, r.accepted)
    m.memoryItems.inc({ community: r.community, outcome: 'rejected' }, r.rejected)
    m.memorySyncs.inc({ reason: r.reason, outcome: r.outcome })
    m.memoryLastSync.set({ community: r.community }, Math.floor(clock.now() / 1000))
    m.memoryHeld.set({ community: r.community }, service.store.count(r.community))
  })

  /** Reload what was remembered: each envelope validated again (a damaged record is dropped, not served). */
  const load = async (): Promise<void> => {
    const now = clock.now()
    const noReplay = { check: () => AlertValidationCode.OK }
    let kept = 0
    let dropped = 0
    loading = true
    try {
      for await (const [key, value] of db.iterator()) {
        const v = value as { envelope?: unknown, expiresAtMs?: unknown }
        const env = typeof v?.envelope === 'string' ? new Uint8Array(Buffer.from(v.envelope, 'base64')) : null
        const r = env != null ? await validateAlert(env, { nowMs: now, replay: noReplay }) : null
        const live = r?.alert != null && (r.code === AlertValidationCode.OK || (r.code === AlertValidationCode.STALE && r.alert.issuedAtMs <= now))
        if (env != null && live && r?.alert != null && service.store.add(r.alert, env, now)) {
          kept++
        } else {
          dropped++
          await db.del(key as string).catch(onError)
        }
      }
    } finally {
      loading = false
    }
    if (kept + dropped > 0) logger.info({ kept, dropped }, 'memory reloaded')
  }

  return {
    service,
    async start () {
      await load()
      await service.start()
    },
    async stop () {
      await service.stop()
    },
    stats: () => service.stats()
  }
}
