/**
 * Pure parsing of web server access-log lines into HttpObservations.
 *
 * Formats (auto-detected per line):
 * - common:   `%h %l %u %t "%r" %>s %b` (Apache CLF)
 * - combined: common + ` "%{Referer}i" "%{User-agent}i"` (Apache), which is also
 *   nginx's default `$remote_addr - $remote_user [$time_local] "$request" $status
 *   $body_bytes_sent "$http_referer" "$http_user_agent"`. Extra trailing fields
 *   (e.g. nginx `"$http_x_forwarded_for"`) are tolerated and ignored.
 *
 * Escapes inside quoted fields: `\"`, `\\` (Apache), `\xHH` (nginx and Apache
 * for non-printable bytes), `\n \r \t` (nginx escape=json). Escaped bytes are
 * decoded as UTF-8 so the observation carries what the client sent.
 */
import { isIP } from 'node:net'
import type { HttpObservation } from '../observation.js'

export type AccessLogFormat = 'common' | 'combined'

/** Why a line was not turned into an observation. */
export type AccessLogSkipReason = 'syntax' | 'time' | 'request' | 'status'

export interface ParsedAccessLine {
  format: AccessLogFormat
  /** %h: client address or host name as logged. */
  remoteHost: string
  remoteUser?: string
  /** Milliseconds since the epoch. */
  time: number
  method: string
  /** Path without the query, percent-encoding as received. */
  path: string
  /** Raw query without '?', '' when none. */
  query: string
  protocol?: string
  status: number
  bytes?: number
  referer?: string
  userAgent?: string
}

export type AccessLineResult = { ok: true, line: ParsedAccessLine } | { ok: false, reason: AccessLogSkipReason }

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 }
const TIME_RE = /^(\d{1,2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? ([+-])(\d{2})(\d{2})$/
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const MAX_METHOD_LENGTH = 32

/** Parses `%t` without brackets: `10/Oct/2000:13:55:36 -0700` → ms since epoch, or NaN. */
export function parseLogTime (s: string): number {
  const m = TIME_RE.exec(s)
  if (m == null) return NaN
  const month = MONTHS[m[2]]
  if (month === undefined) return NaN
  const day = Number(m[1]); const hour = Number(m[4]); const min = Number(m[5]); const sec = Number(m[6])
  if (day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return NaN
  const frac = m[7] != null ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0
  const offsetMin = (Number(m[9]) * 60 + Number(m[10])) * (m[8] === '-' ? -1 : 1)
  return Date.UTC(Number(m[3]), month, day, hour, min, sec, frac) - offsetMin * 60_000
}

/** Reads a quoted field starting at `s[i] === '"'`; returns the unescaped text and the index after the closing quote. */
function readQuoted (s: string, i: number): { text: string, end: number } | null {
  if (s.charCodeAt(i) !== 34) return null
  let j = i + 1
  let plain = true
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j)
    if (c === 92) { plain = false; j++; continue }
    if (c === 34) break
  }
  if (j >= s.length) return null
  const raw = s.slice(i + 1, j)
  return { text: plain ? raw : unescapeLogField(raw), end: j + 1 }
}

/** Undoes the escaping web servers apply to logged strings (see the module comment). */
export function unescapeLogField (raw: string): string {
  if (!raw.includes('\\')) return raw
  const bytes: number[] = []
  const pushText = (t: string): void => { for (const b of Buffer.from(t, 'utf8')) bytes.push(b) }
  let k = 0
  while (k < raw.length) {
    const ch = raw[k]
    if (ch !== '\\' || k + 1 >= raw.length) { pushText(ch); k++; continue }
    const nx = raw[k + 1]
    if (nx === 'x' && /^[0-9a-fA-F]{2}$/.test(raw.slice(k + 2, k + 4))) {
      bytes.push(parseInt(raw.slice(k + 2, k + 4), 16)); k += 4; continue
    }
    if (nx === '"' || nx === '\\') { bytes.push(nx.charCodeAt(0)); k += 2; continue }
    if (nx === 'n') { bytes.push(10); k += 2; continue }
    if (nx === 'r') { bytes.push(13); k += 2; continue }
    if (nx === 't') { bytes.push(9); k += 2; continue }
    pushText(ch); k++
  }
  return Buffer.from(bytes).toString('utf8')
}

/** Splits a request target into path and raw query; absolute-form targets keep only path and query. */
export function splitTarget (target: string): { path: string, query: string } | null {
  let t = target
  if (!t.startsWith('/')) {
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(t)
    if (m == null) return null
    t = t.slice(m[0].length)
    if (t === '' || t.startsWith('?')) t = '/' + t
  }
  const hash = t.indexOf('#')
  if (hash >= 0) t = t.slice(0, hash)
  const q = t.indexOf('?')
  return q < 0 ? { path: t, query: '' } : { path: t.slice(0, q), query: t.slice(q + 1) }
}

/** Parses `"%r"` content: `METHOD target [PROTOCOL]`. */
export function parseRequestLine (r: string): { method: string, path: string, query: string, protocol?: string } | null {
  const first = r.indexOf(' ')
  if (first <= 0) return null
  const method = r.slice(0, first)
  if (method.length > MAX_METHOD_LENGTH || !TOKEN_RE.test(method)) return null
  const rest = r.slice(first + 1)
  // The target may itself contain spaces in a hostile request; the protocol is the last word when it looks like one.
  const last = rest.lastIndexOf(' ')
  let target = rest
  let protocol: string | undefined
  if (last > 0 && /^HTTP\/\d(\.\d)?$/.test(rest.slice(last + 1))) {
    target = rest.slice(0, last)
    protocol = rest.slice(last + 1)
  }
  if (target.length === 0) return null
  const split = splitTarget(target)
  if (split == null) return null
  return { method, ...split, ...(protocol != null ? { protocol } : {}) }
}

/** Parses one access-log line (without its newline). Never throws. */
export function parseAccessLogLine (line: string): AccessLineResult {
  const s = line.endsWith('\r') ? line.slice(0, -1) : line
  // %h %l
  const sp1 = s.indexOf(' ')
  if (sp1 <= 0) return { ok: false, reason: 'syntax' }
  const sp2 = s.indexOf(' ', sp1 + 1)
  if (sp2 < 0) return { ok: false, reason: 'syntax' }
  // %u runs up to " [" (a user name can in principle contain spaces)
  const br = s.indexOf(' [', sp2)
  if (br < 0) return { ok: false, reason: 'syntax' }
  const remoteHost = s.slice(0, sp1)
  const user = s.slice(sp2 + 1, br)
  const close = s.indexOf('] ', br + 2)
  if (close < 0) return { ok: false, reason: 'syntax' }
  const time = parseLogTime(s.slice(br + 2, close))
  if (Number.isNaN(time)) return { ok: false, reason: 'time' }
  const req = readQuoted(s, close + 2)
  if (req == null) return { ok: false, reason: 'syntax' }
  // %>s %b
  let i = req.end
  if (s.charCodeAt(i) !== 32) return { ok: false, reason: 'syntax' }
  const spS = s.indexOf(' ', i + 1)
  if (spS < 0) return { ok: false, reason: 'syntax' }
  const statusText = s.slice(i + 1, spS)
  if (!/^\d{3}$/.test(statusText)) return { ok: false, reason: 'status' }
  let spB = s.indexOf(' ', spS + 1)
  if (spB < 0) spB = s.length
  const bytesText = s.slice(spS + 1, spB)
  if (bytesText !== '-' && !/^\d+$/.test(bytesText)) return { ok: false, reason: 'syntax' }
  i = spB
  // combined: ` "referer" "user-agent"`; anything else after %b is ignored (common + extras)
  let format: AccessLogFormat = 'common'
  let referer: string | undefined
  let userAgent: string | undefined
  if (s.charCodeAt(i) === 32 && s.charCodeAt(i + 1) === 34) {
    const ref = readQuoted(s, i + 1)
    if (ref != null && s.charCodeAt(ref.end) === 32) {
      const ua = readQuoted(s, ref.end + 1)
      if (ua != null) {
        format = 'combined'
        referer = ref.text
        userAgent = ua.text
      }
    }
  }
  const request = parseRequestLine(req.text)
  if (request == null) return { ok: false, reason: 'request' }
  const line0: ParsedAccessLine = {
    format,
    remoteHost,
    time,
    method: request.method,
    path: request.path,
    query: request.query,
    status: Number(statusText)
  }
  if (user !== '-' && user !== '') line0.remoteUser = user
  if (request.protocol != null) line0.protocol = request.protocol
  if (bytesText !== '-') line0.bytes = Number(bytesText)
  if (referer != null && referer !== '-' && referer !== '') line0.referer = referer
  if (userAgent != null && userAgent !== '-' && userAgent !== '') line0.userAgent = userAgent
  return { ok: true, line: line0 }
}

/** Turns a parsed line into the observation the profiles learn from (logs carry no bodies: body is ''). */
export function accessLineToObservation (p: ParsedAccessLine, cell?: string): HttpObservation {
  const headers: Record<string, string> = {}
  if (p.referer != null) headers.referer = p.referer
  if (p.userAgent != null) headers['user-agent'] = p.userAgent
  const obs: HttpObservation = {
    kind: 'http',
    time: p.time,
    method: p.method,
    path: p.path,
    query: p.query,
    body: '',
    headers,
    status: p.status
  }
  const host = p.remoteHost.startsWith('::ffff:') && isIP(p.remoteHost.slice(7)) === 4 ? p.remoteHost.slice(7) : p.remoteHost
  if (isIP(host) !== 0) obs.source = host
  if (cell != null) obs.cell = cell
  return obs
}
