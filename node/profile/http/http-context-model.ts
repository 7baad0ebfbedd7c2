/**
 * The model of one HTTP endpoint (context = lower-case method + path as
 * received, or its template): a ParamModel per parameter (query and body
 * together: form, JSON paths and multipart fields, body.ts) plus
 * request-level features:
 *
 *   Q1 unknown-parameter  names never seen at this endpoint (NoveltyTracker, leave-one-out); novelty
 *   Q2 presence           a usual parameter missing (novelty), or repeated more than usual (evidence)
 *   Q3 parameter-order    the sequence of names (CategoricalCounter), when every name is known; novelty
 *   Q4 too-many-parameters more than maxParamsPerRequest parameters; evidence
 *   Q5 the value of an unknown parameter, checked by the app's value checker (the innate layer) when
 *      there is one, else against the values of every parameter of the app (HttpAppModel A1)
 *   A2 headers (User-Agent, Referer, configured ones) and cookies by name, app-wide models (app-model.ts)
 *
 * Tracking tags (HttpModelParams.ignoreParameters: utm_*, fbclid, gclid, …)
 * are dropped before anything is learned or scored.
 *
 * A request's score is the order-statistics combination over all its tests
 * (term-sink.ts), and its evidence score the same over evidence alone; its
 * reasons are the most surprising terms.
 */
import type { HttpObservation } from '../../observation.js'
import type { ContextModel, ModelScore } from '../../profile-types.js'
import { ProfileFormatError } from '../../errors.js'
import { CategoricalCounter } from '../stats/categorical.js'
import type { CategoricalJSON } from '../stats/categorical.js'
import { NoveltyTracker } from '../stats/novelty-tracker.js'
import type { NoveltyTrackerJSON } from '../stats/novelty-tracker.js'
import { HttpAppModel } from './app-model.js'
import { RAW_BODY_PARAM, parseBody } from './body.js'
import { showValue } from './char-class.js'
import { parseForm } from './form.js'
import type { FormParam } from './form.js'
import { createHttpModelParams, nameMatcher } from './http-model-params.js'
import type { HttpModelParams } from './http-model-params.js'
import { PARAM_FEATURES, ParamModel } from './param-model.js'
import type { ParamModelJSON } from './param-model.js'
import { TermSink, round3 } from './term-sink.js'
import { valueTypeOf } from './value-types.js'
import type { ValueType } from './value-types.js'

export const HTTP_MODEL_KIND = 'http'
export const HTTP_MODEL_VERSION = 1
/** Families of entangled request-level tests (TermSink 'order-families'): {Q1}, {Q2, Q3} (a missing parameter changes the order), {Q4}. */
const REQUEST_FAMILIES: readonly number[] = Object.freeze([1, 2, 1])
export { RAW_BODY_PARAM }

/** Path segments that name one item of many, by their type: `/item/123` is `/item/{id}`. */
const SEGMENT_TEMPLATES: Partial<Record<ValueType, string>> = { number: '{id}', uuid: '{uuid}', hex: '{hex}', token: '{token}', date: '{date}', email: '{email}' }

/**
 * The path with its identifier segments replaced by their template (issue 9:
 * REST apps must not make one context per id): a number `{id}`, a UUID
 * `{uuid}`, a hex string `{hex}`, a token `{token}`, a date `{date}`, an
 * e-mail address `{email}`; other segments stay as received.
 */
export function templatePath (path: string): string {
  if (path.length > 2048) return path
  let out = ''
  let start = 0
  let changed = false
  while (start <= path.length) {
    let end = path.indexOf('/', start)
    if (end < 0) end = path.length
    const seg = path.slice(start, end)
    const t = seg === '' ? undefined : SEGMENT_TEMPLATES[valueTypeOf(seg)]
    if (t !== undefined) changed = true
    out += (start === 0 ? '' : '/') + (t ?? seg)
    start = end + 1
  }
  return changed ? out : path
}

/** The context of an HTTP observation: lower-case method, a space, the path as received with identifier segments templated (templatePath). */
export function httpContextOf (obs: Pick<HttpObservation, 'method' | 'path'>): string {
  return `${obs.method.toLowerCase()} ${templatePath(obs.path)}`
}

export interface HttpContextModelJSON {
  v: number
  kind: 'http'
  context: string
  n: number
  params: Array<[string, ParamModelJSON]>
  names: NoveltyTrackerJSON<string>
  presence: Array<[string, number[]]>
  orders: CategoricalJSON
}

// ---- scratch (single-threaded) ----
const queryParams: FormParam[] = []
const bodyParams: FormParam[] = []
const all: FormParam[] = []
/** Parameters of `all` before this index come from the query string. */
let queryCount = 0
const occ = new Map<string, number>()

/**
 * Parses query and body into `all` (tracking tags dropped) and `occ`; returns
 * the number of parameters present (may exceed all.length).
 */
function collect (obs: HttpObservation, maxParams: number, ignored: (name: string) => boolean): number {
  let total = parseForm(obs.query, queryParams, maxParams)
  all.length = 0
  for (const p of queryParams) if (ignored(p.name)) total--; else all.push(p)
  queryCount = all.length
  if (obs.body !== '') {
    total += parseBody(obs.body, obs.headers?.['content-type'], bodyParams, Math.max(0, maxParams - all.length))
    for (const p of bodyParams) if (ignored(p.name)) total--; else all.push(p)
  }
  occ.clear()
  for (const p of all) occ.set(p.name, (occ.get(p.name) ?? 0) + 1)
  return total
}

function orderKey (): string {
  let k = ''
  for (let i = 0; i < all.length; i++) k += (i === 0 ? '' : '&') + all[i].name
  return k
}

export class HttpContextModel implements ContextModel<HttpObservation> {
  private n = 0
  private readonly params = new Map<string, ParamModel>()
  private readonly names: NoveltyTracker<string>
  private readonly presence = new Map<string, Float64Array>()
  private readonly orders: CategoricalCounter
  private readonly sink: TermSink
  private readonly ignored: (name: string) => boolean
  /** What the whole application looks like (shared by the endpoints of one profile set). */
  readonly app: HttpAppModel

  constructor (readonly context: string, readonly modelParams: Readonly<HttpModelParams> = createHttpModelParams(), json?: HttpContextModelJSON, app?: HttpAppModel) {
    this.sink = new TermSink(modelParams.reasonMaxP, modelParams.combination)
    this.ignored = nameMatcher(modelParams.ignoreParameters)
    this.app = app ?? new HttpAppModel(modelParams)
    if (json == null) {
      this.names = new NoveltyTracker<string>(modelParams.maxParamNames, modelParams.noveltyTailFactor)
      this.orders = new CategoricalCounter(modelParams.maxOrders, 'saturate')
      return
    }
    try {
      this.n = json.n
      this.names = NoveltyTracker.restore(json.names, modelParams.maxParamNames, modelParams.noveltyTailFactor)
      this.orders = CategoricalCounter.restore(json.orders, modelParams.maxOrders, 'saturate')
      for (const [name, pj] of json.params) this.params.set(name, new ParamModel(name, modelParams, pj))
      for (const [name, h] of json.presence) this.presence.set(name, Float64Array.from(h))
    } catch (err) {
      throw new ProfileFormatError(context, 'model', (err as Error).message)
    }
  }

  get count (): number { return this.n }

  /** Names of the modelled parameters. */
  parameterNames (): string[] { return [...this.params.keys()] }

  learn (obs: HttpObservation): void {
    const mp = this.modelParams
    collect(obs, mp.maxParamsPerRequest, this.ignored)
    this.names.learn(occ.keys())
    for (const [name, x] of occ) {
      let h = this.presence.get(name)
      if (h === undefined) {
        if (this.presence.size >= mp.maxParamsPerContext) continue
        h = new Float64Array(3)
        this.presence.set(name, h)
      }
      h[Math.min(x, 3) - 1]++
    }
    for (const p of all) {
      let pm = this.params.get(p.name)
      if (pm === undefined) {
        if (this.params.size >= mp.maxParamsPerContext) continue
        pm = new ParamModel(p.name, mp)
        this.params.set(p.name, pm)
      }
      pm.learn(p.value, p.flags)
    }
    for (const p of all) this.app.learnValue(p.value, p.flags)
    this.app.learnHeaders(obs)
    this.orders.learn(orderKey())
    this.n++
  }

  score (obs: HttpObservation): ModelScore {
    const mp = this.modelParams
    const sink = this.sink
    sink.reset()
    const total = collect(obs, mp.maxParamsPerRequest, this.ignored)
    const n1 = this.n + 1

    sink.group(REQUEST_FAMILIES)
    // Q1 unknown parameters
    let unknown = 0
    for (const name of occ.keys()) if (!this.names.has(name)) unknown++
    const pu = this.names.pNovel(unknown, mp.minP)
    if (sink.test(pu, 0, true) && unknown > 0) {
      const u = [...occ.keys()].filter((k) => !this.names.has(k))
      sink.push(pu, u.length === 1 ? u[0] : undefined, 'unknown-parameter', () => [u.slice(0, 6).map((s) => showValue(s, 32)).join(', '),
        `known: ${this.parameterNames().slice(0, 12).join(', ')}${this.params.size > 12 ? ', …' : ''}`])
    }

    // Q2 presence (missing or repeated)
    let pp = 1
    let worst = ''
    let worstX = 0
    for (const [name, h] of this.presence) {
      const x = occ.get(name) ?? 0
      let q = 1
      if (x === 0) q = Math.max(mp.minP, (1 + this.n - (h[0] + h[1] + h[2])) / n1)
      else if (x >= 2) {
        let ge = 0
        for (let j = Math.min(x, 3) - 1; j < 3; j++) ge += h[j]
        q = Math.max(mp.minP, (1 + ge) / n1)
      }
      if (q < pp) { pp = q; worst = name; worstX = x }
    }
    // a missing optional parameter is novelty; a parameter repeated more than ever is evidence (parameter pollution)
    if (sink.test(pp, 1, worstX === 0) && worst !== '') {
      const h = this.presence.get(worst)!
      const n = this.n
      const x = worstX
      if (x === 0) sink.push(pp, worst, 'missing-parameter', () => ['absent', `present in ${h[0] + h[1] + h[2]} of ${n} requests`])
      else sink.push(pp, worst, 'repeated-parameter', () => [`×${x}`, `repeated in ${h[1] + h[2]} of ${n} requests`])
    }

    // Q3 order (only meaningful when every name is known)
    if (unknown === 0) {
      const key = orderKey()
      const po = this.orders.pValue(key, mp.reasonMaxP, mp.minP)
      if (sink.test(po, 1, true)) sink.push(po, undefined, 'parameter-order', () => [showValue(key, 64), `one of {${this.orders.top(3).map((s) => showValue(s, 64)).join(', ')}}`])
    } else {
      sink.skip(1)
    }

    // Q4 too many parameters
    if (total > all.length) {
      const pt = Math.max(mp.minP, 1 / n1) * Math.pow(mp.noveltyTailFactor, Math.min(64, Math.log2(total / mp.maxParamsPerRequest)))
      if (sink.test(pt, 2)) sink.push(pt, undefined, 'too-many-parameters', () => [total, `at most ${mp.maxParamsPerRequest} read`])
    } else {
      sink.skip(1)
    }

    // H0–H7 per parameter value; Q5 for the values of unknown parameters. Repeated occurrences are scored
    // but do not add tests: padding a request with copies of a parameter must not dilute the correction
    // (the repetition itself is Q2's business).
    occ.clear()
    for (let i = 0; i < all.length; i++) {
      const p = all[i]
      const seen = occ.get(p.name) ?? 0
      occ.set(p.name, seen + 1)
      sink.counting = seen === 0
      const pm = this.params.get(p.name)
      if (pm !== undefined) pm.score(p.value, p.flags, sink)
      else this.app.judgeUnknown(p.value, p.flags, { context: this.context, parameter: p.name, location: i < queryCount ? 'query' : 'body' }, sink)
    }
    sink.counting = true

    // A2 headers and cookies, app-wide models
    this.app.scoreHeaders(obs, this.context, sink)

    const c = sink.combined()
    return { value: round3(c.value), evidence: round3(sink.evidence().value), reasons: sink.reasons(this.context, mp.maxReasons) }
  }

  toJSON (): HttpContextModelJSON {
    return {
      v: HTTP_MODEL_VERSION,
      kind: HTTP_MODEL_KIND,
      context: this.context,
      n: this.n,
      params: [...this.params.entries()].map(([k, pm]) => [k, pm.toJSON()]),
      names: this.names.toJSON(),
      presence: [...this.presence.entries()].map(([k, h]) => [k, Array.from(h)]),
      orders: this.orders.toJSON()
    }
  }
}

/** The distinct parameter names of an observation (tracking tags dropped), as the models name them. */
export function parameterNamesOf (obs: HttpObservation, params: Readonly<HttpModelParams>, ignored = nameMatcher(params.ignoreParameters)): string[] {
  collect(obs, params.maxParamsPerRequest, ignored)
  return [...occ.keys()]
}

/**
 * An observation judged by what the whole application looks like (no
 * endpoint model): every parameter's value against the app's value pool (or
 * the value checker), and its headers. For a context that does not guard
 * yet (the detector's second opinion, D4′).
 */
export function scoreWithApp (obs: HttpObservation, context: string, app: HttpAppModel, sink: TermSink, ignored: (name: string) => boolean): ModelScore {
  const mp = app.params
  sink.reset()
  collect(obs, mp.maxParamsPerRequest, ignored)
  occ.clear()
  let found = false
  for (let i = 0; i < all.length; i++) {
    const p = all[i]
    const seen = occ.get(p.name) ?? 0
    occ.set(p.name, seen + 1)
    sink.counting = seen === 0
    if (app.judgeUnknown(p.value, p.flags, { context, parameter: p.name, location: i < queryCount ? 'query' : 'body' }, sink)) found = true
  }
  sink.counting = true
  app.scoreHeaders(obs, context, sink)
  const c = sink.combined()
  const r: ModelScore = { value: round3(c.value), evidence: round3(sink.evidence().value), reasons: sink.reasons(context, mp.maxReasons) }
  if (found) r.checked = true
  return r
}

/** Tests per request for a context with `params` parameter values present (for reading scores). */
export function httpTestsFor (params: number): number { return 4 + params * PARAM_FEATURES }

export function createHttpContextModel (context: string, params?: Partial<HttpModelParams>, app?: HttpAppModel): HttpContextModel {
  return new HttpContextModel(context, createHttpModelParams(params), undefined, app)
}

/** Restores a model from its toJSON(); throws ProfileFormatError (IMMUNE_ERR_PROFILE_FORMAT). */
export function restoreHttpContextModel (json: unknown, params?: Partial<HttpModelParams>, app?: HttpAppModel): HttpContextModel {
  const j = json as HttpContextModelJSON
  if (j == null || typeof j !== 'object') throw new ProfileFormatError('?', 'snapshot', 'is not an object')
  const context = typeof j.context === 'string' ? j.context : '?'
  if (j.kind !== HTTP_MODEL_KIND) throw new ProfileFormatError(context, 'kind', `is ${JSON.stringify(j.kind)}, expected "http"`)
  if (j.v !== HTTP_MODEL_VERSION) throw new ProfileFormatError(context, 'v', `is ${JSON.stringify(j.v)}, expected ${HTTP_MODEL_VERSION}`)
  if (typeof j.context !== 'string' || !Number.isInteger(j.n) || !Array.isArray(j.params) || !Array.isArray(j.presence)) {
    throw new ProfileFormatError(context, 'snapshot', 'is missing fields')
  }
  return new HttpContextModel(j.context, createHttpModelParams(params), j, app)
}
