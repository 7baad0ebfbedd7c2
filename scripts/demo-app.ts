/**
 * The demo's protected application: a tiny web shop on node:http, with the
 * in-process immune agent (node/agent) in front of it. Every request is first
 * sent to the shop's own immune node (POST /v1/observe); a `block` verdict is
 * enforced by the agent with HTTP 403 before the shop code runs.
 *
 * The shop trusts one proxy hop (X-Forwarded-For), so the demo's client can
 * play many customers and attackers from 127.0.0.1. The node's answer for a
 * request tagged `x-demo-id` is kept (what the agent enforced, and why), so
 * the demo can explain each verdict.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Agent, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createImmuneAgent } from '../node/agent/index.js'
import type { ImmuneAgent } from '../node/agent/index.js'
import type { ObserveAnswer } from '../node/sensors/index.js'
import type { ShopRequest } from './demo-shop.js'

export interface DemoShop {
  name: string
  /** http://127.0.0.1:<port> */
  url: string
  agent: ImmuneAgent
  /** The node's answer for a request sent with `x-demo-id: id` (once the response finished). */
  verdict: (id: string) => ObserveAnswer | undefined
  close: () => Promise<void>
}

const MAX_KEPT_VERDICTS = 1000

function shopPage (req: IncomingMessage, body: string): { status: number, text: string } {
  const url = new URL(req.url ?? '/', 'http://shop.local')
  switch (url.pathname) {
    case '/': return { status: 200, text: 'Welcome to the demo shop\n' }
    case '/products': return { status: 200, text: `products in ${url.searchParams.get('category') ?? 'all'}, page ${url.searchParams.get('page') ?? '1'}\n` }
    case '/product': return { status: 200, text: `product #${url.searchParams.get('id') ?? '?'}\n` }
    case '/search': return { status: 200, text: `results for ${JSON.stringify(url.searchParams.get('q') ?? '')}\n` }
    case '/cart': return { status: 200, text: `cart updated (${new URLSearchParams(body).get('qty') ?? '0'} items)\n` }
    case '/login': return { status: 200, text: `welcome back, ${new URLSearchParams(body).get('user') ?? 'guest'}\n` }
    default: return { status: 404, text: 'not found\n' }
  }
}

/** Start a shop on 127.0.0.1 (any free port) protected by the node whose local API is `nodeApi`. */
export async function startDemoShop (name: string, nodeApi: string): Promise<DemoShop> {
  const agent = createImmuneAgent({ url: nodeApi, trustProxy: 1, timeoutMs: 10_000 })
  const verdicts = new Map<string, ObserveAnswer>()
  const remember = (req: IncomingMessage): void => {
    const id = req.headers['x-demo-id']
    const answer = (req as IncomingMessage & { immune?: ObserveAnswer }).immune
    if (typeof id !== 'string' || answer == null) return
    verdicts.set(id, answer)
    if (verdicts.size > MAX_KEPT_VERDICTS) verdicts.delete(verdicts.keys().next().value as string)
  }
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const page = shopPage(req, Buffer.concat(chunks).toString('utf8'))
      res.writeHead(page.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(page.text) })
      res.end(page.text)
    })
  }
  const protectedHandler = agent.wrap(handler)
  const server: Server = createServer((req, res) => {
    res.once('finish', () => { remember(req) })
    protectedHandler(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const port = (server.address() as AddressInfo).port
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    agent,
    verdict: (id) => verdicts.get(id),
    async close () {
      agent.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}

export interface ShopAnswer {
  status: number
  body: string
}

/**
 * A client for the demo shops: sends a ShopRequest as a real HTTP request,
 * with the customer's address as X-Forwarded-For and an optional x-demo-id.
 */
export function createShopClient (): { send: (shopUrl: string, r: ShopRequest, id?: string) => Promise<ShopAnswer>, close: () => void } {
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 })
  const send = async (shopUrl: string, r: ShopRequest, id?: string): Promise<ShopAnswer> => {
    const url = new URL(r.path + (r.query !== '' ? `?${r.query}` : ''), shopUrl)
    const headers: Record<string, string | number> = { 'user-agent': r.userAgent, 'x-forwarded-for': r.source }
    if (id != null) headers['x-demo-id'] = id
    if (r.method === 'POST') {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers['content-length'] = Buffer.byteLength(r.body)
    }
    return await new Promise<ShopAnswer>((resolve, reject) => {
      const req = request(url, { method: r.method, headers, agent: keepAlive, timeout: 20_000 }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }) })
        res.on('error', reject)
      })
      req.on('timeout', () => { req.destroy(new Error(`${r.method} ${url.href}: no answer within 20 s`)) })
      req.on('error', reject)
      req.end(r.method === 'POST' ? r.body : undefined)
    })
  }
  return { send, close: () => { keepAlive.destroy() } }
}
