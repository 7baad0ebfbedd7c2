import { describe, expect, it } from 'vitest'
import { accessLineToObservation, parseAccessLogLine, parseLogTime, parseRequestLine, splitTarget, unescapeLogField } from '../../../node/sensors/access-log-parse.js'

const ok = (line: string) => {
  const r = parseAccessLogLine(line)
  if (!r.ok) throw new Error(`expected ok, got ${r.reason} for ${line}`)
  return r.line
}

describe('access-log line parsing', () => {
  it('parses the Apache common format', () => {
    const l = ok('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?a=1&b=%20x HTTP/1.0" 200 2326')
    expect(l.format).toBe('common')
    expect(l.remoteHost).toBe('127.0.0.1')
    expect(l.remoteUser).toBe('frank')
    expect(l.method).toBe('GET')
    expect(l.path).toBe('/apache_pb.gif')
    expect(l.query).toBe('a=1&b=%20x')
    expect(l.protocol).toBe('HTTP/1.0')
    expect(l.status).toBe(200)
    expect(l.bytes).toBe(2326)
    expect(l.time).toBe(Date.UTC(2000, 9, 10, 20, 55, 36))
    expect(l.referer).toBeUndefined()
  })

  it('parses the combined format (Apache and nginx default are the same)', () => {
    const line = '203.0.113.7 - - [22/Nov/2026:14:13:55 +0000] "POST /shop/cart.jsp HTTP/1.1" 302 - "http://shop.example/item.jsp?id=3" "Mozilla/5.0 (X11; Linux x86_64)"'
    const l = ok(line)
    expect(l.format).toBe('combined')
    expect(l.remoteUser).toBeUndefined()
    expect(l.bytes).toBeUndefined()
    expect(l.referer).toBe('http://shop.example/item.jsp?id=3')
    expect(l.userAgent).toBe('Mozilla/5.0 (X11; Linux x86_64)')
    const o = accessLineToObservation(l, 'shop')
    expect(o).toEqual({
      kind: 'http',
      time: Date.UTC(2026, 10, 22, 14, 13, 55),
      method: 'POST',
      path: '/shop/cart.jsp',
      query: '',
      body: '',
      headers: { referer: 'http://shop.example/item.jsp?id=3', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' },
      source: '203.0.113.7',
      cell: 'shop',
      status: 302
    })
  })

  it('tolerates nginx "main" with an extra x-forwarded-for field, and drops "-" headers', () => {
    const l = ok('10.0.0.1 - - [01/Jan/2024:00:00:00 +0100] "GET /a?x=1 HTTP/2.0" 404 153 "-" "curl/8.0" "198.51.100.2"')
    expect(l.format).toBe('combined')
    expect(l.time).toBe(Date.UTC(2023, 11, 31, 23, 0, 0))
    const o = accessLineToObservation(l)
    expect(o.headers).toEqual({ 'user-agent': 'curl/8.0' })
    expect(o.cell).toBeUndefined()
  })

  it('decodes escaped quotes and bytes in the request (Apache \\" and nginx \\x22)', () => {
    const apache = ok(String.raw`192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /q?s=\"><script> HTTP/1.1" 200 5 "-" "x \"y\""`)
    expect(apache.query).toBe('s="><script>')
    expect(apache.userAgent).toBe('x "y"')
    const nginx = ok(String.raw`192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /q?s=\x22\xC3\xA9 HTTP/1.1" 200 5 "-" "-"`)
    expect(nginx.query).toBe('s="é')
    expect(unescapeLogField(String.raw`a\\b\n`)).toBe('a\\b\n')
  })

  it('accepts IPv6 clients, host names (no source), and absolute-form targets', () => {
    const v6 = accessLineToObservation(ok('2001:db8::1 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1'))
    expect(v6.source).toBe('2001:db8::1')
    const mapped = accessLineToObservation(ok('::ffff:192.0.2.9 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1'))
    expect(mapped.source).toBe('192.0.2.9')
    const named = accessLineToObservation(ok('client.example.org - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1'))
    expect(named.source).toBeUndefined()
    const abs = ok('192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] "GET http://example.com/p/q?z=9 HTTP/1.1" 200 1')
    expect([abs.path, abs.query]).toEqual(['/p/q', 'z=9'])
  })

  it('skips malformed lines with a reason, never throws', () => {
    const cases: Array<[string, string]> = [
      ['', 'syntax'],
      ['garbage', 'syntax'],
      ['1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200', 'syntax'],
      ['1.2.3.4 - - [10/Oct/2000 13:55:36] "GET / HTTP/1.1" 200 1', 'time'],
      ['1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1', 'time'],
      ['1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "-" 408 0 "-" "-"', 'request'],
      ['1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\\x16\\x03\\x01\\x00" 400 157', 'request'],
      ['1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 20x 1', 'status'],
      ['1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1 200 1', 'syntax'],
      ['1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "G(T / HTTP/1.1" 200 1', 'request'],
      ['1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "OPTIONS * HTTP/1.1" 200 1', 'request']
    ]
    for (const [line, reason] of cases) {
      const r = parseAccessLogLine(line)
      expect(r, line).toEqual({ ok: false, reason })
    }
  })

  it('parses times with offsets and fractions, and rejects impossible ones', () => {
    expect(parseLogTime('01/Jan/2024:00:00:00 +0000')).toBe(Date.UTC(2024, 0, 1))
    expect(parseLogTime('01/Jan/2024:05:30:00 +0530')).toBe(Date.UTC(2024, 0, 1))
    expect(parseLogTime('01/Jan/2024:00:00:00.250 +0000')).toBe(Date.UTC(2024, 0, 1) + 250)
    expect(parseLogTime('01/Jan/2024:25:00:00 +0000')).toBeNaN()
  })

  it('splits request lines and targets', () => {
    expect(parseRequestLine('GET /a b HTTP/1.1')).toEqual({ method: 'GET', path: '/a b', query: '', protocol: 'HTTP/1.1' })
    expect(parseRequestLine('GET /old')).toEqual({ method: 'GET', path: '/old', query: '' })
    expect(splitTarget('/x?y=1#frag')).toEqual({ path: '/x', query: 'y=1' })
    expect(splitTarget('https://h:8443?a=1')).toEqual({ path: '/', query: 'a=1' })
    expect(splitTarget('*')).toBeNull()
  })
})
