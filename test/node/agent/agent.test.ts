import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { clientAddress, createImmuneAgent } from '../../../node/agent/agent.js'
import type { ImmuneAgent } from '../../../node/agent/agent.js'
import { createManualClock, createSystemClock } from '../../../core/clock.js'
import type { HttpObservation, HttpStatusReport } from '../../../node/observation.js'
import { createObserveHandler } from '../../../node/sensors/ingest.js'

const servers: http.Server[] = []
const agents: ImmuneAgent[] = []

async function listen (handler: http.RequestListener): Promise<{ server: http.Server, url: string, port: number }> {
  const server = http.createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return { server, url: `http://127.0.0.1:${port}`, port }
}

/** A tiny node: the real ingest handler; blocks any path containing "attack". */
async function fakeNode (opts: { hang?: boolean } = {}) {
  const seen: HttpObservation[] = []
  const statuses: HttpStatusReport[] = []
  const auth: Array<string | undefined> = []
  let connections = 0
  let onRequest: () => void = () => {}
  const requested = new Promise<void>((resolve) => { onRequest = resolve })
  const handler = createObserveHandler({
    clock: createSystemClock(),
    observe: (obs) => {
      for (const o of obs) if (o.kind === 'http') seen.push(o); else statuses.push(o)
      return obs.map((o) => o.path.includes('attack')
        ? { verdict: 'block' as const, danger: 2 as const, score: 12, phase: 'guarding' as const, reasons: [] }
        : { verdict: 'allow' as const, danger: 0 as const, score: 0, phase: 'guarding' as const, reasons: [] })
    }
  })
  const node = await listen((req, res) => {
    auth.push(req.headers.authorization)
    onRequest()
    if (opts.hang === true) return // never answers
    handler(req, res)
  })
  node.server.on('connection', () => { connections++ })
  return { ...node, seen, statuses, auth, connections: () => connections, requested }
}

/** The protected application: echoes what it read from the stream. */
function app (calls: string[]) {
  return (req: IncomingMessage & { rawBody?: Buffer, body?: unknown }, res: ServerResponse) => {
    calls.push(req.url ?? '')
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const streamed = Buffer.concat(chunks).toString()
      const out = JSON.stringify({ streamed, rawBody: req.rawBody?.toString() ?? null, body: req.body ?? null })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(out)
    })
  }
}

async function request (url: string, opts: { method?: string, headers?: Record<string, string>, body?: string, chunked?: boolean } = {}): Promise<{ status: number, text: string }> {
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers }
    if (opts.body != null && opts.chunked !== true) headers['content-length'] = Buffer.byteLength(opts.body)
    const u = new URL(url)
    // the raw path as written (URL would percent-encode quotes in the query)
    const path = url.slice(url.indexOf('/', u.protocol.length + 2))
    const req = http.request({ host: u.hostname, port: u.port, path, method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      let text = ''
      res.on('data', (d) => { text += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, text }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    if (opts.body != null && opts.chunked === true) {
      const mid = Math.floor(opts.body.length / 2)
      req.write(opts.body.slice(0, mid))
      setImmediate(() => { req.end(opts.body!.slice(mid)) })
    } else {
      req.end(opts.body)
    }
  })
}

afterEach(async () => {
  for (const a of agents.splice(0)) a.close()
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
})

describe('immune agent in front of a real app, with a real node', () => {
  let node: Awaited<ReturnType<typeof fakeNode>>
  beforeEach(async () => { node = await fakeNode() })

  const makeApp = async (init: Parameters<typeof createImmuneAgent>[0] = {}, components: Parameters<typeof createImmuneAgent>[1] = {}) => {
    const agent = createImmuneAgent({ url: node.url, ...init }, components)
    agents.push(agent)
    const calls: string[] = []
    const a = await listen(agent.wrap(app(calls)))
    return { agent, calls, url: a.url }
  }

  it('lets an allowed request through and sends the node what it saw, over one keep-alive connection', async () => {
    const { agent, calls, url } = await makeApp({ token: 's3cret', cell: 'shop' })
    for (let i = 0; i < 5; i++) {
      const r = await request(`${url}/shop/item.jsp?id=${i}&name=x`, { headers: { 'user-agent': 'ua/1', cookie: 'secret=1' } })
      expect(r.status).toBe(200)
    }
    expect(calls).toHaveLength(5)
    expect(node.seen[0]).toMatchObject({ method: 'GET', path: '/shop/item.jsp', query: 'id=0&name=x', body: '', headers: { 'user-agent': 'ua/1', cookie: 'secret=1' }, source: '127.0.0.1', cell: 'shop' })
    expect(node.auth[0]).toBe('Bearer s3cret')
    expect(node.connections()).toBe(1)
    const narrow = await makeApp({ headers: ['user-agent'] })
    await request(`${narrow.url}/x`, { headers: { 'user-agent': 'ua/2', cookie: 'secret=1' } })
    expect(node.seen[5].headers).toEqual({ 'user-agent': 'ua/2' }) // configurable
    expect(agent.stats()).toMatchObject({ allowed: 5, blocked: 0, failures: 0 })
  })

  it('blocks what the node blocks with a 403, before the app runs', async () => {
    const { agent, calls, url } = await makeApp()
    const r = await request(`${url}/attack?id=1'+OR+1=1--`)
    expect(r.status).toBe(403)
    expect(r.text).toBe('Forbidden\n')
    expect(calls).toEqual([])
    expect(node.seen[0]).toMatchObject({ path: '/attack', query: "id=1'+OR+1=1--" })
    // a blocked form POST is not handed to the app either
    const p = await request(`${url}/attack`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' })
    expect(p.status).toBe(403)
    expect(calls).toEqual([])
    expect(agent.stats().blocked).toBe(2)
  })

  it('observes a form body and gives the app the very same bytes from the stream', async () => {
    const { calls, url } = await makeApp({ bodyLimit: 64 })
    const body = 'user=alice&comment=' + 'x'.repeat(20) + '&more=' + 'y'.repeat(100) + '&end=1'
    const r = await request(`${url}/comment`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body })
    expect(r.status).toBe(200)
    const got = JSON.parse(r.text)
    expect(got.streamed).toBe(body) // the app read the whole body from the stream
    expect([null, body]).toContain(got.rawBody) // set only when the agent happened to read it all (one chunk)
    expect(node.seen[0].body).toBe('user=alice&comment=' + 'x'.repeat(20)) // cut at the last '&' within 64 bytes
    const small = await request(`${url}/comment`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2' })
    expect(JSON.parse(small.text)).toMatchObject({ streamed: 'a=1&b=2', rawBody: 'a=1&b=2' })
    expect(node.seen[1].body).toBe('a=1&b=2')
    // JSON and multipart bodies are observed too (the node flattens them into fields); the app gets the same bytes
    const json = await request(`${url}/api`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
    expect(JSON.parse(json.text).streamed).toBe('{"a":1}')
    expect(node.seen[2].body).toBe('{"a":1}')
    const mp = '--B\r\nContent-Disposition: form-data; name="t"\r\n\r\nhi\r\n--B--\r\n'
    const multi = await request(`${url}/up`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=B' }, body: mp })
    expect(JSON.parse(multi.text).streamed).toBe(mp)
    expect(node.seen[3].body).toBe(mp)
    // other bodies are not read
    const xml = await request(`${url}/soap`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a/>' })
    expect(JSON.parse(xml.text).streamed).toBe('<a/>')
    expect(node.seen[4].body).toBe('')
    expect(calls).toHaveLength(5)
  })

  it('replays a chunked form body (no content-length) to the app', async () => {
    const { url } = await makeApp({ bodyLimit: 1024 })
    const r = await request(`${url}/form`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&a=2&b=x%20y', chunked: true })
    expect(r.status).toBe(200)
    expect(JSON.parse(r.text)).toEqual({ streamed: 'a=1&a=2&b=x%20y', rawBody: 'a=1&a=2&b=x%20y', body: null })
    expect(node.seen[0].body).toBe('a=1&a=2&b=x%20y')
    const big = 'k=' + 'z'.repeat(3000)
    const r2 = await request(`${url}/form`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big, chunked: true })
    expect(JSON.parse(r2.text).streamed).toBe(big)
    expect(node.seen[1].body).toBe('k=' + 'z'.repeat(1022))
  })

  it('leaves bodiless and empty form requests readable to the end', async () => {
    const { calls, url } = await makeApp()
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    expect(JSON.parse((await request(`${url}/get`, { headers: form })).text)).toEqual({ streamed: '', rawBody: '', body: null })
    expect(JSON.parse((await request(`${url}/empty`, { method: 'POST', headers: form, body: '' })).text)).toEqual({ streamed: '', rawBody: '', body: null })
    expect(JSON.parse((await request(`${url}/empty-chunked`, { method: 'POST', headers: form, body: '', chunked: true })).text).streamed).toBe('')
    expect(calls).toEqual(['/get', '/empty', '/empty-chunked'])
  })

  it('reads the body a parser already consumed (req.body / req.rawBody)', async () => {
    const agent = createImmuneAgent({ url: node.url })
    agents.push(agent)
    const a = await listen((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        // what express.urlencoded() leaves behind
        Object.assign(req, { body: { q: 'a b', n: ['1', '2'] }, _body: true })
        agent(req, res, () => { res.writeHead(200); res.end() })
      })
    })
    expect((await request(`${a.url}/search`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'q=a+b&n=1&n=2' })).status).toBe(200)
    expect(node.seen[0].body).toBe('q=a+b&n=1&n=2')
  })

  it('works as express-style middleware: next() for allowed, never for blocked', async () => {
    const agent = createImmuneAgent({ url: node.url })
    agents.push(agent)
    const nexts: string[] = []
    const a = await listen((req, res) => {
      agent(req, res, (err?: unknown) => {
        nexts.push(req.url ?? '')
        res.writeHead(err == null ? 200 : 500)
        res.end()
      })
    })
    expect((await request(`${a.url}/ok`)).status).toBe(200)
    expect((await request(`${a.url}/attack`)).status).toBe(403)
    expect(nexts).toEqual(['/ok'])
    expect(agent.middleware).toBe(agent)
  })

  it('fails open when the node is down (default), or closed when told', async () => {
    const deadUrl = node.url
    servers.splice(servers.indexOf(node.server), 1)
    node.server.closeAllConnections()
    await new Promise((resolve) => node.server.close(resolve))
    const warnings: unknown[] = []
    const logger = { debug: () => {}, info: () => {}, warn: (o: unknown) => { warnings.push(o) }, error: () => {} }
    const open = await makeApp({ url: deadUrl }, { logger })
    expect((await request(`${open.url}/attack`)).status).toBe(200)
    expect((await request(`${open.url}/x`)).status).toBe(200)
    expect(open.calls).toEqual(['/attack', '/x'])
    expect(open.agent.stats()).toMatchObject({ failures: 2, failedOpen: 2 })
    expect(warnings).toHaveLength(1) // logged once per outage, not per request
    const closed = await makeApp({ url: deadUrl, failOpen: false })
    const r = await request(`${closed.url}/x`)
    expect(r.status).toBe(503)
    expect(closed.calls).toEqual([])
    expect(closed.agent.stats().failedClosed).toBe(1)
  })

  it('gives up after timeoutMs on a node that does not answer (manual clock)', async () => {
    const hanging = await fakeNode({ hang: true })
    const clock = createManualClock()
    const agent = createImmuneAgent({ url: hanging.url, timeoutMs: 250 }, { clock })
    agents.push(agent)
    const calls: string[] = []
    const a = await listen(agent.wrap(app(calls)))
    const pending = request(`${a.url}/slow`)
    await hanging.requested
    expect(calls).toEqual([])
    clock.advance(250)
    expect((await pending).status).toBe(200)
    expect(calls).toEqual(['/slow'])
    expect(agent.stats()).toMatchObject({ failures: 1, failedOpen: 1 })
  })

  it('reports the status of the responses the app gave, batched; not those it blocked itself', async () => {
    const clock = createManualClock()
    const agent = createImmuneAgent({ url: node.url, statusFlushMs: 100, cell: 'shop' }, { clock })
    agents.push(agent)
    const a = await listen(agent.wrap((req, res) => { res.writeHead(req.url === '/boom' ? 500 : 200); res.end() }))
    for (const path of ['/ok', '/boom', '/boom', '/attack']) await request(`${a.url}${path}`)
    expect(node.statuses).toHaveLength(0) // batched until statusFlushMs
    clock.advance(100)
    for (let i = 0; i < 50 && agent.stats().statusesReported < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(node.statuses.map((s) => [s.path, s.status])).toEqual([['/ok', 200], ['/boom', 500], ['/boom', 500]])
    expect(node.statuses[0]).toMatchObject({ kind: 'http-status', method: 'GET', source: '127.0.0.1', cell: 'shop' })
    expect(agent.stats()).toMatchObject({ statusesReported: 3, statusesLost: 0, blocked: 1 })
  })

  it('takes the client address from the socket, or from X-Forwarded-For only as far as proxies are trusted', () => {
    const req = (xff: string | undefined, remote = '::ffff:10.0.0.5') => ({ socket: { remoteAddress: remote }, headers: xff != null ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage
    expect(clientAddress(req('1.1.1.1'), false)).toBe('10.0.0.5')
    expect(clientAddress(req('6.6.6.6, 203.0.113.9'), true)).toBe('203.0.113.9') // the client the proxy saw, not the spoofable left end
    expect(clientAddress(req('6.6.6.6, 203.0.113.9, 10.0.0.4'), 2)).toBe('203.0.113.9')
    expect(clientAddress(req('garbage'), 1)).toBe('10.0.0.5')
    expect(clientAddress(req(undefined), 1)).toBe('10.0.0.5')
    expect(clientAddress(req(undefined, '2001:db8::1'), false)).toBe('2001:db8::1')
  })

  it('validates its params', () => {
    for (const bad of [{ url: 'ftp://x' }, { timeoutMs: 0 }, { bodyLimit: 10 * 1024 * 1024 }, { headers: ['bad header'] }, { trustProxy: -1 }, { blockStatus: 200 }]) {
      expect(() => createImmuneAgent(bad as any)).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
    }
  })
})
