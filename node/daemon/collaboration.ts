/**
 * What the daemon shares with its community, wired to real parts: the normal
 * reservoir, the signature store and matcher, clonal selection, vetting, the
 * reputation table, the alert intake and the publisher.
 *
 * Persistence (DESIGN.md invariant 4): signatures and the reservoir persist
 * themselves; the reputation table, the intake's state and the replay guard
 * are snapshotted to the `collab` sublevel after every alert handled (and on
 * stop), and every valid alert received is appended to the `alerts` sublevel
 * before it is handled, so a kill -9 loses none of it.
 */
import type { Clock } from '../clock.js'
import type { Store, Sublevel } from '../store/store.js'
import type { Logger } from './logger.js'
import type { NodeMetrics } from '../metrics.js'
import type { ResponseSystem } from '../respond/index.js'
import type { Alert, SignatureIndicator } from '../../protocol/alert/types.js'
import type { AlertEvent, Mesh } from '../../protocol/mesh/mesh.js'
import type { ReplayGuard } from '../../protocol/alert/index.js'
import { ReputationTable } from '../../protocol/reputation/index.js'
import { createAlertIntake, createAlertPublisher } from '../intake/index.js'
import type { AlertIntake, AlertPublisher } from '../intake/index.js'
import type { AlertDecisionRecord } from '../intake/decision-records.js'
import { createClonalSelection, createReservoir, createSignatureStore, createSignatureVetter } from '../signatures/index.js'
import type { ClonalSelection, Reservoir, SignatureStore, SignatureVetter } from '../signatures/index.js'
import type { Detection } from './detection-types.js'

export interface CollaborationComponents {
  clock: Clock
  store: Store
  logger: Logger
  mesh: Mesh
  respond: ResponseSystem
  detection: Detection
  metrics?: NodeMetrics
  /** The mesh's replay guard: saved with every snapshot so replays stay refused after a restart. */
  replayGuard?: ReplayGuard
  /** Cell that remote-evidence decisions are filed under, per community. */
  cellForCommunity: (community: string) => string
}

export interface StoredAlert {
  id: string
  origin: string
  from: string
  receivedAtMs: number
  community: string
  kind: string
  danger: number
  seq: string
  issuedAtMs: number
  seen: Alert['seen']
  sources: Alert['sources']
  signatures: Alert['signatures']
  ttlSec: number
  outcome?: string
  decisionId?: string
  /** The signed envelope, base64: anyone can re-verify it later. */
  envelope: string
}

export interface Collaboration {
  reservoir: Reservoir
  signatures: SignatureStore
  vetter: SignatureVetter
  clonal: ClonalSelection
  reputation: ReputationTable
  intake: AlertIntake
  publisher: AlertPublisher
  start: () => Promise<void>
  stop: () => Promise<void>
  /** Alerts received (newest last) since a time. */
  alerts: (sinceMs: number, limit: number) => Promise<StoredAlert[]>
  counts: () => { received: number, published: number }
}

const SNAPSHOT_KEY = 'state'

function storedAlert (ev: AlertEvent): StoredAlert {
  const a = ev.alert
  return {
    id: a.id,
    origin: a.origin,
    from: ev.from,
    receivedAtMs: ev.receivedAtMs,
    community: a.community,
    kind: a.kind,
    danger: a.danger,
    seq: a.seq.toString(),
    issuedAtMs: a.issuedAtMs,
    seen: a.seen,
    sources: a.sources,
    signatures: a.signatures,
    ttlSec: a.ttlSec,
    envelope: Buffer.from(ev.envelope).toString('base64')
  }
}

/** Sortable key: receive time, then id. */
function alertKey (atMs: number, id: string): string {
  return `${String(atMs).padStart(15, '0')}:${id}`
}

export function createCollaboration (c: CollaborationComponents): Collaboration {
  const { clock, store, logger } = c
  const onError = (err: unknown): void => { logger.error({ err }, 'signature persistence failed (will retry)') }
  const reservoir = createReservoir({ store, clock, onError })
  const signatures = createSignatureStore({ store, clock, onError })
  const vetter = createSignatureVetter({ reservoir })
  const clonal = createClonalSelection({ reservoir, clock })
  const reputation = new ReputationTable()
  const collab: Sublevel = store.sub('collab')
  const alertsDb: Sublevel = store.sub('alerts')
  let received = 0
  /** Alerts stored but not yet decided by the intake (bounded: the intake decides each one). */
  const pending = new Map<string, StoredAlert>()

  const intake = createAlertIntake({
    clock,
    mesh: c.mesh,
    reputation,
    vetSignature: (sig: SignatureIndicator) => {
      const r = vetter.vet(sig)
      return { adopted: r.adopted, reason: r.reason, normalMatches: r.normalMatches }
    },
    adoptSignature: (sig, origin) => {
      void signatures.record(sig, origin, vetter.vet(sig)).catch(onError)
      logger.info({ signature: sig.id, origin, tokens: sig.tokens, context: sig.context }, 'signature adopted from a peer')
    },
    raiseSensitivity: (community, context, factor, untilMs) => {
      c.detection.raiseSensitivity(community, context, factor, untilMs)
      c.respond.raisePeerThreat(`peer alert on ${community} ${context}`)
    },
    blockSource: (address, untilMs, why) => {
      // a remote-evidence decision: the policy's remote invariant keeps it to block-source
      void c.respond.handle({
        cell: c.cellForCommunity(''),
        level: 2,
        source: address,
        context: 'peer quorum',
        explanation: why,
        origin: 'remote',
        refs: { untilMs }
      }).catch((err: unknown) => { logger.error({ err, address }, 'remote block failed') })
    },
    record: (alert, outcome: AlertDecisionRecord) => {
      c.metrics?.alertsReceived.inc({ outcome: outcome.outcome })
      const rec = pending.get(alert.id)
      if (rec == null) return
      pending.delete(alert.id)
      rec.outcome = outcome.outcome
      rec.decisionId = outcome.id
      void alertsDb.put(alertKey(rec.receivedAtMs, rec.id), rec).catch((err: unknown) => { logger.error({ err }, 'alert persistence failed') })
    },
    logger
  })

  const publisher = createAlertPublisher({ clock, mesh: c.mesh, logger })

  let chain: Promise<void> = Promise.resolve()
  /** Serialised writes of the snapshot: each one is the state after the alert that triggered it. */
  const snapshot = (): Promise<void> => {
    const state = { reputation: reputation.toJSON(), intake: intake.toJSON() }
    const replay = c.replayGuard?.toJSON()
    chain = chain.then(async () => {
      await collab.batch([{ type: 'put', key: SNAPSHOT_KEY, value: state }, ...(replay != null ? [{ type: 'put' as const, key: 'replay', value: replay }] : [])])
    }).catch((err: unknown) => { logger.error({ err }, 'collaboration snapshot failed') })
    return chain
  }

  let unsubscribe: (() => void) | null = null
  let started = false

  return {
    reservoir,
    signatures,
    vetter,
    clonal,
    reputation,
    intake,
    publisher,
    async start () {
      if (started) return
      started = true
      await reservoir.start()
      await signatures.start()
      const saved = await collab.get(SNAPSHOT_KEY).catch(() => undefined) as { reputation?: unknown, intake?: unknown } | undefined
      if (saved != null) {
        try {
          if (saved.reputation != null) reputation.restore(saved.reputation)
          if (saved.intake != null) intake.restore(saved.intake)
        } catch (err) {
          logger.warn({ err }, 'collaboration snapshot unreadable: starting with empty reputation')
        }
      }
      // persist each valid alert before the intake acts on it; snapshot after
      unsubscribe = c.mesh.onAlert((ev) => {
        received++
        const rec = storedAlert(ev)
        pending.set(rec.id, rec)
        if (pending.size > 1000) pending.delete(pending.keys().next().value as string)
        void alertsDb.put(alertKey(ev.receivedAtMs, ev.alert.id), rec).catch((err: unknown) => { logger.error({ err }, 'alert persistence failed') })
        // the intake subscribed first (start below) and has handled it synchronously or asynchronously
        setImmediate(() => { void snapshot() })
      })
      intake.start()
    },
    async stop () {
      if (!started) return
      started = false
      unsubscribe?.()
      unsubscribe = null
      intake.stop()
      await snapshot()
      await signatures.stop()
      await reservoir.stop()
    },
    async alerts (sinceMs, limit) {
      const out: StoredAlert[] = []
      for await (const [, v] of alertsDb.iterator({ gte: alertKey(sinceMs, ''), limit })) out.push(v as StoredAlert)
      return out
    },
    counts: () => ({ received, published: publisher.stats().published })
  }
}
