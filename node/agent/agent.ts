/**
 * The in-process agent for Node.js HTTP servers (in-app prevention, as
 * Immunizer's response agent meant to do). Before the application handles a
 * request, the agent sends its observation to the local node's ingest API
 * (`POST /v1/observe`, keep-alive) and enforces the verdict: block → 403,
 * allow → the application. If the node cannot answer (down, slow, refused),
 * the request passes (failOpen, the default, logged) or gets a 503.
 *
 * Usable as express-style middleware `app.use(agent)` / `agent(req, res, next)`
 * and with plain node:http via `http.createServer(agent.wrap(handler))`.
 *
 * Bodies the node models (form-encoded, JSON and multipart/form-data) are
 * read before the application runs, up to `bodyLimit` bytes, then put back into the request
 * stream (`req.unshift`) so the application (or body-parser) reads the same
 * bytes as if nothing had happened (chunked bodies too: the agent stops
 * before the stream's 'end'). When the agent read the whole body,
 * `req.rawBody` (Buffer) holds it as well. Only an empty chunked body can end
 * the stream first; then the agent sets `req.rawBody`, `req.body` ({}) and
 * `req._body = true` (which body-parser honours). If a body parser ran before
 * the agent, the agent reads `req.rawBody` or re-encodes `req.body`. The
 * node's answer is left on `req.immune` for the app.
 *
 * The agent sees the response too: with `reportStatus` (default) it tells
 * the node the status of every response the application gave, batched
 * (`{"kind":"http-status",…}` items, fire and forget), so that a client
 * whose requests keep causing server errors or client errors is noticed
 * (the node's status monitor).
 */
import http from 'node:http'
import https from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import { createSystemClock } from '../../core/index.js'
import type { Clock } from '../../core/index.js'
import { AgentObserveError, InvalidParamsError } from '../errors.js'
import { splitTarget } from '../sensors/index.js'
import type { ObserveAnswer, ObserveRequest, ObserveStatusRequest } from '../sensors/index.js'
import { defaultIngestLimits } from '../sensors/index.js'
import { silentLogger } from '../sensors/index.js'
import type { SensorLogger } from '../sensors/index.js'

export interface ImmuneAgentParams {
  /** The node's local API (default http://127.0.0.1:7070). */
  url: string
  /** Bearer token of the node's API, when it has one. */
  token?: string
  /** Let requests through when the node cannot answer (default true). */
  failOpen: boolean
  /** How long a request may wait for the verdict. */
  timeoutMs: number
  /** Form-body bytes read and sent for scoring (the app still gets the whole body). */
  bodyLimit: number
  /** Request headers sent with the observation (lower-case names). */
  headers: string[]
  /**
   * Take the client address from X-Forwarded-For: `false` (default: the socket
   * address), `true` (one proxy in front) or the number of trusted proxies.
   * The address is taken that many hops from the right, never the spoofable left end.
   */
  trustProxy: boolean | number
  /** The cell (workload) name sent with every observation. */
  cell?: string
  /** Keep-alive sockets to the node. */
  maxSockets: number
  blockStatus: number
  blockBody: string
  /** Status when the node cannot answer and failOpen is false. */
  unavailableStatus: number
  /** Report the status of the application's responses to the node (error storms per client). */
  reportStatus: boolean
  /** Status reports are sent at most this long after the response (batched). */
  statusFlushMs: number
}

export const defaultImmuneAgentParams: ImmuneAgentParams = Object.freeze({
  url: 'http://127.0.0.1:7070',
  failOpen: true,
  timeoutMs: 1000,
  bodyLimit: 64 * 1024,
  headers: ['content-type', 'user-agent', 'referer', 'cookie'],
  trustProxy: false,
  maxSockets: 32,
  blockStatus: 403,
  blockBody: 'Forbidden\n',
  unavailableStatus: 503,
  reportStatus: true,
  statusFlushMs: 200
})

export function validateImmuneAgentParams (p: ImmuneAgentParams): void {
  let u: URL
  try { u = new URL(p.url) } catch { throw new InvalidParamsError('url', p.url, 'an http(s) URL such as http://127.0.0.1:7070') }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidParamsError('url', p.url, 'an http(s) URL such as http://127.0.0.1:7070')
  if (p.token !== undefined && (typeof p.token !== 'string' || p.token.length === 0)) throw new InvalidParamsError('token', p.token, 'a non-empty string')
  if (typeof p.failOpen !== 'boolean') throw new InvalidParamsError('failOpen', p.failOpen, 'true or false')
  if (typeof p.reportStatus !== 'boolean') throw new InvalidParamsError('reportStatus', p.reportStatus, 'true or false')
  for (const k of ['timeoutMs', 'bodyLimit', 'maxSockets', 'statusFlushMs'] as const) {
    if (!Number.isInteger(p[k]) || p[k] <= 0) throw new InvalidParamsError(k, p[k], 'a positive integer')
  }
  if (p.bodyLimit > defaultIngestLimits.maxFormBodyLength) throw new InvalidParamsError('bodyLimit', p.bodyLimit, `at most ${defaultIngestLimits.maxFormBodyLength} (the ingest API's limit)`)
  if (!Array.isArray(p.headers) || p.headers.some((h) => typeof h !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(h))) throw new InvalidParamsError('headers', p.headers, 'an array of header names')
  if (p.headers.length > defaultIngestLimits.maxHeaders) throw new InvalidParamsError('headers', p.headers.length, `at most ${defaultIngestLimits.maxHeaders} names`)
  if (typeof p.trustProxy !== 'boolean' && (!Number.isInteger(p.trustProxy) || p.trustProxy < 0)) throw new InvalidParamsError('trustProxy', p.trustProxy, 'true, false or a number of proxies >= 0')
  for (const k of ['blockStatus', 'unavailableStatus'] as const) {
    if (!Number.isInteger(p[k]) || p[k] < 400 || p[k] > 599) throw new InvalidParamsError(k, p[k], 'an HTTP status 400..599')
  }
  if (typeof p.blockBody !== 'string') throw new InvalidParamsError('blockBody', p.blockBody, 'a string')
  if (p.cell !== undefined && (typeof p.cell !== 'string' || p.cell.length === 0)) throw new InvalidParamsError('cell', p.cell, 'a non-empty string')
}

export function createImmuneAgentParams (partial: Partial<ImmuneAgentParams> = {}): ImmuneAgentParams {
  const p = { ...defaultImmuneAgentParams, ...partial }
  validateImmuneAgentParams(p)
  return Object.freeze({ ...p, headers: Object.freeze(p.headers.map((h) => h.toLowerCase())) as string[] })
}

export interface ImmuneAgentComponents {
  clock?: Clock
  logger?: SensorLogger
}

/** The JSON the agent posts: the ingest API's schema. */
export type AgentObservation = ObserveRequest

export interface ImmuneAgentStats {
  allowed: number
  blocked: number
  /** Requests the node could not answer for. */
  failures: number
  failedOpen: number
  failedClosed: number
  /** Requests the agent could not describe (e.g. `OPTIONS *`) and let through unasked. */
  skipped: number
  /** Response statuses reported to the node, and those lost (node unreachable, or dropped at close). */
  statusesReported: number
  statusesLost: number
}

export type Next = (err?: unknown) => void
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void

export interface ImmuneAgent extends Middleware {
  middleware: Middleware
  /** A node:http request listener that asks first, then runs `handler` (allowed requests only). */
  wrap: (handler: (req: IncomingMessage, res: ServerResponse) => void) => (req: IncomingMessage, res: ServerResponse) => void
  /** Ask the node about one observation (throws AgentObserveError when it cannot answer). */
  ask: (obs: AgentObservation) => Promise<ObserveAnswer>
  /** Close the keep-alive sockets to the node. */
  close: () => void
  stats: () => ImmuneAgentStats
}

type AgentRequest = IncomingMessage & { originalUrl?: string, rawBody?: Buffer, body?: unknown, _body?: boolean, immune?: ObserveAnswer }

const FORM_TYPE = 'application/x-www-form-urlencoded'
/** Status reports sent in one batch at most. */
const STATUS_BATCH = 256

/** Bodies the node models (node/profile/http/body.ts): form, JSON, multipart. */
function modelledBody (ct: string): boolean {
  return ct === FORM_TYPE || ct === 'application/json' || (ct.startsWith('application/') && ct.endsWith('+json')) || ct === 'multipart/form-data'
}

const normalizeAddress = (a: string | undefined): string | undefined => {
  if (a == null) return undefined
  const s = a.trim()
  const v4 = s.startsWith('::ffff:') ? s.slice(7) : s
  if (isIP(v4) === 4) return v4
  return isIP(s) !== 0 ? s : undefined
}

/** The client address: the socket's, or `hops` entries from the right of X-Forwarded-For + socket. */
export function clientAddress (req: IncomingMessage, trustProxy: boolean | number): string | undefined {
  const socketAddr = normalizeAddress(req.socket?.remoteAddress)
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy
  if (hops === 0) return socketAddr
  const xff = req.headers['x-forwarded-for']
  const list = (Array.isArray(xff) ? xff.join(',') : xff ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  const chain = socketAddr != null ? [...list, socketAddr] : list
  const pick = chain[Math.max(0, chain.length - 1 - hops)]
  return normalizeAddress(pick) ?? socketAddr
}

/** Cuts a form body to `limit` bytes at the last '&', so no parameter is sent half. */
function cutForm (buf: Buffer, limit: number): string {
  if (buf.length <= limit) return buf.toString('utf8')
  const head = buf.subarray(0, limit)
  const amp = head.lastIndexOf(38)
  return head.subarray(0, amp > 0 ? amp : limit).toString('utf8')
}

function formObject (text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null)
  for (const [k, v] of new URLSearchParams(text)) {
    const had = out[k]
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v]
  }
  return out
}

/** Resolves at the request's next push (a body chunk or its end), or when it closes. */
async function firstPush (req: AgentRequest): Promise<void> {
  await new Promise<void>((resolve) => {
    const own = Object.prototype.hasOwnProperty.call(req, 'push')
    const original = req.push
    const finish = (): void => {
      if (own) req.push = original
      else delete (req as { push?: unknown }).push
      req.off('close', finish)
      resolve()
    }
    req.push = function (this: AgentRequest, chunk: unknown, encoding?: BufferEncoding): boolean {
      const r = original.call(this, chunk, encoding)
      finish()
      return r
    }
    req.once('close', finish)
  })
}

/** Reads up to `limit` bytes of the body and puts them back, unless the stream ended first. */
async function captureBody (req: AgentRequest, limit: number, form = true): Promise<{ bytes: Buffer, complete: boolean }> {
  if (req.readableEnded || req._body === true) {
    if (Buffer.isBuffer(req.rawBody)) return { bytes: req.rawBody, complete: true }
    if (!form && req.body != null && typeof req.body === 'object') return { bytes: Buffer.from(JSON.stringify(req.body)), complete: true }
    if (req.body != null && typeof req.body === 'object') {
      const p = new URLSearchParams()
      for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) {
        for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') p.append(k, String(x))
      }
      return { bytes: Buffer.from(p.toString()), complete: true }
    }
    return { bytes: Buffer.alloc(0), complete: true }
  }
  const declared = Number(req.headers['content-length'])
  const expected = Number.isInteger(declared) && declared >= 0 ? declared : undefined
  // no Content-Length and no Transfer-Encoding: the request has no body (RFC 9112 6.3)
  if (expected === 0 || (expected == null && req.headers['transfer-encoding'] == null)) return { bytes: Buffer.alloc(0), complete: true }
  // Listening on an empty, complete stream would make it emit 'end' before the app listens. So when
  // nothing is buffered yet, wait (without touching the stream) until the parser pushes something.
  if (!req.complete && req.readableLength === 0) await firstPush(req)
  if (req.destroyed) throw new Error('request closed before its body was read')
  if (req.complete && req.readableLength === 0) return { bytes: Buffer.alloc(0), complete: true }
  const want = expected != null ? Math.min(expected, limit) : limit
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let len = 0
    let settled = false
    const cleanup = (): void => {
      settled = true
      req.off('readable', onReadable)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    /** Put what was read back at the front of the stream before 'end' can be emitted: the app reads it all again. */
    const done = (complete: boolean): void => {
      cleanup()
      const bytes = Buffer.concat(chunks, len)
      if (len > 0) req.unshift(bytes)
      resolve({ bytes, complete })
    }
    const onReadable = (): void => {
      if (settled) return
      // read(n) with n = the buffered length never schedules 'end' (a bare read() at EOF would)
      while (req.readableLength > 0) {
        const c = req.read(req.readableLength) as Buffer | null
        if (c == null) break
        chunks.push(c)
        len += c.length
        if (len >= want) { done(expected != null && len >= expected); return }
      }
      if (req.complete) done(true)
    }
    const onEnd = (): void => {
      // 'end' came first (an empty chunked body): an ended stream cannot be replayed, so hand the body over the way body parsers do
      cleanup()
      const bytes = Buffer.concat(chunks, len)
      req.rawBody = bytes
      req.body = form ? formObject(bytes.toString('utf8')) : {}
      req._body = true
      resolve({ bytes, complete: true })
    }
    const onError = (err: Error): void => { cleanup(); reject(err) }
    const onClose = (): void => { if (!settled) { cleanup(); reject(new Error('request closed before its body was read')) } }
    req.on('readable', onReadable)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

export function createImmuneAgent (init: Partial<ImmuneAgentParams> = {}, components: ImmuneAgentComponents = {}): ImmuneAgent {
  const params = createImmuneAgentParams(init)
  const clock = components.clock ?? createSystemClock()
  const logger = components.logger ?? silentLogger
  const observeUrl = new URL('/v1/observe', params.url)
  const transport = observeUrl.protocol === 'https:' ? https : http
  const keepAlive = new transport.Agent({ keepAlive: true, maxSockets: params.maxSockets })
  const stats: ImmuneAgentStats = { allowed: 0, blocked: 0, failures: 0, failedOpen: 0, failedClosed: 0, skipped: 0, statusesReported: 0, statusesLost: 0 }
  let nodeDown = false
  const limits = defaultIngestLimits

  const ask = async (obs: AgentObservation): Promise<ObserveAnswer> => (await post(obs)) as ObserveAnswer

  /** POSTs one item (answer: an object) or a batch (answer: an array) to the node. */
  const post = async (obs: AgentObservation | ObserveStatusRequest[]): Promise<ObserveAnswer | ObserveAnswer[]> => {
    const payload = Buffer.from(JSON.stringify(obs))
    return await new Promise<ObserveAnswer | ObserveAnswer[]>((resolve, reject) => {
      let settled = false
      const finish = (err: AgentObserveError | null, answer?: ObserveAnswer | ObserveAnswer[]): void => {
        if (settled) return
        settled = true
        clock.clearTimeout(timer)
        if (err != null) reject(err)
        else resolve(answer as ObserveAnswer)
      }
      const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': payload.length }
      if (params.token != null) headers.authorization = `Bearer ${params.token}`
      const req = transport.request(observeUrl, { method: 'POST', agent: keepAlive, headers }, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > 1024 * 1024) { res.destroy(); finish(new AgentObserveError('answer', 'answer larger than 1 MiB')) } else chunks.push(c)
        })
        res.on('error', (err) => { finish(new AgentObserveError('network', err.message)) })
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          if (res.statusCode !== 200) {
            finish(new AgentObserveError('status', `node answered ${res.statusCode ?? '?'}: ${text.slice(0, 200)}`, res.statusCode))
            return
          }
          let a: ObserveAnswer | ObserveAnswer[]
          try { a = JSON.parse(text) } catch { finish(new AgentObserveError('answer', 'answer is not JSON')); return }
          if (Array.isArray(a)) { finish(null, a); return }
          if (a == null || (a.verdict !== 'allow' && a.verdict !== 'block')) { finish(new AgentObserveError('answer', 'answer has no verdict')); return }
          finish(null, a)
        })
      })
      const timer = clock.setTimeout(() => {
        finish(new AgentObserveError('timeout', `no verdict within ${params.timeoutMs} ms`))
        req.destroy()
      }, params.timeoutMs)
      req.on('error', (err) => { finish(new AgentObserveError('network', err.message)) })
      req.end(payload)
    })
  }

  const buildObservation = async (req: AgentRequest): Promise<AgentObservation | null> => {
    const target = splitTarget(req.originalUrl ?? req.url ?? '')
    if (target == null || !target.path.startsWith('/')) return null
    const headers: Record<string, string> = {}
    for (const name of params.headers) {
      const v = req.headers[name]
      if (v == null) continue
      headers[name] = (Array.isArray(v) ? v.join(', ') : v).slice(0, limits.maxHeaderValueLength)
    }
    let body = ''
    const ct = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
    if (modelledBody(ct)) {
      const { bytes, complete } = await captureBody(req, params.bodyLimit, ct === FORM_TYPE)
      body = ct === FORM_TYPE ? cutForm(bytes, params.bodyLimit) : bytes.subarray(0, params.bodyLimit).toString('utf8')
      if (complete && !Buffer.isBuffer(req.rawBody)) req.rawBody = bytes
    }
    const obs: AgentObservation = {
      kind: 'http',
      method: (req.method ?? 'GET').slice(0, limits.maxMethodLength),
      path: target.path.slice(0, limits.maxPathLength),
      query: target.query.slice(0, limits.maxQueryLength),
      body,
      headers
    }
    const source = clientAddress(req, params.trustProxy)
    if (source != null) obs.source = source
    if (params.cell != null) obs.cell = params.cell
    return obs
  }

  // ---- response statuses, batched to the node (fire and forget) ----
  let pending: ObserveStatusRequest[] = []
  let flushTimer: ReturnType<Clock['setTimeout']> | null = null
  const flushStatuses = (): void => {
    flushTimer = null
    if (pending.length === 0) return
    const batch = pending
    pending = []
    post(batch).then(() => { stats.statusesReported += batch.length }, () => { stats.statusesLost += batch.length })
  }
  const reportStatus = (obs: AgentObservation, res: ServerResponse): void => {
    res.once('finish', () => {
      const r: ObserveStatusRequest = { kind: 'http-status', method: obs.method, path: obs.path, status: res.statusCode }
      if (obs.source != null) r.source = obs.source
      if (obs.cell != null) r.cell = obs.cell
      pending.push(r)
      if (pending.length >= STATUS_BATCH) { if (flushTimer != null) clock.clearTimeout(flushTimer); flushStatuses() } else if (flushTimer == null) flushTimer = clock.setTimeout(flushStatuses, params.statusFlushMs)
    })
  }

  const block = (res: ServerResponse, status: number, text: string): void => {
    if (res.headersSent) { res.destroy(); return }
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' })
    res.end(text)
  }

  const middleware: Middleware = (req, res, next) => {
    const r = req as AgentRequest
    void (async () => {
      let obs: AgentObservation | null
      try {
        obs = await buildObservation(r)
      } catch (err) {
        if (req.destroyed) return // the client went away: nothing to answer
        logger.warn({ err: String(err) }, 'immune agent could not read the request')
        obs = null
      }
      if (obs == null) { stats.skipped++; next(); return }
      let answer: ObserveAnswer
      try {
        answer = await ask(obs)
      } catch (err) {
        stats.failures++
        if (!nodeDown) {
          nodeDown = true
          logger.warn({ err: String(err), url: params.url, failOpen: params.failOpen }, `immune node unavailable; requests ${params.failOpen ? 'pass unchecked' : `get ${params.unavailableStatus}`} until it answers again`)
        }
        if (params.failOpen) { stats.failedOpen++; next() } else { stats.failedClosed++; block(res, params.unavailableStatus, 'Service Unavailable\n') }
        return
      }
      if (nodeDown) {
        nodeDown = false
        logger.info({ url: params.url }, 'immune node answers again')
      }
      r.immune = answer
      if (answer.verdict === 'block') {
        stats.blocked++
        block(res, params.blockStatus, params.blockBody)
        return
      }
      stats.allowed++
      if (params.reportStatus) reportStatus(obs, res)
      next()
    })()
  }

  const agent = middleware as ImmuneAgent
  agent.middleware = middleware
  agent.wrap = (handler) => (req, res) => {
    middleware(req, res, (err?: unknown) => {
      if (err != null) {
        logger.error({ err: String(err) }, 'request failed before the handler')
        if (!res.headersSent) block(res, 500, 'Internal Server Error\n')
        return
      }
      handler(req, res)
    })
  }
  agent.ask = ask
  agent.close = () => {
    if (flushTimer != null) { clock.clearTimeout(flushTimer); flushTimer = null }
    stats.statusesLost += pending.length
    pending = []
    keepAlive.destroy()
  }
  agent.stats = () => ({ ...stats })
  return agent
}
