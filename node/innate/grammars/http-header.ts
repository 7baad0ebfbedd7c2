/**
 * HTTP headers: does the value, placed into a response header (a redirect's
 * Location, a Set-Cookie, a download's Content-Disposition), end the header
 * line and start one of its own (CRLF injection, response splitting)?
 *
 * The breaking token is a CR or LF; what follows (after more line breaks)
 * must be a header field `name:` whose name is a response header with an
 * effect (Set-Cookie, Location, Content-Type, Content-Length, Refresh,
 * Content-Security-Policy, Access-Control-*, …), or, after an empty line, a
 * new body or status line (response splitting). A line break followed by
 * "Regards: Ann" in a text area is text. Every finding is strong.
 */
import type { Work } from '../decode.js'
import type { GrammarFinding } from './grammar.js'

const HEADERS = new Set(['set-cookie', 'set-cookie2', 'location', 'content-type', 'content-length', 'content-disposition', 'content-encoding', 'refresh',
  'content-security-policy', 'x-xss-protection', 'x-frame-options', 'transfer-encoding', 'link', 'cache-control', 'expires', 'pragma', 'etag',
  'last-modified', 'www-authenticate', 'proxy-authenticate', 'strict-transport-security', 'x-content-type-options', 'cookie', 'host', 'authorization',
  'x-forwarded-for', 'x-forwarded-host', 'connection', 'upgrade', 'vary', 'age', 'server', 'x-powered-by'])

function isTokenChar (c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95
}

/** HTTP-header findings of one decoded value. */
export function inspectHttpHeader (text: string, work: Work, out: GrammarFinding[]): void {
  let i = 0
  let breaks = 0
  while (i < text.length && breaks < 64) {
    const c = text.charCodeAt(i)
    if (c !== 13 && c !== 10) { i++; continue }
    breaks++
    const at = i
    let j = i
    let lines = 0
    while (j < text.length && (text.charCodeAt(j) === 13 || text.charCodeAt(j) === 10)) { if (text.charCodeAt(j) === 10) lines++; j++ }
    const s = j
    while (j < text.length && j - s < 64 && isTokenChar(text.charCodeAt(j))) j++
    work.n += j - at
    const name = text.slice(s, j).toLowerCase()
    const token = text.slice(at, s).replace(/\r/g, '\\r').replace(/\n/g, '\\n')
    if (j < text.length && text.charCodeAt(j) === 58 && HEADERS.has(name)) {
      out.push({ grammar: 'http-header', context: 'header value', token, offset: at, span: text.slice(at, Math.min(text.length, at + 256)), fingerprint: `CRLF ${name}:`, strength: 'strong', why: `ends the header line, then sets ${name}` })
      return
    }
    if (lines >= 2 && (text.startsWith('HTTP/', s) || text.charCodeAt(s) === 60)) {
      out.push({ grammar: 'http-header', context: 'header value', token, offset: at, span: text.slice(at, Math.min(text.length, at + 256)), fingerprint: 'CRLFCRLF', strength: 'strong', why: 'ends the headers, then starts a body of its own (response splitting)' })
      return
    }
    i = Math.max(j, i + 1)
  }
}
