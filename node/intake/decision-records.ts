/**
 * What the intake decided and why, one record per decision, for
 * `GET /decisions/<id>`, logs and the simulator's reports. Kept in a bounded
 * insertion-ordered Map (oldest dropped first).
 */
import type { AlertKind } from '../../protocol/alert/index.js'
import { evictOldest } from '../../core/index.js'

export interface OriginWeight {
  origin: string
  /** E at decision time. */
  value: number
  weight: number
  /** weight · E (0 when blacklisted). */
  influence: number
  alertId?: string
}

export type AlertOutcome = 'accepted' | 'suspect' | 'ignored-blacklisted' | 'ignored-own' | 'duplicate'
export type SignatureOutcome = 'adopted' | 'rejected' | 'not-adopted' | 'already-adopted' | 'already-rejected' | 'error'

export interface SignatureDecision {
  id: string
  outcome: SignatureOutcome
  reason: string
  normalMatches: number
}

export interface AlertDecisionRecord {
  id: string
  type: 'alert'
  atMs: number
  alertId: string
  origin: string
  from: string
  community: string
  context: string
  kind: AlertKind
  danger: number
  outcome: AlertOutcome
  /** Short human-readable why. */
  why: string
  reputation: OriginWeight
  signatures: SignatureDecision[]
  sensitivity?: { factor: number, untilMs: number, contributors: OriginWeight[] }
  /** knownNormal: the address is a known normal client here: the vote was refused and its origin refuted. */
  sources: Array<{ address: string, sum: number, origins: number, blocked: boolean, blockDecisionId?: string, knownNormal?: true }>
}

export interface BlockDecisionRecord {
  id: string
  type: 'block-source'
  atMs: number
  address: string
  untilMs: number
  why: string
  quorum: { sum: number, required: number, minOrigins: number, origins: OriginWeight[] }
}

export interface CorroborationRecord {
  id: string
  type: 'corroboration'
  atMs: number
  event: CorroborationEvent
  credited: Array<OriginWeight & { alertIds: string[] }>
}

export interface RefutationRecord {
  id: string
  type: 'refutation'
  atMs: number
  event: RefutationEvent
  refuted: Array<OriginWeight & { alertIds: string[] }>
  unblocked: string[]
}

export type IntakeDecisionRecord = AlertDecisionRecord | BlockDecisionRecord | CorroborationRecord | RefutationRecord

/** The node met an attack itself (a signature hit, or its own detector on a context or source). */
export interface CorroborationEvent {
  community: string
  context?: string
  /** The parameter our detector blamed (a bare anomaly warning is credited only for its own context and parameter). */
  parameter?: string
  source?: string
  signatureId?: string
}

/** Our own evidence contradicts what peers said. */
export interface RefutationEvent {
  reason: string
  /** Refute this origin (optionally only its alert alertId) ... */
  origin?: string
  alertId?: string
  /** ... or every origin that warned about this source / signature / context within the window. */
  source?: string
  signatureId?: string
  community?: string
  context?: string
}

export class DecisionLog {
  private records: Map<string, IntakeDecisionRecord> | undefined
  constructor (private readonly max: number) {}

  add (rec: IntakeDecisionRecord): void {
    if (this.max === 0) return
    this.records ??= new Map()
    this.records.set(rec.id, rec)
    evictOldest(this.records, this.max)
  }

  get (id: string): IntakeDecisionRecord | undefined { return this.records?.get(id) }

  /** Most recent first. */
  list (limit = 100): IntakeDecisionRecord[] {
    if (this.records == null) return []
    const all = [...this.records.values()]
    return all.slice(Math.max(0, all.length - limit)).reverse()
  }

  toJSON (): IntakeDecisionRecord[] { return this.records == null ? [] : [...this.records.values()] }

  restore (recs: IntakeDecisionRecord[]): void {
    this.records = undefined
    for (const r of recs.slice(Math.max(0, recs.length - this.max))) this.add(r)
  }
}
