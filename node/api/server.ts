/**
 * The node's local HTTP server: the ingest API (`POST /v1/observe`) and the
 * status API (`/health`, `/status`, `/alerts`, ...) on one port. Routes are
 * data; handlers return JSON (or text) and never see the raw socket unless they
 * ask for it (the ingest handler streams the body itself).
 */
import { ApiErrorCode } from '../errors.js'
import type { IngestErrorCode } from '../errors.js'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { StartupError } from '../errors.js'

export interface RouteResult {
  status?: number
  /** JSON-serialisable body, or a string sent as text/plain (or `contentType`). */
  body: unknown
  contentType?: string
}

export interface RouteRequest {
  params: Record<string, string>
  query: URLSearchParams
  req: IncomingMessage
}

export type JsonHandler = (r: RouteRequest) => RouteResult | Promise<RouteResult>
export type RawHandler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => void

export interface Route {
  /** `*`: any method (nginx's auth_request subrequest keeps the original request's method). */
  method: 'GET' | 'POST' | 'DELETE' | '*'
  /** Path with `:name` segments, e.g. "/peers/:id". */
  path: string
  /** Served without the token (only /health). */
  public?: boolean
  json?: JsonHandler
  raw?: RawHandler
}

export interface ApiServerInit {
  host: string
  port: number
  /** When set, every non-public route needs `Authorization: Bearer <token>`. */
  token?: string
  routes: Route[]
  /** Called with unexpected handler errors (the client gets a 500). */
  onError?: (err: unknown, req: IncomingMessage) => void
}

export interface ApiServer {
  start: () => Promise<void>
  stop: () => Promise<void>
  /** The bound address (after start), e.g. for port 0. */
  address: () => { host: string, port: number }
}

interface CompiledRoute extends Route {
  segments: string[]
}

function matchRoute (routes: CompiledRoute[], method: string, pathname: string): { route: CompiledRoute, params: Record<string, string> } | { allowed: string[] } | null {
  const parts = pathname.split('/').filter((p) => p.length > 0)
  const allowed: string[] = []
  for (const route of routes) {
    if (route.segments.length !== parts.length) continue
    const params: Record<string, string> = {}
    let ok = true
    for (let i = 0; i < parts.length; i++) {
      const seg = route.segments[i]
      if (seg.startsWith(':')) {
        try { params[seg.slice(1)] = decodeURIComponent(parts[i]) } catch { ok = false; break }
      } else if (seg !== parts[i]) { ok = false; break }
    }
    if (!ok) continue
    if (route.method === method || route.method === '*') return { route, params }
    allowed.push(route.method)
  }
  return allowed.length > 0 ? { allowed } : null
}

export function sendJson (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export function sendError (res: ServerResponse, status: number, code: ApiErrorCode | IngestErrorCode, message: string): void {
  sendJson(res, status, { error: { code, message } })
}

function tokenMatches (header: string | undefined, token: string): boolean {
  if (header == null) return false
  const m = /^Bearer\s+(.+)$/i.exec(header.trim())
  if (m == null) return false
  const a = Buffer.from(m[1])
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function createApiServer (init: ApiServerInit): ApiServer {
  const routes: CompiledRoute[] = init.routes.map((r) => ({ ...r, segments: r.path.split('/').filter((p) => p.length > 0) }))
  let server: Server | null = null
  let bound = { host: init.host, port: init.port }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://local')
    } catch {
      sendError(res, 400, ApiErrorCode.BAD_URL, 'malformed request target')
      return
    }
    const found = matchRoute(routes, req.method ?? 'GET', url.pathname)
    if (found == null) {
      sendError(res, 404, ApiErrorCode.NOT_FOUND, `no route for ${req.method ?? ''} ${url.pathname}`)
      return
    }
    if ('allowed' in found) {
      res.setHeader('allow', found.allowed.join(', '))
      sendError(res, 405, ApiErrorCode.METHOD, `${req.method ?? ''} not allowed on ${url.pathname} (allowed: ${found.allowed.join(', ')})`)
      return
    }
    const { route, params } = found
    if (init.token != null && route.public !== true && !tokenMatches(req.headers.authorization, init.token)) {
      res.setHeader('www-authenticate', 'Bearer')
      sendError(res, 401, ApiErrorCode.UNAUTHORIZED, 'missing or wrong bearer token')
      return
    }
    if (route.raw != null) {
      try {
        route.raw(req, res, params)
      } catch (err) {
        init.onError?.(err, req)
        if (!res.headersSent) sendError(res, 500, ApiErrorCode.INTERNAL, 'internal error')
        else res.destroy()
      }
      return
    }
    Promise.resolve()
      .then(async () => await route.json!({ params, query: url.searchParams, req }))
      .then((result) => {
        const status = result.status ?? 200
        if (typeof result.body === 'string') {
          res.writeHead(status, { 'content-type': result.contentType ?? 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(result.body) })
          res.end(result.body)
        } else {
          sendJson(res, status, result.body)
        }
      })
      .catch((err: unknown) => {
        const e = err as { statusCode?: number, code?: ApiErrorCode | IngestErrorCode, message?: string }
        if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
          sendError(res, e.statusCode, e.code ?? ApiErrorCode.BAD_REQUEST, e.message ?? 'bad request')
          return
        }
        init.onError?.(err, req)
        if (!res.headersSent) sendError(res, 500, ApiErrorCode.INTERNAL, 'internal error')
      })
  }

  return {
    async start () {
      if (server != null) return
      const s = createServer({ keepAliveTimeout: 30_000, requestTimeout: 30_000 }, handle)
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException): void => {
          reject(new StartupError('api', `cannot listen on ${init.host}:${init.port}: ${err.code === 'EADDRINUSE' ? 'the port is already in use' : err.code === 'EACCES' ? 'permission denied' : err.message}`))
        }
        s.once('error', onError)
        s.listen(init.port, init.host, () => {
          s.off('error', onError)
          resolve()
        })
      })
      const addr = s.address() as AddressInfo
      bound = { host: addr.address, port: addr.port }
      server = s
    },
    async stop () {
      const s = server
      if (s == null) return
      server = null
      await new Promise<void>((resolve) => {
        s.close(() => { resolve() })
        s.closeAllConnections()
      })
    },
    address: () => bound
  }
}

/** An error a JSON handler throws to answer 4xx with a code. */
export class HttpError extends Error {
  constructor (readonly statusCode: number, readonly code: ApiErrorCode | IngestErrorCode, message: string) {
    super(message)
    this.name = 'HttpError'
  }
}

/** The bytes a JSON control body may have (decisions, allowlist, revoke: a few fields). */
export const MAX_CONTROL_BODY_BYTES = 16 * 1024

/**
 * Reads a small JSON object body (POST/DELETE control routes). An empty body
 * is `{}`. 400 for malformed JSON or a non-object, 413 beyond maxBytes, 415
 * for a content type other than JSON.
 */
export async function readJsonBody (req: IncomingMessage, maxBytes = MAX_CONTROL_BODY_BYTES): Promise<Record<string, unknown>> {
  const ct = req.headers['content-type']
  if (ct != null && ct.trim() !== '' && !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(ct.trim())) {
    throw new HttpError(415, ApiErrorCode.BAD_REQUEST, `content-type ${ct} not accepted (use application/json)`)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw new HttpError(413, ApiErrorCode.BAD_REQUEST, `request body exceeds ${maxBytes} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return {}
  let v: unknown
  try { v = JSON.parse(text) } catch (err) { throw new HttpError(400, ApiErrorCode.BAD_REQUEST, `malformed JSON body: ${(err as Error).message}`) }
  if (v == null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, ApiErrorCode.BAD_REQUEST, 'the body must be a JSON object')
  return v as Record<string, unknown>
}
