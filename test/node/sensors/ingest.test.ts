import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createManualClock } from '../../../core/clock.js'
import { IngestError } from '../../../node/errors.js'
import { createIngestLimits, createObserveHandler, defaultIngestLimits, parseObserveBody, parseObserveRequest } from '../../../node/sensors/ingest.js'
import type { IngestItem, ObserveAnswer } from '../../../node/sensors/ingest.js'

const NOW = 1_700_000_000_000
const valid = { kind: 'http', method: 'GET', path: '/shop/item.jsp', query: 'id=3&name=x', body: '', headers: { 'Content-Type': 'text/html' }, source: '203.0.113.7' }

function codeOf (fn: () => unknown): { code: string, status: number, field?: string, index?: number } {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof IngestError)) throw err
    return { code: err.code, status: err.status, field: err.details.field, index: err.details.index }
  }
  throw new Error('expected an IngestError')
}

describe('parseObserveBody', () => {
  it('accepts one observation and stamps it with the node time', () => {
    expect(parseObserveBody(JSON.stringify(valid), defaultIngestLimits, NOW)).toEqual([{
      kind: 'http', time: NOW, method: 'GET', path: '/shop/item.jsp', query: 'id=3&name=x', body: '', headers: { 'content-type': 'text/html' }, source: '203.0.113.7'
    }])
  })

  it('accepts an array, defaults query/body/headers, keeps cell, strips a leading ? and IPv4-mapped prefixes', () => {
    const r = parseObserveRequest(Buffer.from(JSON.stringify([
      { kind: 'http', method: 'POST', path: '/login', body: 'user=a&pass=b', cell: 'shop' },
      { kind: 'http', method: 'GET', path: '/', query: '?a=1', source: '::ffff:192.0.2.1' },
      { kind: 'http', method: 'GET', path: '/v6', source: '2001:db8::7' }
    ])), defaultIngestLimits, NOW)
    expect(r.batch).toBe(true)
    expect(r.observations).toEqual([
      { kind: 'http', time: NOW, method: 'POST', path: '/login', query: '', body: 'user=a&pass=b', headers: {}, cell: 'shop' },
      { kind: 'http', time: NOW, method: 'GET', path: '/', query: 'a=1', body: '', headers: {}, source: '192.0.2.1' },
      { kind: 'http', time: NOW, method: 'GET', path: '/v6', query: '', body: '', headers: {}, source: '2001:db8::7' }
    ])
    expect(parseObserveRequest('[]', defaultIngestLimits, NOW)).toEqual({ observations: [], batch: true })
  })

  it('rejects malformed input with a code, a status and the field', () => {
    const L = defaultIngestLimits
    const p = (o: unknown) => () => parseObserveBody(typeof o === 'string' ? o : JSON.stringify(o), L, NOW)
    expect(codeOf(p('{"kind":'))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_JSON', status: 400 })
    expect(codeOf(p('42'))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_INVALID', status: 400 })
    expect(codeOf(p('null'))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_INVALID', status: 400 })
    expect(codeOf(p({ ...valid, kind: 'process' }))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_INVALID', field: 'kind' })
    expect(codeOf(p({ ...valid, method: 'GE T' }))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_INVALID', field: 'method' })
    expect(codeOf(p({ ...valid, method: undefined }))).toMatchObject({ field: 'method' })
    expect(codeOf(p({ ...valid, path: 'shop' }))).toMatchObject({ field: 'path' })
    expect(codeOf(p({ ...valid, path: '/a?b=1' }))).toMatchObject({ field: 'path' })
    expect(codeOf(p({ ...valid, query: 3 }))).toMatchObject({ field: 'query' })
    expect(codeOf(p({ ...valid, body: { a: 1 } }))).toMatchObject({ field: 'body' })
    expect(codeOf(p({ ...valid, headers: ['a'] }))).toMatchObject({ field: 'headers' })
    expect(codeOf(p({ ...valid, headers: { a: 1 } }))).toMatchObject({ field: 'headers.a' })
    expect(codeOf(p({ ...valid, headers: { 'bad name': 'x' } }))).toMatchObject({ field: 'headers' })
    expect(codeOf(p({ ...valid, source: 'example.com' }))).toMatchObject({ field: 'source' })
    expect(codeOf(p({ ...valid, source: '999.1.1.1' }))).toMatchObject({ field: 'source' })
    expect(codeOf(p({ ...valid, cell: '' }))).toMatchObject({ field: 'cell' })
    expect(codeOf(p({ ...valid, time: 5 }))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_INVALID', field: 'time' })
    expect(codeOf(p({ ...valid, querystring: 'a=1' }))).toMatchObject({ field: 'querystring' })
    expect(codeOf(p([valid, { ...valid, path: 'x' }]))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_INVALID', field: '[1].path', index: 1 })
    expect(codeOf(p([valid, 'x']))).toMatchObject({ index: 1 })
  })

  it('takes response statuses reported after the fact (kind http-status), validated the same way', () => {
    const r = parseObserveRequest(JSON.stringify([{ kind: 'http-status', method: 'GET', path: '/a', status: 500, source: '::ffff:203.0.113.7', cell: 'shop' }, valid]), defaultIngestLimits, NOW)
    expect(r.observations[0]).toEqual({ kind: 'http-status', time: NOW, method: 'GET', path: '/a', status: 500, source: '203.0.113.7', cell: 'shop' })
    expect(r.observations[1].kind).toBe('http')
    const p = (o: unknown) => () => parseObserveBody(JSON.stringify(o), defaultIngestLimits, NOW)
    const st = { kind: 'http-status', method: 'GET', path: '/a', status: 404 }
    expect(codeOf(p({ ...st, status: 99 }))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_INVALID', field: 'status' })
    expect(codeOf(p({ ...st, status: '500' }))).toMatchObject({ field: 'status' })
    expect(codeOf(p({ ...st, query: 'a=1' }))).toMatchObject({ field: 'query' }) // a status report carries no request data
    expect(codeOf(p({ ...st, source: 'x' }))).toMatchObject({ field: 'source' })
  })

  it('enforces size, batch and field limits', () => {
    const L = createIngestLimits({ maxBodyBytes: 2000, maxBatch: 3, maxPathLength: 10, maxHeaders: 1 })
    const big = JSON.stringify({ ...valid, body: 'x'.repeat(3000) })
    expect(codeOf(() => parseObserveBody(big, L, NOW))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_TOO_LARGE', status: 413 })
    expect(codeOf(() => parseObserveBody(Buffer.from(big), L, NOW))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_TOO_LARGE', status: 413 })
    const small = { kind: 'http', method: 'GET', path: '/' }
    expect(parseObserveBody(JSON.stringify([small, small, small]), L, NOW)).toHaveLength(3)
    expect(codeOf(() => parseObserveBody(JSON.stringify([small, small, small, small]), L, NOW))).toMatchObject({ code: 'IMMUNE_ERR_INGEST_BATCH_TOO_LARGE', status: 413 })
    expect(codeOf(() => parseObserveBody(JSON.stringify({ ...small, path: '/' + 'a'.repeat(10) }), L, NOW))).toMatchObject({ field: 'path', status: 400 })
    expect(codeOf(() => parseObserveBody(JSON.stringify({ ...small, headers: { a: '1', b: '2' } }), L, NOW))).toMatchObject({ field: 'headers' })
    expect(() => createIngestLimits({ maxBatch: 0 })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
  })
})

describe('observe handler on a real HTTP server', () => {
  let server: http.Server
  let port: number
  let seen: IngestItem[][]
  let fail = false
  const clock = createManualClock(NOW)
  const answerFor = (o: IngestItem): ObserveAnswer => o.path.includes('attack')
    ? { verdict: 'block', danger: 2, score: 9.5, phase: 'guarding', reasons: [{ context: `${o.method} ${o.path}`, parameter: 'id', feature: 'length', observed: 400, expected: '1..3', surprise: 9.5 }] }
    : { verdict: 'allow', danger: 0, score: 0.1, phase: 'learning', reasons: [] }

  beforeEach(async () => {
    seen = []
    fail = false
    const handler = createObserveHandler({
      clock,
      limits: { maxBodyBytes: 4096, maxBatch: 10 },
      observe: async (obs) => {
        seen.push(obs)
        if (fail) throw new Error('profile store broken')
        return obs.map(answerFor)
      }
    })
    server = http.createServer((req, res) => {
      if (req.url === '/v1/observe') handler(req, res)
      else { res.writeHead(200); res.end('ok') }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const post = async (body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }, method = 'POST'): Promise<{ status: number, json: any, headers: http.IncomingHttpHeaders }> => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/observe`, { method, headers, ...(method === 'POST' ? { body } : {}) })
    const text = await res.text()
    return { status: res.status, json: text.length > 0 ? JSON.parse(text) : null, headers: Object.fromEntries(res.headers) }
  }

  it('one invalid item in a batch fails only that item: its answer carries the error, the others are scored', async () => {
    const r = await post(JSON.stringify([valid, { ...valid, path: 'no-slash' }, 'x', { ...valid, path: '/attack' }]))
    expect(r.status).toBe(200)
    expect(r.json).toHaveLength(4)
    expect(r.json[0]).toMatchObject({ verdict: 'allow', danger: 0 })
    expect(r.json[1]).toEqual({ error: { code: 'IMMUNE_ERR_INGEST_INVALID', message: expect.stringContaining('[1].path must start with "/"'), index: 1, field: '[1].path' } })
    expect(r.json[2].error).toMatchObject({ code: 'IMMUNE_ERR_INGEST_INVALID', index: 2 })
    expect(r.json[3]).toMatchObject({ verdict: 'block', danger: 2 })
    // only the valid items reached the node, in order
    expect(seen.at(-1)?.map((o) => o.path)).toEqual(['/shop/item.jsp', '/attack'])
    // a single invalid object still fails the request
    const one = await post(JSON.stringify({ ...valid, path: 'no-slash' }))
    expect(one.status).toBe(400)
    expect(one.json.error.code).toBe('IMMUNE_ERR_INGEST_INVALID')
  })

  it('answers one verdict for one observation and an array for an array', async () => {
    const one = await post(JSON.stringify(valid))
    expect(one.status).toBe(200)
    expect(one.json).toEqual({ verdict: 'allow', danger: 0, score: 0.1, phase: 'learning', reasons: [] })
    expect(seen[0][0]).toMatchObject({ path: '/shop/item.jsp', time: NOW, source: '203.0.113.7' })
    const many = await post(JSON.stringify([valid, { ...valid, path: '/attack' }]))
    expect(many.status).toBe(200)
    expect(many.json.map((a: ObserveAnswer) => [a.verdict, a.danger])).toEqual([['allow', 0], ['block', 2]])
    expect(many.json[1].reasons[0]).toMatchObject({ parameter: 'id', feature: 'length' })
  })

  it('answers 400 with a code for malformed JSON and invalid fields, without calling observe', async () => {
    const bad = await post('{"kind":"http",')
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('IMMUNE_ERR_INGEST_JSON')
    expect(typeof bad.json.error.message).toBe('string')
    const invalid = await post(JSON.stringify({ ...valid, path: 'nope' }))
    expect(invalid.status).toBe(400)
    expect(invalid.json.error.code).toBe('IMMUNE_ERR_INGEST_INVALID')
    expect(invalid.json.error.message).toContain('path')
    expect(seen).toEqual([])
  })

  it('answers 413 for an oversized body (declared or streamed), and the server stays healthy', async () => {
    const declared = await post(JSON.stringify({ ...valid, body: 'x'.repeat(10_000) }))
    expect(declared.status).toBe(413)
    expect(declared.json.error.code).toBe('IMMUNE_ERR_INGEST_TOO_LARGE')
    // chunked, no content-length: the handler counts and stops reading
    const streamed = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/v1/observe', method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = ''
        res.on('data', (d) => { body += d })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.write('[' + `${JSON.stringify(valid)},`.repeat(40)) // ~6 KB, more than 4096
      // never finished: the server must answer without waiting for the end
    })
    expect(streamed.status).toBe(413)
    expect(JSON.parse(streamed.body).error.code).toBe('IMMUNE_ERR_INGEST_TOO_LARGE')
    const batch = await post(JSON.stringify(Array(11).fill({ kind: 'http', method: 'GET', path: '/' })))
    expect(batch.status).toBe(413)
    expect(batch.json.error.code).toBe('IMMUNE_ERR_INGEST_BATCH_TOO_LARGE')
    const after = await post(JSON.stringify(valid))
    expect(after.status).toBe(200)
    expect(after.json.verdict).toBe('allow')
  })

  it('refuses other methods and media types', async () => {
    const get = await post('', {}, 'GET')
    expect(get.status).toBe(405)
    expect(get.json.error.code).toBe('IMMUNE_ERR_INGEST_METHOD')
    const form = await post(JSON.stringify(valid), { 'content-type': 'text/plain' })
    expect(form.status).toBe(415)
    expect(form.json.error.code).toBe('IMMUNE_ERR_INGEST_MEDIA_TYPE')
    const none = await post(JSON.stringify(valid), {})
    // fetch sets text/plain for a string body; the server must refuse it (a browser could send the same cross-site)
    expect(none.status).toBe(415)
  })

  it('answers 500 when scoring fails, and keeps serving', async () => {
    fail = true
    const r = await post(JSON.stringify(valid))
    expect(r.status).toBe(500)
    expect(r.json.error.code).toBe('IMMUNE_ERR_INTERNAL')
    fail = false
    expect((await post(JSON.stringify(valid))).status).toBe(200)
  })
})
