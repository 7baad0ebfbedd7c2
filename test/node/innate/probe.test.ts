import { describe, expect, it } from 'vitest'
import { createInnateDetector } from '../../../node/innate/index.js'

const d = createInnateDetector()
const atPath = (path: string) => d.inspect(path, { location: 'path', name: '', encoding: 'url' }).findings.filter((f) => f.grammar === 'probe')
const request = (method: string, path: string) => d.inspectHttp({ method, path, query: '', body: '', headers: {} }).findings.filter((f) => f.grammar === 'probe')

/** [path, strength, context, breaking token, offset] */
const PROBES: Array<[string, 'weak' | 'strong', string, string, number]> = [
  ['/shop/cart.jsp.bak', 'strong', 'URL path (backup copy)', '.bak', 14],
  ['/tienda1/publico/caracteristicas.jsp.Old', 'strong', 'URL path (backup copy)', '.Old', 36],
  ['/images.BAK', 'strong', 'URL path (backup copy)', '.BAK', 7],
  ['/.bak', 'strong', 'URL path (backup copy)', '.bak', 1],
  ['/index.php~', 'strong', 'URL path (backup copy)', '~', 10],
  ['/admin/.login.php.swp', 'strong', 'URL path (backup copy)', '.swp', 17],
  ['/%23index.php%23', 'strong', 'URL path (backup copy)', '#', 1],
  ['/app/settings.php.orig', 'strong', 'URL path (backup copy)', '.orig', 17],
  ['/report.tmp', 'weak', 'URL path (backup copy)', '.tmp', 7],
  ['/includes/db.inc', 'strong', 'URL path (source file)', '.inc', 12],
  ['/src/Main.java', 'weak', 'URL path (source file)', '.java', 9],
  ['/default.aspx::$DATA', 'strong', 'URL path (file stream)', '::$DATA', 13],
  ['/.git/config', 'strong', 'URL path (metadata)', '.git', 1],
  ['/app/.svn/entries', 'strong', 'URL path (metadata)', '.svn', 5],
  ['/CVS/Entries', 'strong', 'URL path (metadata)', 'CVS', 1],
  ['/.DS_Store', 'strong', 'URL path (metadata)', '.DS_Store', 1],
  ['/.env.production', 'strong', 'URL path (metadata)', '.env.production', 1],
  ['/WEB-INF/web.xml', 'strong', 'URL path (metadata)', 'WEB-INF', 1],
  ['/a/web.config', 'strong', 'URL path (metadata)', 'web.config', 3],
  ['/.htaccess', 'strong', 'URL path (metadata)', '.htaccess', 1],
  ['/backup/dump.sql', 'weak', 'URL path (configuration or data)', '.sql', 12],
  ['/_cti_pvt/access.cnf', 'weak', 'URL path (configuration or data)', '.cnf', 16],
  ['/uploads/avatar.jpg/x.php', 'strong', 'URL path (static file as directory)', 'avatar.jpg', 9],
  // decoded as the server decodes it, `;params` and trailing dots dropped
  ['/%2egit/HEAD', 'strong', 'URL path (metadata)', '.git', 1],
  ['/x.bak;jsessionid=0A1B', 'strong', 'URL path (backup copy)', '.bak', 2],
  ['/web.config.', 'strong', 'URL path (metadata)', 'web.config', 1]
]

describe('probe grammar: scanners\' footprints in the request path', () => {
  for (const [path, strength, context, token, offset] of PROBES) {
    it(path, () => {
      const fs = atPath(path)
      expect(fs, JSON.stringify(d.inspect(path, { location: 'path', name: '', encoding: 'url' }).findings)).toHaveLength(1)
      expect(fs[0]).toMatchObject({ strength, context, token, offset, location: 'path' })
      expect(fs[0].explanation).toContain('probe')
    })
  }
})

/** Paths that living applications and their clients really use. */
const BENIGN_PATHS = ['/', '/index.html', '/tienda1/publico/anadir.jsp', '/api/v1/items/123', '/api/backups', '/api/old-orders', '/static/app.3f2a1b9c.js',
  '/static/main.4c1d.css.map', '/.well-known/acme-challenge/Xy9_ab', '/.well-known/security.txt', '/.auth/login/aad/callback', '/.netlify/functions/subscribe',
  '/~alice/', '/~alice/cv.pdf', '/index.php/blog/12', '/downloads/setup-2.4.1.exe', '/_framework/App.dll', '/blog/2024/01/the-bold-and-the-old',
  '/docs/config/', '/settings/backup', '/releases/v1.2.3', '/tmp/', '/old/', '/docs/etc/', '/guides/web.configuration', '/product/tea.green',
  '/product/red-wine;jsessionid=0A1B2C3D', '/images/photo.jpg', '/images/photo.jpg/comments', '/files/report.pdf/download', '/stores/cvs/pharmacy',
  '/webinf', '/meta-info', '/robots.txt', '/sitemap.xml', '/favicon.ico', '/feed.xml', '/sw.js', '/a/b/../c']

describe('probe grammar: paths of living applications', () => {
  for (const path of BENIGN_PATHS) {
    it(path, () => { expect(atPath(path)).toEqual([]) })
  }
})

describe('probe grammar: the method on the path (M1)', () => {
  it('flags tracing methods as strong, writes on server-side scripts and unregistered methods as weak', () => {
    expect(request('TRACE', '/')[0]).toMatchObject({ location: 'method', name: '', strength: 'strong', token: 'TRACE', context: 'request method' })
    expect(request('track', '/x')[0]).toMatchObject({ strength: 'strong', token: 'track' })
    expect(request('PUT', '/tienda1/publico/registro.jsp')[0]).toMatchObject({ location: 'method', strength: 'weak', fingerprint: 'write .jsp' })
    expect(request('MOVE', '/uploads/x.php?dest=1')[0]).toMatchObject({ strength: 'weak', fingerprint: 'write .php' })
    expect(request('JEFF', '/')[0]).toMatchObject({ strength: 'weak', fingerprint: 'method ?' })
  })

  it('leaves REST routes, WebDAV and object storage alone, whatever the method', () => {
    const benign: Array<[string, string]> = [['GET', '/x.jsp'], ['POST', '/login.php'], ['PUT', '/api/items/7'], ['DELETE', '/api/items/7'], ['PATCH', '/api/users/ana'],
      ['PUT', '/bucket/photos/a1b2.jpg'], ['DELETE', '/dav/files/ana/notes.txt'], ['PROPFIND', '/dav/files/ana/'], ['MKCOL', '/dav/files/ana/music/'],
      ['OPTIONS', '/api/items'], ['HEAD', '/index.php'], ['CONNECT', 'example.org:443'], ['QUERY', '/api/search']]
    for (const [m, p] of benign) expect(request(m, p), `${m} ${p}`).toEqual([])
  })

  it('reads the path of a request with a method finding too, and is turned off with the probe grammar', () => {
    const r = d.inspectHttp({ method: 'PUT', path: '/shell.jsp', query: 'a=1', body: '', headers: {} })
    expect(r.findings.map((f) => `${f.location}:${f.grammar}`)).toEqual(['method:probe'])
    expect(d.inspectHttp({ method: 'PUT', path: '/shell.jsp', query: '', body: '', headers: {} }, (l) => l === 'method' ? ['probe'] : false).findings).toEqual([])
    expect(d.inspectHttp({ method: 'PUT', path: '/.git/x.jsp', query: '', body: '', headers: {} }, (l) => l === 'path' ? ['probe'] : false).findings.map((f) => f.location)).toEqual(['method'])
    const off = createInnateDetector({ grammars: ['sql', 'html'] })
    expect(off.inspectHttp({ method: 'TRACE', path: '/.git/config', query: '', body: '', headers: {} }).findings).toEqual([])
  })

  it('reads the probe grammar in the request path only, never in a parameter value', () => {
    expect(d.inspect('backup.bak', { location: 'query', name: 'file', encoding: 'form' }).findings).toEqual([])
    expect(d.inspect('/.git/config', { location: 'body', name: 'path', encoding: 'form' }).findings.filter((f) => f.grammar === 'probe')).toEqual([])
  })
})
