/**
 * The local API's routes (one server for ingest and status). Every answer is
 * JSON except /metrics (Prometheus text exposition).
 */
import { ApiErrorCode } from '../errors.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { HttpError } from '../api/index.js'
import type { Route } from '../api/index.js'
import type { StatusSource } from './status.js'

export interface RouteDeps {
  status: StatusSource
  observe: (req: IncomingMessage, res: ServerResponse) => void
}

function intParam (q: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const raw = q.get(name)
  if (raw == null || raw === '') return def
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, ApiErrorCode.QUERY, `query parameter ${name}=${JSON.stringify(raw)} (accepted: an integer from ${min} to ${max})`)
  return n
}

/** `since` as epoch milliseconds or an ISO date. */
function sinceParam (q: URLSearchParams): number {
  const raw = q.get('since')
  if (raw == null || raw === '') return 0
  if (/^\d+$/.test(raw)) return Number(raw)
  const t = Date.parse(raw)
  if (Number.isNaN(t)) throw new HttpError(400, ApiErrorCode.QUERY, `query parameter since=${JSON.stringify(raw)} (accepted: epoch milliseconds or an ISO 8601 date)`)
  return t
}

export function createRoutes (d: RouteDeps): Route[] {
  const s = d.status
  return [
    { method: 'GET', path: '/health', public: true, json: () => ({ body: s.health() }) },
    { method: 'GET', path: '/status', json: () => ({ body: s.status() }) },
    { method: 'POST', path: '/v1/observe', raw: (req, res) => { d.observe(req, res) } },
    {
      method: 'GET',
      path: '/alerts',
      json: async ({ query }) => ({ body: await s.alerts(sinceParam(query), intParam(query, 'limit', 500, 1, 10_000)) })
    },
    {
      method: 'GET',
      path: '/decisions',
      json: async ({ query }) => ({ body: await s.decisions(intParam(query, 'limit', 200, 1, 10_000)) })
    },
    {
      method: 'GET',
      path: '/decisions/:id',
      json: async ({ params }) => {
        const dec = await s.decision(params.id)
        if (dec == null) throw new HttpError(404, ApiErrorCode.NOT_FOUND, `no decision ${params.id}`)
        return { body: dec }
      }
    },
    {
      method: 'GET',
      path: '/audit',
      json: async ({ query }) => ({ body: await s.audit(sinceParam(query), intParam(query, 'limit', 500, 1, 10_000)) })
    },
    { method: 'GET', path: '/peers', json: () => ({ body: s.peers() }) },
    {
      method: 'GET',
      path: '/peers/:id',
      json: ({ params }) => {
        const p = s.peer(params.id)
        if (p == null) throw new HttpError(404, ApiErrorCode.NOT_FOUND, `no peer ${params.id} known`)
        return { body: p }
      }
    },
    { method: 'GET', path: '/signatures', json: () => ({ body: s.signatures() }) },
    { method: 'GET', path: '/contexts', json: () => ({ body: s.contexts() }) },
    {
      method: 'GET',
      path: '/metrics',
      json: async () => ({ body: await s.metrics(), contentType: 'text/plain; version=0.0.4; charset=utf-8' })
    },
    {
      method: 'POST',
      path: '/cells/:cell/release',
      // ?renew=true: also replace the instance (release --renew)
      json: async ({ params, query }) => ({ body: await s.release(params.cell, { renew: /^(1|true|yes)$/i.test(query.get('renew') ?? '') }) })
    }
  ]
}
