/**
 * Applies decisions, keeps the active ones until they expire (Clock), undoes
 * them, and persists every decision and an audit trail through the Store
 * (sublevels `decisions`, `audit`, `offences`).
 *
 * Durability: a decision and its audit record are written (one atomic batch)
 * BEFORE the responder runs, so a `kill -9` never loses a decision that was
 * taken. On start, active decisions are restored with their remaining time;
 * those past due are undone (audit `expired`).
 */
import type { Clock, TimerHandle } from '../../core/index.js'
import { ResponderError, UnknownCellError } from '../errors.js'
import type { Store, Sublevel } from '../store/index.js'
import { silentLog } from '../../core/index.js'
import type { LogSink } from '../../core/index.js'
import { createDecisionLogic } from './decision-logic.js'
import type { DecisionLogic } from './decision-logic.js'
import type { Policy } from './policy.js'
import type { ActionType, DangerEvent, DecideBreakdown, Decision, DecisionTarget, PolicyState } from './policy-types.js'
import type { ResponderReceipt, ResponderRegistry } from './responder.js'
import { normalizeAddress } from './address.js'
import { scannerStateToJSON } from './scanner.js'

export type DecisionStatus = 'pending' | 'active' | 'done' | 'dry-run' | 'failed' | 'expired' | 'released' | 'revoked'

export interface DecisionRecord {
  decision: Decision
  status: DecisionStatus
  appliedAtMs: number | null
  undoneAtMs: number | null
  receipt: ResponderReceipt | null
  error: string | null
}

export type AuditEvent =
  | 'decided' | 'dry-run' | 'skipped' | 'applied' | 'failed' | 'restored'
  | 'expired' | 'released' | 'revoked' | 'undo-failed' | 'suspended' | 'interrupted'

export interface AuditRecord {
  seq: number
  atMs: number
  event: AuditEvent
  decisionId: string | null
  action: ActionType
  target: DecisionTarget | null
  cell: string
  level: 1 | 2
  origin: 'local' | 'remote'
  dryRun: boolean
  /** What and why, one line. */
  reason: string
  /** The detector's explanation, verbatim. */
  explanation: string
  /** Extra: error text, skip reason, receipt summary. */
  detail?: string
  expiresAtMs?: number | null
}

export interface DecisionManagerComponents {
  clock: Clock
  store: Store
  responders: ResponderRegistry
  logger?: LogSink
  metrics?: RespondMetricsLike
  /** The node's decision logic (node/brain shares one with the manager); default: its own over init.policy. */
  logic?: DecisionLogic
}

/** What the manager reports to metrics (see createRespondMetrics). */
export interface RespondMetricsLike {
  onDecision: (action: ActionType, dryRun: boolean) => void
  onFailure: (action: ActionType) => void
}

export interface DecisionManagerInit {
  policy: Policy
  /** A responder that does not finish within this is recorded as failed (terminate-and-renew also gets its grace period). */
  applyTimeoutMs?: number
  /** Finished decisions and audit records older than this are deleted (checked at start and hourly). */
  retainMs?: number
  /**
   * Decision records kept at most (config budgets.decisionRecords; audit
   * records: 4× this): beyond it the oldest finished ones are deleted, at the
   * next prune, which also runs after every maxRecords/4 new decisions.
   */
  maxRecords?: number
  /** On stop(), resume quarantined cells (their decisions stay active and are re-applied at the next start). */
  resumeQuarantinesOnStop?: boolean
}

export interface HandleResult extends DecideBreakdown {
  /** Per decision: the final status after applying. */
  statuses: Record<string, DecisionStatus>
}

export interface DecisionManager {
  start: () => Promise<void>
  stop: () => Promise<void>
  /** Decide on a danger event, persist, apply. Resolves once every decision is applied (or failed). */
  handle: (event: DangerEvent) => Promise<HandleResult>
  /** Persist and apply decisions already taken by the logic (node/brain judged the event). */
  commit: (event: DangerEvent, breakdown: DecideBreakdown) => Promise<HandleResult>
  /** Ends every active quarantine of the cell now (the CLI's `immune-node release <cell>`). */
  release: (cell: string) => Promise<Decision[]>
  /** Ends one active decision now (a block-source decision's source is forgiven: policy forgiveSource). */
  revoke: (id: string, why?: string) => Promise<DecisionRecord | null>
  /**
   * Lifts every block of `address` now: each active block-source decision on
   * it is revoked (deny list and firewall entry removed by its responder,
   * audit `revoked`), and the source is forgiven (its live block and
   * offence record end). What `immune-node unblock` and its API route call.
   */
  unblock: (address: string, why?: string) => Promise<DecisionRecord[]>
  /** Active (applied, not yet expired) decisions. */
  active: () => Decision[]
  get: (id: string) => Promise<DecisionRecord | null>
  list: (opts?: { limit?: number, status?: DecisionStatus }) => Promise<DecisionRecord[]>
  audit: (opts?: { sinceMs?: number, limit?: number, decisionId?: string }) => Promise<AuditRecord[]>
  policyState: () => PolicyState
  readonly policy: Policy
}

/** Before incremental persistence the whole offences table was one value under this key (read once, then deleted). */
const LEGACY_OFFENCES_KEY = 'state'
/** The escalation state, incrementally: `seq` and one record per offender key (`o:<key>`). */
const SEQ_KEY = 'seq'
/** The scanner rule's learned anomaly rate (the live blocks are rebuilt from the active decisions at start). */
const SCANNER_KEY = 'scanner'
const OFFENDER_PREFIX = 'o:'
const HOUR_MS = 3_600_000
const MAX_TIMER_MS = 2 ** 31 - 1

function auditKey (seq: number): string {
  return String(seq).padStart(16, '0')
}

export function createDecisionManager (components: DecisionManagerComponents, init: DecisionManagerInit): DecisionManager {
  const { clock, store, responders } = components
  const log = components.logger ?? silentLog
  const policy = components.logic?.policy ?? init.policy
  const applyTimeoutMs = init.applyTimeoutMs ?? 30_000
  const retainMs = init.retainMs ?? 30 * 24 * HOUR_MS
  const resumeOnStop = init.resumeQuarantinesOnStop ?? true
  const logic = components.logic ?? createDecisionLogic(policy)
  const maxRecords = init.maxRecords ?? 20_000
  const maxAudit = 4 * maxRecords
  let auditCount = 0
  let sincePrune = 0
  let pruning: Promise<void> | null = null

  let decisionsDb: Sublevel
  let auditDb: Sublevel
  let offencesDb: Sublevel
  let auditSeq = 0
  let started = false
  const active = new Map<string, DecisionRecord>()
  let expiryTimer: TimerHandle | null = null
  let pruneTimer: TimerHandle | null = null
  const inflight = new Set<Promise<unknown>>()

  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p)
    p.finally(() => inflight.delete(p)).catch(() => {})
    return p
  }

  const auditOf = (event: AuditEvent, d: Decision, detail?: string): AuditRecord => ({
    seq: ++auditSeq,
    atMs: clock.now(),
    event,
    decisionId: d.id,
    action: d.action,
    target: d.target,
    cell: d.cell,
    level: d.level,
    origin: d.origin,
    dryRun: d.dryRun,
    reason: d.reason,
    explanation: d.explanation,
    ...(detail != null ? { detail } : {}),
    expiresAtMs: d.expiresAtMs
  })

  /**
   * One atomic write: decision records + audit records (+ the offender keys
   * the logic changed since the last write: a put or a delete each, never the
   * whole table).
   */
  const write = async (records: DecisionRecord[], audits: AuditRecord[], withState = false): Promise<void> => {
    const batch = store.db.batch()
    for (const r of records) batch.put(r.decision.id, r as never, { sublevel: decisionsDb as never })
    for (const a of audits) batch.put(auditKey(a.seq), a as never, { sublevel: auditDb as never })
    if (withState) putState(batch)
    await batch.write()
    auditCount += audits.length
  }

  /** Counted when a decision is first written: past a quarter of the budget, prune (one at a time). */
  const countNew = (n: number): void => {
    sincePrune += n
    if (pruning == null && started && (sincePrune >= Math.max(1, maxRecords >> 2) || auditCount > maxAudit)) {
      sincePrune = 0
      pruning = track(prune()).catch((err) => { log.warn({ err: String(err) }, 'pruning decisions failed') }).finally(() => { pruning = null })
    }
  }

  const putState = (batch: ReturnType<Store['db']['batch']>): void => {
    const changed = logic.takeDirty()
    for (const [key, list] of changed) {
      if (list == null) batch.del(OFFENDER_PREFIX + key, { sublevel: offencesDb as never })
      else batch.put(OFFENDER_PREFIX + key, list as never, { sublevel: offencesDb as never })
    }
    if (changed.length > 0) {
      batch.put(SEQ_KEY, logic.state.seq as never, { sublevel: offencesDb as never })
      batch.put(SCANNER_KEY, scannerStateToJSON(logic.state.scanner) as never, { sublevel: offencesDb as never })
    }
  }

  /** The escalation state from its records (or from the legacy one-value table, rewritten as records). */
  const loadState = async (): Promise<void> => {
    const legacy = await offencesDb.get(LEGACY_OFFENCES_KEY)
    const json: { seq: unknown, offences: Record<string, unknown>, scanner?: unknown } = { seq: 0, offences: {} }
    if (legacy != null && typeof legacy === 'object') {
      Object.assign(json, legacy)
      // the legacy table comes from the policy before sourceBan, where every level-2 offence was a penalty
      for (const list of Object.values(json.offences)) {
        if (Array.isArray(list)) for (const o of list as Array<{ level?: unknown, penalty?: unknown }>) if (o != null && o.level === 2) o.penalty = true
      }
    }
    const recs: Array<[string, unknown, number]> = []
    for await (const [key, value] of offencesDb.iterator()) {
      if (key === SEQ_KEY) json.seq = value
      else if (key === SCANNER_KEY) json.scanner = value
      else if (key.startsWith(OFFENDER_PREFIX) && Array.isArray(value)) {
        recs.push([key.slice(OFFENDER_PREFIX.length), value, Number((value[value.length - 1] as { atMs?: unknown } | undefined)?.atMs) || 0])
      }
    }
    // key order is recency order (the least recent is evicted first): oldest last offence first
    recs.sort((a, b) => a[2] - b[2])
    for (const [k, v] of recs) json.offences[k] = v
    logic.restore(json)
    if (legacy != null) {
      const batch = store.db.batch()
      batch.del(LEGACY_OFFENCES_KEY, { sublevel: offencesDb as never })
      for (const [k, list] of logic.state.offences) batch.put(OFFENDER_PREFIX + k, list as never, { sublevel: offencesDb as never })
      batch.put(SEQ_KEY, logic.state.seq as never, { sublevel: offencesDb as never })
      await batch.write()
    }
  }

  const withTimeout = async <T>(p: Promise<T>, ms: number, what: string, d: Decision): Promise<T> => {
    let timer: TimerHandle | null = null
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = clock.setTimeout(() => reject(new ResponderError(what, d.id, `no answer within ${ms} ms`)), ms)
    })
    try {
      return await Promise.race([p, timeout])
    } finally {
      if (timer != null) clock.clearTimeout(timer)
    }
  }

  const rearm = (): void => {
    if (expiryTimer != null) { clock.clearTimeout(expiryTimer); expiryTimer = null }
    if (!started) return
    let soonest = Infinity
    for (const r of active.values()) if (r.decision.expiresAtMs != null) soonest = Math.min(soonest, r.decision.expiresAtMs)
    if (soonest === Infinity) return
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, soonest - clock.now()))
    expiryTimer = clock.setTimeout(() => { expiryTimer = null; track(expireDue()).catch(() => {}) }, delay)
  }

  const undoRecord = async (r: DecisionRecord, status: DecisionStatus, event: AuditEvent, detail?: string): Promise<void> => {
    active.delete(r.decision.id)
    // an operator lifted a block: the source starts afresh (its expiry needs nothing: the live block ends by its time)
    if (status === 'revoked' && r.decision.target.kind === 'source' && r.decision.action === 'block-source') logic.forgive(r.decision.target.address)
    const responder = responders.get(r.decision.action)
    let err: string | null = null
    if (responder != null) {
      try {
        await withTimeout(responder.undo(r.decision, r.receipt), applyTimeoutMs, r.decision.action, r.decision)
      } catch (e) {
        err = (e as Error).message
        log.error({ decisionId: r.decision.id, err }, `undo of ${r.decision.action} failed`)
        components.metrics?.onFailure(r.decision.action)
      }
    }
    const next: DecisionRecord = { ...r, status, undoneAtMs: clock.now(), error: err ?? r.error }
    const audits = [auditOf(event, r.decision, detail)]
    if (err != null) audits.push(auditOf('undo-failed', r.decision, err))
    await write([next], audits)
    log.info({ decisionId: r.decision.id, action: r.decision.action, status }, `${r.decision.action} on ${describeTarget(r.decision.target)} ${status}`)
  }

  const expireDue = async (): Promise<void> => {
    const now = clock.now()
    const due = [...active.values()].filter(r => r.decision.expiresAtMs != null && r.decision.expiresAtMs <= now)
    // leave the active set and re-arm first (synchronously), so the next expiry is scheduled even while these undo
    for (const r of due) active.delete(r.decision.id)
    rearm()
    for (const r of due) await undoRecord(r, 'expired', 'expired')
  }

  const applyRecord = async (r: DecisionRecord, restoring: boolean): Promise<DecisionRecord> => {
    const d = r.decision
    const responder = responders.get(d.action)
    let next: DecisionRecord
    let audit: AuditRecord
    if (responder == null) {
      next = { ...r, status: 'failed', error: `no responder registered for ${d.action}` }
      audit = auditOf('failed', d, next.error as string)
      components.metrics?.onFailure(d.action)
    } else {
      const timeout = applyTimeoutMs + (d.action === 'terminate-and-renew' ? Number(d.params.graceSec ?? 0) * 1000 : 0)
      try {
        const receipt = await withTimeout(responder.apply(d), timeout, d.action, d)
        const ongoing = d.expiresAtMs != null
        next = { ...r, status: ongoing ? 'active' : 'done', appliedAtMs: clock.now(), receipt: receipt ?? null, error: null }
        audit = auditOf(restoring ? 'restored' : 'applied', d, receipt != null ? JSON.stringify(receipt).slice(0, 500) : undefined)
      } catch (e) {
        const msg = (e as Error).message
        next = { ...r, status: 'failed', error: msg }
        audit = auditOf('failed', d, msg)
        components.metrics?.onFailure(d.action)
        log.error({ decisionId: d.id, action: d.action, err: msg }, `${d.action} failed`)
      }
    }
    if (next.status === 'active') active.set(d.id, next)
    await write([next], [audit])
    // expired while the responder ran?
    if (next.status === 'active') rearm()
    return next
  }

  const restore = async (): Promise<void> => {
    const now = clock.now()
    const toApply: DecisionRecord[] = []
    const toUndo: DecisionRecord[] = []
    const interrupted: DecisionRecord[] = []
    for await (const [, value] of decisionsDb.iterator()) {
      const r = value as DecisionRecord
      if (r.status !== 'active' && r.status !== 'pending') continue
      const d = r.decision
      if (d.expiresAtMs == null) interrupted.push(r)
      else if (d.expiresAtMs <= now) toUndo.push(r)
      else toApply.push(r)
    }
    for (const r of interrupted) {
      const next: DecisionRecord = { ...r, status: 'done', appliedAtMs: r.appliedAtMs ?? null }
      await write([next], [auditOf('interrupted', r.decision, 'the node stopped while this action ran; not repeated')])
    }
    for (const r of toUndo) await undoRecord(r, 'expired', 'expired', 'expired while the node was down')
    for (const r of toApply.sort((a, b) => a.decision.createdAtMs - b.decision.createdAtMs)) {
      await applyRecord(r, true)
    }
    if (toApply.length + toUndo.length > 0) log.info({ restored: toApply.length, expired: toUndo.length }, 'decisions restored')
  }

  /** Deletes what is older than retainMs, and the oldest beyond the record budgets. */
  const prune = async (): Promise<void> => {
    const horizon = clock.now() - retainMs
    const batch = store.db.batch()
    let n = 0
    // audit keys are in seq order: the oldest first
    let audits = 0
    for await (const _ of auditDb.keys()) audits++
    let auditOver = audits - maxAudit
    for await (const [key, value] of auditDb.iterator()) {
      if ((value as AuditRecord).atMs >= horizon && auditOver <= 0) break
      batch.del(key, { sublevel: auditDb as never })
      auditOver--
      audits--
      n++
    }
    const finished: Array<[string, number]> = []
    let kept = 0
    for await (const [key, value] of decisionsDb.iterator()) {
      const r = value as DecisionRecord
      kept++
      if (r.status === 'active' || r.status === 'pending') continue
      const at = r.undoneAtMs ?? r.appliedAtMs ?? r.decision.createdAtMs
      if (at < horizon) { batch.del(key, { sublevel: decisionsDb as never }); n++; kept-- } else finished.push([key, at])
    }
    if (kept > maxRecords) {
      finished.sort((a, b) => a[1] - b[1])
      for (const [key] of finished.slice(0, kept - maxRecords)) { batch.del(key, { sublevel: decisionsDb as never }); n++; kept-- }
    }
    auditCount = audits
    logic.prune(clock.now())
    // records of offenders pruned or evicted from the state (maxTracked) go too
    for await (const key of offencesDb.keys()) {
      if (key.startsWith(OFFENDER_PREFIX) && !logic.state.offences.has(key.slice(OFFENDER_PREFIX.length))) { batch.del(key, { sublevel: offencesDb as never }); n++ }
    }
    putState(batch)
    await batch.write()
    if (n > 0) log.debug({ deleted: n }, 'old decisions and audit records pruned')
  }

  const schedulePrune = (): void => {
    pruneTimer = clock.setTimeout(() => {
      pruneTimer = null
      track(prune()).catch((err) => { log.warn({ err: String(err) }, 'pruning decisions failed') }).finally(() => { if (started) schedulePrune() })
    }, HOUR_MS)
  }

  const manager: DecisionManager = {
    policy,
    async start () {
      if (started) return
      decisionsDb = store.sub('decisions')
      auditDb = store.sub('audit')
      offencesDb = store.sub('offences')
      await loadState()
      for await (const key of auditDb.keys({ reverse: true, limit: 1 })) auditSeq = Number(key)
      started = true
      await restore()
      // one live block per source survives the restart: the active block-source decisions hold them
      for (const r of active.values()) {
        const d = r.decision
        if (d.action === 'block-source' && d.target.kind === 'source' && d.expiresAtMs != null) logic.noteBlock(d.target.address, d.expiresAtMs)
      }
      await prune()
      rearm()
      schedulePrune()
    },
    async stop () {
      if (!started) return
      started = false
      if (expiryTimer != null) { clock.clearTimeout(expiryTimer); expiryTimer = null }
      if (pruneTimer != null) { clock.clearTimeout(pruneTimer); pruneTimer = null }
      await Promise.allSettled([...inflight])
      if (resumeOnStop) {
        for (const r of [...active.values()].filter(x => x.decision.action === 'quarantine')) {
          const responder = responders.get('quarantine')
          try { await responder?.undo(r.decision, r.receipt) } catch {}
          await write([], [auditOf('suspended', r.decision, 'node stopped: cell resumed; the quarantine is re-applied at the next start if still due')])
        }
      }
      active.clear()
    },
    async handle (event) {
      if (!started) throw new ResponderError('decision-manager', '-', 'not started')
      return await manager.commit(event, logic.decide(event, clock.now()))
    },
    async commit (event, bd) {
      if (!started) throw new ResponderError('decision-manager', '-', 'not started')
      const now = clock.now()
      const records: DecisionRecord[] = bd.decisions.map(d => ({ decision: d, status: d.dryRun ? 'dry-run' : 'pending', appliedAtMs: null, undoneAtMs: null, receipt: null, error: null }))
      const audits = bd.decisions.map(d => auditOf(d.dryRun ? 'dry-run' : 'decided', d))
      for (const s of bd.skipped) {
        audits.push({
          seq: ++auditSeq, atMs: now, event: 'skipped', decisionId: null, action: s.action, target: null, cell: event.cell,
          level: bd.effectiveLevel, origin: event.origin, dryRun: false, reason: `rule ${s.rule || '-'}: ${s.action} skipped (${s.reason})`,
          explanation: event.explanation, detail: s.detail
        })
      }
      await write(records, audits, true)
      countNew(records.length)
      for (const d of bd.decisions) components.metrics?.onDecision(d.action, d.dryRun)
      const statuses: Record<string, DecisionStatus> = {}
      const run = async (): Promise<void> => {
        for (const r of records) {
          if (r.status === 'dry-run') {
            statuses[r.decision.id] = 'dry-run'
            log.info({ decisionId: r.decision.id, explanation: r.decision.explanation }, r.decision.reason)
            continue
          }
          const done = await applyRecord(r, false)
          statuses[r.decision.id] = done.status
        }
      }
      await track(run())
      return { ...bd, statuses }
    },
    async release (cell) {
      const held = [...active.values()].filter(r => r.decision.action === 'quarantine' && r.decision.cell === cell)
      if (held.length === 0) throw new UnknownCellError(cell, 'not quarantined')
      for (const r of held) await track(undoRecord(r, 'released', 'released', 'released on request'))
      rearm()
      return held.map(r => r.decision)
    },
    async revoke (id, why) {
      const r = active.get(id)
      if (r == null) return null
      await track(undoRecord(r, 'revoked', 'revoked', why ?? 'revoked on request'))
      rearm()
      return await manager.get(id)
    },
    async unblock (raw, why) {
      const address = normalizeAddress(raw) ?? raw
      const held = [...active.values()].filter(r => r.decision.action === 'block-source' && r.decision.target.kind === 'source' && r.decision.target.address === address)
      for (const r of held) await track(undoRecord(r, 'revoked', 'revoked', why ?? `${address} unblocked on request`))
      logic.forgive(address)
      if (held.length > 0) await write([], [], true)
      rearm()
      const out: DecisionRecord[] = []
      for (const r of held) { const got = await manager.get(r.decision.id); if (got != null) out.push(got) }
      return out
    },
    active () {
      return [...active.values()].map(r => r.decision).sort((a, b) => a.createdAtMs - b.createdAtMs)
    },
    async get (id) {
      const r = active.get(id)
      if (r != null) return r
      const v = await decisionsDb.get(id)
      return (v as DecisionRecord | undefined) ?? null
    },
    async list (opts = {}) {
      const limit = opts.limit ?? 1000
      const out: DecisionRecord[] = []
      for await (const [, v] of decisionsDb.iterator()) {
        const r = v as DecisionRecord
        if (opts.status != null && r.status !== opts.status) continue
        out.push(r)
      }
      out.sort((a, b) => b.decision.createdAtMs - a.decision.createdAtMs)
      return out.slice(0, limit)
    },
    async audit (opts = {}) {
      const limit = opts.limit ?? 1000
      const out: AuditRecord[] = []
      for await (const [, v] of auditDb.iterator({ reverse: true })) {
        const a = v as AuditRecord
        if (opts.sinceMs != null && a.atMs < opts.sinceMs) break
        if (opts.decisionId != null && a.decisionId !== opts.decisionId) continue
        out.push(a)
        if (out.length >= limit) break
      }
      return out.reverse()
    },
    policyState: () => logic.state
  }
  return manager
}

function describeTarget (t: DecisionTarget): string {
  return t.kind === 'source' ? t.address : `cell ${t.cell}`
}
