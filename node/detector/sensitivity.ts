/**
 * D5, sensitivity raised by peers: per context (or `*` for every context) a
 * factor ≥ 1 until a time. Raises keep the larger factor and the later end,
 * capped at maxSensitivityFactor and now + maxSensitivityMs; a context's
 * factor is the larger of its own and `*`'s. Bounded: at most maxContexts
 * raised contexts (the oldest raise is forgotten first), so peers naming
 * ever new contexts cannot grow it.
 *
 * One table per community in node/brain; the detectors of the community's
 * cells read it (daemon), and so does the simulated detection (simulator).
 */
import { boundedSet } from '../../core/index.js'
import { InvalidParamsError } from '../errors.js'

export const ALL_CONTEXTS = '*'

export interface SensitivityLimits {
  /** Factors are capped here (thresholds are divided by the factor). */
  maxSensitivityFactor: number
  /** A raise lasts at most this long. */
  maxSensitivityMs: number
  /** Raised contexts kept (default 4096). */
  maxContexts?: number
}

const DEFAULT_MAX_CONTEXTS = 4096

export class SensitivityTable {
  private readonly raised = new Map<string, { factor: number, untilMs: number }>()
  private readonly maxContexts: number

  constructor (private readonly limits: SensitivityLimits) {
    this.maxContexts = limits.maxContexts ?? DEFAULT_MAX_CONTEXTS
  }

  /** The factor for `context` at `nowMs` (1 when nothing is raised). */
  factor (context: string, nowMs: number): number {
    if (this.raised.size === 0) return 1
    let f = 1
    for (const key of [context, ALL_CONTEXTS]) {
      const s = this.raised.get(key)
      if (s == null) continue
      if (s.untilMs <= nowMs) this.raised.delete(key)
      else if (s.factor > f) f = s.factor
    }
    return f
  }

  /** Raise `context` (or `*`) to `factor` until `untilMs`; throws InvalidParamsError for a factor < 1 or a non-finite time. */
  raise (context: string, factor: number, untilMs: number, nowMs: number): void {
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) throw new InvalidParamsError('sensitivity.factor', factor, 'a number ≥ 1')
    if (typeof untilMs !== 'number' || !Number.isFinite(untilMs)) throw new InvalidParamsError('sensitivity.untilMs', untilMs, 'a time in ms since the epoch')
    const f = Math.min(factor, this.limits.maxSensitivityFactor)
    const until = Math.min(untilMs, nowMs + this.limits.maxSensitivityMs)
    if (until <= nowMs) return
    const cur = this.raised.get(context)
    const next = cur != null && cur.untilMs > nowMs
      ? { factor: Math.max(cur.factor, f), untilMs: Math.max(cur.untilMs, until) }
      : { factor: f, untilMs: until }
    boundedSet(this.raised, context, next, this.maxContexts)
  }

  /** Raised contexts (expired ones included until read). */
  get size (): number { return this.raised.size }
}
