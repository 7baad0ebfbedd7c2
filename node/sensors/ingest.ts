/**
 * The local ingest API, `POST /v1/observe`, as transport-agnostic pieces the
 * daemon's HTTP server mounts (node/api/server.ts `raw` route):
 * - parseObserveBody: pure validation of the JSON body into HttpObservations;
 * - createObserveHandler: reads the body with a size cap and answers the
 *   verdicts (one answer for one object, an array for an array).
 *
 * Input schema, per item: `{"kind":"http","method":"GET","path":"/a","query":"x=1",
 * "body":"","headers":{"content-type":"…"},"source":"203.0.113.7","cell":"shop"}`,
 * or a response status reported after the fact (the agent does):
 * `{"kind":"http-status","method":"GET","path":"/a","status":500,"source":"…","cell":"…"}`.
 * `kind`, `method` and `path` are required; `query`/`body` default to '';
 * `headers` to {}; `source` and `cell` are optional. Unknown fields are
 * REJECTED (400, IMMUNE_ERR_INGEST_INVALID naming the field): a misspelt field
 * silently ignored would teach the profiles wrong data. `time` is not accepted:
 * the node stamps observations with its own clock, so a client cannot bend the
 * learning period (minDurationSec).
 *
 * Content types: application/json (or +json), or none. Anything else is 415,
 * which also keeps browsers from posting here cross-site without a preflight.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import type { Clock } from '../../core/index.js'
import { ApiErrorCode, IngestError, InvalidParamsError } from '../errors.js'
import type { DangerLevel, HttpObservation, HttpStatusReport, Phase, ScoreReason } from '../observation.js'
import { silentLogger } from './sensor.js'
import type { SensorLogger } from './sensor.js'

/** What the node answers for one observation. */
/**
 * One observation as POST /v1/observe takes it (JSON): an HttpObservation
 * without `time` (the node stamps it with its own clock) or `status`.
 */
export type ObserveRequest = Omit<HttpObservation, 'time' | 'status'>

/** A response status reported after the fact (`"kind":"http-status"`), e.g. by the agent. */
export type ObserveStatusRequest = Omit<HttpStatusReport, 'time'>

/** What POST /v1/observe takes, per item. */
export type IngestItem = HttpObservation | HttpStatusReport

export interface ObserveAnswer {
  verdict: 'allow' | 'block'
  danger: DangerLevel
  score: number
  phase: Phase
  reasons: ScoreReason[]
  /** The context (endpoint) the observation was scored in, when known. */
  context?: string
}

export interface IngestLimits {
  /** Whole request body (1 MiB). */
  maxBodyBytes: number
  /** Observations per array (1000). */
  maxBatch: number
  maxMethodLength: number
  maxPathLength: number
  maxQueryLength: number
  /** The observed request's form body (the `body` field). */
  maxFormBodyLength: number
  maxHeaders: number
  maxHeaderNameLength: number
  maxHeaderValueLength: number
  maxCellLength: number
}

export const defaultIngestLimits: IngestLimits = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxBatch: 1000,
  maxMethodLength: 32,
  maxPathLength: 8192,
  maxQueryLength: 64 * 1024,
  maxFormBodyLength: 256 * 1024,
  maxHeaders: 64,
  maxHeaderNameLength: 256,
  maxHeaderValueLength: 8192,
  maxCellLength: 128
})

export function validateIngestLimits (l: IngestLimits): void {
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isInteger(v) || v <= 0) throw new InvalidParamsError(`limits.${k}`, v, 'a positive integer')
  }
}

export function createIngestLimits (partial: Partial<IngestLimits> = {}): IngestLimits {
  const l = { ...defaultIngestLimits, ...partial }
  validateIngestLimits(l)
  return Object.freeze(l)
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const ALLOWED = new Set(['kind', 'method', 'path', 'query', 'body', 'headers', 'source', 'cell'])
const ALLOWED_STATUS = new Set(['kind', 'method', 'path', 'status', 'source', 'cell'])

const invalid = (message: string, field: string, index?: number): IngestError =>
  new IngestError(IngestError.INVALID, 400, message, index != null ? { field, index } : { field })

function checkItem (v: unknown, limits: IngestLimits, now: number, index: number | undefined): IngestItem {
  const at = (f: string): string => index != null ? `[${index}].${f}` : f
  if (v == null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${index != null ? `[${index}]` : 'body'} must be a JSON object`, index != null ? `[${index}]` : '', index)
  const o = v as Record<string, unknown>
  const status = o.kind === 'http-status'
  const allowed = status ? ALLOWED_STATUS : ALLOWED
  for (const k of Object.keys(o)) {
    if (!allowed.has(k)) throw invalid(`unknown field ${at(k)} (accepted: ${[...allowed].join(', ')})`, at(k), index)
  }
  if (o.kind !== 'http' && !status) throw invalid(`${at('kind')} must be "http" or "http-status"`, at('kind'), index)
  const str = (f: string, max: number, required: boolean): string => {
    const x = o[f]
    if (x === undefined && !required) return ''
    if (typeof x !== 'string') throw invalid(`${at(f)} must be a string`, at(f), index)
    if (x.length > max) throw invalid(`${at(f)} is longer than ${max} characters`, at(f), index)
    return x
  }
  const method = str('method', limits.maxMethodLength, true)
  if (!TOKEN_RE.test(method)) throw invalid(`${at('method')} must be an HTTP method token such as GET or POST`, at('method'), index)
  const path = str('path', limits.maxPathLength, true)
  if (!path.startsWith('/')) throw invalid(`${at('path')} must start with "/"`, at('path'), index)
  if (path.includes('?')) throw invalid(`${at('path')} must not contain "?": send the query string in "query"`, at('path'), index)
  const source = (): string | undefined => {
    if (o.source === undefined) return undefined
    if (typeof o.source !== 'string' || isIP(o.source) === 0) throw invalid(`${at('source')} must be an IPv4 or IPv6 address`, at('source'), index)
    return o.source.startsWith('::ffff:') && isIP(o.source.slice(7)) === 4 ? o.source.slice(7) : o.source
  }
  const cell = (): string | undefined => {
    if (o.cell === undefined) return undefined
    const c = str('cell', limits.maxCellLength, true)
    if (c.length === 0) throw invalid(`${at('cell')} must not be empty`, at('cell'), index)
    return c
  }
  if (status) {
    if (!Number.isInteger(o.status) || (o.status as number) < 100 || (o.status as number) > 599) throw invalid(`${at('status')} must be an HTTP status code (100..599)`, at('status'), index)
    const r: HttpStatusReport = { kind: 'http-status', time: now, method, path, status: o.status as number }
    const s = source()
    if (s != null) r.source = s
    const c = cell()
    if (c != null) r.cell = c
    return r
  }
  let query = str('query', limits.maxQueryLength, false)
  if (query.startsWith('?')) query = query.slice(1)
  const body = str('body', limits.maxFormBodyLength, false)
  const headers: Record<string, string> = {}
  if (o.headers !== undefined) {
    const h = o.headers
    if (h == null || typeof h !== 'object' || Array.isArray(h)) throw invalid(`${at('headers')} must be an object of strings`, at('headers'), index)
    const entries = Object.entries(h as Record<string, unknown>)
    if (entries.length > limits.maxHeaders) throw invalid(`${at('headers')} has more than ${limits.maxHeaders} entries`, at('headers'), index)
    for (const [name, value] of entries) {
      if (name.length > limits.maxHeaderNameLength || !TOKEN_RE.test(name)) throw invalid(`${at(`headers.${name.slice(0, 64)}`)} is not a valid header name`, at('headers'), index)
      if (typeof value !== 'string') throw invalid(`${at(`headers.${name}`)} must be a string`, at(`headers.${name}`), index)
      if (value.length > limits.maxHeaderValueLength) throw invalid(`${at(`headers.${name}`)} is longer than ${limits.maxHeaderValueLength} characters`, at(`headers.${name}`), index)
      headers[name.toLowerCase()] = value
    }
  }
  const obs: HttpObservation = { kind: 'http', time: now, method, path, query, body, headers }
  const s = source()
  if (s != null) obs.source = s
  const c = cell()
  if (c != null) obs.cell = c
  return obs
}

/**
 * Validates an ingest body. Returns the observations (stamped with `now`) and
 * whether the body was an array. Throws IngestError: IMMUNE_ERR_INGEST_TOO_LARGE
 * (413), IMMUNE_ERR_INGEST_BATCH_TOO_LARGE (413), IMMUNE_ERR_INGEST_JSON (400),
 * IMMUNE_ERR_INGEST_INVALID (400, `details.field`/`details.index` say where).
 */
export function parseObserveRequest (raw: Buffer | string, limits: IngestLimits, now: number): { observations: IngestItem[], batch: boolean } {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length
  if (size > limits.maxBodyBytes) throw new IngestError(IngestError.TOO_LARGE, 413, `request body of ${size} bytes exceeds ${limits.maxBodyBytes} bytes`)
  let value: unknown
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'))
  } catch (err) {
    throw new IngestError(IngestError.JSON, 400, `malformed JSON: ${(err as Error).message}`)
  }
  if (Array.isArray(value)) {
    if (value.length > limits.maxBatch) throw new IngestError(IngestError.BATCH_TOO_LARGE, 413, `batch of ${value.length} observations exceeds ${limits.maxBatch}`)
    return { observations: value.map((v, i) => checkItem(v, limits, now, i)), batch: true }
  }
  return { observations: [checkItem(value, limits, now, undefined)], batch: false }
}

/**
 * The handler's reading of a body: like parseObserveRequest, except that in a
 * batch one invalid item fails only that item (its IngestError stands in its
 * place; the others are scored). A malformed body, an oversized one, or a
 * single object that is invalid still fails the request.
 */
export function parseObserveItems (raw: Buffer | string, limits: IngestLimits, now: number): { items: Array<IngestItem | IngestError>, batch: boolean } {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length
  if (size > limits.maxBodyBytes) throw new IngestError(IngestError.TOO_LARGE, 413, `request body of ${size} bytes exceeds ${limits.maxBodyBytes} bytes`)
  let value: unknown
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'))
  } catch (err) {
    throw new IngestError(IngestError.JSON, 400, `malformed JSON: ${(err as Error).message}`)
  }
  if (!Array.isArray(value)) return { items: [checkItem(value, limits, now, undefined)], batch: false }
  if (value.length > limits.maxBatch) throw new IngestError(IngestError.BATCH_TOO_LARGE, 413, `batch of ${value.length} observations exceeds ${limits.maxBatch}`)
  return {
    batch: true,
    items: value.map((v, i) => {
      try {
        return checkItem(v, limits, now, i)
      } catch (err) {
        if (err instanceof IngestError) return err
        throw err
      }
    })
  }
}

/** The answer in a batch for an item that could not be scored: the error, where it is, and nothing else. */
export interface ObserveItemError {
  error: { code: string, message: string, index: number, field?: string }
}

export function itemError (err: IngestError, index: number): ObserveItemError {
  const field = (err.details as { field?: unknown } | undefined)?.field
  return { error: { code: err.code, message: err.message, index, ...(typeof field === 'string' && field !== '' ? { field } : {}) } }
}

/** Like parseObserveRequest, for callers that do not care whether the body was an array. */
export function parseObserveBody (raw: Buffer | string, limits: IngestLimits, now: number): IngestItem[] {
  return parseObserveRequest(raw, limits, now).observations
}

export interface ObserveHandlerInit {
  /**
   * Scores the observations (and applies the node's decisions); one answer
   * per observation, in order. An item it cannot take (e.g. an unknown cell)
   * answers an IngestError in its place: in a batch, only that item fails.
   */
  observe: (obs: IngestItem[]) => Promise<Array<ObserveAnswer | IngestError>> | Array<ObserveAnswer | IngestError>
  clock: Clock
  limits?: Partial<IngestLimits>
  logger?: SensorLogger
  /** Called with the code of every refused request (metrics). */
  onReject?: (code: string) => void
}

export interface ObserveHandlerStats {
  requests: number
  observations: number
  rejected: number
  failed: number
}

export type ObserveHandler = ((req: IncomingMessage, res: ServerResponse) => void) & { stats: () => ObserveHandlerStats }

function sendJson (res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent || res.writableEnded) return
  const text = JSON.stringify(body)
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }
  if (close) headers.connection = 'close'
  res.writeHead(status, headers)
  res.end(text)
}

const acceptableType = (ct: string | undefined): boolean => {
  if (ct == null || ct.trim() === '') return true
  const type = ct.split(';')[0].trim().toLowerCase()
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

/**
 * A node:http request handler for POST /v1/observe. Answers 200 with one
 * ObserveAnswer (object in) or an array (array in); 400/405/413/415 with
 * `{"error":{"code","message"}}`. An oversized body is refused as soon as it
 * is known (Content-Length, or the running count) and its connection closed,
 * so a client cannot make the node buffer more than maxBodyBytes.
 */
export function createObserveHandler (init: ObserveHandlerInit): ObserveHandler {
  const limits = createIngestLimits(init.limits)
  const logger = init.logger ?? silentLogger
  const stats: ObserveHandlerStats = { requests: 0, observations: 0, rejected: 0, failed: 0 }

  const reject = (res: ServerResponse, err: IngestError, close = false): void => {
    stats.rejected++
    init.onReject?.(err.code)
    sendJson(res, err.status, { error: { code: err.code, message: err.message } }, close)
  }

  /** Answer 413 and drop the connection once the answer is out (the rest of the body is never read). */
  const refuseOversized = (req: IncomingMessage, res: ServerResponse, size: string): void => {
    res.once('finish', () => { req.socket.destroy() })
    reject(res, new IngestError(IngestError.TOO_LARGE, 413, `request body of ${size} bytes exceeds ${limits.maxBodyBytes} bytes`), true)
  }

  const answer = async (res: ServerResponse, body: Buffer): Promise<void> => {
    let parsed: { items: Array<IngestItem | IngestError>, batch: boolean }
    try {
      parsed = parseObserveItems(body, limits, init.clock.now())
    } catch (err) {
      if (err instanceof IngestError) { reject(res, err); return }
      throw err
    }
    const { items, batch } = parsed
    const observations = items.filter((x): x is IngestItem => !(x instanceof IngestError))
    let scored: Array<ObserveAnswer | IngestError>
    try {
      scored = observations.length > 0 ? await init.observe(observations) : []
    } catch (err) {
      if (err instanceof IngestError) { reject(res, err); return }
      stats.failed++
      logger.error({ err: String(err) }, 'observe failed')
      sendJson(res, 500, { error: { code: ApiErrorCode.INTERNAL, message: 'the node could not score the observations' } })
      return
    }
    if (!Array.isArray(scored) || scored.length !== observations.length) {
      stats.failed++
      logger.error({ expected: observations.length, got: Array.isArray(scored) ? scored.length : typeof scored }, 'observe returned the wrong number of answers')
      sendJson(res, 500, { error: { code: ApiErrorCode.INTERNAL, message: 'the node could not score the observations' } })
      return
    }
    // put the answers back in the items' order; an item that failed answers its error
    let next = 0
    const answers: Array<ObserveAnswer | ObserveItemError> = items.map((x, i) => {
      const a = x instanceof IngestError ? x : scored[next++]
      return a instanceof IngestError ? itemError(a, i) : a
    })
    stats.observations += observations.length
    if (!batch) {
      const only = answers[0]
      if ('error' in only) { reject(res, items[0] instanceof IngestError ? items[0] : scored[0] as IngestError); return }
      sendJson(res, 200, only)
      return
    }
    for (const a of answers) if ('error' in a) init.onReject?.(a.error.code)
    sendJson(res, 200, answers)
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    stats.requests++
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST')
      reject(res, new IngestError(IngestError.METHOD, 405, `${req.method ?? ''} not allowed (use POST)`))
      return
    }
    if (!acceptableType(req.headers['content-type'])) {
      reject(res, new IngestError(IngestError.MEDIA_TYPE, 415, `content-type ${req.headers['content-type'] ?? ''} not accepted (use application/json)`))
      return
    }
    const declared = req.headers['content-length']
    if (declared != null && Number(declared) > limits.maxBodyBytes) {
      refuseOversized(req, res, declared)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const onData = (chunk: Buffer): void => {
      if (done) return
      size += chunk.length
      if (size > limits.maxBodyBytes) {
        done = true
        chunks.length = 0
        req.off('data', onData)
        req.pause()
        refuseOversized(req, res, `more than ${limits.maxBodyBytes}`)
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('error', () => { done = true; chunks.length = 0 })
    req.once('aborted', () => { done = true; chunks.length = 0 })
    req.once('end', () => {
      if (done) return
      done = true
      answer(res, Buffer.concat(chunks, size)).catch((err: unknown) => {
        stats.failed++
        logger.error({ err: String(err) }, 'ingest handler failed')
        sendJson(res, 500, { error: { code: ApiErrorCode.INTERNAL, message: 'internal error' } })
      })
    })
  }
  return Object.assign(handler, { stats: () => ({ ...stats }) })
}
