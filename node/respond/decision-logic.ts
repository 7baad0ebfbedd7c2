/**
 * The decision manager's logic, in memory and synchronous: a policy plus the
 * escalation state it reads and writes. `decide()` is `decideWithBreakdown()`
 * followed by `recordOffence()`, the one way an event becomes decisions.
 *
 * One instance per node: node/brain judges through it (daemon and simulator
 * alike), and the daemon's decision manager persists its state with the
 * decisions it applies (node/respond/decision-manager.ts).
 */
import { decideWithBreakdown, emptyPolicyState, policyStateFromJSON, policyStateToJSON, pruneOffences, recordOffence } from './policy.js'
import type { Policy } from './policy.js'
import type { DangerEvent, DecideBreakdown, PolicyState, PolicyStateJSON } from './policy-types.js'

export class DecisionLogic {
  private _state: PolicyState | undefined

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
    recordOffence(state, event, bd.effectiveLevel, this.policy, nowMs)
    return bd
  }

  /** Drops offences outside every window. */
  prune (nowMs: number): void {
    if (this._state != null) pruneOffences(this._state, this.policy, nowMs)
  }

  toJSON (): PolicyStateJSON { return policyStateToJSON(this.state) }

  /** Replaces the state with a persisted one (an unreadable one gives an empty state). */
  restore (json: unknown): void { this._state = policyStateFromJSON(json) }
}

export function createDecisionLogic (policy: Policy): DecisionLogic {
  return new DecisionLogic(policy)
}
