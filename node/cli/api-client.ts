/**
 * How the CLI talks to a running node: its local API, found from --api, or the
 * config file's api section, or the default 127.0.0.1:7070.
 */
import { request } from 'node:http'
import { loadConfig } from '../config/index.js'
import { ApiUnreachableError } from '../errors.js'
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../config/index.js'
import { UsageError } from './command.js'
import type { OptionSpec, ParsedArgs } from './command.js'

export const apiOptions: OptionSpec = {
  api: { type: 'string' },
  token: { type: 'string' },
  config: { type: 'string', short: 'c' }
}

export const apiOptionsHelp = `  --api URL        the node's local API (default: from --config, else http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT})
  --token TOKEN    bearer token (default: from --config, or $IMMUNE_API_TOKEN)
  -c, --config F   read the API address and token from this config file`

export interface ApiTarget {
  base: URL
  token: string | null
}

export function apiTarget (args: ParsedArgs): ApiTarget {
  const v = args.values
  let base = `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`
  let token: string | null = process.env.IMMUNE_API_TOKEN ?? null
  if (typeof v.config === 'string') {
    const config = loadConfig(v.config)
    const host = config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host
    base = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${config.api.port}`
    token = config.api.token ?? token
  }
  if (typeof v.api === 'string') base = v.api
  if (typeof v.token === 'string') token = v.token
  let url: URL
  try {
    url = new URL(base)
  } catch {
    throw new UsageError(`--api: ${JSON.stringify(base)} is not a URL (accepted: e.g. http://127.0.0.1:7070)`)
  }
  if (url.protocol !== 'http:') throw new UsageError(`--api: ${JSON.stringify(base)} (accepted: an http:// URL)`)
  return { base: url, token }
}

export interface ApiResponse {
  status: number
  body: unknown
}

/** One request to the node's API; rejects with ApiUnreachableError (one clear line) when the node is not running or does not answer. */
export async function callApi (target: ApiTarget, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10_000): Promise<ApiResponse> {
  const url = new URL(path, target.base)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return await new Promise<ApiResponse>((resolve, reject) => {
    const req = request(url, {
      method,
      timeout: timeoutMs,
      headers: {
        accept: 'application/json',
        ...(payload != null ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        ...(target.token != null ? { authorization: `Bearer ${target.token}` } : {})
      }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let parsed: unknown = text
        try { parsed = JSON.parse(text) } catch {}
        resolve({ status: res.statusCode ?? 0, body: parsed })
      })
      res.on('error', reject)
    })
    const origin = target.base.origin
    req.on('timeout', () => { req.destroy(new ApiUnreachableError(origin, 'timeout', `no answer from the immune-node at ${origin} within ${timeoutMs} ms`)) })
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof ApiUnreachableError) { reject(err); return }
      reject(new ApiUnreachableError(origin, err.code ?? 'error', err.code === 'ECONNREFUSED'
        ? `no immune-node is listening at ${origin} (is it running? see --api / --config)`
        : `cannot reach the immune-node at ${origin}: ${err.message}`))
    })
    if (payload != null) req.write(payload)
    req.end()
  })
}

export function apiErrorText (res: ApiResponse): string {
  const b = res.body as { error?: { code?: string, message?: string } }
  return b?.error?.message != null ? `${b.error.message} (${b.error.code ?? res.status})` : `HTTP ${res.status}`
}
