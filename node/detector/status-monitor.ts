/**
 * Response status per source and context (issue 9): a source that causes a
 * storm of server errors (5xx: an injection that breaks queries) or of
 * client errors (4xx: a scan of paths that do not exist) is a signal, even
 * when each of its requests looks harmless on its own.
 *
 *   S1 per context, the share of each status class in the responses to
 *      normal requests (the baseline), shrunk toward the app-wide share.
 *   S2 per source, a sliding window (windowMs, in WINDOW_BUCKETS buckets):
 *      its responses, its 4xx and 5xx, and the errors its requests were
 *      expected to cause, λ = Σ baseline rate of the context of each request.
 *   A storm: errors ≥ minErrors and P(X ≥ errors) < alpha for X Poisson(λ)
 *   (a sum of independent rare Bernoulli trials), per class. One finding
 *   per source and class per cooldownMs.
 *
 * Fed by the access-log sensor (each line has its status) and by the agent
 * (which sees the response). Bounded: at most maxContexts baselines and
 * maxSources windows (least recently seen forgotten first). Pure state
 * plus an explicit time argument: no clock reads.
 */
import { InvalidParamsError } from '../errors.js'
import type { ScoreReason } from '../observation.js'

export interface StatusMonitorParams {
  windowMs: number
  /** A 5xx storm needs at least this many server errors in the window... */
  minServerErrors: number
  /** ...a 4xx storm this many client errors (real pages link to a missing image now and then). */
  minClientErrors: number
  /** ...and a Poisson tail probability below this. */
  alpha: number
  /** One finding per source and class per this long. */
  cooldownMs: number
  maxSources: number
  maxContexts: number
}

export const defaultStatusMonitorParams: Readonly<StatusMonitorParams> = Object.freeze({
  windowMs: 60_000,
  minServerErrors: 10,
  minClientErrors: 50,
  alpha: 1e-6,
  cooldownMs: 60_000,
  maxSources: 10_000,
  maxContexts: 10_000
})

export function createStatusMonitorParams (partial: Partial<StatusMonitorParams> = {}): Readonly<StatusMonitorParams> {
  const p: StatusMonitorParams = { ...defaultStatusMonitorParams }
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v
  const int = (f: keyof StatusMonitorParams, min: number, max: number): void => {
    const v = p[f]
    if (!Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(`status.${f}`, v, `an integer in [${min}, ${max}]`)
  }
  int('windowMs', 1000, 86_400_000)
  int('minServerErrors', 1, 1_000_000)
  int('minClientErrors', 1, 1_000_000)
  int('cooldownMs', 0, 86_400_000)
  int('maxSources', 1, 10_000_000)
  int('maxContexts', 1, 10_000_000)
  if (typeof p.alpha !== 'number' || !(p.alpha > 0 && p.alpha < 1)) throw new InvalidParamsError('status.alpha', p.alpha, 'a number in (0, 1)')
  return Object.freeze(p)
}

export type StatusClass = '4xx' | '5xx'

export interface StormFinding {
  source: string
  kind: StatusClass
  errors: number
  responses: number
  /** Errors the source's requests were expected to cause (λ). */
  expected: number
  p: number
  reason: ScoreReason
}

export interface StatusOutcome {
  context: string
  source?: string
  status: number
  time: number
  /** The request was judged normal (danger 0): its response teaches the context's baseline. */
  normal: boolean
}

export interface StatusMonitorJSON {
  v: 1
  contexts: Array<[string, number[]]>
  app?: number[]
}

const WINDOW_BUCKETS = 6
/** Pseudo-responses at the app-wide rate in a context's baseline. */
const PRIOR_WEIGHT = 10
/** Per bucket: start time, responses, 4xx, 5xx, λ4xx, λ5xx. */
const FIELDS = 6

/** P(X ≥ k) for X ~ Poisson(λ), in log space (exact sum of the lower terms). */
export function poissonTail (k: number, lambda: number): number {
  if (k <= 0) return 1
  if (lambda <= 0) return 0
  // 1 − Σ_{j<k} e^{−λ} λ^j / j!, or the upper sum when the lower one is close to 1
  if (k > lambda) {
    let term = Math.exp(-lambda + k * Math.log(lambda) - lnGamma(k + 1))
    let sum = term
    for (let j = k + 1; j < k + 1000; j++) {
      term *= lambda / j
      sum += term
      if (term < sum * 1e-15) break
    }
    return Math.min(1, sum)
  }
  let term = Math.exp(-lambda)
  let sum = term
  for (let j = 1; j < k; j++) { term *= lambda / j; sum += term }
  return Math.max(0, 1 - sum)
}

function lnGamma (x: number): number {
  // Stirling series, accurate to ~1e-10 for x ≥ 1 after shifting
  let shift = 0
  while (x < 8) { shift -= Math.log(x); x++ }
  const x2 = 1 / (x * x)
  return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + (1 / x) * (1 / 12 - x2 * (1 / 360 - x2 / 1260))
}

export class StatusMonitor {
  readonly params: Readonly<StatusMonitorParams>
  /** context → [responses, 4xx, 5xx] of normal requests. */
  private readonly baseline = new Map<string, Float64Array>()
  /** The application's: [responses, 4xx, 5xx] of normal requests. */
  private readonly app = new Float64Array(3)
  private readonly windows = new Map<string, Float64Array>()
  private readonly lastFinding = new Map<string, number>()

  constructor (params: Partial<StatusMonitorParams> = {}) {
    this.params = createStatusMonitorParams(params)
  }

  /**
   * Expected error rates of one response of the context: its own counts
   * shrunk toward the application's (PRIOR_WEIGHT pseudo-responses at the
   * app-wide rate, itself add-one smoothed), so a path never seen expects
   * what the app's responses do.
   */
  rates (context: string): [number, number] {
    const a = this.app
    const r4 = (a[1] + 1) / (a[0] + 2)
    const r5 = (a[2] + 1) / (a[0] + 2)
    const b = this.baseline.get(context)
    if (b == null) return [r4, r5]
    return [(b[1] + PRIOR_WEIGHT * r4) / (b[0] + PRIOR_WEIGHT), (b[2] + PRIOR_WEIGHT * r5) / (b[0] + PRIOR_WEIGHT)]
  }

  /** Records one response; returns a storm finding when this response completes one. */
  record (o: StatusOutcome): StormFinding | null {
    if (!Number.isInteger(o.status) || o.status < 100 || o.status > 599) return null
    const cls = o.status >= 500 ? 2 : o.status >= 400 ? 1 : 0
    const [r4, r5] = this.rates(o.context)
    if (o.normal) this.learn(o.context, cls)
    if (o.source == null) return null
    const w = this.window(o.source)
    const slot = this.bucket(w, o.time)
    w[slot + 1]++
    if (cls === 1) w[slot + 2]++
    if (cls === 2) w[slot + 3]++
    w[slot + 4] += r4
    w[slot + 5] += r5
    if (cls === 0) return null
    return this.check(o.source, w, cls === 2 ? '5xx' : '4xx', o.time)
  }

  /** The source's storm in progress, if any (the pipeline treats its suspicious requests as dangerous). */
  storming (source: string, now: number): StormFinding | null {
    const w = this.windows.get(source)
    if (w == null) return null
    return this.evaluate(source, w, '5xx', now) ?? this.evaluate(source, w, '4xx', now)
  }

  private learn (context: string, cls: number): void {
    this.app[0]++
    if (cls > 0) this.app[cls]++
    let b = this.baseline.get(context)
    if (b == null) {
      if (this.baseline.size >= this.params.maxContexts) return
      b = new Float64Array(3)
      this.baseline.set(context, b)
    }
    b[0]++
    if (cls > 0) b[cls]++
  }

  private window (source: string): Float64Array {
    let w = this.windows.get(source)
    if (w != null) { this.windows.delete(source); this.windows.set(source, w); return w }
    if (this.windows.size >= this.params.maxSources) {
      const oldest = this.windows.keys().next().value as string
      this.windows.delete(oldest)
      this.lastFinding.delete(`${oldest}\u00005xx`)
      this.lastFinding.delete(`${oldest}\u00004xx`)
    }
    w = new Float64Array(WINDOW_BUCKETS * FIELDS)
    for (let i = 0; i < WINDOW_BUCKETS; i++) w[i * FIELDS] = -Infinity
    this.windows.set(source, w)
    return w
  }

  /** The offset of the bucket for `time` (reset when it is older than the window). */
  private bucket (w: Float64Array, time: number): number {
    const width = this.params.windowMs / WINDOW_BUCKETS
    const start = Math.floor(time / width) * width
    const slot = (Math.floor(time / width) % WINDOW_BUCKETS) * FIELDS
    if (w[slot] !== start) { w.fill(0, slot, slot + FIELDS); w[slot] = start }
    return slot
  }

  private evaluate (source: string, w: Float64Array, kind: StatusClass, now: number): StormFinding | null {
    const p = this.params
    let responses = 0
    let errors = 0
    let expected = 0
    const f = kind === '5xx' ? 3 : 2
    for (let i = 0; i < WINDOW_BUCKETS; i++) {
      const s = i * FIELDS
      if (!(now - w[s] < p.windowMs)) continue
      responses += w[s + 1]
      errors += w[s + f]
      expected += w[s + f + 2]
    }
    if (errors < (kind === '5xx' ? p.minServerErrors : p.minClientErrors)) return null
    const pv = poissonTail(errors, expected)
    if (pv >= p.alpha) return null
    const reason: ScoreReason = {
      context: '',
      feature: kind === '5xx' ? 'server-error-storm' : 'client-error-storm',
      observed: `${errors} ${kind} of ${responses} responses in ${Math.round(p.windowMs / 1000)} s`,
      expected: `about ${Math.round(expected * 100) / 100} for those requests`,
      surprise: Math.round(Math.min(300, -Math.log10(Math.max(pv, 1e-300))) * 1000) / 1000
    }
    return { source, kind, errors, responses, expected, p: pv, reason }
  }

  private check (source: string, w: Float64Array, kind: StatusClass, now: number): StormFinding | null {
    const f = this.evaluate(source, w, kind, now)
    if (f == null) return null
    const key = `${source}\u0000${kind}`
    const last = this.lastFinding.get(key)
    if (last != null && now - last < this.params.cooldownMs) return null
    this.lastFinding.set(key, now)
    if (this.lastFinding.size > 2 * this.params.maxSources) this.lastFinding.delete(this.lastFinding.keys().next().value as string)
    return f
  }

  toJSON (): StatusMonitorJSON {
    return { v: 1, contexts: [...this.baseline].map(([c, b]) => [c, Array.from(b)]), app: Array.from(this.app) }
  }

  /** Restores the baselines (source windows are short-lived and start empty). Throws TypeError on a malformed snapshot. */
  load (json: unknown): void {
    const j = json as StatusMonitorJSON
    if (j == null || j.v !== 1 || !Array.isArray(j.contexts)) throw new TypeError('status monitor: malformed snapshot')
    this.baseline.clear()
    if (Array.isArray(j.app) && j.app.length === 3 && j.app.every((x) => Number.isFinite(x) && x >= 0)) this.app.set(j.app)
    for (const [c, b] of j.contexts.slice(0, this.params.maxContexts)) {
      if (typeof c !== 'string' || !Array.isArray(b) || b.length !== 3 || !b.every((x) => Number.isFinite(x) && x >= 0)) throw new TypeError('status monitor: malformed baseline')
      this.baseline.set(c, Float64Array.from(b))
    }
  }
}

export function createStatusMonitor (params: Partial<StatusMonitorParams> = {}): StatusMonitor {
  return new StatusMonitor(params)
}
