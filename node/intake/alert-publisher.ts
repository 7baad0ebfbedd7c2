/**
 * The outbound side: when does this node tell its community?
 *   - a local level-2 danger with a signature → a 'signature' alert (carrying
 *     the source too, when known);
 *   - with a source address but no signature → a 'source' alert;
 *   - otherwise (publishAnomalies) → an 'anomaly' alert, which lets peers
 *     raise their sensitivity for that context.
 * Rate-limited per (community, context): at most one alert per
 * contextIntervalMs, except that a signature or source not yet shared for that
 * context goes out at once; and a global token bucket (maxPerMinute) so an
 * attack burst never turns into an alert storm.
 *
 * What leaves the host (shareable.ts, docs/protocol.md "What leaves a host"):
 * a source is carried only when the source filter says it may be (never
 * loopback, private, shared, link-local, unique-local, allowlisted or a
 * trusted proxy); the explanation is built from structured reasons (names,
 * features, surprise), never from free text, so no value, no expected set
 * and no sample of normal traffic can be put into an alert by any caller.
 *
 * decide() is synchronous and pure apart from the rate-limit state, so the
 * simulator can reuse it with its own delivery; onDanger() = decide() + mesh.publish().
 */
import type { AlertDraft, AlertKind, SignatureIndicator } from '../../protocol/alert/index.js'
import type { AlertEvent, Mesh } from '../../protocol/mesh/index.js'
import type { Clock } from '../../core/index.js'
import { InvalidParamsError } from '../errors.js'
import type { IntakeLogger } from './alert-intake.js'
import { evictOldest } from '../../core/index.js'
import { createSourceFilter, shareableExplanation } from './shareable.js'
import type { ShareableReason, SourceFilter } from './shareable.js'

export interface AlertPublisherParams {
  /** Lowest local danger level that is shared. */
  minLevel: 1 | 2
  /** Publish 'anomaly' alerts (no signature, no source) too. */
  publishAnomalies: boolean
  /** At most one alert per (community, context) per this interval, unless it carries something new. */
  contextIntervalMs: number
  /** Global budget: alerts per minute (token bucket, burst = maxPerMinute). */
  maxPerMinute: number
  /** ttl of published alerts. */
  ttlSec: number
  /** ttl of a source indicator; the same source is not re-announced for a context within half of it. */
  sourceTtlSec: number
  /** Contexts whose rate-limit state is kept (oldest dropped). */
  maxContexts: number
  /** Signature ids / sources remembered per context as already shared. */
  maxSharedPerContext: number
}

export const defaultAlertPublisherParams: AlertPublisherParams = Object.freeze({
  minLevel: 2,
  publishAnomalies: true,
  contextIntervalMs: 30_000,
  maxPerMinute: 30,
  ttlSec: 600,
  sourceTtlSec: 3600,
  maxContexts: 1024,
  maxSharedPerContext: 16
})

const created = new WeakSet<object>()
const defaultFilter = createSourceFilter()

/** Merge over the defaults, validate, freeze; a params object it made before is returned as is (shared). */
export function createAlertPublisherParams (init: Partial<AlertPublisherParams> = {}): AlertPublisherParams {
  if (created.has(init)) return init as AlertPublisherParams
  const p = { ...defaultAlertPublisherParams, ...init }
  validateAlertPublisherParams(p)
  Object.freeze(p)
  created.add(p)
  return p
}

export function validateAlertPublisherParams (p: AlertPublisherParams): void {
  if (p.minLevel !== 1 && p.minLevel !== 2) throw new InvalidParamsError('publisher.minLevel', p.minLevel, '1 or 2')
  if (typeof p.publishAnomalies !== 'boolean') throw new InvalidParamsError('publisher.publishAnomalies', p.publishAnomalies, 'true or false')
  const pos = (f: keyof AlertPublisherParams, int: boolean): void => {
    const v = p[f]
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (int && !Number.isInteger(v))) {
      throw new InvalidParamsError(`publisher.${f}`, v, int ? 'an integer > 0' : 'a finite number > 0')
    }
  }
  pos('contextIntervalMs', false)
  pos('maxPerMinute', false)
  pos('ttlSec', true)
  pos('sourceTtlSec', true)
  pos('maxContexts', true)
  pos('maxSharedPerContext', true)
}

/** A local danger, as the detector/policy reports it. */
export interface LocalDanger {
  community: string
  level: 0 | 1 | 2
  context: string
  parameter?: string
  score: number
  /** The evidence, as structured reasons: the alert's explanation is made of their names, features and surprise only. */
  reasons?: readonly ShareableReason[]
  /** The client address of the offending request, when known (published only if the source filter allows it). */
  source?: string
  /** A signature from clonal selection, already tested against our own normal sample. */
  signature?: SignatureIndicator
  evidenceDigest?: Uint8Array
}

export type PublishReason = 'publish' | 'below-level' | 'rate-limited' | 'budget-exhausted' | 'nothing-new'

export interface PublishDecision {
  reason: PublishReason
  draft?: AlertDraft
}

export interface PublishOutcome extends PublishDecision {
  published: boolean
  event?: AlertEvent
  error?: unknown
}

export interface AlertPublisherComponents {
  clock: Clock
  mesh?: Pick<Mesh, 'publish'>
  logger?: IntakeLogger
  /** Which source addresses may be published; default: the fixed excluded ranges only (shareable.ts). */
  sourceFilter?: SourceFilter
}

interface ContextState { lastAtMs: number, sigs: string[], sources: Map<string, number> }

const SEP = '\u0000'

export class AlertPublisher {
  readonly params: AlertPublisherParams
  private readonly c: AlertPublisherComponents
  private contexts: Map<string, ContextState> | undefined
  private tokens: number
  private refillAtMs: number
  private published = 0
  private suppressed = 0
  private withheld = 0
  private readonly filter: SourceFilter

  constructor (components: AlertPublisherComponents, init: Partial<AlertPublisherParams> = {}) {
    this.c = components
    this.filter = components.sourceFilter ?? defaultFilter
    this.params = createAlertPublisherParams(init)
    this.tokens = this.params.maxPerMinute
    this.refillAtMs = components.clock.now()
  }

  /** Decide whether (and what) to publish for a local danger; updates the rate-limit state when it says 'publish'. */
  decide (input: LocalDanger, nowMs: number = this.c.clock.now()): PublishDecision {
    const p = this.params
    if (input.level < p.minLevel) return { reason: 'below-level' }
    let d = input
    if (d.source != null && !this.filter.shareable(d.source)) {
      // an address that must not leave the host: the alert goes out without it (or not at all when it was all there was)
      this.withheld++
      const { source: _withheld, ...rest } = d
      d = rest
    }
    const key = d.community + SEP + d.context
    const st = this.contexts?.get(key)
    const newSig = d.signature != null && !(st?.sigs.includes(d.signature.id) ?? false)
    const lastSrc = d.source != null ? st?.sources.get(d.source) : undefined
    const newSrc = d.source != null && (lastSrc == null || nowMs - lastSrc >= p.sourceTtlSec * 500)
    const intervalOver = st == null || nowMs - st.lastAtMs >= p.contextIntervalMs
    let kind: AlertKind
    if (newSig) kind = 'signature'
    else if (newSrc) kind = 'source'
    else if (intervalOver && p.publishAnomalies) kind = 'anomaly'
    else {
      this.suppressed++
      return { reason: intervalOver ? 'nothing-new' : 'rate-limited' }
    }
    // token bucket
    const elapsed = nowMs - this.refillAtMs
    if (elapsed > 0) {
      this.tokens = Math.min(p.maxPerMinute, this.tokens + elapsed * p.maxPerMinute / 60_000)
      this.refillAtMs = nowMs
    }
    if (this.tokens < 1) { this.suppressed++; return { reason: 'budget-exhausted' } }
    this.tokens -= 1

    const state = st ?? { lastAtMs: nowMs, sigs: [], sources: new Map<string, number>() }
    state.lastAtMs = nowMs
    if (d.signature != null && newSig) {
      state.sigs.push(d.signature.id)
      if (state.sigs.length > p.maxSharedPerContext) state.sigs.shift()
    }
    if (d.source != null && (newSrc || kind === 'signature')) {
      state.sources.delete(d.source)
      state.sources.set(d.source, nowMs)
      evictOldest(state.sources, p.maxSharedPerContext)
    }
    this.contexts ??= new Map()
    this.contexts.delete(key)
    this.contexts.set(key, state)
    evictOldest(this.contexts, p.maxContexts)

    const draft: AlertDraft = {
      community: d.community,
      danger: d.level === 1 ? 1 : 2,
      kind,
      seen: { context: d.context, parameter: d.parameter ?? '', score: d.score, explanation: shareableExplanation(d.reasons, d.signature?.id) },
      sources: d.source != null && (kind === 'source' || kind === 'signature') ? [{ address: d.source, ttlSec: p.sourceTtlSec }] : [],
      signatures: kind === 'signature' && d.signature != null ? [d.signature] : [],
      ttlSec: p.ttlSec,
      ...(d.evidenceDigest != null ? { evidenceDigest: d.evidenceDigest } : {})
    }
    this.published++
    return { reason: 'publish', draft }
  }

  /** decide() and, when it says so, publish through the mesh. Never throws: errors come back in the outcome. */
  async onDanger (d: LocalDanger): Promise<PublishOutcome> {
    const decision = this.decide(d)
    if (decision.draft == null) return { ...decision, published: false }
    if (this.c.mesh == null) return { ...decision, published: false }
    try {
      const event = await this.c.mesh.publish(decision.draft)
      this.c.logger?.info?.({ alertId: event.alert.id, kind: decision.draft.kind, context: d.context }, 'alert published')
      return { ...decision, published: true, event }
    } catch (error) {
      this.c.logger?.warn?.({ err: error, context: d.context }, 'alert publish failed')
      return { ...decision, published: false, error }
    }
  }

  /** published, suppressed by the rate limits, and sources withheld because they must not leave the host. */
  stats (): { published: number, suppressed: number, withheldSources: number } {
    return { published: this.published, suppressed: this.suppressed, withheldSources: this.withheld }
  }
}

export function createAlertPublisher (components: AlertPublisherComponents, init: Partial<AlertPublisherParams> = {}): AlertPublisher {
  return new AlertPublisher(components, init)
}
