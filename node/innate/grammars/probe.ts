/**
 * Probes: does the request ask for something that a web application never
 * serves to its users, the footprint of a scanner looking for a way in?
 * Not an injection (nothing breaks out of a syntax): the request path is
 * read as a file name, segment by segment (decoded, `\` read as `/`, case
 * folded, `;params` and trailing dots and spaces dropped from a segment, as
 * servlet containers and Windows file systems drop them), and the method as
 * a verb on that file.
 *
 *   P1 backup copy    the last segment is a backup, editor or temporary copy
 *                     of a file: `.bak .bkp .backup .old .orig .rej .swp
 *                     .swo`, a trailing `~`, `#name#` (strong); `.tmp .temp
 *                     .save .sav .copy` (weak). Served as plain text, such a
 *                     copy discloses the source of the file it copies.
 *   P2 source         the last segment is a server-side include (`.inc`,
 *                     strong) or the source of a compiled language that
 *                     servers run but never serve (`.java .cs .vb .csproj
 *                     .vbproj .sln`, weak); an NTFS stream name
 *                     (`index.asp::$DATA`, strong) reads a script's source.
 *   P3 metadata       a segment that is version-control, IDE or server
 *                     metadata: `.git .svn .hg .bzr`, `CVS/Entries|Root|
 *                     Repository`, `.DS_Store`, `.env` (and `.env.*`),
 *                     `.htaccess .htpasswd .htdigest`, `.idea .vscode`,
 *                     `.ssh .aws .npmrc`, `WEB-INF META-INF` (which servlet
 *                     containers must not serve), `web.config` (strong).
 *                     Other dot segments are not findings: `.well-known`
 *                     (RFC 8615), `/.auth` (Azure App Service) and
 *                     `/.netlify` are real routes.
 *   P4 config, data   the last segment is a configuration file, a log, a
 *                     database file or a private-key store: `.conf .cnf .cfg
 *                     .config .ini .log .sql .mdb .sqlite .ppk .pfx .p12
 *                     .jks` (weak).
 *   P5 script behind  a static file (image, style sheet, font) used as a
 *      a static file  directory, with a server-side script after it
 *                     (`/avatar.jpg/x.php`: servers with `path_info` run the
 *                     image as a script; strong).
 *   M1 method         (inspectMethod) TRACE, TRACK, DEBUG (cross-site
 *                     tracing, IIS debugging: strong); a method that writes
 *                     (PUT, PATCH, DELETE, MOVE, COPY) on a server-side
 *                     script (`.jsp .php .asp …`: uploading or replacing
 *                     code, e.g. Tomcat's CVE-2017-12615) or a method name
 *                     that is no registered HTTP method (weak).
 *
 * One finding per path: metadata and a script behind a static file first
 * (strong), then the last segment's. Each is a small lexicon of file-name conventions that no learned profile
 * is needed to know, in the spirit of CRS's restricted-extension and
 * restricted-file rules but written from what each convention means, not
 * copied; docs/detection.md lists the limits (an application that really
 * serves such files turns `probe` off for them with `innate.ignore`).
 * A REST route with a new method (`DELETE /api/items/7`) and a new path are
 * not probes: living applications add both (issue 9).
 */
import type { Work } from '../decode.js'
import type { InnateStrength } from '../types.js'
import type { GrammarFinding } from './grammar.js'

const BACKUP_STRONG = new Set(['bak', 'bkp', 'backup', 'old', 'orig', 'rej', 'swp', 'swo'])
const BACKUP_WEAK = new Set(['tmp', 'temp', 'save', 'sav', 'copy'])
const SOURCE_WEAK = new Set(['java', 'cs', 'vb', 'csproj', 'vbproj', 'sln'])
const CONFIG_WEAK = new Set(['conf', 'cnf', 'cfg', 'config', 'ini', 'log', 'sql', 'mdb', 'sqlite', 'ppk', 'pfx', 'p12', 'jks'])
const METADATA = new Set(['.git', '.svn', '.hg', '.bzr', '.ds_store', '.env', '.htaccess', '.htpasswd', '.htdigest', '.idea', '.vscode', '.ssh', '.aws', '.npmrc',
  'web-inf', 'meta-inf', 'web.config'])
const CVS_FILES = new Set(['entries', 'root', 'repository'])
const STATIC = new Set(['gif', 'jpg', 'jpeg', 'png', 'bmp', 'ico', 'webp', 'svg', 'css', 'woff', 'woff2', 'ttf', 'eot'])
/** Extensions that servers run as code. */
export const SCRIPT_EXTENSIONS: ReadonlySet<string> = new Set(['php', 'php3', 'php4', 'php5', 'php7', 'pht', 'phtml', 'phar', 'jsp', 'jspx', 'asp', 'aspx', 'ashx', 'asmx', 'asa',
  'cgi', 'pl', 'cfm', 'shtml'])
/** The IANA HTTP Method Registry (RFC 9110 and the WebDAV, versioning, binding, calendaring and query extensions). */
const REGISTERED_METHODS = new Set(['ACL', 'BASELINE-CONTROL', 'BIND', 'CHECKIN', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LABEL', 'LINK', 'LOCK',
  'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MKREDIRECTREF', 'MKWORKSPACE', 'MOVE', 'OPTIONS', 'ORDERPATCH', 'PATCH', 'POST', 'PRI', 'PROPFIND', 'PROPPATCH',
  'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'TRACE', 'UNBIND', 'UNCHECKOUT', 'UNLINK', 'UNLOCK', 'UPDATE', 'UPDATEREDIRECTREF', 'VERSION-CONTROL'])
const TRACING = new Set(['TRACE', 'TRACK', 'DEBUG'])
const WRITES = new Set(['PUT', 'PATCH', 'DELETE', 'MOVE', 'COPY'])
/** Segments read per path (a longer path is read up to here). */
const MAX_SEGMENTS = 64

/** text[from, to) in lower case, for a lexicon lookup (offsets are taken from the text, never from this). */
function asciiLower (text: string, from: number, to: number): string {
  return text.slice(from, to).toLowerCase()
}

/** Segment bounds of the path ([start, end) pairs), each without `;params` and trailing dots and spaces; empty segments dropped. */
function segments (text: string, work: Work, out: number[]): number {
  out.length = 0
  const len = text.length
  work.n += len
  let start = 0
  let end = -1
  for (let i = 0; i <= len && out.length < 2 * MAX_SEGMENTS; i++) {
    const c = i < len ? text.charCodeAt(i) : 47
    if (c === 59 && end < 0) end = i
    if (c !== 47 && c !== 92) continue
    let e = end < 0 ? i : end
    while (e > start && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 32)) e--
    if (e > start) out.push(start, e)
    start = i + 1
    end = -1
  }
  return out.length / 2
}

/** The lower-case extension of text[s, e) ('' when it has no dot or one longer than 8 characters). */
function extensionAt (text: string, s: number, e: number): string {
  let k = e - 1
  while (k >= s && k >= e - 9 && text.charCodeAt(k) !== 46) k--
  return k < s || text.charCodeAt(k) !== 46 ? '' : asciiLower(text, k + 1, e)
}

/** Whether text[s, e) may be a metadata name (cheap test before the lexicon). */
function metadataCandidate (text: string, s: number, e: number): boolean {
  const c = text.charCodeAt(s) | 0x20
  const n = e - s
  return c === 46 || (n === 3 && c === 99) || (n === 7 && c === 119) || (n === 8 && c === 109) || (n === 10 && c === 119)
}


function finding (context: string, token: string, offset: number, span: string, fingerprint: string, strength: InnateStrength, why: string): GrammarFinding {
  return { grammar: 'probe', context, token, offset, span: span.slice(0, 256), fingerprint, strength, why }
}

const bounds: number[] = []

/** Probe findings of one decoded request path (at most one: the first strong one, else the first weak one). */
export function inspectProbe (text: string, work: Work, out: GrammarFinding[]): void {
  const n = segments(text, work, bounds)
  if (n === 0) return
  const lastS = bounds[2 * n - 2]
  const lastE = bounds[2 * n - 1]
  // P3 metadata, P5 a script behind a static file: any segment
  for (let k = 0; k < n; k++) {
    const s = bounds[2 * k]
    const e = bounds[2 * k + 1]
    if (metadataCandidate(text, s, e)) {
      const name = asciiLower(text, s, e)
      if (METADATA.has(name) || name.startsWith('.env.') || (name === 'cvs' && k + 1 < n && CVS_FILES.has(asciiLower(text, bounds[2 * k + 2], bounds[2 * k + 3])))) {
        out.push(finding('URL path (metadata)', text.slice(s, e), s, text.slice(s), `meta ${name}`, 'strong', `asks for ${name}, version-control, IDE or server metadata that is never served`))
        return
      }
    }
    if (k + 1 < n && STATIC.has(extensionAt(text, s, e))) {
      const script = extensionAt(text, lastS, lastE)
      if (SCRIPT_EXTENSIONS.has(script)) {
        const name = text.slice(s, e)
        out.push(finding('URL path (static file as directory)', name, s, text.slice(s), `static/${script}`, 'strong', `uses the static file ${name} as a directory before the script ${text.slice(lastS, lastE)} (run as a script where path_info is on)`))
        return
      }
    }
  }
  // P1, P2, P4: the last segment
  const f = lastSegmentFinding(text, lastS, lastE)
  if (f != null) out.push(f)
}

/** P1, P2, P4 on the last segment text[s, e): a strong finding when there is one, else a weak one, else null. */
function lastSegmentFinding (text: string, s: number, e: number): GrammarFinding | null {
  const len = e - s
  const last = text.charCodeAt(e - 1)
  if (len >= 2 && last === 126) return finding('URL path (backup copy)', '~', e - 1, text.slice(s), 'backup ~', 'strong', `asks for an editor's backup copy of ${text.slice(s, e - 1)}`)
  if (len >= 3 && last === 35 && text.charCodeAt(s) === 35) return finding('URL path (backup copy)', '#', s, text.slice(s), 'backup #', 'strong', `asks for an editor's autosave copy of ${text.slice(s + 1, e - 1)}`)
  const colons = text.indexOf('::', s)
  if (colons >= 0 && colons < e && asciiLower(text, colons, Math.min(e, colons + 7)) === '::$data') {
    return finding('URL path (file stream)', text.slice(colons, colons + 7), colons, text.slice(s), 'stream', 'strong', 'names the NTFS data stream of a file, which serves its source')
  }
  const ext = extensionAt(text, s, e)
  if (ext === '') return null
  const dot = e - ext.length - 1
  const stem = (): string => { const x = text.slice(s, dot); return x === '' ? 'a file' : x }
  if (BACKUP_STRONG.has(ext) || BACKUP_WEAK.has(ext)) {
    return finding('URL path (backup copy)', text.slice(dot, e), dot, text.slice(s), `backup .${ext}`, BACKUP_STRONG.has(ext) ? 'strong' : 'weak', `asks for a backup or temporary copy (.${ext}) of ${stem()}`)
  }
  if (ext === 'inc' || SOURCE_WEAK.has(ext)) {
    return finding('URL path (source file)', text.slice(dot, e), dot, text.slice(s), `source .${ext}`, ext === 'inc' ? 'strong' : 'weak', `asks for ${ext === 'inc' ? 'a server-side include' : 'source code'} (.${ext}) that servers run but do not serve`)
  }
  if (CONFIG_WEAK.has(ext)) return finding('URL path (configuration or data)', text.slice(dot, e), dot, text.slice(s), `config .${ext}`, 'weak', `asks for a configuration, log, database or key file (.${ext})`)
  return null
}

/** The M1 finding of a request's method on its path, or null. `path` is the path as received (its last segment is read for the extension). */
export function inspectMethod (method: string, path: string, work: Work): GrammarFinding | null {
  const m = method.toUpperCase()
  work.n += m.length
  if (TRACING.has(m)) return finding('request method', method, 0, method, `method ${m}`, 'strong', `is ${m}, which echoes or debugs requests (cross-site tracing) and no application needs`)
  if (!REGISTERED_METHODS.has(m)) return finding('request method', method.slice(0, 64), 0, method.slice(0, 64), 'method ?', 'weak', 'is no registered HTTP method (a scanner trying verbs)')
  if (!WRITES.has(m)) return null
  const q = path.indexOf('?')
  const p = q >= 0 ? path.slice(0, q) : path
  const n = segments(p, work, bounds)
  if (n === 0) return null
  const last = p.slice(bounds[2 * n - 2], bounds[2 * n - 1])
  const ext = extensionAt(p, bounds[2 * n - 2], bounds[2 * n - 1])
  if (!SCRIPT_EXTENSIONS.has(ext)) return null
  return finding('request method', method, 0, `${method} ${last}`.slice(0, 256), `write .${ext}`, 'weak', `writes (${m}) the server-side script ${last}: uploading or replacing code`)
}
