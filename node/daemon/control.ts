/**
 * Operator control, the body behind the CLI's nouns (`immune-node decisions
 * add|delete`, `unblock`, `allowlist add|remove`, `signatures revoke`) and
 * their API routes. Every change goes through the response system (revoke,
 * unblock, allowlist) or the signature store (retire) and is recorded in the
 * control audit log, persisted in the store (sublevel `control-audit`, the
 * newest MAX_CONTROL_AUDIT records kept) and read with `immune-node audit list`
 * (GET /audit/control). The decisions themselves keep their own trail
 * (`decided`, `applied`, `revoked`... in GET /audit).
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../../core/index.js'
import { ControlError } from '../errors.js'
import { normalizeAddress } from '../respond/index.js'
import type { AllowlistEntry, DangerEvent, DecisionRecord, DecisionStatus, Decision } from '../respond/index.js'
import type { SignatureRecord, SignatureStore } from '../signatures/index.js'
import type { Store, Sublevel } from '../store/index.js'
import type { ResponseSystem, UnblockResult } from './response-system.js'

/** Control audit records kept (oldest deleted first). */
export const MAX_CONTROL_AUDIT = 10_000
/** The longest block an operator can add (365 days). */
export const MAX_OPERATOR_BLOCK_SEC = 365 * 86_400

export type ControlOp =
  | 'decisions.add' | 'decisions.delete' | 'unblock'
  | 'allowlist.add' | 'allowlist.remove' | 'signatures.revoke'

/** Who asked: the CLI says `cli:<user>` (header X-Immune-Actor), any other client is `api`; `remote` is the client's address. */
export interface Actor {
  actor: string
  remote: string | null
}

export interface ControlAuditRecord {
  seq: number
  atMs: number
  op: ControlOp
  /** What it acted on: a decision id, an address, an allowlist entry, a signature id. */
  subject: string
  actor: string
  remote: string | null
  /** The operator's reason, when given. */
  reason: string | null
  /** One line: what changed. */
  result: string
}

/** A decision in one shape everywhere (GET /decisions, /decisions/:id, /status, the CLI): the decision, flat, with its state. */
export interface DecisionView extends Decision {
  status: DecisionStatus
  appliedAtMs: number | null
  undoneAtMs: number | null
  /** Seconds until it expires (active decisions with an expiry), else null. */
  remainingSec: number | null
  error: string | null
}

export function decisionView (r: DecisionRecord, nowMs: number): DecisionView {
  const d = r.decision
  const remainingSec = r.status === 'active' && d.expiresAtMs != null ? Math.max(0, Math.round((d.expiresAtMs - nowMs) / 1000)) : null
  return { ...d, status: r.status, appliedAtMs: r.appliedAtMs, undoneAtMs: r.undoneAtMs, remainingSec, error: r.error }
}

export interface AddDecisionInput {
  address: unknown
  durationSec: unknown
  reason?: unknown
  type?: unknown
}

export interface Control {
  start: () => Promise<void>
  addDecision: (input: AddDecisionInput, who: Actor) => Promise<DecisionView>
  deleteDecision: (id: string, reason: string | null, who: Actor) => Promise<DecisionView>
  unblock: (address: unknown, reason: string | null, who: Actor) => Promise<UnblockResult>
  allowlist: () => AllowlistEntry[]
  allowlistAdd: (entry: unknown, reason: string | null, who: Actor) => Promise<{ entry: AllowlistEntry, unblocked: UnblockResult[] }>
  allowlistRemove: (entry: string, reason: string | null, who: Actor) => Promise<{ entry: string, removed: true }>
  signature: (id: string) => SignatureRecord | null
  revokeSignature: (id: string, reason: string | null, who: Actor) => Promise<SignatureRecord>
  audit: (sinceMs: number, limit: number) => Promise<ControlAuditRecord[]>
}

export interface ControlComponents {
  clock: Clock
  store: Store
  respond: ResponseSystem
  signatures: SignatureStore
}

const key = (seq: number): string => String(seq).padStart(16, '0')

/** The reason as given (trimmed, at most 500 characters), or null. */
export function readReason (v: unknown): string | null {
  if (v == null || v === '') return null
  if (typeof v !== 'string') throw new ControlError('reason', 400, 'reason must be a string')
  const t = v.trim()
  return t === '' ? null : t.slice(0, 500)
}

export function createControl (c: ControlComponents): Control {
  const { clock, respond } = c
  let db: Sublevel
  let seq = 0

  const record = async (op: ControlOp, subject: string, reason: string | null, who: Actor, result: string): Promise<void> => {
    const rec: ControlAuditRecord = { seq: ++seq, atMs: clock.now(), op, subject, actor: who.actor, remote: who.remote, reason, result }
    await db.put(key(rec.seq), rec as never)
    if (rec.seq > MAX_CONTROL_AUDIT) await db.clear({ lte: key(rec.seq - MAX_CONTROL_AUDIT) })
  }

  const address = (v: unknown, field = 'address'): string => {
    const a = typeof v === 'string' ? normalizeAddress(v) : null
    if (a == null) throw new ControlError(field, 400, `${field} ${JSON.stringify(v)} (accepted: an IPv4 or IPv6 address)`)
    return a
  }

  return {
    async start () {
      db = c.store.sub('control-audit')
      for await (const k of db.keys({ reverse: true, limit: 1 })) seq = Number(k)
    },

    async addDecision (input, who) {
      const type = input.type ?? 'block-source'
      if (type !== 'block-source' && type !== 'ban') throw new ControlError('type', 400, `type ${JSON.stringify(type)} (accepted: block-source, or its alias ban)`)
      const a = address(input.address)
      const sec = input.durationSec
      if (typeof sec !== 'number' || !Number.isInteger(sec) || sec < 1 || sec > MAX_OPERATOR_BLOCK_SEC) {
        throw new ControlError('durationSec', 400, `durationSec ${JSON.stringify(sec)} (accepted: whole seconds from 1 to ${MAX_OPERATOR_BLOCK_SEC})`)
      }
      const reason = readReason(input.reason)
      const allowed = respond.allowlist.match(a)
      if (allowed != null) throw new ControlError('address', 409, `${a} is on the allowlist (${allowed.entry}, ${allowed.origin}); remove it from the allowlist first`)
      const now = clock.now()
      const explanation = `blocked by the operator (${who.actor})${reason != null ? `: ${reason}` : ''}`
      const event: DangerEvent = { cell: '*', level: 2, source: a, context: 'operator', explanation, origin: 'local', refs: { actor: who.actor } }
      const decision: Decision = {
        id: randomBytes(12).toString('hex'),
        action: 'block-source',
        target: { kind: 'source', address: a },
        cell: '*',
        level: 2,
        origin: 'local',
        context: 'operator',
        reason: `operator: block ${a} for ${sec}s${reason != null ? ` (${reason})` : ''}`,
        explanation,
        rule: 'operator',
        params: { durationSec: sec, baseDurationSec: sec },
        createdAtMs: now,
        expiresAtMs: now + sec * 1000,
        dryRun: false,
        escalation: { step: 0, multiplier: 1, levelBumped: false, offenderKey: `src:${a}`, atMs: now },
        refs: { actor: who.actor }
      }
      const escalation = decision.escalation
      // an operator's block rests on the operator's word, not on an evidence assessment (ban: null)
      await respond.commit(event, { decisions: [decision], skipped: [], rule: 'operator', effectiveLevel: 2, escalation, ban: null })
      const r = await respond.decisions.get(decision.id)
      const view = decisionView(r!, clock.now())
      await record('decisions.add', decision.id, reason, who, `block-source ${a} for ${sec}s: ${view.status}`)
      return view
    },

    async deleteDecision (id, reason, who) {
      const existing = await respond.decisions.get(id)
      if (existing == null) throw new ControlError('id', 404, `no decision ${id}`)
      if (existing.status !== 'active') throw new ControlError('id', 409, `decision ${id} is not in force (status ${existing.status}); nothing to delete`)
      const r = await respond.revoke(id, `deleted by the operator (${who.actor})${reason != null ? `: ${reason}` : ''}`)
      if (r == null) throw new ControlError('id', 409, `decision ${id} ended meanwhile`)
      const d = r.decision
      await record('decisions.delete', id, reason, who, `${d.action} ${d.target.kind === 'source' ? d.target.address : `cell ${d.target.cell}`} revoked`)
      return decisionView(r, clock.now())
    },

    async unblock (v, reason, who) {
      const a = address(v)
      const r = await respond.unblock(a, `unblocked by the operator (${who.actor})${reason != null ? `: ${reason}` : ''}`)
      await record('unblock', a, reason, who, `${r.revoked.length} decision(s) revoked${r.wasDenied ? ', deny-list entry removed' : ', was not blocked'}${r.forgotOffences ? ', offences forgotten' : ''}`)
      return r
    },

    allowlist: () => respond.allowlist.list(),

    async allowlistAdd (entry, reason, who) {
      if (typeof entry !== 'string') throw new ControlError('entry', 400, `entry ${JSON.stringify(entry)} (accepted: an IPv4/IPv6 address or CIDR block)`)
      let out: { entry: AllowlistEntry, unblocked: UnblockResult[] }
      try {
        out = await respond.allowlistAdd(entry, reason ?? undefined)
      } catch (err) {
        if (err instanceof RangeError) throw new ControlError('entry', 400, `entry ${err.message}`)
        throw err
      }
      await record('allowlist.add', out.entry.entry, reason, who, `${out.entry.origin === 'config' ? 'already in the config' : 'added'}${out.unblocked.length > 0 ? `; unblocked ${out.unblocked.map((u) => u.address).join(', ')}` : ''}`)
      return out
    },

    async allowlistRemove (entry, reason, who) {
      const r = await respond.allowlistRemove(entry)
      if (r === 'config') throw new ControlError('entry', 409, `${entry} comes from the config file (policy.allowlist); remove it there and restart`)
      if (r === 'absent') throw new ControlError('entry', 404, `${entry} is not on the allowlist`)
      await record('allowlist.remove', entry, reason, who, 'removed')
      return { entry, removed: true }
    },

    signature: (id) => c.signatures.get(id) ?? null,

    async revokeSignature (id, reason, who) {
      const prev = c.signatures.get(id)
      if (prev == null) throw new ControlError('id', 404, `no signature ${id}`)
      if (prev.code === 'retired') throw new ControlError('id', 409, `signature ${id} is already retired (${prev.reason})`)
      const r = await c.signatures.retire(id, `revoked by the operator (${who.actor})${reason != null ? `: ${reason}` : ''}`)
      await record('signatures.revoke', id, reason, who, `was ${prev.status}; now retired for good`)
      return r!
    },

    async audit (sinceMs, limit) {
      const out: ControlAuditRecord[] = []
      for await (const [, v] of db.iterator({ reverse: true })) {
        const a = v as ControlAuditRecord
        if (a.atMs < sinceMs) break
        out.push(a)
        if (out.length >= limit) break
      }
      return out.reverse()
    }
  }
}
