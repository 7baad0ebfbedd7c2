/**
 * The signature self-check (docs/reputation.md, "Signature types"): what a
 * member's own traffic says about the signatures it holds. One small state
 * machine per node, the same in the daemon (node/daemon/pipeline.ts) and in
 * the simulator (sim/run/host-model.ts), in bounded Maps.
 *
 * Evidence it counts, per signature:
 *   - contradiction at a guarding member: the signature matched a request
 *     the guarding profile scores 0 (normal). After `retireAfter` of them
 *     from `retireMinSources` distinct sources the signature is retired.
 *   - contradiction at a learning member (no profile to ask yet): the
 *     signature matched a request of a *known normal client*, a source that
 *     sent at least `normalClientMinRequests` requests matching no signature,
 *     spread over at least `normalClientMinSpanMs` (what the normal
 *     population looks like before a profile exists). The request is let
 *     through; after matches from `learningRetireMinClients` distinct known
 *     normal clients the signature is retired.
 *   - confirmation: a type-1 hit on a request the guarding profile also
 *     scored ≥ 1 (two signals). After `promoteAfter` confirmations from
 *     `promoteMinSources` distinct sources, without a contradiction between,
 *     the signature is promoted to type 2 (it blocks alone). A danger-2
 *     observation of our own detector that the signature matches promotes it
 *     at once (the caller does that: no counting needed).
 * A retirement refutes (R3) every peer that sent the signature (the caller
 * does that with the intake). Reputable origins never promote anything.
 */
import { InvalidParamsError } from '../errors.js'
import { evictOldest } from '../../core/index.js'

export interface SelfCheckParams {
  /** Guarding: normal-scored matches before retirement... */
  retireAfter: number
  /** ...from at least this many sources (one client cannot retire a signature alone). */
  retireMinSources: number
  /** Learning: distinct known normal clients whose matched requests retire a signature. */
  learningRetireMinClients: number
  /** A source is a known normal client after this many requests matching no signature... */
  normalClientMinRequests: number
  /** ...spread over at least this long (a fast warm-up burst does not make a client normal). */
  normalClientMinSpanMs: number
  /** Two-signal confirmations (type-1 hit + profile ≥ 1) that promote a signature to type 2... */
  promoteAfter: number
  /** ...from at least this many sources. */
  promoteMinSources: number
  /** A peer's type-1 signature blocks alone at a learning member only when the member has at least this many normal observations of the request's context, none of which it matches (the vetting floor). */
  learningVettingFloor: number
  /** Signatures and clients tracked (oldest dropped). */
  maxTracked: number
}

export const defaultSelfCheckParams: Readonly<SelfCheckParams> = Object.freeze({
  retireAfter: 3,
  retireMinSources: 2,
  learningRetireMinClients: 3,
  normalClientMinRequests: 3,
  normalClientMinSpanMs: 60_000,
  promoteAfter: 3,
  promoteMinSources: 2,
  learningVettingFloor: 50,
  maxTracked: 10_000
})

export function validateSelfCheckParams (p: SelfCheckParams): void {
  for (const [field, min, max] of [
    ['retireAfter', 1, 1_000_000], ['retireMinSources', 1, 1_000_000], ['learningRetireMinClients', 1, 1_000_000],
    ['normalClientMinRequests', 1, 1_000_000], ['normalClientMinSpanMs', 0, 365 * 86_400_000], ['promoteAfter', 1, 1_000_000],
    ['promoteMinSources', 1, 1_000_000], ['learningVettingFloor', 0, 10_000_000], ['maxTracked', 1, 10_000_000]
  ] as const) {
    const v = p[field]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(field, v, `an integer in [${min}, ${max}]`)
  }
}

export function createSelfCheckParams (partial: Partial<SelfCheckParams> = {}): Readonly<SelfCheckParams> {
  const p = { ...defaultSelfCheckParams, ...partial }
  validateSelfCheckParams(p)
  return Object.freeze(p)
}

interface Tally { count: number, sources: Set<string> }
interface Client { requests: number, firstMs: number, lastMs: number }

/** What the self-check concluded from one piece of evidence. */
export type SelfCheckVerdict =
  | { action: 'none' }
  | { action: 'retire', reason: string }
  | { action: 'promote', reason: string }

const NONE: SelfCheckVerdict = Object.freeze({ action: 'none' })

export class SignatureSelfCheck {
  readonly params: Readonly<SelfCheckParams>
  private readonly contradictions = new Map<string, Tally>()
  private readonly learningContradictions = new Map<string, Tally>()
  private readonly confirmations = new Map<string, Tally>()
  private readonly clients = new Map<string, Client>()

  constructor (params: Partial<SelfCheckParams> | Readonly<SelfCheckParams> = {}) {
    this.params = Object.isFrozen(params) ? params as Readonly<SelfCheckParams> : createSelfCheckParams(params)
  }

  /** A request that matched no signature and was not judged dangerous: its source looks like the normal population. */
  noteNormal (source: string | undefined, nowMs: number): void {
    if (source == null) return
    const c = this.clients.get(source)
    if (c == null) {
      this.clients.set(source, { requests: 1, firstMs: nowMs, lastMs: nowMs })
      evictOldest(this.clients, this.params.maxTracked)
      return
    }
    c.requests++
    c.lastMs = nowMs
  }

  /** A danger from this source (its own detector's): it is no normal client. */
  noteDanger (source: string | undefined): void {
    if (source != null) this.clients.delete(source)
  }

  isNormalClient (source: string | undefined): boolean {
    if (source == null) return false
    const c = this.clients.get(source)
    return c != null && c.requests >= this.params.normalClientMinRequests && c.lastMs - c.firstMs >= this.params.normalClientMinSpanMs
  }

  private bump (m: Map<string, Tally>, id: string, source: string | undefined): Tally {
    let t = m.get(id)
    if (t == null) {
      t = { count: 0, sources: new Set() }
      m.set(id, t)
      evictOldest(m, this.params.maxTracked)
    }
    t.count++
    t.sources.add(source ?? `unknown-${t.count}`)
    return t
  }

  /** The guarding profile scored 0 a request that `id` matched. */
  contradictedWhileGuarding (id: string, source: string | undefined): SelfCheckVerdict {
    this.confirmations.delete(id)
    const t = this.bump(this.contradictions, id, source)
    if (t.count < this.params.retireAfter || t.sources.size < this.params.retireMinSources) return NONE
    this.forget(id)
    return { action: 'retire', reason: `retired: matched ${t.count} requests from ${t.sources.size} sources that the guarding profile judged normal` }
  }

  /** At a learning member: `id` matched a request of a known normal client (the caller lets it through). */
  contradictedWhileLearning (id: string, source: string): SelfCheckVerdict {
    const t = this.bump(this.learningContradictions, id, source)
    if (t.sources.size < this.params.learningRetireMinClients) return NONE
    this.forget(id)
    return { action: 'retire', reason: `retired: matched requests of ${t.sources.size} known normal clients while this member was learning` }
  }

  /** A type-1 hit on a request the guarding profile scored ≥ 1: two signals agree. */
  confirmed (id: string, source: string | undefined): SelfCheckVerdict {
    const t = this.bump(this.confirmations, id, source)
    if (t.count < this.params.promoteAfter || t.sources.size < this.params.promoteMinSources) return NONE
    this.confirmations.delete(id)
    return { action: 'promote', reason: `type 2: ${t.count} hits from ${t.sources.size} sources on requests this member's own profile also scored danger >= 1` }
  }

  forget (id: string): void {
    this.contradictions.delete(id)
    this.learningContradictions.delete(id)
    this.confirmations.delete(id)
  }
}

export function createSignatureSelfCheck (params: Partial<SelfCheckParams> = {}): SignatureSelfCheck {
  return new SignatureSelfCheck(params)
}
