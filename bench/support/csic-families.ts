/**
 * CSIC 2010's attack families, labelled by content (the data set has no
 * per-request labels; its documentation names the families): for reporting
 * detection per family only, never used by a detector. Rules are applied in
 * order to the request's values decoded twice (form decoding, then any %XX
 * left), lower-cased; the first that matches names the family.
 *
 *   server-side-include  `<!--#exec`, `<!--#include`, …
 *   xss                  a script tag, javascript:, alert(, an event handler, a style with url(
 *   crlf-injection       CR or LF in a value, or a Set-Cookie header in one
 *   sql-injection        a quote then OR/AND, OR/AND n=n, UNION SELECT, SELECT…FROM,
 *                        DROP/DELETE/INSERT statements, WAITFOR DELAY, trailing --, CSIC's 'INJECTED_PARAM
 *   path-traversal       ../ or ..\ , /etc/passwd, win.ini
 *   command-injection    ; | ` & followed by a Unix command
 *   buffer-overflow      a run of 64 or more equal characters
 *   unknown-method       a method the training traffic never used (PUT)
 *   hidden-file          a path the training traffic never requested (backup and source files,
 *                        directory listings, product names as paths)
 *   parameter-tampering  a parameter name the endpoint never had in training (`B1A`)
 *   malformed-value      anything else: values with characters or shapes the field never had
 */
import type { HttpObservation } from '../../node/observation.js'

export const CSIC_FAMILIES = ['server-side-include', 'xss', 'crlf-injection', 'sql-injection', 'path-traversal', 'command-injection',
  'buffer-overflow', 'unknown-method', 'hidden-file', 'parameter-tampering', 'malformed-value'] as const
export type CsicFamily = typeof CSIC_FAMILIES[number]

function decode (s: string): string {
  const once = (x: string, plus: boolean): string => {
    try { return decodeURIComponent(plus ? x.replace(/\+/g, ' ') : x) } catch { return unescape(plus ? x.replace(/\+/g, ' ') : x) }
  }
  const a = once(s, true)
  return /%[0-9a-fA-F]{2}/.test(a) ? once(a, false) : a
}

function pairs (raw: string): Array<[string, string]> {
  if (raw === '') return []
  return raw.split('&').filter((p) => p !== '').map((p) => {
    const i = p.indexOf('=')
    return [decode(i < 0 ? p : p.slice(0, i)), decode(i < 0 ? '' : p.slice(i + 1))]
  })
}

const RULES: ReadonlyArray<[CsicFamily, RegExp]> = [
  ['server-side-include', /<!--\s*#\s*(exec|include|echo|config|printenv)/],
  ['xss', /<\s*\/?\s*script|javascript\s*:|alert\s*\(|\bon[a-z]+\s*=|<\s*(img|iframe|svg|body|object|embed)\b|style\s*=\s*["']?[^"']*url\s*\(/],
  ['crlf-injection', /[\r\n]|set-cookie/],
  ['sql-injection', /('|")\s*(or|and)\b|\b(or|and)\s+['"]?\w+['"]?\s*=|\bunion\b[^]*\bselect\b|\bselect\b[^]*\bfrom\b|\b(drop|delete|insert|update)\s+(table|from|into)\b|\bwaitfor\s+delay|--\s*$|injected_param/],
  ['path-traversal', /\.\.[/\\]|\/etc\/(passwd|shadow)|win\.ini/],
  ['command-injection', /[;|`&]\s*(cat|ls|id|rm|wget|curl|nc|sh|bash|ping|dir)\b/],
  ['buffer-overflow', /(.)\1{63}/]
]

export interface CsicLabeller {
  family: (obs: HttpObservation) => CsicFamily
}

/** A labeller that knows the training traffic's methods, paths and parameter names (for the last four families). */
export function createCsicLabeller (training: readonly HttpObservation[]): CsicLabeller {
  const methods = new Set(training.map((o) => o.method))
  const paths = new Set(training.map((o) => o.path))
  const names = new Map<string, Set<string>>()
  for (const o of training) {
    const k = `${o.method} ${o.path}`
    let s = names.get(k)
    if (s == null) { s = new Set(); names.set(k, s) }
    for (const [n] of [...pairs(o.query), ...pairs(o.body)]) s.add(n)
  }
  return {
    family (obs) {
      const ps = [...pairs(obs.query), ...pairs(obs.body)]
      const text = [decode(obs.path), ...ps.map(([n, v]) => `${n}=${v}`)].join('\n').toLowerCase()
      const values = ps.map(([, v]) => v.toLowerCase())
      for (const [family, re] of RULES) {
        if (family === 'crlf-injection' ? values.some((v) => re.test(v)) : re.test(text)) return family
      }
      if (!methods.has(obs.method)) return 'unknown-method'
      if (!paths.has(obs.path)) return 'hidden-file'
      const known = names.get(`${obs.method} ${obs.path}`)
      if (known != null && ps.some(([n]) => !known.has(n))) return 'parameter-tampering'
      return 'malformed-value'
    }
  }
}
