/**
 * The innate detector: per value, whether the input would break out of the
 * syntax it is likely to land in (DESIGN.md "Two immune systems": innate).
 * Pure: no state, no clock; the same value always gives the same findings.
 *
 *   value ─decode (decode.ts)─▶ views ─trigger mask─▶ grammars (grammars/*) ─▶ findings
 *
 * One pass over each view sets a bit per trigger character class (quotes,
 * `<`, shell separators, `..`, braces, `)(`, CR/LF, a leading digit, …); a
 * grammar runs only on the views that hold its triggers, so the common value
 * (letters, digits, spaces, `@.-_`) costs one table lookup per character.
 * Per grammar the strongest finding over the views is kept (the earliest
 * view on a tie), so a finding names the fewest decodings that show it.
 */
import type { HttpObservation } from '../observation.js'
import { decodeViews } from './decode.js'
import type { Work } from './decode.js'
import type { GrammarFinding } from './grammars/grammar.js'
import { inspectHtml } from './grammars/html.js'
import { inspectHttpHeader } from './grammars/http-header.js'
import { inspectJavascript } from './grammars/javascript.js'
import { inspectLdap } from './grammars/ldap.js'
import { inspectPath } from './grammars/path.js'
import { inspectMethod, inspectProbe } from './grammars/probe.js'
import { inspectShell } from './grammars/shell.js'
import { inspectSql } from './grammars/sql.js'
import { inspectTemplate } from './grammars/template.js'
import { createInnateParams } from './innate-params.js'
import type { InnateParams } from './innate-params.js'
import type { InnateFinding, InnateGrammar, InnateLocation, InnateResult, InspectContext } from './types.js'

// trigger classes
const B_QUOTE = 1 // ' " `
const B_LT = 2 // <
const B_SHELL = 4 // ; | & ` $ ( CR LF
const B_DOT = 8 // .
const B_SLASH = 16 // / \ :
const B_BRACE = 32 // { %
const B_PAREN = 64 // )
const B_CRLF = 128
const B_NUL = 256
const B_DIGIT0 = 1024 // the value starts with a digit, ')' or '-digit' (numeric contexts)
const B_ON = 2048 // whitespace then "on" (an event handler in an unquoted attribute)
const B_COLON = 4096 // ':' (a URL scheme)
const B_PROBE = 8192 // ~ # (editor backups)

const TABLE = new Uint16Array(128)
for (const c of '\'"`') TABLE[c.charCodeAt(0)] |= B_QUOTE
TABLE[60] |= B_LT
for (const c of ';|&`$(') TABLE[c.charCodeAt(0)] |= B_SHELL
TABLE[13] |= B_SHELL | B_CRLF
TABLE[10] |= B_SHELL | B_CRLF
TABLE[46] |= B_DOT
for (const c of '/\\:') TABLE[c.charCodeAt(0)] |= B_SLASH
TABLE[58] |= B_COLON
for (const c of '{%') TABLE[c.charCodeAt(0)] |= B_BRACE
TABLE[41] |= B_PAREN
TABLE[0] |= B_NUL
TABLE[126] |= B_PROBE
TABLE[35] |= B_PROBE

function triggers (text: string, work: Work): number {
  let m = 0
  const len = text.length
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i)
    if (c < 128) {
      m |= TABLE[c]
      if ((c === 111 || c === 79) && i > 0 && (text.charCodeAt(i - 1) <= 32) && (text.charCodeAt(i + 1) | 0x20) === 110) m |= B_ON
    }
  }
  work.n += len
  let i = 0
  while (i < len && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++
  const c0 = text.charCodeAt(i)
  if ((c0 >= 48 && c0 <= 57) || c0 === 41 || (c0 === 45 && text.charCodeAt(i + 1) >= 48 && text.charCodeAt(i + 1) <= 57)) {
    // a number followed by something else: a numeric context could break
    let j = i + 1
    while (j < len && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++
    if (j < len || c0 === 41) m |= B_DIGIT0
  }
  return m
}

const HEADER_CACHE = 256
const PATH_CACHE = 256

type GrammarRun = (text: string, location: InnateLocation, work: Work, out: GrammarFinding[]) => void

/** `path`: the grammar reads the request path only. */
interface GrammarEntry { grammar: InnateGrammar, mask: number, run: GrammarRun, path?: true }

const GRAMMARS: readonly GrammarEntry[] = [
  { grammar: 'sql', mask: B_QUOTE | B_DIGIT0 | B_PAREN | B_SHELL, run: (t, _l, w, o) => { inspectSql(t, w, o) } },
  { grammar: 'html', mask: B_LT | B_QUOTE | B_ON | B_COLON, run: (t, _l, w, o) => { inspectHtml(t, w, o) } },
  { grammar: 'javascript', mask: B_QUOTE | B_DIGIT0, run: (t, _l, w, o) => { inspectJavascript(t, w, o) } },
  { grammar: 'shell', mask: B_SHELL, run: (t, _l, w, o) => { inspectShell(t, w, o) } },
  { grammar: 'path', mask: B_DOT | B_NUL | B_SLASH, run: (t, l, w, o) => { inspectPath(t, l === 'path', w, o) } },
  { grammar: 'template', mask: B_BRACE, run: (t, _l, w, o) => { inspectTemplate(t, w, o) } },
  { grammar: 'ldap', mask: B_PAREN, run: (t, _l, w, o) => { inspectLdap(t, w, o) } },
  { grammar: 'http-header', mask: B_CRLF, run: (t, _l, w, o) => { inspectHttpHeader(t, w, o) } },
  { grammar: 'probe', mask: B_SLASH | B_DOT | B_PROBE, run: (t, _l, w, o) => { inspectProbe(t, w, o) }, path: true }
]

/** A value the caller wants left alone, per location and name: all grammars (true) or some. */
export type InnateExclusion = (location: InnateLocation, name: string) => boolean | readonly InnateGrammar[]

export interface InnateHttpValue { location: InnateLocation, name: string }

export interface InnateHttpResult extends InnateResult {
  /** Values read. */
  values: number
}

export interface InnateDetector {
  readonly params: Readonly<InnateParams>
  /** Findings of one value (see InspectContext for how it is decoded). */
  inspect: (value: string, ctx: InspectContext, skip?: readonly InnateGrammar[]) => InnateResult
  /**
   * Findings of every value of an HTTP observation: path, query and
   * form-body parameters (or an opaque body), configured headers; and, with
   * the `probe` grammar, the method on the path (location `method`).
   */
  inspectHttp: (obs: Pick<HttpObservation, 'path' | 'query' | 'body' | 'headers'> & { method?: string }, exclude?: InnateExclusion) => InnateHttpResult
}

function show (s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s)
}

export function explainFinding (f: Omit<InnateFinding, 'explanation'>, why: string): string {
  const where = f.name !== '' ? `${f.location} ${f.name}` : f.location
  return `${where}: ${f.grammar} (${f.context}): ${show(f.token)} at offset ${f.offset} ${why}${f.decodings.length > 0 ? `; after ${f.decodings.join(', ')}` : ''}`
}

function isFormBody (headers: Record<string, string> | undefined): boolean {
  const ct = headers?.['content-type']
  return ct == null || ct === '' || ct.toLowerCase().includes('x-www-form-urlencoded')
}

export function createInnateDetector (init: Partial<InnateParams> = {}): InnateDetector {
  const params = createInnateParams(init)
  const enabled = GRAMMARS.filter((g) => params.grammars.includes(g.grammar))
  const scratch: GrammarFinding[] = []

  const inspect = (raw: string, ctx: InspectContext, skip?: readonly InnateGrammar[]): InnateResult => {
    const work: Work = { n: 0 }
    const truncated = raw.length > params.maxValueChars
    const value = truncated ? raw.slice(0, params.maxValueChars) : raw
    const encoding = ctx.encoding ?? 'none'
    // fast path: nothing to decode and no trigger character (most values: words, numbers, e-mail addresses)
    if (value.indexOf('%') < 0 && value.indexOf('&') < 0 && (encoding !== 'form' || value.indexOf('+') < 0) && triggers(value, work) === 0) {
      return { findings: [], work: work.n, truncated }
    }
    const views = decodeViews(value, encoding, params.maxViews, work)
    const best: InnateFinding[] = []
    for (const view of views) {
      const m = triggers(view.text, work)
      if (m === 0) continue
      for (const g of enabled) {
        if ((m & g.mask) === 0 || (g.path === true && ctx.location !== 'path') || (skip != null && skip.includes(g.grammar))) continue
        let at = -1
        for (let k = 0; k < best.length; k++) if (best[k].grammar === g.grammar) { at = k; break }
        const prev = at >= 0 ? best[at] : undefined
        if (prev != null && prev.strength === 'strong') continue
        scratch.length = 0
        g.run(view.text, ctx.location, work, scratch)
        for (const f of scratch) {
          if (prev != null && !(f.strength === 'strong' && prev.strength === 'weak')) continue
          const base = { grammar: f.grammar, context: f.context, token: f.token, offset: f.offset, span: f.span, fingerprint: f.fingerprint, strength: f.strength, decodings: view.steps.slice(), location: ctx.location, name: ctx.name }
          const finding = { ...base, explanation: explainFinding(base, f.why) }
          if (at >= 0) best[at] = finding
          else best.push(finding)
          break
        }
      }
    }
    if (best.length > 1) best.sort((a, b) => (a.strength === b.strength ? 0 : a.strength === 'strong' ? -1 : 1))
    return { findings: best, work: work.n, truncated }
  }

  /**
   * Header values repeat across requests (one User-Agent per client): their
   * results are memoised, bounded (HEADER_CACHE entries of at most 1 KiB,
   * the oldest dropped first). The result is the same as inspecting again.
   */
  const headerCache = new Map<string, InnateResult>()
  const inspectHeader = (name: string, value: string, skip?: readonly InnateGrammar[]): InnateResult => {
    if (value.length > 1024 || skip != null) return inspect(value, { location: 'header', name, encoding: 'none' }, skip)
    const key = `${name}\n${value}`
    const hit = headerCache.get(key)
    if (hit != null) return hit
    const r = inspect(value, { location: 'header', name, encoding: 'none' })
    if (headerCache.size >= HEADER_CACHE) headerCache.delete(headerCache.keys().next().value as string)
    headerCache.set(key, r)
    return r
  }

  /**
   * Request paths repeat too (an application's pages and assets): their
   * results are memoised the same way (PATH_CACHE entries of at most 512
   * characters, the oldest dropped first); a path with an id per request
   * simply misses.
   */
  const pathCache = new Map<string, InnateResult>()
  const inspectPath = (value: string, skip?: readonly InnateGrammar[]): InnateResult => {
    if (value.length > 512 || skip != null) return inspect(value, { location: 'path', name: '', encoding: 'url' }, skip)
    const hit = pathCache.get(value)
    if (hit != null) return hit
    const r = inspect(value, { location: 'path', name: '', encoding: 'url' })
    if (pathCache.size >= PATH_CACHE) pathCache.delete(pathCache.keys().next().value as string)
    pathCache.set(value, r)
    return r
  }

  const probes = params.grammars.includes('probe')
  const inspectHttp = (obs: Pick<HttpObservation, 'path' | 'query' | 'body' | 'headers'> & { method?: string }, exclude?: InnateExclusion): InnateHttpResult => {
    const findings: InnateFinding[] = []
    let work = 0
    let truncated = false
    let values = 0
    const one = (value: string, location: InnateLocation, name: string, encoding: 'form' | 'url' | 'none'): void => {
      if (values >= params.maxValuesPerObservation || value === '') return
      values++
      const ex = exclude?.(location, name) ?? false
      if (ex === true) return
      const skip = ex === false ? undefined : ex
      const r = location === 'header' ? inspectHeader(name, value, skip) : location === 'path' ? inspectPath(value, skip) : inspect(value, { location, name, encoding }, skip)
      work += r.work
      if (r.truncated) truncated = true
      for (const f of r.findings) findings.push(f)
    }
    const form = (raw: string, location: InnateLocation): void => {
      let start = 0
      while (start <= raw.length && values < params.maxValuesPerObservation) {
        let end = raw.indexOf('&', start)
        if (end < 0) end = raw.length
        if (end > start) {
          const eq = raw.indexOf('=', start)
          const hasEq = eq >= 0 && eq < end
          const rawName = hasEq ? raw.slice(start, eq) : raw.slice(start, end)
          one(hasEq ? raw.slice(eq + 1, end) : '', location, formName(rawName), 'form')
        }
        start = end + 1
      }
      work += raw.length
    }
    if (probes && obs.method != null && obs.method !== '' && obs.method !== 'GET' && obs.method !== 'POST') {
      const ex = exclude?.('method', '') ?? false
      if (ex !== true && !(ex !== false && ex.includes('probe'))) {
        const w = { n: 0 }
        const f = inspectMethod(obs.method, obs.path, w)
        work += w.n
        if (f != null) {
          const base = { grammar: f.grammar, context: f.context, token: f.token, offset: f.offset, span: f.span, fingerprint: f.fingerprint, strength: f.strength, decodings: [], location: 'method' as const, name: '' }
          findings.push({ ...base, explanation: explainFinding(base, f.why) })
        }
      }
    }
    one(obs.path, 'path', '', 'url')
    if (obs.query !== '') form(obs.query, 'query')
    if (obs.body !== '') {
      if (isFormBody(obs.headers)) form(obs.body, 'body')
      else one(obs.body, 'body', '(body)', 'none')
    }
    for (const h of params.headers) {
      const v = obs.headers?.[h]
      if (v != null) one(v, 'header', h, 'none')
    }
    return { findings, work, truncated, values }
  }

  return { params, inspect, inspectHttp }
}

/** A form parameter name as the application reads it ('+' → space, %XX decoded). */
function formName (raw: string): string {
  if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) return raw
  try { return decodeURIComponent(raw.replace(/\+/g, ' ')) } catch { return raw.replace(/\+/g, ' ') }
}
