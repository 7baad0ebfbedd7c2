/**
 * How the CLI talks to a running node: its local API, found from --api, or the
 * config file's api section, or the default 127.0.0.1:7070.
 */
import { request } from 'node:http'
import { userInfo } from 'node:os'
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

export const apiOptionsHelp = `  --api ADDR       the node's local API, host:port or a URL (default: from --config, else ${DEFAULT_API_HOST}:${DEFAULT_API_PORT})
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
  if (typeof v.api === 'string') base = /^[a-z][a-z0-9+.-]*:\/\//i.test(v.api) ? v.api : `http://${v.api}`
  if (typeof v.token === 'string') token = v.token
  let url: URL
  try {
    url = new URL(base)
  } catch {
    throw new UsageError(`--api: ${JSON.stringify(v.api ?? base)} is not an address (accepted: host:port such as 127.0.0.1:7070, or http://host:port)`)
  }
  if (url.protocol !== 'http:') throw new UsageError(`--api: ${JSON.stringify(v.api ?? base)} (accepted: host:port, or an http:// URL)`)
  if (url.hostname === '') throw new UsageError(`--api: ${JSON.stringify(v.api ?? base)} has no host (accepted: host:port such as 127.0.0.1:7070)`)
  return { base: url, token }
}

export interface ApiResponse {
  status: number
  body: unknown
}

/** One request to the node's API; rejects with ApiUnreachableError (one clear line) when the node is not running or does not answer. */
/** Who the node's control audit log names for a change made from this CLI. */
function actor (): string {
  try { return `cli:${userInfo().username}` } catch { return 'cli' }
}

export async function callApi (target: ApiTarget, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs = 10_000): Promise<ApiResponse> {
  const url = new URL(path, target.base)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return await new Promise<ApiResponse>((resolve, reject) => {
    const req = request(url, {
      method,
      timeout: timeoutMs,
      headers: {
        accept: 'application/json',
        'x-immune-actor': actor(),
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
