/**
 * Raw HTTP/1.x request text → `HttpObservation`.
 *
 * The format is the one of a proxy dump or of the CSIC 2010 data set: a
 * request line, header lines, a blank line, then an optional form-encoded
 * body; several requests may follow one another. Line endings may be CRLF or
 * bare LF (they are not part of the observation), the request target may be in
 * origin form (`/a?b`) or absolute form (`http://host:port/a?b`).
 *
 * Used by bench/detect-csic.ts and by replay tools; the daemon's own sensors
 * (access logs, ingest API, agent) build observations directly.
 */
import { RawHttpParseError } from '../errors.js'
import type { HttpObservation } from '../observation.js'

/** Headers kept by default (lower-case). Host is kept for the record but no model feature uses it. */
export const DEFAULT_RAW_HTTP_HEADERS: readonly string[] = Object.freeze([
  'host', 'user-agent', 'content-type', 'content-length', 'referer', 'accept', 'x-forwarded-for', 'cookie'
])

export interface RawHttpParseOptions {
  /** Observation time (ms since the epoch); default 0. */
  time?: number
  source?: string
  cell?: string
  /** Lower-case header names to keep; default DEFAULT_RAW_HTTP_HEADERS. */
  headers?: readonly string[]
}

const REQUEST_LINE = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)[ \t]+(\S+)(?:[ \t]+(HTTP\/\d(?:\.\d)?))?[ \t]*$/

/** Splits the request target into path (no query, no fragment) and raw query, dropping scheme and authority of an absolute-form target. */
export function splitRequestTarget (target: string): { path: string, query: string } {
  let rest = target
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(rest)
  if (scheme != null) {
    rest = rest.slice(scheme[0].length)
    const slash = rest.search(/[/?#]/)
    rest = slash < 0 ? '' : rest.slice(slash)
  }
  const hash = rest.indexOf('#')
  if (hash >= 0) rest = rest.slice(0, hash)
  const q = rest.indexOf('?')
  let path = q >= 0 ? rest.slice(0, q) : rest
  const query = q >= 0 ? rest.slice(q + 1) : ''
  if (path === '') path = '/'
  return { path, query }
}

/** Parses one raw request. Throws RawHttpParseError (IMMUNE_ERR_RAW_HTTP) when there is no request line. */
export function parseRawHttpRequest (text: string, options: RawHttpParseOptions = {}): HttpObservation {
  const lines = text.split(/\r?\n/)
  let i = 0
  while (i < lines.length && lines[i].trim() === '') i++
  if (i >= lines.length) throw new RawHttpParseError('empty request', 0)
  const m = REQUEST_LINE.exec(lines[i])
  if (m == null || !(/^(\/|\*$|[A-Za-z][A-Za-z0-9+.-]*:\/\/)/.test(m[2]) || m[1].toUpperCase() === 'CONNECT')) throw new RawHttpParseError(`not a request line: ${JSON.stringify(lines[i].slice(0, 80))}`, i + 1)
  const method = m[1].toUpperCase()
  const { path, query } = splitRequestTarget(m[2])
  i++
  const keep = new Set(options.headers ?? DEFAULT_RAW_HTTP_HEADERS)
  const headers: Record<string, string> = {}
  for (; i < lines.length; i++) {
    const line = lines[i]
    if (line === '' || line === '\r') { i++; break }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    if (!keep.has(name)) continue
    const value = line.slice(colon + 1).trim()
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value
  }
  // The body is the rest, without the trailing line endings (not part of a form body).
  let body = lines.slice(i).join('\n')
  body = body.replace(/[\r\n]+$/, '').replace(/^[\r\n]+/, '')
  const obs: HttpObservation = { kind: 'http', time: options.time ?? 0, method, path, query, body, headers }
  if (options.source != null) obs.source = options.source
  if (options.cell != null) obs.cell = options.cell
  return obs
}

/**
 * Splits concatenated raw requests. A request starts at a request line
 * (`METHOD target HTTP/x.y`) that begins the text or follows a blank line;
 * everything up to the next such line (headers, blank line, body) belongs to it.
 */
export function splitRawHttpRequests (text: string): string[] {
  const lines = text.split(/\r?\n/)
  const out: string[] = []
  let start = -1
  let prevBlank = true
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (prevBlank && line.length > 0 && /^[A-Za-z]+[ \t]+\S+[ \t]+HTTP\/\d(?:\.\d)?[ \t]*\r?$/.test(line)) {
      if (start >= 0) out.push(lines.slice(start, i).join('\n'))
      start = i
    }
    prevBlank = line === '' || line === '\r'
  }
  if (start >= 0) out.push(lines.slice(start).join('\n'))
  return out
}

/** Parses every request of a dump; `time` of request i is `options.time + i * stepMs` (default step 0). */
export function parseRawHttpRequests (text: string, options: RawHttpParseOptions & { stepMs?: number } = {}): HttpObservation[] {
  const base = options.time ?? 0
  const step = options.stepMs ?? 0
  return splitRawHttpRequests(text).map((t, i) => parseRawHttpRequest(t, { ...options, time: base + i * step }))
}
