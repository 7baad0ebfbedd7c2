/**
 * The decision manager's logic, in memory and synchronous: a policy plus the
 * escalation state it reads and writes. `decide()` is `decideWithBreakdown()`
 * followed by `recordOffence()`, the one way an event becomes decisions.
 *
 * One instance per node: node/brain judges through it (daemon and simulator
 * alike), and the daemon's decision manager persists its state with the
 * decisions it applies (node/respond/decision-manager.ts).
 */
import { decideWithBreakdown, emptyPolicyState, forgiveSource, offenderKey, policyStateFromJSON, policyStateToJSON, pruneOffences, recordOffence, recordRequest } from './policy.js'
import type { Policy } from './policy.js'
import { normalizeAddress } from './address.js'
import type { DangerEvent, DecideBreakdown, OffenceRecord, PolicyState, PolicyStateJSON } from './policy-types.js'

export class DecisionLogic {
  private _state: PolicyState | undefined
  /** Offender keys changed since the last takeDirty() (what the decision manager persists, incrementally). */
  private readonly dirty = new Set<string>()

  constructor (readonly policy: Policy) {}

  /** The escalation state (created on first use: a simulated host that never decides costs nothing). */
  get state (): PolicyState {
    this._state ??= emptyPolicyState()
    return this._state
  }

  /** The decisions for `event` at `nowMs`; the event is remembered for escalation. */
  decide (event: DangerEvent, nowMs: number): DecideBreakdown {
    const state = this.state
    const bd = decideWithBreakdown(event, state, this.policy, nowMs)
    recordOffence(state, event, bd, this.policy, nowMs)
    // bounded: a key evicted from the state (maxTracked) is persisted as a delete, then forgotten here
    this.dirty.add(offenderKey(event))
    if (this.dirty.size > this.policy.config.escalation.maxTracked) this.dirty.delete(this.dirty.values().next().value as string)
    return bd
  }

  /** A scored request of `source` that was normal, at its event time (the scanner rule's denominator). */
  observeRequest (source: string, atMs: number): void {
    recordRequest(this.state, source, atMs, this.policy)
  }

  /** The source's block was lifted by an operator: its live block ends and its record is forgiven. */
  forgive (address: string): void {
    if (this._state == null) return
    forgiveSource(this._state, address)
    const a = normalizeAddress(address)
    if (a != null) this.dirty.add(`src:${a}`)
  }

  /** A live block restored with its decision (the decision manager's start). */
  noteBlock (address: string, untilMs: number): void {
    const a = normalizeAddress(address)
    if (a != null) this.state.blocks.set(a, Math.max(untilMs, this.state.blocks.get(a) ?? 0))
  }

  /** The source's live block ended early (a refutation lifted it): a new block may be decided. */
  endBlock (address: string): void {
    this._state?.blocks.delete(address)
  }

  /** Until when the source's live block holds (null: none). */
  liveBlockUntil (address: string, nowMs: number): number | null {
    const until = this._state?.blocks.get(address)
    return until != null && until > nowMs ? until : null
  }

  /** Drops offences outside every window. */
  prune (nowMs: number): void {
    if (this._state != null) pruneOffences(this._state, this.policy, nowMs)
  }

  /** The offender keys changed since the last call, each with its offences now (null: gone, delete it). */
  takeDirty (): Array<[string, OffenceRecord[] | null]> {
    const out: Array<[string, OffenceRecord[] | null]> = []
    for (const k of this.dirty) out.push([k, this.state.offences.get(k) ?? null])
    this.dirty.clear()
    return out
  }

  /** Whether the source has an escalation history now (what an operator's unblock forgives). */
  hasOffences (address: string): boolean {
    const a = normalizeAddress(address)
    return a != null && (this._state?.offences.has(`src:${a}`) ?? false)
  }

  toJSON (): PolicyStateJSON { return policyStateToJSON(this.state) }

  /** Replaces the state with a persisted one (an unreadable one gives an empty state). */
  restore (json: unknown): void { this._state = policyStateFromJSON(json) }
}

export function createDecisionLogic (policy: Policy): DecisionLogic {
  return new DecisionLogic(policy)
}
