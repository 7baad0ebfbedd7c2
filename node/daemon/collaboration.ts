/**
 * What the daemon shares with its community, wired to real parts: the normal
 * reservoir, the signature store and matcher, clonal selection, vetting, the
 * reputation table, the alert intake and the publisher.
 *
 * Persistence (DESIGN.md invariant 4): signatures and the reservoir persist
 * themselves; the reputation table, the intake's state and the replay guard
 * are written to the `collab` sublevel incrementally (collab-persistence.ts:
 * the changed keys, batched, every FLUSH_INTERVAL_MS and on stop; never a
 * copy per alert), and every valid alert received is appended to the
 * `alerts` sublevel before it is handled, so a kill -9 loses none of them
 * (the replay guard is rebuilt from it) and at most one flush interval of
 * reputation evidence.
 */
import type { Clock, TimerHandle } from '../../core/index.js'
import type { Store, Sublevel } from '../store/index.js'
import { createBoundedLog } from '../store/index.js'
import type { Logger } from './logger.js'
import type { NodeMetrics } from '../metrics.js'
import type { ResponseSystem } from './response-system.js'
import type { Alert, SignatureIndicator } from '../../protocol/alert/index.js'
import type { AlertEvent, Mesh } from '../../protocol/mesh/index.js'
import type { ReplayGuard } from '../../protocol/alert/index.js'
import { ReputationTable } from '../../protocol/reputation/index.js'
import { KnownClients, createAlertIntake, createAlertPublisher, createSourceFilter } from '../intake/index.js'
import type { KnownClientsParams, SourceFilterInit } from '../intake/index.js'
import type { AlertIntake, AlertPublisher } from '../intake/index.js'
import type { AlertIntakeInit } from '../intake/index.js'
import type { AlertDecisionRecord } from '../intake/index.js'
import { createClonalSelection, createReservoir, createSignatureStore, createSignatureVetter } from '../signatures/index.js'
import type { ClonalSelection, Reservoir, SignatureStore, SignatureVetter, VetResult as SignatureVetResult } from '../signatures/index.js'
import type { Detection } from './detection-types.js'
import { evictOldest } from '../../core/index.js'
import { createCollabWriter, loadCollabState } from './collab-persistence.js'
import type { CollabWriter, LoadedCollabState } from './collab-persistence.js'

export interface CollaborationComponents {
  clock: Clock
  store: Store
  logger: Logger
  mesh: Mesh
  respond: ResponseSystem
  detection: Detection
  metrics?: NodeMetrics
  /** The mesh's replay guard: persisted with the collaboration state so replays stay refused after a restart. */
  replayGuard?: ReplayGuard
  /** The state loadCollabState() read (the daemon reads it first, for the replay guard); default: start() reads it. */
  saved?: LoadedCollabState
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
  /** Sources seen behaving normally here (the pipeline feeds it; the intake refutes peers that name them as attackers). */
  knownClients: KnownClients
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

const MAX_REMEMBERED_VERDICTS = 64
/** How often pending peer signatures are vetted again. */
const REVET_INTERVAL_MS = 5000
/** Bounded work per round (most recently received first): a flood of unvettable signatures cannot stall the node. */
const MAX_REVET_PER_ROUND = 64

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

export interface CollaborationInit {
  /** The intake's params (defaults: node/intake/intake-params.ts). */
  intake?: AlertIntakeInit
  /** Addresses never published as attacking sources besides the fixed ranges: the policy's allowlist, the trusted proxies. */
  sourceFilter?: SourceFilterInit
  /** Received-alert log records kept at most (config budgets.alertLogEntries; default 10,000). */
  alertLogEntries?: number
  /** When a source counts as a known normal client (defaults: node/intake/known-clients.ts). */
  knownClients?: Partial<KnownClientsParams>
}


export function createCollaboration (c: CollaborationComponents, init: CollaborationInit = {}): Collaboration {
  const { clock, store, logger } = c
  const onError = (err: unknown): void => { logger.error({ err }, 'signature persistence failed (will retry)') }
  const reservoir = createReservoir({ store, clock, onError })
  const signatures = createSignatureStore({ store, clock, onError })
  const vetter = createSignatureVetter({ reservoir })
  const clonal = createClonalSelection({ reservoir, clock })
  const reputation = new ReputationTable()
  const sourceFilter = createSourceFilter(init.sourceFilter)
  const knownClients = new KnownClients(init.knownClients)
  const collab: Sublevel = store.sub('collab')
  const alertsDb: Sublevel = store.sub('alerts')
  const alertLog = createBoundedLog(alertsDb, init.alertLogEntries ?? 10_000)
  let received = 0
  /** Alerts stored but not yet decided by the intake (bounded: the intake decides each one). */
  const pending = new Map<string, StoredAlert>()
  /** The vetter's full verdicts of the signatures just vetted (the intake vets, then adopts or records, synchronously). */
  const verdicts = new Map<string, SignatureVetResult>()
  const rememberVerdict = (id: string, r: SignatureVetResult): void => {
    verdicts.delete(id)
    verdicts.set(id, r)
    evictOldest(verdicts, MAX_REMEMBERED_VERDICTS)
  }

  /**
   * GET /signatures shows every peer signature with its verdict, not only the
   * adopted ones: a signature that failed vetting is kept as `rejected` (with
   * the reason and the normal matches), one that could not be vetted yet as
   * `pending` (re-vetted as normal traffic accumulates, see revetPending), and
   * a known signature sent by another origin gains that origin.
   */
  const recordVerdicts = (alert: Alert, outcome: AlertDecisionRecord): void => {
    for (const d of outcome.signatures) {
      const sig = alert.signatures.find((s) => s.id === d.id)
      if (sig == null) continue
      if (d.outcome === 'rejected' || d.outcome === 'not-adopted') {
        const v = verdicts.get(d.id)
        if (v != null) void signatures.record(sig, alert.origin, v).catch(onError)
      } else if (d.outcome === 'already-adopted' || d.outcome === 'already-rejected') {
        const known = signatures.get(d.id)
        if (known != null && !known.origins.includes(alert.origin) && known.code !== 'local' && known.code !== 'retired') {
          void signatures.record(sig, alert.origin, { adopted: known.status === 'adopted', code: known.code, reason: known.reason, normalMatches: known.normalMatches, normalChecked: 0, sample: [] }).catch(onError)
        }
      }
    }
  }

  const intake = createAlertIntake({
    clock,
    mesh: c.mesh,
    reputation,
    vetSignature: (sig: SignatureIndicator) => {
      const known = signatures.get(sig.id)
      if (known?.code === 'retired') {
        // our own evidence already showed it matches normal traffic here: not adopted, and the sender is blamed as for a failed vetting
        return { adopted: false, reason: known.reason, normalMatches: Math.max(1, known.normalMatches), code: 'matches-normal' as const }
      }
      const r = vetter.vet(sig)
      rememberVerdict(sig.id, r)
      // the code lets the intake blame 'malformed' and 'too-generic' signatures too (blameVetCodes)
      return { adopted: r.adopted, reason: r.reason, normalMatches: r.normalMatches, code: r.code }
    },
    adoptSignature: (sig, origin) => {
      void signatures.record(sig, origin, verdicts.get(sig.id) ?? vetter.vet(sig)).catch(onError)
      logger.info({ signature: sig.id, origin, tokens: sig.tokens, context: sig.context }, 'signature adopted from a peer')
    },
    // the brain raises the community's sensitivity (the detectors read it) and the threat level
    raiseSensitivity: (community, context, factor, untilMs) => { c.respond.brain.onPeerWarning({ community, context, factor, untilMs }) },
    isKnownNormal: (address, nowMs) => knownClients.isKnownNormal(address, nowMs),
    blockSource: (address, untilMs, why) => {
      // a remote-evidence decision: the policy's remote invariant keeps it to block-source
      const { event, breakdown } = c.respond.brain.onRemoteBlock({ address, untilMs, why })
      void c.respond.commit(event, breakdown).catch((err: unknown) => { logger.error({ err, address }, 'remote block failed') })
    },
    unblockSource: (address, why) => {
      // a refutation lifted the intake's block: end the remote-evidence decisions that held the address
      for (const id of c.respond.brain.onRemoteUnblock(address)) {
        void c.respond.decisions.revoke(id, why).catch((err: unknown) => { logger.error({ err, address }, 'lifting a remote block failed') })
      }
    },
    record: (alert, outcome: AlertDecisionRecord) => {
      c.metrics?.alertsReceived.inc({ outcome: outcome.outcome })
      recordVerdicts(alert, outcome)
      const rec = pending.get(alert.id)
      if (rec == null) return
      pending.delete(alert.id)
      rec.outcome = outcome.outcome
      rec.decisionId = outcome.id
      void alertLog.put(alertKey(rec.receivedAtMs, rec.id), rec, false).catch((err: unknown) => { logger.error({ err }, 'alert persistence failed') })
    },
    logger,
    sourceFilter
  }, init.intake ?? {})

  const publisher = createAlertPublisher({ clock, mesh: c.mesh, logger, sourceFilter })

  let writer: CollabWriter | null = null
  /** The intake's state changes whenever one of its counters moves (a decision, a corroboration, a refutation, a block). */
  const intakeFingerprint = (): string => {
    const s = intake.stats()
    return `${s.alerts}:${s.corroborations}:${s.refutations}:${s.blocks}:${s.selfishFlagged}:${s.signaturesAdopted}:${s.signaturesRejected}`
  }

  /**
   * A signature that arrived before we had enough normal traffic in its
   * context to vet it is `pending`. Re-vet the pending ones as our normal
   * sample grows, so a node that joined late (or is still learning) adopts
   * the community's signatures without waiting for them to be sent again.
   * A final rejection counts against the origin as it would have on arrival.
   */
  const revetPending = (): void => {
    const now = clock.now()
    const due = signatures.pending().sort((a, b) => b.lastSeenMs - a.lastSeenMs).slice(0, MAX_REVET_PER_ROUND)
    for (const rec of due) {
      const r = vetter.vet(rec.signature)
      if (r.code === 'insufficient-normal') continue
      void signatures.record(rec.signature, rec.origin, r).catch(onError)
      if (r.adopted) {
        logger.info({ signature: rec.signature.id, origin: rec.origin, tokens: rec.signature.tokens, context: rec.signature.context }, 'pending signature adopted after re-vetting')
      } else if (r.normalMatches > 0 || intake.params.blameVetCodes.includes(r.code)) {
        reputation.record(rec.origin, 'R2', 1, now, `signature ${rec.signature.id} failed vetting: ${r.reason}`)
      }
    }
  }

  let unsubscribe: (() => void) | null = null
  let revetTimer: TimerHandle | null = null
  let started = false

  return {
    knownClients,
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
      await alertLog.open()
      const saved = c.saved ?? await loadCollabState(collab, alertsDb, logger, clock.now())
      try {
        if (saved.reputation != null) reputation.restore(saved.reputation)
      } catch (err) {
        logger.warn({ err }, 'reputation state unreadable: starting with empty reputation')
      }
      try {
        if (saved.intake != null) intake.restore(saved.intake)
      } catch (err) {
        logger.warn({ err }, 'intake state unreadable: starting with an empty intake')
      }
      writer = createCollabWriter({
        clock,
        collab,
        reputation,
        intake: { toJSON: () => intake.toJSON(), fingerprint: intakeFingerprint },
        ...(c.replayGuard != null ? { replay: c.replayGuard } : {}),
        logger
      }, { legacy: saved.legacy })
      writer.start()
      // persist each valid alert before the intake acts on it (the journal); the writer persists the rest
      unsubscribe = c.mesh.onAlert((ev) => {
        received++
        const rec = storedAlert(ev)
        pending.set(rec.id, rec)
        evictOldest(pending, 1000)
        // handlers run in subscription order: this one first (the alert is stored as pending), then the
        // intake's (subscribed by intake.start() below), whose record() files the outcome
        void alertLog.put(alertKey(ev.receivedAtMs, ev.alert.id), rec).catch((err: unknown) => { logger.error({ err }, 'alert persistence failed') })
      })
      intake.start()
      revetTimer = clock.setInterval(revetPending, REVET_INTERVAL_MS)
    },
    async stop () {
      if (!started) return
      started = false
      unsubscribe?.()
      unsubscribe = null
      if (revetTimer != null) clock.clearInterval(revetTimer)
      revetTimer = null
      intake.stop()
      await writer?.stop()
      writer = null
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
