/**
 * What one application's requests look like across all its endpoints (one
 * per HTTP profile set, shared by its context models):
 *
 *   A1 the value pool: one ParamModel over the values of every parameter of
 *      every endpoint. A parameter never seen at an endpoint is judged by it
 *      ("by what other parameters of this app look like", issue 9) when no
 *      value checker (the innate layer) is given.
 *   A2 headers: one ParamModel per observed header (User-Agent, Referer,
 *      every Cookie by name as `cookie:<name>`, configured headers), app-wide
 *      because the variety of clients is not a property of an endpoint; see
 *      header-model.ts.
 *
 * Persisted with the profile set's meta record.
 */
import type { HttpObservation } from '../../observation.js'
import { NoveltyTracker } from '../stats/novelty-tracker.js'
import type { NoveltyTrackerJSON } from '../stats/novelty-tracker.js'
import { showValue } from './char-class.js'
import { decodeFormComponent } from './form.js'
import type { Decoded } from './form.js'
import { nameMatcher } from './http-model-params.js'
import type { HttpModelParams } from './http-model-params.js'
import { ParamModel } from './param-model.js'
import type { ParamModelJSON } from './param-model.js'
import type { TermSink } from './term-sink.js'

/** A finding of a value checker (the innate layer, issue 10): the value breaks out of a syntax. */
export interface ValueFinding {
  /** P-value of the finding (small = strong), used as an evidence term. */
  p: number
  /** What kind of syntax (e.g. "sql-string"), the breaking token and its offset, for the explanation. */
  grammar: string
  token: string
  offset: number
}

/** Where a value sits, for a value checker. */
export interface ValueWhere {
  context: string
  parameter: string
  location: 'query' | 'body' | 'header' | 'cookie'
}

/**
 * The seam for the innate layer (issue 10): given a value, say whether it
 * breaks out of the syntax it is likely to land in. The profile uses it for
 * values it has no model of (unknown parameters), and the detector's
 * learning guard to refuse learning such values.
 */
export type ValueChecker = (value: string, where: ValueWhere) => ValueFinding | null

export interface HttpAppModelJSON {
  v: 1
  pool: ParamModelJSON
  /** Absent in snapshots written before header models. */
  headers?: Array<[string, ParamModelJSON]>
  cookies?: Array<[string, ParamModelJSON]>
  cookieNames?: NoveltyTrackerJSON<string>
  cookiePool?: ParamModelJSON
}

/** One cookie of a Cookie header. */
export interface CookiePair { name: string, value: string, flags: number }

const holder: Decoded = { text: '', flags: 0 }
/** RFC 6265 cookie-name (an RFC 9110 token). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/
/** The name given to a Cookie header part that is not `token=value`. */
export const INVALID_COOKIE = '(invalid)'

/** The cookies of a Cookie header (`a=b; c=d`), values percent-decoded ('+' kept), at most `max`. */
export function parseCookies (header: string, max = 64): CookiePair[] {
  const out: CookiePair[] = []
  const n = header.length
  let i = 0
  while (i < n && out.length < max) {
    let end = header.indexOf(';', i)
    if (end < 0) end = n
    let a = i
    let b = end
    while (a < b && header.charCodeAt(a) === 32) a++
    while (b > a && header.charCodeAt(b - 1) === 32) b--
    i = end + 1
    if (a === b) continue
    const eq = header.indexOf('=', a)
    const nameEnd = eq < 0 || eq >= b ? b : eq
    let ne = nameEnd
    while (ne > a && header.charCodeAt(ne - 1) === 32) ne--
    if (ne === a) continue
    const name = header.slice(a, ne)
    if (!COOKIE_NAME.test(name)) {
      // not a cookie name (RFC 6265 token): the whole part is one value of an invalid cookie
      out.push({ name: INVALID_COOKIE, value: header.slice(a, b), flags: 0 })
      continue
    }
    let va = nameEnd < b ? nameEnd + 1 : b
    while (va < b && header.charCodeAt(va) === 32) va++
    let vb = b
    if (vb - va >= 2 && header.charCodeAt(va) === 34 && header.charCodeAt(vb - 1) === 34) { va++; vb-- }
    let value = header.slice(va, vb)
    let flags = 0
    if (value.includes('%')) {
      decodeFormComponent(value.replaceAll('+', '%2B'), holder)
      value = holder.text
      flags = holder.flags
    }
    out.push({ name, value, flags })
  }
  return out
}

/** Whether cookies[i]'s name came earlier in the list. */
function repeated (cookies: readonly CookiePair[], i: number): boolean {
  for (let j = 0; j < i; j++) if (cookies[j].name === cookies[i].name) return true
  return false
}

const NONE: CookiePair[] = []
/** Cookies read from one header: the budget of one request. */
const MAX_COOKIES_PER_REQUEST = 64

export class HttpAppModel {
  pool: ParamModel
  /** A2: one model per configured header, and per cookie name. */
  private headers = new Map<string, ParamModel>()
  private cookies = new Map<string, ParamModel>()
  private cookieNames: NoveltyTracker<string>
  /** The values of every cookie: what an unknown cookie's value is judged by. */
  private cookiePool: ParamModel
  private readonly ignoredCookie: (name: string) => boolean

  /**
   * Header values are long (a User-Agent is 70–200 characters) and few per
   * site: they stay an enumeration up to 256 distinct values of up to 512
   * characters (the fast path for a known value), at most 512 characters
   * of a new one are analysed, and a length beyond the longest seen is
   * judged on a relative scale (a new browser's User-Agent is longer).
   */
  private readonly headerParams: Readonly<HttpModelParams>

  constructor (readonly params: Readonly<HttpModelParams>, readonly checker?: ValueChecker) {
    this.headerParams = Object.freeze({ ...params, maxEnumValues: Math.max(params.maxEnumValues, 256), maxEnumValueChars: Math.max(params.maxEnumValueChars, 512), maxAnalysedChars: Math.min(params.maxAnalysedChars, 512), relativeLength: Math.max(params.relativeLength, 0.25) })
    this.pool = new ParamModel('*', params)
    this.cookieNames = new NoveltyTracker<string>(params.maxCookieNames, params.noveltyTailFactor)
    this.cookiePool = new ParamModel('cookie:*', params)
    this.ignoredCookie = nameMatcher(params.ignoreCookies)
  }

  learnValue (value: string, flags: number): void { this.pool.learn(value, flags) }

  private cookiesOf (obs: HttpObservation): CookiePair[] {
    if (!this.params.modelCookies) return NONE
    const h = obs.headers?.cookie
    if (h == null || h === '') return NONE
    const all = parseCookies(h, MAX_COOKIES_PER_REQUEST)
    for (const c of all) if (this.ignoredCookie(c.name)) return all.filter((x) => !this.ignoredCookie(x.name))
    return all
  }

  /** Learns the request's headers and cookies (called with each request a context learns). */
  learnHeaders (obs: HttpObservation): void {
    const hs = obs.headers
    if (hs == null) return
    for (const name of this.params.headers) {
      const v = hs[name]
      if (v == null || v === '') continue
      let m = this.headers.get(name)
      if (m === undefined) { m = new ParamModel(`header:${name}`, this.headerParams); this.headers.set(name, m) }
      m.learn(v, 0)
    }
    const cookies = this.cookiesOf(obs)
    if (cookies.length === 0) return
    const names = new Set<string>()
    for (const c of cookies) {
      names.add(c.name)
      let m = this.cookies.get(c.name)
      if (m === undefined) {
        if (this.cookies.size >= this.params.maxCookieNames) continue
        m = new ParamModel(`cookie:${c.name}`, this.params)
        this.cookies.set(c.name, m)
      }
      m.learn(c.value, c.flags)
      this.cookiePool.learn(c.value, c.flags)
    }
    this.cookieNames.learn(names)
  }

  /**
   * Adds the tests of the request's headers and cookies to `sink`: each
   * header and known cookie against its own model, an unknown cookie's
   * value by the value checker or against every cookie value. Only their
   * evidence counts (TermSink.evidenceOnly): a new browser, a new
   * session, a new cookie is what real clients bring, never a signal;
   * an injection in a header is (a quote, an '=' where User-Agents have
   * none, a value far longer than any seen).
   */
  scoreHeaders (obs: HttpObservation, context: string, sink: TermSink): void {
    const hs = obs.headers
    if (hs == null) return
    sink.evidenceOnly = true
    try { this.scoreHeadersEvidence(hs, obs, context, sink) } finally { sink.evidenceOnly = false }
  }

  private scoreHeadersEvidence (hs: Record<string, string>, obs: HttpObservation, context: string, sink: TermSink): void {
    for (const name of this.params.headers) {
      const v = hs[name]
      if (v == null || v === '') continue
      // a header never seen in training is judged by what the app's values look like
      const m = this.headers.get(name)
      if (m === undefined && this.pool.n === 0) continue
      // a header counts as one test (its nine features as one): see TermSink.skip
      const was = sink.counting
      sink.counting = false
      if (m !== undefined) m.score(v, 0, sink)
      else this.pool.score(v, 0, sink, `header:${name}`, true)
      sink.counting = was
      sink.skip(1)
    }
    const cookies = this.cookiesOf(obs)
    if (cookies.length === 0 || this.cookieNames.n === 0) return
    let unknown = 0
    for (let i = 0; i < cookies.length; i++) if (!this.cookies.has(cookies[i].name) && !repeated(cookies, i)) unknown++
    sink.group()
    const pu = this.cookieNames.pNovel(unknown, this.params.minP)
    if (sink.test(pu, 0, true) && unknown > 0) {
      const u = [...new Set(cookies.filter((c) => !this.cookies.has(c.name)).map((c) => c.name))]
      sink.push(pu, u.length === 1 ? `cookie:${u[0]}` : undefined, 'unknown-cookie', () => [u.slice(0, 6).map((x) => showValue(x, 32)).join(', '), `${this.cookies.size} known cookies`])
    }
    // each cookie (its first occurrence) counts as one test
    for (let i = 0; i < cookies.length; i++) {
      const c = cookies[i]
      const m = this.cookies.get(c.name)
      const was = sink.counting
      sink.counting = false
      if (m !== undefined) m.score(c.value, c.flags, sink)
      else this.judgeUnknown(c.value, c.flags, { context, parameter: `cookie:${c.name}`, location: 'cookie' }, sink, this.cookiePool, true)
      sink.counting = was
      if (!repeated(cookies, i)) sink.skip(1)
    }
  }

  /**
   * A value no model knows (an unknown parameter or cookie): the value
   * checker's finding (the innate layer) as one evidence test when there is
   * a checker, and the value against `pool` (what the app's values look
   * like). True when the checker found something.
   */
  judgeUnknown (value: string, flags: number, where: ValueWhere, sink: TermSink, pool: ParamModel = this.pool, lengthless = false): boolean {
    let found = false
    if (this.checker != null) {
      sink.group()
      const f = this.checker(value, where)
      const pf = f == null ? 1 : Math.max(0, Math.min(1, f.p))
      found = f != null
      if (sink.test(pf, 0) && f != null) sink.push(pf, where.parameter, 'innate', () => [`${f.grammar}: ${showValue(f.token, 32)} at ${f.offset}`, 'a value that stays inside its syntax'])
    }
    pool.score(value, flags, sink, where.parameter, lengthless)
    return found
  }

  toJSON (): HttpAppModelJSON {
    return {
      v: 1,
      pool: this.pool.toJSON(),
      headers: [...this.headers].map(([k, m]) => [k, m.toJSON()]),
      cookies: [...this.cookies].map(([k, m]) => [k, m.toJSON()]),
      cookieNames: this.cookieNames.toJSON(),
      cookiePool: this.cookiePool.toJSON()
    }
  }

  /** Replaces the learned state with a snapshot's; throws TypeError on a malformed one. */
  load (json: unknown): void {
    const j = json as HttpAppModelJSON
    if (j == null || j.v !== 1 || j.pool == null) throw new TypeError('http app model: malformed snapshot')
    const p = this.params
    const pool = new ParamModel('*', p, j.pool)
    const headers = new Map((j.headers ?? []).map(([k, m]) => [k, new ParamModel(`header:${k}`, this.headerParams, m)]))
    const cookies = new Map((j.cookies ?? []).slice(0, p.maxCookieNames).map(([k, m]) => [k, new ParamModel(`cookie:${k}`, p, m)]))
    const cookieNames = j.cookieNames != null ? NoveltyTracker.restore(j.cookieNames, p.maxCookieNames, p.noveltyTailFactor) : new NoveltyTracker<string>(p.maxCookieNames, p.noveltyTailFactor)
    const cookiePool = j.cookiePool != null ? new ParamModel('cookie:*', p, j.cookiePool) : new ParamModel('cookie:*', p)
    this.pool = pool
    this.headers = headers
    this.cookies = cookies
    this.cookieNames = cookieNames
    this.cookiePool = cookiePool
  }
}
