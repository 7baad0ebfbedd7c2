/**
 * The policy engine: a pure function from a danger event, the escalation
 * state and the policy (data) to the decisions to take.
 *
 * Invariant (DESIGN.md #1): an event whose origin is `remote` never produces
 * `quarantine` or `terminate-and-renew`, whatever the policy says.
 */
import { createHash } from 'node:crypto'
import { normalizeAddress } from './address.js'
import { createAllowlist } from './allowlist.js'
import type { Allowlist } from './allowlist.js'
import { boundedSet } from '../../core/index.js'
import { createPolicyConfig } from './policy-config.js'
import type { PolicyCellInfo } from './policy-config.js'
import { PROCESS_CELL_TYPES } from './policy-types.js'
import { actionKind } from './action-kinds.js'
import type { ActionContext } from './action-kind.js'
import { assessScanner, countRequest, emptyScannerState, scannerStateFromJSON, scannerStateToJSON } from './scanner.js'
import type { ScannerAssessment } from './scanner.js'
import type {
  ActionSpec, BanAssessment, BanBasis, CellType, DangerEvent, DecideBreakdown, Decision, EscalationStep,
  OffenceRecord, PolicyConfig, PolicyRule, PolicyState, PolicyStateJSON, SkippedAction
} from './policy-types.js'

/** A policy ready for `decide()`: validated config, cell types, the allowlist (config entries + runtime ones). Frozen, but for the allowlist's runtime entries. */
export interface Policy {
  readonly config: PolicyConfig
  readonly cellTypes: ReadonlyMap<string, CellType>
  readonly allowlist: Allowlist
}

/** Validates `config` (full or partial, merged over the defaults) and compiles it. Throws ConfigError. */
export function createPolicy (config: unknown, cells: readonly PolicyCellInfo[] = []): Policy {
  const validated = createPolicyConfig(config, cells)
  return Object.freeze({
    config: deepFreeze(validated),
    cellTypes: new Map(cells.map(c => [c.name, c.type])),
    allowlist: createAllowlist(validated.allowlist)
  })
}

export function isAllowlisted (policy: Policy, address: string): boolean {
  return policy.allowlist.has(address)
}

export function emptyPolicyState (): PolicyState {
  return { offences: new Map(), blocks: new Map(), scanner: emptyScannerState(), seq: 0 }
}

/** The state as plain JSON (what the decision manager persists). */
export function policyStateToJSON (state: PolicyState): PolicyStateJSON {
  return { offences: Object.fromEntries(state.offences), blocks: Object.fromEntries(state.blocks), scanner: scannerStateToJSON(state.scanner), seq: state.seq }
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
    if (ok.length > 0) state.offences.set(key, ok.sort((x, y) => x.atMs - y.atMs))
  }
  if (j.blocks != null && typeof j.blocks === 'object') {
    for (const [a, until] of Object.entries(j.blocks)) if (typeof until === 'number' && Number.isFinite(until)) state.blocks.set(a, until)
  }
  state.scanner = scannerStateFromJSON(j.scanner)
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

/** When the event happened, as windows count it: its own time, never later than now nor older than the longest window. */
export function eventTime (event: Pick<DangerEvent, 'atMs'>, policy: Policy, nowMs: number): number {
  const t = event.atMs
  if (t == null || !Number.isFinite(t) || t > nowMs) return nowMs
  const c = policy.config
  return Math.max(t, nowMs - Math.max(c.escalation.windowSec, c.sourceBan.findTimeSec) * 1000)
}

/** Earlier penalty bursts: penalties whose event times fall within burstSec of the first of their burst count once. */
function penaltyBursts (history: readonly OffenceRecord[], from: number, before: number, burstMs: number, accept: (o: OffenceRecord) => boolean): number {
  let bursts = 0
  let burstStart = -Infinity
  for (const o of history) {
    if (o.penalty !== true || o.atMs <= from || o.atMs >= before || !accept(o)) continue
    if (o.atMs >= burstStart + burstMs || bursts === 0) { bursts++; burstStart = o.atMs }
  }
  // the event itself belongs to the last burst when that started within burstMs: not an earlier offence then
  if (bursts > 0 && before < burstStart + burstMs) bursts--
  return bursts
}

/** The bounded multiplier: it stops growing once the rule's longest escalated base duration reaches maxDurationSec. */
function boundedMultiplier (step: number, policy: Policy, rule: PolicyRule | null): number {
  const e = policy.config.escalation
  if (step === 0 || e.durationMultiplier <= 1) return 1
  let longest = 0
  for (const a of rule?.actions ?? []) if ((a.type === 'block-source' || a.type === 'quarantine') && a.durationSec > longest) longest = a.durationSec
  const cap = longest > 0 ? Math.max(1, e.maxDurationSec / longest) : 1
  const stepsToCap = Math.ceil(Math.log(cap) / Math.log(e.durationMultiplier))
  return Math.pow(e.durationMultiplier, Math.min(step, Math.max(0, stepsToCap)))
}

/**
 * Escalation for an event: how many earlier penalties (bursts) of the same
 * offender in the window, by event time, and the bounded multiplier. A local
 * event escalates on local penalties only: peers cannot make local responses
 * harsher. The scanner rule may bump a local level-1 event to level 2.
 */
export function escalationFor (event: DangerEvent, state: PolicyState, policy: Policy, nowMs: number): EscalationStep {
  return escalationWith(event, state, policy, nowMs, scannerFor(event, state, policy, nowMs)?.scanning === true)
}

function escalationWith (event: DangerEvent, state: PolicyState, policy: Policy, nowMs: number, scanning: boolean): EscalationStep {
  const e = policy.config.escalation
  const key = offenderKey(event)
  const atMs = eventTime(event, policy, nowMs)
  const history = state.offences.get(key) ?? []
  const step = penaltyBursts(history, atMs - e.windowSec * 1000, atMs, e.burstSec * 1000, (o) => event.origin === 'remote' || o.origin === 'local')
  const levelBumped = event.level === 1 && event.origin === 'local' && scanning
  const rule = findRule(policy, event.cell, levelBumped ? 2 : event.level)
  return { step, multiplier: boundedMultiplier(step, policy, rule), levelBumped, offenderKey: key, atMs }
}

function scannerFor (event: DangerEvent, state: PolicyState, policy: Policy, nowMs: number): ScannerAssessment | null {
  const source = event.source != null ? normalizeAddress(event.source) : null
  if (source == null || event.origin !== 'local') return null
  return assessScanner(state.scanner, policy.config.sourceBan.scanner, source, eventTime(event, policy, nowMs))
}

/**
 * Is the evidence strong enough to block the event's source (policy.sourceBan)?
 * Pure. A request-only event (an innate probe alone) never is, unless the
 * scanner rule finds the source scanning.
 */
export function banFor (event: DangerEvent, state: PolicyState, policy: Policy, nowMs: number, scanner: ScannerAssessment | null = scannerFor(event, state, policy, nowMs)): BanAssessment | null {
  const source = event.source != null ? normalizeAddress(event.source) : null
  if (source == null) return null
  const b = policy.config.sourceBan
  const atMs = eventTime(event, policy, nowMs)
  const from = atMs - b.findTimeSec * 1000
  const history = state.offences.get(`src:${source}`) ?? []
  const counts = event.level === 2 && event.requestOnly !== true ? 1 : 0
  let offences = counts
  for (const o of history) {
    if (o.level === 2 && o.requestOnly !== true && o.atMs > from && o.atMs <= atMs && (event.origin === 'remote' || o.origin === 'local')) offences++
  }
  const sc = scanner != null ? { requests: scanner.requests, anomalies: scanner.anomalies, rate: scanner.rate, p: scanner.p } : undefined
  const out = (ban: boolean, basis: BanBasis | null, detail: string): BanAssessment => ({ ban, basis, detail, offences, ...(sc != null ? { scanner: sc } : {}) })
  if (event.origin === 'remote') return b.onQuorum ? out(true, 'quorum', 'a reputation-weighted quorum of peers') : out(false, null, 'peer quorums do not block sources here (sourceBan.onQuorum = false)')
  if (event.signatureHit === true && b.onSignature) return out(true, 'signature', 'an adopted signature matched')
  if (scanner?.scanning === true) return out(true, 'scanner', `scanning: ${scanner.anomalies} anomalies in ${scanner.requests} requests within ${b.scanner.windowSec}s, P = ${scanner.p.toExponential(1)} at the learned rate ${scanner.rate}`)
  if (counts === 1 && b.scoreMargin > 0 && event.scoreMargin != null && event.scoreMargin >= b.scoreMargin) return out(true, 'score', `score ${event.scoreMargin.toFixed(1)}x the level-2 threshold`)
  if (counts === 1 && b.maxRetry > 0 && offences >= b.maxRetry) return out(true, 'repeat', `${offences} level-2 offences within ${b.findTimeSec}s`)
  if (event.requestOnly === true) return out(false, null, 'request-only evidence (an innate probe finding alone)')
  return out(false, null, `${offences} of ${b.maxRetry > 0 ? b.maxRetry : '-'} level-2 offences within ${b.findTimeSec}s`)
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
  const scanner = scannerFor(event, state, policy, nowMs)
  const escalation = escalationWith(event, state, policy, nowMs, scanner?.scanning === true)
  const ban = banFor(event, state, policy, nowMs, scanner)
  const effectiveLevel: 1 | 2 = escalation.levelBumped ? 2 : event.level
  const rule = findRule(policy, event.cell, effectiveLevel)
  const decisions: Decision[] = []
  const skipped: SkippedAction[] = []
  if (rule == null) {
    skipped.push({ action: 'log', rule: '', reason: 'no-rule', detail: `no rule for cell ${event.cell} at level ${effectiveLevel}` })
    return { decisions, skipped, rule: null, effectiveLevel, escalation, ban }
  }
  const rn = ruleName(rule)
  const dryRun = rule.dryRun ?? policy.config.dryRun
  const cellType = policy.cellTypes.get(event.cell)
  const source = event.source != null ? normalizeAddress(event.source) : null
  const digest = eventDigest(event, state, nowMs)
  const levelText = escalation.levelBumped ? 'level 2 (bumped from 1: the source is scanning)' : `level ${effectiveLevel}`
  const liveBlockUntilMs = source != null ? (state.blocks.get(source) ?? null) : null

  const ctx: ActionContext = {
    event, policy, escalation, source, nowMs, effectiveLevel, ban,
    liveBlockUntilMs: liveBlockUntilMs != null && liveBlockUntilMs > nowMs ? liveBlockUntilMs : null,
    escalated: (baseSec) => escalatedSec(baseSec, escalation, policy)
  }
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
    const base = typeof params.baseDurationSec === 'number' ? params.baseDurationSec : null
    const offence = escalation.step > 0 && base != null ? `, repeat offence #${escalation.step + 1} (${String(params.durationSec)}s = ${base}s x${escalation.multiplier}${Number(params.durationSec) >= policy.config.escalation.maxDurationSec ? ', the maximum' : ''})` : ''
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
  return { decisions, skipped, rule: rn, effectiveLevel, escalation, ban }
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
 * persists it): its offence at its event time (kept in time order), the
 * source's live block when one was decided, and the anomaly for the scanner
 * rule. `bd` is what decideWithBreakdown() returned for it.
 */
export function recordOffence (state: PolicyState, event: DangerEvent, bd: Pick<DecideBreakdown, 'effectiveLevel' | 'decisions'>, policy: Policy, nowMs: number): PolicyState {
  const e = policy.config.escalation
  const key = offenderKey(event)
  const atMs = eventTime(event, policy, nowMs)
  const horizon = nowMs - horizonSec(policy) * 1000
  const list = (state.offences.get(key) ?? []).filter(o => o.atMs > horizon)
  const penalty = bd.decisions.some(d => d.action === 'block-source' || d.action === 'quarantine')
  const rec: OffenceRecord = { atMs, origin: event.origin, level: bd.effectiveLevel, ...(event.requestOnly === true ? { requestOnly: true as const } : {}), ...(penalty ? { penalty: true as const } : {}) }
  // in event-time order: a late event (read in a later poll) is an earlier offence, not a later one
  let i = list.length
  while (i > 0 && list[i - 1].atMs > atMs) i--
  list.splice(i, 0, rec)
  if (list.length > MAX_OFFENCES_PER_KEY) list.splice(0, list.length - MAX_OFFENCES_PER_KEY)
  // re-insert so key order is recency order; evict the least recent beyond maxTracked
  boundedSet(state.offences, key, list, e.maxTracked)
  for (const d of bd.decisions) {
    if (d.action === 'block-source' && d.target.kind === 'source' && d.expiresAtMs != null) boundedSet(state.blocks, d.target.address, d.expiresAtMs, e.maxTracked)
  }
  const source = event.source != null ? normalizeAddress(event.source) : null
  if (source != null && event.origin === 'local') countRequest(state.scanner, policy.config.sourceBan.scanner, source, atMs, true, e.maxTracked)
  state.seq++
  return state
}

/** A scored request of `source` that was normal (the scanner rule's denominator). Mutates `state`. */
export function recordRequest (state: PolicyState, source: string, atMs: number, policy: Policy): PolicyState {
  const a = normalizeAddress(source)
  if (a != null) countRequest(state.scanner, policy.config.sourceBan.scanner, a, atMs, false, policy.config.escalation.maxTracked)
  return state
}

/**
 * The operator lifted the source's block (unblock, or a decision deleted):
 * its live block ends and its record is forgiven (offences, scanner window),
 * so the next false positive does not block it again at once. Mutates `state`.
 */
export function forgiveSource (state: PolicyState, address: string): PolicyState {
  const a = normalizeAddress(address)
  if (a == null) return state
  state.blocks.delete(a)
  state.offences.delete(`src:${a}`)
  state.scanner.sources.delete(a)
  return state
}

function horizonSec (policy: Policy): number {
  const c = policy.config
  return Math.max(c.escalation.windowSec, c.sourceBan.findTimeSec, c.sourceBan.scanner.windowSec)
}

/** Drops offences outside every window and ended blocks (mutates and returns `state`). */
export function pruneOffences (state: PolicyState, policy: Policy, nowMs: number): PolicyState {
  const horizon = nowMs - horizonSec(policy) * 1000
  for (const [key, list] of state.offences) {
    const kept = list.filter(o => o.atMs > horizon)
    if (kept.length === 0) state.offences.delete(key)
    else state.offences.set(key, kept)
  }
  for (const [a, until] of state.blocks) if (until <= nowMs) state.blocks.delete(a)
  for (const [a, w] of state.scanner.sources) {
    let newest = -Infinity
    for (let i = 0; i < w.length; i += 3) newest = Math.max(newest, w[i])
    if (newest <= horizon) state.scanner.sources.delete(a)
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
