/**
 * The policy engine: a pure function from a danger event, the escalation
 * state and the policy (data) to the decisions to take.
 *
 * Invariant (DESIGN.md #1): an event whose origin is `remote` never produces
 * `quarantine` or `terminate-and-renew`, whatever the policy says.
 */
import { createHash } from 'node:crypto'
import type { BlockList } from 'node:net'
import { addressInSet, createAddressSet, normalizeAddress } from './address.js'
import { boundedSet } from '../../core/index.js'
import { createPolicyConfig } from './policy-config.js'
import type { PolicyCellInfo } from './policy-config.js'
import { PROCESS_CELL_TYPES } from './policy-types.js'
import { actionKind } from './action-kinds.js'
import type { ActionContext } from './action-kind.js'
import type {
  ActionSpec, CellType, DangerEvent, DecideBreakdown, Decision, EscalationStep,
  PolicyConfig, PolicyRule, PolicyState, PolicyStateJSON, SkippedAction
} from './policy-types.js'

/** A policy ready for `decide()`: validated config, cell types, compiled allowlist. Frozen. */
export interface Policy {
  readonly config: PolicyConfig
  readonly cellTypes: ReadonlyMap<string, CellType>
  readonly allowlist: BlockList
}

/** Validates `config` (full or partial, merged over the defaults) and compiles it. Throws ConfigError. */
export function createPolicy (config: unknown, cells: readonly PolicyCellInfo[] = []): Policy {
  const validated = createPolicyConfig(config, cells)
  return Object.freeze({
    config: deepFreeze(validated),
    cellTypes: new Map(cells.map(c => [c.name, c.type])),
    allowlist: createAddressSet(validated.allowlist)
  })
}

export function isAllowlisted (policy: Policy, address: string): boolean {
  return addressInSet(policy.allowlist, address)
}

export function emptyPolicyState (): PolicyState {
  return { offences: new Map(), seq: 0 }
}

/** The state as plain JSON (what the decision manager persists). */
export function policyStateToJSON (state: PolicyState): PolicyStateJSON {
  return { offences: Object.fromEntries(state.offences), seq: state.seq }
}

/** A state from its JSON (unknown or malformed input gives an empty state; bad entries are skipped). */
export function policyStateFromJSON (json: unknown): PolicyState {
  const state = emptyPolicyState()
  const j = json as Partial<PolicyStateJSON> | null
  if (j == null || typeof j !== 'object' || j.offences == null || typeof j.offences !== 'object') return state
  state.seq = Number.isSafeInteger(j.seq) ? j.seq as number : 0
  for (const [key, list] of Object.entries(j.offences)) {
    if (!Array.isArray(list)) continue
    const ok = list.filter(o => o != null && typeof o.atMs === 'number' && (o.origin === 'local' || o.origin === 'remote') && (o.level === 1 || o.level === 2))
    if (ok.length > 0) state.offences.set(key, ok)
  }
  return state
}

/** `src:<canonical address>` when the event has a valid source, else `cell:<cell>`. */
export function offenderKey (event: Pick<DangerEvent, 'source' | 'cell'>): string {
  const a = event.source != null ? normalizeAddress(event.source) : null
  return a != null ? `src:${a}` : `cell:${event.cell}`
}

/** The rule for (cell, level): the cell's own rule, else its type's, else `*`. */
export function findRule (policy: Policy, cell: string, level: 1 | 2): PolicyRule | null {
  const rules = policy.config.rules
  const type = policy.cellTypes.get(cell)
  return rules.find(r => r.level === level && r.cell === cell) ??
    (type != null ? rules.find(r => r.level === level && r.cell === `type:${type}`) : undefined) ??
    rules.find(r => r.level === level && r.cell === '*') ??
    null
}

function ruleName (r: PolicyRule): string {
  return `${r.cell}/${r.level}`
}

/** Escalation for an event: how many earlier offences, the duration multiplier, and whether the level is bumped. */
export function escalationFor (event: DangerEvent, state: PolicyState, policy: Policy, nowMs: number): EscalationStep {
  const e = policy.config.escalation
  const key = offenderKey(event)
  const history = state.offences.get(key) ?? []
  const windowStart = nowMs - e.windowSec * 1000
  const bumpStart = nowMs - e.bumpWindowSec * 1000
  let step = 0
  let recentLocalOffences = 0
  for (const o of history) {
    if (o.atMs > nowMs) continue
    // a local event escalates on local offences only: peers cannot make local responses harsher
    if (o.level === 2 && o.atMs > windowStart && (event.origin === 'remote' || o.origin === 'local')) step++
    if (o.origin === 'local' && o.atMs > bumpStart) recentLocalOffences++
  }
  const levelBumped = event.level === 1 && event.origin === 'local' && e.bumpLevelAfter > 0 && recentLocalOffences >= e.bumpLevelAfter
  return { step, recentLocalOffences, multiplier: Math.pow(e.durationMultiplier, step), levelBumped, offenderKey: key }
}

function escalatedSec (baseSec: number, esc: EscalationStep, policy: Policy): number {
  if (esc.step === 0) return baseSec
  const cap = Math.max(policy.config.escalation.maxDurationSec, baseSec)
  return Math.min(cap, Math.round(baseSec * esc.multiplier))
}

/** 20 hex digits naming one decide() call; each decision appends its action's index (4 hex): one hash per event, not per action. */
function eventDigest (event: DangerEvent, state: PolicyState, nowMs: number): string {
  const h = createHash('sha256')
  h.update(JSON.stringify([nowMs, state.seq, event.cell, event.level, event.source ?? '', event.context, event.origin]))
  return h.digest('hex').slice(0, 20)
}

/** `decide()` with its breakdown: the matched rule, the escalation, and every action skipped with its reason. */
export function decideWithBreakdown (event: DangerEvent, state: PolicyState, policy: Policy, nowMs: number): DecideBreakdown {
  const escalation = escalationFor(event, state, policy, nowMs)
  const effectiveLevel: 1 | 2 = escalation.levelBumped ? 2 : event.level
  const rule = findRule(policy, event.cell, effectiveLevel)
  const decisions: Decision[] = []
  const skipped: SkippedAction[] = []
  if (rule == null) {
    skipped.push({ action: 'log', rule: '', reason: 'no-rule', detail: `no rule for cell ${event.cell} at level ${effectiveLevel}` })
    return { decisions, skipped, rule: null, effectiveLevel, escalation }
  }
  const rn = ruleName(rule)
  const dryRun = rule.dryRun ?? policy.config.dryRun
  const cellType = policy.cellTypes.get(event.cell)
  const source = event.source != null ? normalizeAddress(event.source) : null
  const digest = eventDigest(event, state, nowMs)
  const levelText = escalation.levelBumped ? `level 2 (bumped from 1 after ${escalation.recentLocalOffences} recent offences)` : `level ${effectiveLevel}`

  const ctx: ActionContext = { event, policy, escalation, source, nowMs, effectiveLevel, escalated: (baseSec) => escalatedSec(baseSec, escalation, policy) }
  rule.actions.forEach((spec: ActionSpec, index) => {
    const skip = (reason: SkippedAction['reason'], detail: string): void => { skipped.push({ action: spec.type, rule: rn, reason, detail }) }
    const kind = actionKind(spec.type)
    if (kind == null) { skip('no-rule', `no responder registered for ${spec.type}`); return }
    if (kind.localOnly) {
      if (event.origin !== 'local') { skip('remote-invariant', `${spec.type} is never taken on remote evidence alone`); return }
      if (cellType == null || !PROCESS_CELL_TYPES.includes(cellType)) { skip('cell-has-no-process', `cell ${event.cell} (${cellType ?? 'unknown'}) has no process to ${spec.type === 'quarantine' ? 'freeze' : 'terminate'}`); return }
    }
    const plan = kind.plan(spec, ctx)
    if ('skip' in plan) { skip(plan.skip, plan.detail); return }
    const { target, params, expiresAtMs, what } = plan
    const offence = escalation.step > 0 ? `, repeat offence #${escalation.step + 1} (x${escalation.multiplier})` : ''
    decisions.push({
      id: digest + index.toString(16).padStart(4, '0'),
      action: spec.type,
      target,
      cell: event.cell,
      level: effectiveLevel,
      origin: event.origin,
      context: event.context,
      reason: `${dryRun ? '[dry run] ' : ''}rule ${rn}: ${what}; ${event.origin} ${levelText} danger in ${event.context}${source != null ? ` from ${source}` : ''}${offence}`,
      explanation: event.explanation,
      rule: rn,
      params,
      createdAtMs: nowMs,
      expiresAtMs,
      dryRun,
      escalation,
      ...(event.refs != null ? { refs: { ...event.refs } } : {})
    })
  })
  return { decisions, skipped, rule: rn, effectiveLevel, escalation }
}

/**
 * Pure: the decisions for `event` under `policy`, given the escalation `state`
 * at `nowMs`. Call `recordOffence` afterwards to remember the event.
 */
export function decide (event: DangerEvent, state: PolicyState, policy: Policy, nowMs: number): Decision[] {
  return decideWithBreakdown(event, state, policy, nowMs).decisions
}

const MAX_OFFENCES_PER_KEY = 64

/**
 * Remembers the event for escalation (mutates and returns `state`; the caller
 * persists it). `effectiveLevel` is the level decide() used (after a bump).
 */
export function recordOffence (state: PolicyState, event: DangerEvent, effectiveLevel: 1 | 2, policy: Policy, nowMs: number): PolicyState {
  const e = policy.config.escalation
  const key = offenderKey(event)
  const horizon = nowMs - Math.max(e.windowSec, e.bumpWindowSec) * 1000
  const list = (state.offences.get(key) ?? []).filter(o => o.atMs > horizon)
  list.push({ atMs: nowMs, origin: event.origin, level: effectiveLevel })
  if (list.length > MAX_OFFENCES_PER_KEY) list.splice(0, list.length - MAX_OFFENCES_PER_KEY)
  // re-insert so key order is recency order; evict the least recent beyond maxTracked
  boundedSet(state.offences, key, list, e.maxTracked)
  state.seq++
  return state
}

/** Drops offences outside every window (mutates and returns `state`). */
export function pruneOffences (state: PolicyState, policy: Policy, nowMs: number): PolicyState {
  const e = policy.config.escalation
  const horizon = nowMs - Math.max(e.windowSec, e.bumpWindowSec) * 1000
  for (const [key, list] of state.offences) {
    const kept = list.filter(o => o.atMs > horizon)
    if (kept.length === 0) state.offences.delete(key)
    else state.offences.set(key, kept)
  }
  return state
}

function deepFreeze<T> (o: T): T {
  if (o != null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v)
  }
  return o
}
