/**
 * The API routes of operator control (the CLI's `decisions add|delete`,
 * `unblock`, `allowlist`, `signatures show|revoke`, `audit list`). Same token
 * rules as every other route (node/api/server.ts). Bad input answers 400
 * naming the field, an unknown subject 404, a conflict 409.
 */
import type { IncomingMessage } from 'node:http'
import { ApiErrorCode, ControlError } from '../errors.js'
import { HttpError, readJsonBody } from '../api/index.js'
import type { JsonHandler, Route } from '../api/index.js'
import type { Actor, Control } from './control.js'
import { readReason } from './control.js'

/** `cli:<user>` as the CLI sends it (X-Immune-Actor), else `api`. */
export function actorOf (req: IncomingMessage): Actor {
  const h = req.headers['x-immune-actor']
  const given = typeof h === 'string' ? h.trim() : ''
  const actor = /^[\x21-\x7e][\x20-\x7e]{0,63}$/.test(given) ? given : 'api'
  return { actor, remote: req.socket.remoteAddress ?? null }
}

const CODES: Record<number, typeof ApiErrorCode[keyof typeof ApiErrorCode]> = { 400: ApiErrorCode.BAD_REQUEST, 404: ApiErrorCode.NOT_FOUND, 409: ApiErrorCode.CONFLICT }

/** ControlError → the HTTP answer with its status and a stable code. */
function guarded (h: JsonHandler): JsonHandler {
  return async (r) => {
    try {
      return await h(r)
    } catch (err) {
      if (err instanceof ControlError) throw new HttpError(err.status, CODES[err.status] ?? ApiErrorCode.BAD_REQUEST, err.message)
      throw err
    }
  }
}

/** `?since=` as epoch ms or ISO date; `?limit=` bounded. */
function listQuery (q: URLSearchParams): { sinceMs: number, limit: number } {
  const since = q.get('since')
  let sinceMs = 0
  if (since != null && since !== '') {
    sinceMs = /^\d+$/.test(since) ? Number(since) : Date.parse(since)
    if (Number.isNaN(sinceMs)) throw new HttpError(400, ApiErrorCode.QUERY, `query parameter since=${JSON.stringify(since)} (accepted: epoch milliseconds or an ISO 8601 date)`)
  }
  const l = q.get('limit')
  const limit = l == null || l === '' ? 500 : Number(l)
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new HttpError(400, ApiErrorCode.QUERY, `query parameter limit=${JSON.stringify(l)} (accepted: an integer from 1 to 10000)`)
  return { sinceMs, limit }
}

export function createControlRoutes (control: Control): Route[] {
  return [
    {
      method: 'POST',
      path: '/decisions',
      json: guarded(async ({ req }) => {
        const b = await readJsonBody(req)
        for (const k of Object.keys(b)) if (!['address', 'durationSec', 'reason', 'type'].includes(k)) throw new ControlError(k, 400, `unknown field ${k} (accepted: address, durationSec, reason, type)`)
        return { status: 201, body: await control.addDecision({ address: b.address, durationSec: b.durationSec, reason: b.reason, type: b.type }, actorOf(req)) }
      })
    },
    {
      method: 'DELETE',
      path: '/decisions/:id',
      json: guarded(async ({ params, query, req }) => ({ body: await control.deleteDecision(params.id, readReason(query.get('reason')), actorOf(req)) }))
    },
    {
      method: 'POST',
      path: '/unblock',
      json: guarded(async ({ req }) => {
        const b = await readJsonBody(req)
        return { body: await control.unblock(b.address, readReason(b.reason), actorOf(req)) }
      })
    },
    { method: 'GET', path: '/allowlist', json: () => ({ body: control.allowlist() }) },
    {
      method: 'POST',
      path: '/allowlist',
      json: guarded(async ({ req }) => {
        const b = await readJsonBody(req)
        return { status: 201, body: await control.allowlistAdd(b.entry, readReason(b.reason), actorOf(req)) }
      })
    },
    {
      method: 'DELETE',
      path: '/allowlist/:entry',
      json: guarded(async ({ params, query, req }) => ({ body: await control.allowlistRemove(params.entry, readReason(query.get('reason')), actorOf(req)) }))
    },
    {
      method: 'GET',
      path: '/signatures/:id',
      json: guarded(({ params }) => {
        const s = control.signature(params.id)
        if (s == null) throw new ControlError('id', 404, `no signature ${params.id}`)
        return { body: s }
      })
    },
    {
      method: 'POST',
      path: '/signatures/:id/revoke',
      json: guarded(async ({ params, req }) => {
        const b = await readJsonBody(req)
        return { body: await control.revokeSignature(params.id, readReason(b.reason), actorOf(req)) }
      })
    },
    {
      method: 'GET',
      path: '/audit/control',
      json: async ({ query }) => {
        const { sinceMs, limit } = listQuery(query)
        return { body: await control.audit(sinceMs, limit) }
      }
    }
  ]
}
