import { describe, expect, it } from 'vitest'
import { RawHttpParseError } from '../../../node/errors.js'
import { parseRawHttpRequest, parseRawHttpRequests, splitRawHttpRequests, splitRequestTarget } from '../../../node/sensors/raw-http.js'

const GET = [
  'GET http://localhost:8080/tienda1/publico/anadir.jsp?id=3&nombre=Vino+Rioja HTTP/1.1',
  'User-Agent: Mozilla/5.0',
  'Host: localhost:8080',
  'Cookie: JSESSIONID=81761ACA',
  'Connection: close',
  '',
  ''
]
const POST = [
  'POST http://localhost:8080/tienda1/publico/anadir.jsp HTTP/1.1',
  'Host: localhost:8080',
  'Content-Type: application/x-www-form-urlencoded',
  'Content-Length: 22',
  '',
  'id=3&nombre=Vino+Rioja',
  ''
]

describe('raw-http', () => {
  it('parses an absolute-form GET: path without query, raw query, lower-case selected headers', () => {
    const o = parseRawHttpRequest(GET.join('\r\n'), { time: 5, source: '203.0.113.7' })
    expect(o).toMatchObject({ kind: 'http', time: 5, method: 'GET', path: '/tienda1/publico/anadir.jsp', query: 'id=3&nombre=Vino+Rioja', body: '', source: '203.0.113.7' })
    expect(o.headers).toEqual({ 'user-agent': 'Mozilla/5.0', host: 'localhost:8080', cookie: 'JSESSIONID=81761ACA' })
  })

  it('reads the form body and is insensitive to CRLF versus LF', () => {
    const crlf = parseRawHttpRequest(POST.join('\r\n') + '\r\n')
    const lf = parseRawHttpRequest(POST.join('\n'))
    expect(crlf.body).toBe('id=3&nombre=Vino+Rioja')
    expect(lf).toEqual(crlf)
    expect(crlf.headers['content-type']).toBe('application/x-www-form-urlencoded')
  })

  it('splits a dump of several requests, bodies included', () => {
    const text = [...GET, ...POST, ...GET].join('\r\n')
    const parts = splitRawHttpRequests(text)
    expect(parts).toHaveLength(3)
    const all = parseRawHttpRequests(text, { time: 100, stepMs: 10 })
    expect(all.map((o) => [o.method, o.time, o.body])).toEqual([['GET', 100, ''], ['POST', 110, 'id=3&nombre=Vino+Rioja'], ['GET', 120, '']])
  })

  it('handles origin-form, fragments, bare authorities and empty paths', () => {
    expect(splitRequestTarget('/a/b?x=1#frag')).toEqual({ path: '/a/b', query: 'x=1' })
    expect(splitRequestTarget('http://localhost:8080.old')).toEqual({ path: '/', query: '' })
    expect(splitRequestTarget('https://h/p%20q?')).toEqual({ path: '/p%20q', query: '' })
    expect(parseRawHttpRequest('put /x HTTP/1.0\n\n').method).toBe('PUT')
  })

  it('rejects text without a request line with IMMUNE_ERR_RAW_HTTP', () => {
    for (const text of ['hello world\n\n', '\n\n', 'id=3&x=4']) {
      let caught: unknown
      try { parseRawHttpRequest(text) } catch (err) { caught = err }
      expect(caught).toBeInstanceOf(RawHttpParseError)
      expect((caught as RawHttpParseError).code).toBe('IMMUNE_ERR_RAW_HTTP')
    }
  })
})
