/**
 * The detector: wraps a ProfileSet (any ContextModel) with tolerization,
 * two calibrated thresholds per context, a poisoning guard, peer-raised
 * sensitivity and persistence (DESIGN.md: profile ─Score─▶ detector ─Danger─▶).
 *
 * Per context:
 *  D1 tolerization (KIS): every observation is learned until the context has
 *     seen minObservations AND minDurationSec has passed since its first one.
 *     Soft by default; hard when a PriorCheck is given: an observation that
 *     breaks a configured prior is never learned and gets priorViolationDanger.
 *  D2 calibration without leakage: in the second half of tolerization each
 *     observation is scored BEFORE it is learned (prequential); those scores
 *     set the two thresholds (thresholds.ts) for targetFpr1 / targetFpr2.
 *  D3 guarding: danger 2 above `dangerous`, 1 above `suspicious`, else 0.
 *     Learning goes on slowly (1 in guardLearnEvery) and only from danger-0
 *     observations (poisoning guard).
 *  D4 new endpoints while others guard: the endpoint's rarity (ProfileSet
 *     E1) is the score, its danger capped at unknownContextMaxDanger; the new
 *     context is created and starts its own tolerization.
 *  D5 sensitivity: raiseSensitivity(context | '*', factor, untilMs) divides the
 *     thresholds by factor (capped) until untilMs (capped), on the Clock.
 *
 * Learning a living application safely (issue 9):
 *  D1′ quorum and share: a context guards only once it learned from
 *     minSources distinct sources, and a source's learned observations are
 *     capped at maxSourceShare of the model, so one client cannot teach it.
 *  D3′ danger two needs evidence: the model's evidence score (novelty such
 *     as a new value or parameter excluded) above the dangerous threshold
 *     too, and above the nominal −log10(targetFpr2) (a context whose
 *     training was perfectly regular has thresholds near 0: a corrected
 *     p-value of 0.05 there is rare, not good evidence).
 *  D3″ guarding learns novelty-only observations too, slowly (learnNovelty).
 *  D4′ second opinion at a context that does not guard yet: the similar
 *     guarding contexts (same template, same parameter names; ProfileSet
 *     `similar`) judge the observation with their models and thresholds (an
 *     injection at a new endpoint like a known one is dangerous), or else
 *     the whole application's values do (`scoreApp`, nominal thresholds plus
 *     appOpinionMargin): suspicious at most, dangerous only when the value
 *     checker (the innate layer) found it (`checked`). What either finds
 *     dangerous is never learned and does not create a context.
 *  D6 bounded state: a source may have at most maxContextsPerSource
 *     contexts that have not reached their quorum; when the set is full, the
 *     least recently seen such context is evicted to make room (established
 *     ones never are), so a scan from a few sources can neither fill the
 *     table nor keep real new endpoints out.
 */
import type { Clock, TimerHandle } from '../../core/index.js'
import { ProfileFormatError } from '../errors.js'
import type { DangerLevel, Phase, Score, ScoreReason } from '../observation.js'
import type { ContextModel, ModelScore, PriorCheck } from '../profile-types.js'
import { SensitivityTable } from './sensitivity.js'
import type { ProfileSet } from '../profile/index.js'
import { createProfileStore } from '../profile/index.js'
import type { ProfileRecord, ProfileStore } from '../profile/index.js'
import type { Store } from '../store/index.js'
import { createDetectorParams } from './detector-params.js'
import type { DetectorParams } from './detector-params.js'
import { computeThresholds } from './thresholds.js'
import type { Thresholds } from './thresholds.js'

/** Hard priors (KIS hard tolerization): the reasons an observation breaks them, [] when it does not. */
export type { PriorCheck } from '../profile-types.js'

export interface DetectorLogger {
  warn: (obj: Record<string, unknown>, msg?: string) => void
  /** Phase changes (a context starts guarding). */
  info?: (obj: Record<string, unknown>, msg?: string) => void
}

export interface DetectorComponents<O> {
  clock: Clock
  profiles: ProfileSet<O>
  /** The client an observation comes from (the quorum, the share and the budgets count sources); none: each observation is its own. */
  sourceOf?: (obs: O) => string | undefined
  /** When given, profiles and phases persist in its 'profiles' sublevel. */
  store?: Store
  priors?: PriorCheck<O>
  /** Peer-raised sensitivity shared with others (node/brain keeps one per community); default: the detector's own. */
  sensitivity?: SensitivityTable
  logger?: DetectorLogger
}

export interface DetectorResult {
  context: string
  danger: DangerLevel
  score: Score
  /** Whether the observation was learned into the profile. */
  learned: boolean
  phase: Phase
  /** Effective thresholds (after sensitivity) that decided `danger`, when the context guards. */
  thresholds?: { suspicious: number, dangerous: number }
  /** The observation created its context. */
  newContext: boolean
}

export interface ContextStatus {
  context: string
  phase: Phase
  /** Observations routed to this context. */
  seen: number
  /** Observations its model has learned. */
  learned: number
  firstSeenMs: number
  tolerizedAtMs?: number
  thresholds?: Thresholds
  calibrationScores: number
  /** Observations refused by a hard prior. */
  priorViolations: number
  sensitivity: number
  /** Distinct sources its model learned from (D1′), and whether it reached its quorum. */
  sources: number
  established: boolean
  /** Observations not learned because of the source share or a dangerous second opinion. */
  refused: number
  /** While learning: what tolerization still needs (observations, sources, time). */
  progress?: LearningProgress
}

/** What a learning context has and what it needs before it guards (all three must be met). */
export interface LearningProgress {
  learned: number
  minObservations: number
  sources: number
  minSources: number
  /** When the minimum learning time is over (epoch ms; firstSeenMs + minDurationSec). */
  guardingNotBeforeMs: number
}

interface ContextState {
  phase: Phase
  firstSeenMs: number
  seen: number
  calibration: number[]
  calNext: number
  thresholds?: Thresholds
  tolerizedAtMs?: number
  guardCounter: number
  priorViolations: number
  /** Learned observations per source (at most maxTrackedSources keys). */
  sources: Record<string, number>
  /** How many keys `sources` holds (kept beside it: counting the keys per new source cost 7.7% of the daemon's ingest CPU). */
  tracked: number
  /** Distinct sources learned from (tracked keys plus sourceless observations). */
  distinct: number
  refused: number
  lastSeenMs: number
  creator?: string
}

interface ContextStateJSON extends Omit<ContextState, 'calNext' | 'tracked'> { v: 1 }

/** A second opinion on an observation of a context that does not guard yet (D4′). */
interface SecondOpinion {
  danger: DangerLevel
  value: number
  reasons: ScoreReason[]
  /** Dangerous by this opinion's evidence: never learned (even when the danger reported is capped). */
  refuse: boolean
}

export interface Detector<O> {
  readonly profiles: ProfileSet<O>
  readonly params: Readonly<DetectorParams>
  /** True once any context guards (new endpoints are then suspicious). */
  readonly guarding: boolean
  /** Loads persisted profiles and starts the flush timer. Idempotent. */
  start: () => Promise<void>
  /** Flushes and stops the timer. Idempotent. */
  stop: () => Promise<void>
  /** Scores, decides and (maybe) learns one observation. */
  observe: (obs: O) => DetectorResult
  /** Scores and decides without learning or creating anything (replays, benchmarks, what-if). */
  assess: (obs: O) => DetectorResult
  raiseSensitivity: (context: string, factor: number, untilMs: number) => void
  status: (context: string) => ContextStatus | undefined
  statuses: () => ContextStatus[]
  /** Switches to guarding every learning context whose learning period is over (a timer calls this). */
  promoteDue: () => string[]
  /** Writes every changed profile now. */
  flush: () => Promise<void>
}

class DetectorImpl<O> implements Detector<O> {
  readonly profiles: ProfileSet<O>
  readonly params: Readonly<DetectorParams>
  private readonly clock: Clock
  private readonly priors?: PriorCheck<O>
  private readonly logger?: DetectorLogger
  private readonly pstore?: ProfileStore
  private readonly states = new Map<string, ContextState>()
  private readonly sensitivity: SensitivityTable
  private readonly dirty = new Set<string>()
  private metaDirty = false
  private guardingCount = 0
  /** Contexts that have not reached their quorum, least recently seen first (D6). */
  private readonly young = new Map<string, true>()
  /** Per source: contexts it created that have not reached their quorum (D6). */
  private readonly created = new Map<string, number>()
  /** Contexts evicted since the last flush (their records are deleted). */
  private readonly evicted = new Set<string>()
  private readonly sourceOf?: (obs: O) => string | undefined
  private timer: TimerHandle | null = null
  private started = false
  private flushing: Promise<void> = Promise.resolve()

  constructor (components: DetectorComponents<O>, init: Partial<DetectorParams>) {
    this.params = createDetectorParams(init)
    this.clock = components.clock
    this.sensitivity = components.sensitivity ?? new SensitivityTable(this.params)
    this.profiles = components.profiles
    this.priors = components.priors
    this.logger = components.logger
    this.sourceOf = components.sourceOf ?? defaultSourceOf
    if (components.store != null) this.pstore = createProfileStore(components.store, components.profiles.name)
  }

  get guarding (): boolean { return this.guardingCount > 0 }

  /** −log10(targetFpr2): the least evidence that is dangerous whatever a context's calibration (D3′). */
  private get nominal2 (): number { return -Math.log10(this.params.targetFpr2) }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    if (this.pstore == null) return
    const loaded = await this.pstore.load()
    if (loaded.meta !== undefined) {
      try { this.profiles.restoreMeta(loaded.meta as never) } catch (err) { this.logger?.warn({ set: this.profiles.name, err: (err as Error).message }, 'profile set meta not restored') }
    }
    for (const { context, record } of loaded.contexts) {
      try {
        if (record?.v !== 1) throw new ProfileFormatError(context, 'v', `is ${JSON.stringify(record?.v)}, expected 1`)
        const state = parseState(context, record.state, this.params.calibrationWindow)
        this.profiles.restore(context, record.model)
        const prev = this.states.get(context)
        if (prev?.phase === 'guarding') this.guardingCount--
        this.states.set(context, state)
        if (state.phase === 'guarding') { this.guardingCount++; this.profiles.markEstablished(context) } else {
          this.young.set(context, true)
          if (state.creator != null) this.created.set(state.creator, (this.created.get(state.creator) ?? 0) + 1)
        }
      } catch (err) {
        this.logger?.warn({ set: this.profiles.name, context, err: (err as Error).message }, 'profile not restored')
      }
    }
    this.timer = this.clock.setInterval(() => { this.flush().catch((err) => this.logger?.warn({ err: (err as Error).message }, 'profile flush failed')) }, this.params.flushIntervalMs)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    if (this.timer != null) { this.clock.clearInterval(this.timer); this.timer = null }
    await this.flush()
  }

  async flush (): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.pstore == null || (this.dirty.size === 0 && !this.metaDirty && this.evicted.size === 0)) return
      const records: Array<{ context: string, record: ProfileRecord }> = []
      for (const context of this.dirty) {
        const model = this.profiles.get(context)
        const state = this.states.get(context)
        if (model == null || state == null) continue
        records.push({ context, record: { v: 1, model: model.toJSON(), state: stateToJSON(state) } })
      }
      this.dirty.clear()
      const meta = this.metaDirty ? this.profiles.toJSON() : undefined
      this.metaDirty = false
      const deleted = [...this.evicted].filter((c) => !this.states.has(c))
      this.evicted.clear()
      await this.pstore.save(records, meta, deleted)
    }
    this.flushing = this.flushing.then(run, run)
    return await this.flushing
  }

  private factor (context: string): number {
    return this.sensitivity.factor(context, this.clock.now())
  }

  raiseSensitivity (context: string, factor: number, untilMs: number): void {
    this.sensitivity.raise(context, factor, untilMs, this.clock.now())
  }

  /** Danger of a score against nominal thresholds −log10(targetFpr) (new endpoints). */
  private nominalDanger (value: number, factor: number): DangerLevel {
    const t1 = -Math.log10(this.params.targetFpr1) / factor
    const t2 = -Math.log10(this.params.targetFpr2) / factor
    const d: DangerLevel = value > t2 ? 2 : value > t1 ? 1 : 0
    return Math.min(d, this.params.unknownContextMaxDanger) as DangerLevel
  }

  private calibrating (state: ContextState, model: ContextModel<O>, now: number): boolean {
    const p = this.params
    if (p.minObservations > 0 && model.count < p.calibrationStartFraction * p.minObservations) return false
    if (p.minDurationSec > 0 && now - state.firstSeenMs < p.calibrationStartFraction * p.minDurationSec * 1000) return false
    return true
  }

  private tolerized (state: ContextState, model: ContextModel<O>, now: number): boolean {
    const p = this.params
    if (p.minObservations > 0 && model.count < p.minObservations) return false
    if (p.minDurationSec > 0 && now - state.firstSeenMs < p.minDurationSec * 1000) return false
    return state.distinct >= p.minSources
  }

  private toGuarding (context: string, state: ContextState, now: number): void {
    const p = this.params
    state.thresholds = computeThresholds(state.calibration, p.targetFpr1, p.targetFpr2, p)
    state.phase = 'guarding'
    state.tolerizedAtMs = now
    this.logger?.info?.({ set: this.profiles.name, context, phase: 'guarding', learned: this.profiles.get(context)?.count ?? null, sources: state.distinct, afterSec: Math.round((now - state.firstSeenMs) / 1000) }, `context ${context} is guarding (learning done)`)
    this.profiles.establish(context, this.guardingCount > 0)
    this.forgetYoung(context, state)
    this.metaDirty = true
    this.guardingCount++
    this.dirty.add(context)
    if (this.started) this.flush().catch((err) => this.logger?.warn({ err: (err as Error).message }, 'profile flush failed'))
  }

  /** D1′: may this source's observation be learned into the context (its share)? */
  private admits (state: ContextState, model: ContextModel<O>, source: string | undefined): boolean {
    if (source == null) return true
    const cap = Math.max(1, Math.ceil(this.params.maxSourceShare * Math.max(this.params.minObservations, model.count)))
    return (state.sources[source] ?? 0) < cap
  }

  /** Records that the context learned an observation of `source`. */
  private counted (state: ContextState, source: string | undefined): void {
    if (source == null) { state.distinct++; return }
    const c = state.sources[source]
    if (c !== undefined) { state.sources[source] = c + 1; return }
    state.distinct++
    if (state.tracked < this.params.maxTrackedSources) { state.sources[source] = 1; state.tracked++ }
  }

  private forgetYoung (context: string, state: ContextState): void {
    this.young.delete(context)
    const c = state.creator
    if (c == null) return
    const n = (this.created.get(c) ?? 0) - 1
    if (n <= 0) this.created.delete(c)
    else this.created.set(c, n)
  }

  /** D6: may `source` create one more context? */
  private mayCreate (source: string | undefined): boolean {
    if (source == null) return true
    return (this.created.get(source) ?? 0) < this.params.maxContextsPerSource
  }

  /** D6: evicts the least recently seen context that has not reached its quorum; false when there is none. */
  private evictYoung (): boolean {
    for (const context of this.young.keys()) {
      const state = this.states.get(context)
      this.young.delete(context)
      if (state == null || state.phase === 'guarding') continue
      this.forgetYoung(context, state)
      this.states.delete(context)
      this.profiles.delete(context)
      this.dirty.delete(context)
      this.evicted.add(context)
      this.metaDirty = true
      return true
    }
    return false
  }

  /** D4′: the similar guarding contexts' verdict, or the whole set's. */
  private secondOpinion (obs: O, context: string, factor: number): SecondOpinion | null {
    const p = this.params
    let best: SecondOpinion | null = null
    let asked = 0
    for (const other of this.profiles.similar(context, obs)) {
      if (asked >= p.maxSimilarContexts) break
      if (other === context) continue
      const st = this.states.get(other)
      const m = this.profiles.get(other)
      if (st?.phase !== 'guarding' || m == null) continue
      asked++
      const ms = m.score(obs)
      const t1 = st.thresholds!.suspicious / factor
      const t2 = st.thresholds!.dangerous / factor
      const ev = ms.evidence ?? ms.value
      const danger: DangerLevel = ms.value > t2 && ev > Math.max(t2, this.nominal2 / factor) ? 2 : ev > t1 ? 1 : 0
      if (best == null || danger > best.danger || (danger === best.danger && ev > best.value)) {
        best = { danger, value: ev, refuse: danger === 2, reasons: ms.reasons.filter((r) => r.novelty !== true).map((r) => ({ ...r, expected: `${r.expected} (as at ${other})` })) }
      }
    }
    if (asked > 0) return best
    const app = this.profiles.scoreApp(obs, context)
    if (app == null) return null
    const ev = app.evidence ?? app.value
    const t1 = -Math.log10(p.targetFpr1) / factor + p.appOpinionMargin
    const t2 = -Math.log10(p.targetFpr2) / factor + p.appOpinionMargin
    const strong = app.value > t2 && ev > t2
    // the app-wide view is not calibrated for this endpoint: it cannot tell a new search box's punctuation
    // from injection syntax (a value checker, the innate layer, can), so it is suspicious at most, and what
    // it finds strong is not learned
    let danger: DangerLevel = strong ? 2 : ev > t1 ? 1 : 0
    if (!(strong && app.checked === true)) danger = Math.min(danger, p.appOpinionMaxDanger) as DangerLevel
    return { danger, value: ev, refuse: strong, reasons: app.reasons.filter((r) => r.novelty !== true) }
  }

  observe (obs: O): DetectorResult { return this.decide(obs, true) }
  assess (obs: O): DetectorResult { return this.decide(obs, false) }

  private decide (obs: O, mutate: boolean): DetectorResult {
    const p = this.params
    const context = this.profiles.contextOf(obs)
    const now = this.clock.now()
    const prior = this.priors?.(obs, context) ?? []
    const factor = this.factor(context)
    const source = this.sourceOf?.(obs)
    let model = this.profiles.get(context)
    let state = this.states.get(context)
    let newContext = false
    const setGuarding = this.guardingCount > 0
    // D4′ a context that does not guard yet gets a second opinion (once others guard)
    let second: SecondOpinion | null = null
    if (setGuarding && state?.phase !== 'guarding') second = this.secondOpinion(obs, context, factor)
    const secondDanger = second?.danger ?? 0

    if (model == null || state == null) {
      // E1: unknown endpoint
      const rarity = this.profiles.rarity(context)
      const unknownDanger = setGuarding ? this.nominalDanger(rarity.value, factor) : 0
      const danger = prior.length > 0 ? p.priorViolationDanger : Math.max(unknownDanger, secondDanger) as DangerLevel
      const reasons = [...prior, rarity.reason, ...(second?.reasons ?? [])]
      const value = Math.max(rarity.value, second?.value ?? 0)
      // D6: not created when it would not be learned, or when the source used its budget, or when the set is full of established contexts
      if (!mutate || prior.length > 0 || second?.refuse === true || !this.mayCreate(source) || (this.profiles.full && !this.evictYoung())) {
        return result(context, danger, value, 'learning', reasons, false, undefined, false)
      }
      const created = this.profiles.getOrCreate(context)
      if (created == null) return result(context, danger, value, 'learning', reasons, false, undefined, false)
      model = created.model
      newContext = created.created
      state = { phase: 'learning', firstSeenMs: now, seen: 0, calibration: [], calNext: 0, guardCounter: 0, priorViolations: 0, sources: {}, tracked: 0, distinct: 0, refused: 0, lastSeenMs: now }
      if (source != null) {
        state.creator = source
        const n = (this.created.get(source) ?? 0) + 1
        this.created.delete(source)
        this.created.set(source, n) // most recent last; the least recent creator is forgotten first
        if (this.created.size > p.maxTrackedCreators) this.created.delete(this.created.keys().next().value as string)
      }
      this.states.set(context, state)
      this.young.set(context, true)
      this.metaDirty = true
    }

    if (state.phase === 'guarding') {
      const ms = model.score(obs)
      const th = state.thresholds!
      const t1 = th.suspicious / factor
      const t2 = th.dangerous / factor
      // D3′ danger two needs evidence above the dangerous threshold too, and at least the nominal one:
      // novelty alone (a new value, name, type, a missing optional parameter) is at most suspicious, and so
      // is evidence that is not a 1-in-1/targetFpr2 event by itself (issue 9)
      const evidence = ms.evidence ?? ms.value
      let danger: DangerLevel = ms.value > t2 && evidence > Math.max(t2, this.nominal2 / factor) ? 2 : ms.value > t1 ? 1 : 0
      let reasons = ms.reasons
      if (prior.length > 0) {
        danger = Math.max(danger, p.priorViolationDanger) as DangerLevel
        reasons = [...prior, ...reasons]
      }
      let learned = false
      if (mutate) {
        state.seen++
        state.lastSeenMs = now
        if (prior.length > 0) state.priorViolations++
        else if ((danger === 0 || (p.learnNovelty && danger === 1 && evidence <= t1)) && ++state.guardCounter % p.guardLearnEvery === 0) {
          if (this.admits(state, model, source)) {
            this.profiles.learn(obs, context)
            this.counted(state, source)
            learned = true
            this.metaDirty = true
          } else state.refused++
        }
        this.dirty.add(context)
      }
      const r = result(context, danger, ms.value, 'guarding', reasons, learned, { suspicious: round3(t1), dangerous: round3(t2) }, newContext)
      if (ms.evidence != null) r.score.evidence = ms.evidence
      return r
    }

    // learning: score before learning (prequential)
    const ms: ModelScore = model.count > 0 ? model.score(obs) : { value: 0, reasons: [] }
    let danger: DangerLevel = 0
    let value = ms.value
    let reasons = ms.reasons
    if (setGuarding) {
      const rarity = this.profiles.rarity(context)
      value = Math.max(rarity.value, second?.value ?? 0)
      danger = Math.max(this.nominalDanger(rarity.value, factor), secondDanger) as DangerLevel
      reasons = [rarity.reason, ...(second?.reasons ?? []), ...ms.reasons]
    }
    if (prior.length > 0) {
      danger = p.priorViolationDanger
      reasons = [...prior, ...reasons]
    }
    let learned = false
    if (mutate) {
      state.seen++
      state.lastSeenMs = now
      this.young.delete(context)
      this.young.set(context, true)
      this.dirty.add(context)
      if (prior.length > 0) state.priorViolations++
      else if (second?.refuse === true || !this.admits(state, model, source)) state.refused++
      else {
        if (model.count > 0 && this.calibrating(state, model, now)) pushRing(state, ms.value, p.calibrationWindow)
        this.profiles.learn(obs, context)
        this.counted(state, source)
        learned = true
        this.metaDirty = true
        if (this.tolerized(state, model, now)) this.toGuarding(context, state, now)
      }
    }
    return result(context, danger, value, 'learning', reasons, learned, undefined, newContext)
  }

  status (context: string): ContextStatus | undefined {
    const s = this.states.get(context)
    const m = this.profiles.get(context)
    if (s == null || m == null) return undefined
    const st: ContextStatus = {
      context,
      phase: s.phase,
      seen: s.seen,
      learned: m.count,
      firstSeenMs: s.firstSeenMs,
      calibrationScores: s.calibration.length,
      priorViolations: s.priorViolations,
      sensitivity: this.factor(context),
      sources: s.distinct,
      established: s.phase === 'guarding',
      refused: s.refused
    }
    if (s.tolerizedAtMs != null) st.tolerizedAtMs = s.tolerizedAtMs
    if (s.thresholds != null) st.thresholds = s.thresholds
    if (s.phase === 'learning') {
      const p = this.params
      st.progress = { learned: m.count, minObservations: p.minObservations, sources: s.distinct, minSources: p.minSources, guardingNotBeforeMs: s.firstSeenMs + p.minDurationSec * 1000 }
    }
    return st
  }

  /**
   * Switches to guarding every learning context whose learning period is
   * over: a context that has its observations and sources but waited only for
   * minDurationSec guards when the time is up (the daemon calls this on a
   * timer), not at its next observation. Returns the contexts switched.
   */
  promoteDue (): string[] {
    const now = this.clock.now()
    const out: string[] = []
    for (const [context, state] of this.states) {
      if (state.phase === 'guarding') continue
      const model = this.profiles.get(context)
      if (model == null || !this.tolerized(state, model, now)) continue
      this.toGuarding(context, state, now)
      out.push(context)
    }
    return out
  }

  statuses (): ContextStatus[] {
    const out: ContextStatus[] = []
    for (const c of this.states.keys()) { const s = this.status(c); if (s != null) out.push(s) }
    return out
  }
}

function round3 (x: number): number { return Math.round(x * 1000) / 1000 }

/** An observation's `source` field when it has one (HTTP observations do). */
function defaultSourceOf (obs: unknown): string | undefined {
  const s = (obs as { source?: unknown } | null)?.source
  return typeof s === 'string' && s !== '' ? s : undefined
}

function result (context: string, danger: DangerLevel, value: number, phase: Phase, reasons: ScoreReason[], learned: boolean,
  thresholds: { suspicious: number, dangerous: number } | undefined, newContext: boolean): DetectorResult {
  const r: DetectorResult = { context, danger, score: { context, value, phase, reasons }, learned, phase, newContext }
  if (thresholds != null) r.thresholds = thresholds
  return r
}

function pushRing (state: ContextState, v: number, window: number): void {
  if (state.calibration.length < window) { state.calibration.push(v); return }
  state.calibration[state.calNext] = v
  state.calNext = (state.calNext + 1) % window
}

function stateToJSON (s: ContextState): ContextStateJSON {
  const j: ContextStateJSON = {
    v: 1,
    phase: s.phase,
    firstSeenMs: s.firstSeenMs,
    seen: s.seen,
    calibration: s.calibration.slice(),
    guardCounter: s.guardCounter,
    priorViolations: s.priorViolations,
    sources: { ...s.sources },
    distinct: s.distinct,
    refused: s.refused,
    lastSeenMs: s.lastSeenMs
  }
  if (s.creator != null) j.creator = s.creator
  if (s.thresholds != null) j.thresholds = s.thresholds
  if (s.tolerizedAtMs != null) j.tolerizedAtMs = s.tolerizedAtMs
  return j
}

function parseState (context: string, raw: unknown, window: number): ContextState {
  const j = raw as ContextStateJSON
  if (j == null || j.v !== 1) throw new ProfileFormatError(context, 'state.v', 'is not 1')
  if (j.phase !== 'learning' && j.phase !== 'guarding') throw new ProfileFormatError(context, 'state.phase', `is ${JSON.stringify(j.phase)}`)
  if (!Array.isArray(j.calibration) || !Number.isFinite(j.firstSeenMs) || !Number.isInteger(j.seen)) throw new ProfileFormatError(context, 'state', 'is missing fields')
  if (j.phase === 'guarding' && (j.thresholds == null || !Number.isFinite(j.thresholds.suspicious) || !Number.isFinite(j.thresholds.dangerous))) {
    throw new ProfileFormatError(context, 'state.thresholds', 'are missing')
  }
  const calibration = j.calibration.filter((x) => Number.isFinite(x)).slice(-window)
  const s: ContextState = {
    phase: j.phase,
    firstSeenMs: j.firstSeenMs,
    seen: j.seen,
    calibration,
    calNext: calibration.length >= window ? 0 : calibration.length,
    guardCounter: Number.isInteger(j.guardCounter) ? j.guardCounter : 0,
    priorViolations: Number.isInteger(j.priorViolations) ? j.priorViolations : 0,
    // absent in records written before the quorum: a guarding context counts as established
    sources: j.sources != null && typeof j.sources === 'object' ? { ...j.sources } : {},
    tracked: j.sources != null && typeof j.sources === 'object' ? Object.keys(j.sources).length : 0,
    distinct: Number.isInteger(j.distinct) ? j.distinct : (j.phase === 'guarding' ? Number.MAX_SAFE_INTEGER : 0),
    refused: Number.isInteger(j.refused) ? j.refused : 0,
    lastSeenMs: Number.isFinite(j.lastSeenMs) ? j.lastSeenMs : j.firstSeenMs
  }
  if (typeof j.creator === 'string') s.creator = j.creator
  if (j.thresholds != null) s.thresholds = j.thresholds
  if (j.tolerizedAtMs != null) s.tolerizedAtMs = j.tolerizedAtMs
  return s
}

/** Creates a detector over a profile set (see the module comment for D1–D5). */
export function createDetector<O> (components: DetectorComponents<O>, init: Partial<DetectorParams> = {}): Detector<O> {
  return new DetectorImpl(components, init)
}
