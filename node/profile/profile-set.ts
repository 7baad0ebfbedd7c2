/**
 * The set of per-context models of one cell or community (e.g. every endpoint
 * of one web application). It routes each observation to its context's model,
 * creates a context on first sight (up to maxContexts), and scores how rare the
 * context itself is: an endpoint never seen, or seen only a few times, is a
 * signal of its own (E1 unknown-endpoint, a categorical p-value, see
 * stats/categorical.ts).
 *
 * E1 counts ESTABLISHED contexts only (those the detector saw reach a quorum
 * of sources, `establish()`): the mass of unseen endpoints is the Good–Turing
 * N1 of the established ones plus the number established while the set was
 * already guarding (endpoints a deployment really added). One-off paths from
 * a scan never establish, so they cannot make the next unknown endpoint look
 * ordinary (issue 9: after ~264 one-off paths a new path used to score 0).
 *
 * Generic over the observation type: the HTTP set uses HttpContextModel, the
 * process set (H4) its own ContextModel. Persistence lives in the detector,
 * which saves models and tolerization state together (profile-store.ts).
 */
import { InvalidParamsError } from '../errors.js'
import type { ScoreReason } from '../observation.js'
import type { ContextModel, ModelScore } from '../profile-types.js'
import { CategoricalCounter } from './stats/categorical.js'
import type { CategoricalJSON } from './stats/categorical.js'
import { surprise } from './stats/p-value.js'

export interface ProfileSetParams {
  /** Contexts kept; observations of further contexts are scored as unknown but not learned. */
  maxContexts: number
  /** Smallest p-value of the endpoint term (as HttpModelParams.minP). */
  minP: number
}

/** Defaults. 10,000 endpoints per application is far above any app we know of; it bounds memory against path floods. */
export const defaultProfileSetParams: Readonly<ProfileSetParams> = Object.freeze({
  maxContexts: 10_000,
  minP: 0.001
})

export function createProfileSetParams (partial: Partial<ProfileSetParams> = {}): Readonly<ProfileSetParams> {
  const p: ProfileSetParams = { ...defaultProfileSetParams }
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v
  validateProfileSetParams(p)
  return Object.freeze(p)
}

export function validateProfileSetParams (p: ProfileSetParams): void {
  if (!Number.isInteger(p.maxContexts) || p.maxContexts < 1 || p.maxContexts > 10_000_000) {
    throw new InvalidParamsError('profileSet.maxContexts', p.maxContexts, 'an integer in [1, 10000000]')
  }
  if (typeof p.minP !== 'number' || !(p.minP >= 0 && p.minP <= 0.5)) throw new InvalidParamsError('profileSet.minP', p.minP, 'a number in [0, 0.5]')
}

export interface ProfileSetInit<O> {
  /** Name of the set (persistence namespace), e.g. "http" or "http:shop". */
  name: string
  contextOf: (obs: O) => string
  createModel: (context: string) => ContextModel<O>
  /** Rebuilds a model from its toJSON(); throws on a malformed snapshot. */
  restoreModel: (context: string, json: unknown) => ContextModel<O>
  params?: Partial<ProfileSetParams>
  /** State shared by the set's models (e.g. the HTTP app model), persisted with the set's meta record. */
  shared?: SharedState
  /** Contexts similar to `context` for this observation (same template, same parameter names): the detector asks the guarding ones for a second opinion. */
  similar?: (context: string, obs: O) => string[]
  /** The observation judged by what the whole set looks like (no context model), for a context that does not guard yet. */
  scoreApp?: (obs: O, context: string) => ModelScore | undefined
}

export interface SharedState {
  toJSON: () => unknown
  /** Replaces the state with a snapshot's; throws on a malformed one. */
  load: (json: unknown) => void
}

/** The rarity of a context among every observation the set has learned. */
export interface EndpointRarity {
  p: number
  value: number
  reason: ScoreReason
}

export interface ProfileSetJSON {
  v: 1
  contexts: CategoricalJSON
  shared?: unknown
  /** Absent in snapshots written before quorum (then every context with counts counts as established). */
  established?: CategoricalJSON
  bornEstablished?: number
}

export class ProfileSet<O> {
  readonly name: string
  readonly params: Readonly<ProfileSetParams>
  private readonly init: ProfileSetInit<O>
  private readonly models = new Map<string, ContextModel<O>>()
  /** How many observations each context has learned. */
  private contextCounts: CategoricalCounter
  /** The same for established contexts only: the endpoint term E1. */
  private established: CategoricalCounter
  private readonly establishedSet = new Set<string>()
  /** Contexts established after the set first guarded (see the module comment). */
  private bornEstablished = 0
  /** Bumped when a context model is created, restored or deleted. */
  version = 0

  constructor (init: ProfileSetInit<O>) {
    this.init = init
    this.name = init.name
    this.params = createProfileSetParams(init.params)
    this.contextCounts = new CategoricalCounter(this.params.maxContexts, 'saturate')
    this.established = new CategoricalCounter(this.params.maxContexts, 'saturate')
  }

  contextOf (obs: O): string { return this.init.contextOf(obs) }
  get (context: string): ContextModel<O> | undefined { return this.models.get(context) }
  has (context: string): boolean { return this.models.has(context) }
  contexts (): IterableIterator<string> { return this.models.keys() }
  get size (): number { return this.models.size }
  /** Observations learned across all contexts. */
  get total (): number { return this.contextCounts.n }
  get full (): boolean { return this.models.size >= this.params.maxContexts }

  /** The context's model, created when new; undefined when the set is full. */
  getOrCreate (context: string): { model: ContextModel<O>, created: boolean } | undefined {
    const m = this.models.get(context)
    if (m !== undefined) return { model: m, created: false }
    if (this.full) return undefined
    const model = this.init.createModel(context)
    this.models.set(context, model)
    this.version++
    return { model, created: true }
  }

  similar (context: string, obs: O): string[] { return this.init.similar?.(context, obs) ?? [] }
  scoreApp (obs: O, context: string): ModelScore | undefined { return this.init.scoreApp?.(obs, context) }

  isEstablished (context: string): boolean { return this.establishedSet.has(context) }
  /** The established contexts. */
  establishedContexts (): IterableIterator<string> { return this.establishedSet.values() }

  /**
   * Marks a context as established (it reached its quorum): its learned
   * count joins the endpoint term. `duringGuarding`: the set already
   * guarded elsewhere, so this is an endpoint the deployment added.
   */
  establish (context: string, duringGuarding: boolean): void {
    if (this.establishedSet.has(context)) return
    this.establishedSet.add(context)
    this.version++
    const m = this.models.get(context)
    const n = m?.count ?? 0
    for (let i = 0; i < n; i++) this.established.learn(context)
    if (duringGuarding) this.bornEstablished++
  }

  /** Learns one observation into its context (created if needed). False when the set is full. */
  learn (obs: O, context = this.contextOf(obs)): boolean {
    const r = this.getOrCreate(context)
    if (r === undefined) return false
    r.model.learn(obs)
    this.contextCounts.learn(context)
    if (this.establishedSet.has(context)) this.established.learn(context)
    return true
  }

  /** The model's score, or the endpoint term when the context is unknown. */
  score (obs: O, context = this.contextOf(obs)): ModelScore & { known: boolean } {
    const m = this.models.get(context)
    if (m !== undefined) return { ...m.score(obs), known: true }
    const r = this.rarity(context)
    return { value: r.value, reasons: [r.reason], known: false }
  }

  /** E1: how rare this context is among the established contexts' observations (p = 1 when none is established). */
  rarity (context: string): EndpointRarity {
    const e = this.established
    const seen = e.count(context)
    let p: number
    if (e.n === 0) p = 1
    else if (seen === 0) p = Math.max(this.params.minP, (1 + e.singletons + this.bornEstablished) / (e.n + 1))
    else p = e.pValue(context, 1, this.params.minP)
    const known = e.size
    const top = e.top(3)
    const reason: ScoreReason = {
      context,
      feature: seen === 0 ? 'unknown-endpoint' : 'rare-endpoint',
      observed: seen === 0 ? (this.contextCounts.count(context) > 0 ? `not established (${this.contextCounts.count(context)} requests)` : 'never seen') : `seen ${seen} times`,
      expected: `one of ${known} established endpoints (${top.join(', ')}${known > 3 ? ', …' : ''}), ${e.n} requests`,
      surprise: Math.round(surprise(p) * 1000) / 1000,
      novelty: true
    }
    return { p, value: reason.surprise, reason }
  }

  /** Adds a restored model (replacing any model of that context). */
  restore (context: string, json: unknown): ContextModel<O> {
    const model = this.init.restoreModel(context, json)
    this.models.set(context, model)
    this.version++
    return model
  }

  /** Drops a context (a profile reset, an eviction); its counts stay. */
  delete (context: string): boolean {
    this.version++
    this.establishedSet.delete(context)
    return this.models.delete(context)
  }

  toJSON (): ProfileSetJSON {
    const j: ProfileSetJSON = { v: 1, contexts: this.contextCounts.toJSON(), established: this.established.toJSON(), bornEstablished: this.bornEstablished }
    if (this.init.shared != null) j.shared = this.init.shared.toJSON()
    return j
  }

  restoreMeta (json: ProfileSetJSON): void {
    if (json?.v !== 1 || json.contexts == null) throw new TypeError('profile set: malformed snapshot')
    this.contextCounts = CategoricalCounter.restore(json.contexts, this.params.maxContexts, 'saturate')
    this.established = CategoricalCounter.restore(json.established ?? json.contexts, this.params.maxContexts, 'saturate')
    this.bornEstablished = Number.isInteger(json.bornEstablished) ? json.bornEstablished as number : 0
    if (this.init.shared != null && json.shared != null) this.init.shared.load(json.shared)
  }

  /** After a restore: the contexts the detector knows to be established (their counts are in the restored E1 counter). */
  markEstablished (context: string): void { this.establishedSet.add(context); this.version++ }
}

export function createProfileSet<O> (init: ProfileSetInit<O>): ProfileSet<O> {
  return new ProfileSet(init)
}
