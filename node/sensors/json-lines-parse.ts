/**
 * One JSON object per line → one HttpObservation (pure). Three shapes, told
 * apart per line with `format: auto`:
 *   - caddy:       Caddy's JSON access log (`request.method`, `request.uri`,
 *                  `request.remote_ip`/`client_ip`, `request.headers`, `ts` in
 *                  seconds, `status`);
 *   - traefik:     Traefik's JSON access log (`RequestMethod`, `RequestPath`,
 *                  `ClientHost`/`ClientAddr`, `DownstreamStatus`, `StartUTC`,
 *                  `request_<Header>` fields);
 *   - observation: the ingest API's own shape (`method`, `path`, `query`,
 *                  `body`, `headers`, `source`, optional `time`, `status`),
 *                  for a custom app that logs what it would have POSTed.
 * A line that is not JSON, not an object, or names no method and path is
 * skipped with a reason; a source that is not an IP address is dropped (the
 * request is still judged); sizes are capped as the ingest API caps them.
 */
import { isIP } from 'node:net'
import type { HttpObservation } from '../observation.js'

export const JSON_LINES_FORMATS = ['auto', 'caddy', 'traefik', 'observation'] as const
export type JsonLinesFormat = typeof JSON_LINES_FORMATS[number]
export type JsonLineSkipReason = 'json' | 'shape' | 'request'

export type JsonLineResult =
  | { ok: true, obs: HttpObservation, format: Exclude<JsonLinesFormat, 'auto'> }
  | { ok: false, reason: JsonLineSkipReason }

const MAX_PATH = 8 * 1024
const MAX_QUERY = 64 * 1024
const MAX_BODY = 64 * 1024
const MAX_HEADERS = 64
const MAX_HEADER_VALUE = 8 * 1024
const METHOD_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/
const HEADER_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v != null && typeof v === 'object' && !Array.isArray(v)
const str = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined

/** `host:port`, `[v6]:port` or a bare address → the address, when it is an IP. */
export function addressOf (raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 64) return undefined
  let a = raw
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined)
  else if (isIP(a) === 0 && a.lastIndexOf(':') > 0 && a.indexOf(':') === a.lastIndexOf(':')) a = a.slice(0, a.lastIndexOf(':'))
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7)
  return isIP(a) !== 0 ? a : undefined
}

/** A time in ms from epoch seconds (number), epoch ms (number > 1e11) or an ISO/RFC 3339 string; undefined otherwise. */
function timeOf (v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v > 1e11 ? Math.round(v) : Math.round(v * 1000)
  if (typeof v === 'string') {
    const t = Date.parse(v)
    return Number.isFinite(t) ? t : undefined
  }
  return undefined
}

function splitUri (uri: string): { path: string, query: string } | null {
  if (!uri.startsWith('/')) return null
  const q = uri.indexOf('?')
  return q < 0 ? { path: uri, query: '' } : { path: uri.slice(0, q), query: uri.slice(q + 1) }
}

function addHeader (out: Record<string, string>, name: string, value: unknown): void {
  if (Object.keys(out).length >= MAX_HEADERS || !HEADER_RE.test(name)) return
  const v = Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string').join(', ') : value
  if (typeof v !== 'string') return
  out[name.toLowerCase()] = v.slice(0, MAX_HEADER_VALUE)
}

function build (method: unknown, target: { path: string, query: string } | null, rest: { body?: unknown, headers: Record<string, string>, source?: string, time?: number, status?: unknown, cell?: unknown }, now: number): HttpObservation | null {
  if (typeof method !== 'string' || !METHOD_RE.test(method) || target == null) return null
  if (target.path.length > MAX_PATH || target.query.length > MAX_QUERY) return null
  const obs: HttpObservation = {
    kind: 'http',
    time: rest.time ?? now,
    method: method.toUpperCase(),
    path: target.path,
    query: target.query,
    body: typeof rest.body === 'string' ? rest.body.slice(0, MAX_BODY) : '',
    headers: rest.headers
  }
  if (rest.source != null) obs.source = rest.source
  if (typeof rest.status === 'number' && Number.isInteger(rest.status) && rest.status >= 100 && rest.status <= 999) obs.status = rest.status
  if (typeof rest.cell === 'string' && rest.cell.length > 0 && rest.cell.length <= 64) obs.cell = rest.cell
  return obs
}

function fromCaddy (o: Obj, now: number): HttpObservation | null {
  const r = o.request as Obj
  const headers: Record<string, string> = {}
  if (isObj(r.headers)) for (const [k, v] of Object.entries(r.headers)) addHeader(headers, k, v)
  const uri = str(r.uri)
  return build(r.method, uri != null ? splitUri(uri) : null, { headers, source: addressOf(r.client_ip) ?? addressOf(r.remote_ip) ?? addressOf(r.remote_addr), time: timeOf(o.ts), status: o.status }, now)
}

function fromTraefik (o: Obj, now: number): HttpObservation | null {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(o)) if (k.startsWith('request_')) addHeader(headers, k.slice(8), v)
  const uri = str(o.RequestPath)
  return build(o.RequestMethod, uri != null ? splitUri(uri) : null, { headers, source: addressOf(o.ClientHost) ?? addressOf(o.ClientAddr), time: timeOf(o.StartUTC) ?? timeOf(o.time), status: o.DownstreamStatus ?? o.OriginStatus }, now)
}

function fromObservation (o: Obj, now: number): HttpObservation | null {
  const headers: Record<string, string> = {}
  if (isObj(o.headers)) for (const [k, v] of Object.entries(o.headers)) addHeader(headers, k, v)
  const path = str(o.path)
  let target = path != null ? splitUri(path) : null
  if (target != null && typeof o.query === 'string') target = { path: target.path, query: o.query.startsWith('?') ? o.query.slice(1) : o.query }
  return build(o.method, target, { body: o.body, headers, source: addressOf(o.source), time: timeOf(o.time), status: o.status, cell: o.cell }, now)
}

/** Which shape a parsed line has (null: none of them). */
export function detectJsonLineFormat (o: Obj): Exclude<JsonLinesFormat, 'auto'> | null {
  if (isObj(o.request) && (typeof (o.request).uri === 'string' || typeof (o.request).method === 'string')) return 'caddy'
  if (typeof o.RequestMethod === 'string' || typeof o.RequestPath === 'string') return 'traefik'
  if (typeof o.method === 'string' || typeof o.path === 'string') return 'observation'
  return null
}

/** One line → an observation (stamped `now` when the line has no time of its own) or a skip reason. */
export function parseJsonLine (line: string, format: JsonLinesFormat, now: number): JsonLineResult {
  let v: unknown
  try { v = JSON.parse(line) } catch { return { ok: false, reason: 'json' } }
  if (!isObj(v)) return { ok: false, reason: 'shape' }
  const f = format === 'auto' ? detectJsonLineFormat(v) : format
  if (f == null) return { ok: false, reason: 'shape' }
  if (f === 'caddy' && !isObj(v.request)) return { ok: false, reason: 'shape' }
  const obs = f === 'caddy' ? fromCaddy(v, now) : f === 'traefik' ? fromTraefik(v, now) : fromObservation(v, now)
  return obs == null ? { ok: false, reason: 'request' } : { ok: true, obs, format: f }
}
