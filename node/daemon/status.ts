/**
 * The views the local API serves, assembled from the running parts. Pure
 * reads: nothing here changes what the node does, except `release`.
 */
import type { Decision, DenyEntry, NftablesDetection, ThreatSnapshot } from '../respond/index.js'
import { decisionView } from './control.js'
import type { DecisionView } from './control.js'
import type { AlertIntakeStats, IntakeDecisionRecord } from '../intake/index.js'
import { ApiErrorCode, UnknownCellError } from '../errors.js'
import { HttpError } from '../api/index.js'
import type { Clock } from '../../core/index.js'
import type { Config } from '../config/index.js'
import { BUILTIN_ACTIONS } from '../respond/index.js'
import type { FirewallView, ResponseSystem } from './response-system.js'
import type { Libp2pMesh } from '../../protocol/mesh/index.js'
import type { NodeMetrics } from '../metrics.js'
import type { Collaboration, StoredAlert } from './collaboration.js'
import type { ContextStatus, Detection } from './detection-types.js'
import type { Phase } from '../observation.js'
import type { MemoryStats } from '../../protocol/memory/index.js'
import type { KillReport } from '../supervisor/index.js'
import { readProcStat } from '../../core/index.js'

export interface PeerView {
  id: string
  reputation: number
  weight: number
  blacklisted: boolean
  selfish: boolean
  gossipsubScore: number
  lastSeen: number | null
  connected: boolean
  inMesh: boolean
}

export interface CellView {
  name: string
  type: string
  community: string
  phase: Phase
  contexts: number
  observations: number
  pid?: number | null
  /** From /proc: running, frozen (quarantined by the node), suspended (stopped by someone else), renewing, gone; or backoff, stopping, stopped. */
  state?: string
  /** What the supervisor intends (running, backoff, stopping, stopped). */
  supervisorState?: string
  frozen?: boolean
  /** Live processes of the cell (a supervised instance: the child and its tracked descendants). */
  members?: number
  cgroupDir?: string | null
  /** How the last renewal ended the old instance (what survived it: `remaining`). */
  lastKill?: KillReport | null
  restarts?: number
  renewals?: number
  lastRenewAtMs?: number | null
  nextRenewAtMs?: number | null
}

/** GET /status (the API's view types: clients and tests import these instead of copying them). */
export interface StatusView {
  peerId: string
  version: string
  uptimeSec: number
  addresses: string[]
  api: string
  communities: string[]
  threatLevel: ThreatSnapshot['level']
  threat: ThreatSnapshot
  cells: CellView[]
  /** At most budgets.statusEntries contexts (guarding ones first, then the busiest); all of them: GET /contexts. */
  contexts: ContextStatus[]
  /** The newest budgets.statusEntries active decisions, in the one shape of GET /decisions; all of them: GET /decisions. */
  decisions: DecisionView[]
  /** The budgets.statusEntries deny-list entries that last longest. */
  denyList: DenyEntry[]
  /** Whole counts of what the three lists above may show in part. */
  totals: { contexts: number, decisions: number, denyList: number }
  peers: PeerView[]
  alerts: { received: number, published: number }
  signatures: Record<string, number>
  intake: AlertIntakeStats
  /** The memory protocol: last sync per community, items received/accepted/rejected, what was served (null when memory.enabled is false). */
  memory: MemoryStats | null
  nftables: NftablesDetection | null
  /** The host firewall: what it will do (mode, table, why) and what it holds. */
  firewall: FirewallView
}

/** POST /cells/:cell/release[?renew=true]. */
export interface ReleaseView {
  cell: string
  released: Decision[]
  /** Present with `renew`: the old and new pid, and how the old instance was ended. */
  renewed?: { oldPid: number | null, newPid: number | null, kill: KillReport | null }
  /** What a release does not do. */
  note: string
}

/** GET /decisions: `active` and `recent` in one shape (DecisionView: the decision, flat, with its status). */
export interface DecisionsView {
  active: DecisionView[]
  recent: DecisionView[]
  intake: IntakeDecisionRecord[]
}

export interface StatusSource {
  health: () => { ok: true, peerId: string, uptimeSec: number }
  status: () => StatusView
  alerts: (sinceMs: number, limit: number) => Promise<StoredAlert[]>
  decisions: (limit: number) => Promise<DecisionsView>
  decision: (id: string) => Promise<unknown | null>
  audit: (sinceMs: number, limit: number) => Promise<unknown>
  peers: () => PeerView[]
  peer: (id: string) => unknown | null
  signatures: () => unknown[]
  contexts: () => ContextStatus[]
  metrics: () => Promise<string>
  /** Ends the cell's quarantine; with `renew`, also replaces its instance (supervised cells). */
  release: (cell: string, opts?: { renew?: boolean }) => Promise<ReleaseView>
}

export interface StatusDeps {
  clock: Clock
  config: Config
  version: string
  startedAtMs: number
  mesh: Libp2pMesh
  respond: ResponseSystem
  detection: Detection
  collab: Collaboration
  metrics: NodeMetrics
  /** The API's bound address (the configured port may be 0). */
  apiAddress: () => { host: string, port: number }
  /** Last time we heard from a peer (alerts, connections). */
  lastSeen: Map<string, number>
  /** The memory protocol's stats (null when disabled). */
  memory?: () => MemoryStats | null
}

export function createStatusSource (d: StatusDeps): StatusSource {
  const uptimeSec = (): number => Math.round((d.clock.now() - d.startedAtMs) / 1000)

  const peers = (): PeerView[] => {
    const now = d.clock.now()
    const ids = new Set<string>([...d.collab.reputation.ids(), ...d.mesh.peers().map((p) => p.id)])
    const meshPeers = new Map(d.mesh.peers().map((p) => [p.id, p]))
    const connected = new Set(d.mesh.connectedPeers())
    for (const id of connected) d.lastSeen.set(id, now)
    return [...ids].map((id) => {
      const rep = d.collab.reputation.get(id, now)
      return {
        id,
        reputation: round(rep.value),
        weight: round(rep.weight),
        blacklisted: rep.blacklisted,
        selfish: d.collab.intake.isSelfish(id),
        gossipsubScore: round(d.mesh.score(id)),
        lastSeen: d.lastSeen.get(id) ?? null,
        connected: connected.has(id),
        inMesh: meshPeers.get(id)?.inMesh ?? false
      }
    }).sort((a, b) => a.id.localeCompare(b.id))
  }

  const cells = (contexts: ContextStatus[]): CellView[] => d.config.cells.map((cell) => {
    const own = contexts.filter((c) => c.cell === cell.name)
    const sup = d.respond.supervisors.get(cell.name)?.info()
    const phase: Phase = own.length > 0 && own.every((c) => c.phase === 'guarding') ? 'guarding' : 'learning'
    return {
      name: cell.name,
      type: cell.type,
      community: cell.community,
      phase,
      contexts: own.length,
      observations: own.reduce((n, c) => n + c.count, 0),
        ...(sup != null
        ? {
            pid: sup.pid,
            // what the process really does (/proc), not only what the supervisor intends
            state: sup.processState,
            supervisorState: sup.state,
            frozen: sup.processState === 'frozen',
            members: sup.members,
            cgroupDir: sup.cgroupDir,
            lastKill: sup.lastKill,
            restarts: sup.restarts,
            renewals: sup.renewals,
            lastRenewAtMs: sup.lastRenewAtMs,
            nextRenewAtMs: sup.nextRenewAtMs
          }
        : processView(cell.name))
    }
  })

  /** A pid or process-name cell: its processes' real state (frozen by the node, suspended by someone else, gone). */
  const processView = (name: string): Partial<CellView> => {
    const t = d.respond.cells.resolve(name)
    if (t == null) return {}
    const incident = d.respond.incident(name)
    const states = t.pids.map((p) => readProcStat(p)?.state).filter((x): x is string => x != null && x !== 'Z' && x !== 'X')
    const stopped = states.length > 0 && states.every((x) => x === 'T' || x === 't')
    const state = states.length === 0 ? 'gone' : incident?.kind === 'frozen' ? 'frozen' : stopped ? 'suspended' : 'running'
    return { pid: t.pids[0] ?? null, state, frozen: state === 'frozen', members: t.pids.length }
  }

  const signatureCounts = (): Record<string, number> => {
    const counts: Record<string, number> = { adopted: 0, rejected: 0, pending: 0, local: 0 }
    for (const r of d.collab.signatures.all()) {
      counts[r.status] = (counts[r.status] ?? 0) + 1
      if (r.origin === 'local') counts.local++
    }
    return counts
  }

  return {
    health: () => ({ ok: true, peerId: d.mesh.peerId, uptimeSec: uptimeSec() }),

    status () {
      const contexts = d.detection.contexts()
      const now = d.clock.now()
      const active = d.respond.decisions.active()
      const deny = d.respond.denyList.list(now)
      const max = d.config.budgets.statusEntries
      const shownContexts = contexts.length <= max
        ? contexts
        : [...contexts].sort((a, b) => Number(b.phase === 'guarding') - Number(a.phase === 'guarding') || b.count - a.count).slice(0, max)
      const shownDeny = deny.length <= max ? deny : [...deny].sort((a, b) => b.expiresAtMs - a.expiresAtMs).slice(0, max)
      const threat = d.respond.threat.snapshot()
      const sigs = signatureCounts()
      return {
        peerId: d.mesh.peerId,
        version: d.version,
        uptimeSec: uptimeSec(),
        addresses: d.mesh.addresses(),
        api: `${d.apiAddress().host}:${d.apiAddress().port}`,
        communities: d.mesh.communities(),
        threatLevel: threat.level,
        threat,
        cells: cells(contexts),
        contexts: shownContexts,
        decisions: active.slice(-max).map((x) => decisionView({ decision: x, status: 'active', appliedAtMs: null, undoneAtMs: null, receipt: null, error: null }, now)),
        denyList: shownDeny,
        totals: { contexts: contexts.length, decisions: active.length, denyList: deny.length },
        peers: peers(),
        alerts: d.collab.counts(),
        signatures: sigs,
        intake: d.collab.intake.stats(),
        memory: d.memory?.() ?? null,
        nftables: d.respond.nftables(),
        firewall: d.respond.firewall()
      }
    },

    alerts: async (sinceMs, limit) => await d.collab.alerts(sinceMs, Math.min(limit, d.config.budgets.alertsQueryLimit)),

    async decisions (limit) {
      const now = d.clock.now()
      const active = await Promise.all(d.respond.decisions.active().map(async (x) => await d.respond.decisions.get(x.id)))
      return {
        active: active.flatMap((r) => r != null ? [decisionView(r, now)] : []),
        recent: (await d.respond.decisions.list({ limit })).map((r) => decisionView(r, now)),
        intake: d.collab.intake.decisions(limit)
      }
    },

    async decision (id) {
      const local = await d.respond.decisions.get(id)
      if (local != null) {
        const audit = await d.respond.decisions.audit({ decisionId: id })
        return { kind: 'response', ...decisionView(local, d.clock.now()), receipt: local.receipt, audit }
      }
      const remote = d.collab.intake.decision(id)
      return remote != null ? { kind: 'intake', ...remote } : null
    },

    audit: async (sinceMs, limit) => await d.respond.decisions.audit({ sinceMs, limit: Math.min(limit, d.config.budgets.alertsQueryLimit) }),

    peers,

    peer (id) {
      const now = d.clock.now()
      if (!d.collab.reputation.has(id) && !d.mesh.peers().some((p) => p.id === id)) return null
      const explanation = d.collab.intake.explainPeer(id, now)
      return { ...explanation, gossipsubScore: round(d.mesh.score(id)), lastSeen: d.lastSeen.get(id) ?? null }
    },

    signatures: () => d.collab.signatures.all().map((r) => ({
      id: r.signature.id,
      origin: r.origin,
      origins: r.origins,
      context: r.signature.context,
      parameter: r.signature.parameter,
      tokens: r.signature.tokens,
      generator: r.signature.generator,
      status: r.status,
      adopted: r.status === 'adopted',
      reason: r.reason,
      code: r.code,
      normalMatches: r.normalMatches,
      // KIS type: 1 blocks only with this node's own danger signal one, 2 alone (docs/reputation.md)
      type: r.type,
      ...(r.promotedReason != null ? { promotedReason: r.promotedReason } : {}),
      hits: r.hits,
      firstSeenMs: r.firstSeenMs,
      lastHitMs: r.lastHitMs
    })),

    contexts: () => d.detection.contexts(),

    /** Gauges are set from the running parts at scrape time (nothing else keeps them current). */
    async metrics () {
      const ps = peers()
      d.metrics.peers.set({ state: 'known' }, ps.length)
      d.metrics.peers.set({ state: 'blacklisted' }, ps.filter((p) => p.blacklisted).length)
      d.metrics.peers.set({ state: 'selfish' }, ps.filter((p) => p.selfish).length)
      const active = new Map<string, number>(BUILTIN_ACTIONS.map((k) => [k.type, 0]))
      for (const x of d.respond.decisions.active()) active.set(x.action, (active.get(x.action) ?? 0) + 1)
      for (const [action, n] of active) d.metrics.decisionsActive.set({ action }, n)
      const contexts = d.detection.contexts()
      for (const phase of ['learning', 'guarding'] as const) d.metrics.contexts.set({ phase }, contexts.filter((c) => c.phase === phase).length)
      let learningSince = Infinity
      for (const c of contexts) if (c.phase === 'learning' && c.firstSeenMs < learningSince) learningSince = c.firstSeenMs
      d.metrics.learningAgeSeconds.set(Number.isFinite(learningSince) ? Math.max(0, (d.clock.now() - learningSince) / 1000) : 0)
      for (const [status, n] of Object.entries(signatureCounts())) d.metrics.signatures.set({ status }, n)
      d.metrics.threatLevel.set(d.respond.threat.snapshot().level)
      d.metrics.deniedSources.set(d.respond.denyList.size())
      for (const m of d.memory?.()?.communities ?? []) d.metrics.memoryHeld.set({ community: m.community }, m.held)
      return await d.metrics.registry.metrics()
    },

    async release (cell, opts = {}) {
      const sup = d.respond.supervisors.get(cell)
      if (opts.renew === true && sup == null) {
        if (!d.config.cells.some((c) => c.name === cell)) throw new HttpError(404, ApiErrorCode.UNKNOWN_CELL, `cell ${JSON.stringify(cell)}: no such cell`)
        throw new HttpError(400, ApiErrorCode.BAD_REQUEST, `cell ${JSON.stringify(cell)} is not supervised by the node: it cannot be renewed (release without --renew, then restart it yourself)`)
      }
      let released: Decision[] = []
      try {
        released = await d.respond.release(cell)
      } catch (err) {
        const e = err as { code?: string, message?: string }
        // with --renew, a cell that is not quarantined is simply renewed
        if (e.code !== UnknownCellError.code || opts.renew !== true || sup == null) {
          if (e.code === UnknownCellError.code) throw new HttpError(404, ApiErrorCode.UNKNOWN_CELL, e.message ?? `unknown cell ${cell}`)
          throw err
        }
      }
      if (opts.renew === true && sup != null) {
        const r = await sup.renew('manual')
        return { cell, released, renewed: { oldPid: r.oldPid, newPid: r.newPid, kill: r.kill ?? null }, note: 'renewed: the old instance and every process it started are gone; a fresh one runs from the command as configured' }
      }
      return { cell, released, note: `release does not remove the cause: the same process resumes as it was${sup != null ? ` (immune-node release ${cell} --renew replaces it with a fresh instance)` : ''}` }
    }
  }
}

function round (v: number): number {
  return Math.round(v * 1000) / 1000
}
