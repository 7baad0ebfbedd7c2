/**
 * File paths: does the value, used as (part of) a file name, leave the
 * directory it was meant for, or cut the name short?
 *
 *   traversal   `..` segments (`/` or `\` separated, as the decoded value
 *               reads) that climb above where the value starts (above the
 *               root for a URL path, which servers normalise otherwise);
 *               breaking token: the first `..` that climbs;
 *   system file an absolute path (`/…`, `C:\…`, `file:`) to a file of the
 *               operating system or a server secret (`/etc/passwd`,
 *               `win.ini`, `WEB-INF/web.xml`, `.ssh/`, …);
 *   null byte   a NUL character, which C-based file APIs read as the end of
 *               the name (`x.php\0.jpg`);
 *   system file inside a value: a separator then a system file, anywhere in
 *               the value (`queso/etc/shadow`, `x file:///etc/passwd`,
 *               `C:\data\..\boot.ini`), ending at a name boundary
 *               (`/etc/hosts-guide` is not `/etc/hosts`). An appended
 *               payload, or text about system files.
 *
 * A segment of three or more dots followed by a separator (`....//`) counts
 * as a climb: a filter that strips `../` once turns it into one.
 *
 * Strong: climbing two or more levels, above the root of a URL path, or to a
 * system file; a system file by absolute path; a NUL followed by an
 * extension. Weak: one level up (`../img/a.png` is also a relative link),
 * any other NUL, a system file inside a value (a support ticket may name
 * `/etc/hosts`). Not read in the request path itself (grammars/probe.ts
 * reads that).
 */
import type { Work } from '../decode.js'
import type { GrammarFinding } from './grammar.js'

const SYSTEM_FILES = ['etc/passwd', 'etc/shadow', 'etc/group', 'etc/hosts', 'etc/issue', 'etc/motd', 'proc/self/', 'proc/version', 'win.ini', 'boot.ini',
  'system32', 'windows/system', '.ssh/', 'id_rsa', 'authorized_keys', '.htpasswd', '.htaccess', 'web-inf/web.xml', 'web.config', '/.env', '.git/config',
  'bash_history', 'var/log/', 'etc/nginx/', 'etc/apache2/', 'etc/httpd/']

function isSep (c: number): boolean { return c === 47 || c === 92 }

/** Whether text[from, to) is only dots. */
function dotsOnly (text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (text.charCodeAt(k) !== 46) return false
  return true
}

/** The system file named in text (lower-case, `\` read as `/`), or ''. */
function systemFile (lower: string): string {
  for (const f of SYSTEM_FILES) if (lower.includes(f)) return f
  return ''
}

function isNameChar (c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95
}

/** A system file after a separator anywhere in `lower` (lower-case, `\` read as `/`) that ends at a name boundary: its offset and name, or null. */
function systemFileInside (lower: string, work: Work): { offset: number, file: string } | null {
  let best: { offset: number, file: string } | null = null
  for (const f of SYSTEM_FILES) {
    work.n += lower.length
    const sepInside = f.charCodeAt(0) === 47
    let i = lower.indexOf(f)
    while (i >= 0) {
      const before = sepInside || (i > 0 && lower.charCodeAt(i - 1) === 47)
      const end = i + f.length
      const after = f.charCodeAt(f.length - 1) === 47 || end >= lower.length || !isNameChar(lower.charCodeAt(end))
      if (before && after) {
        const at = sepInside ? i : i - 1
        if (best == null || at < best.offset) best = { offset: at, file: f }
        break
      }
      i = lower.indexOf(f, i + 1)
    }
  }
  return best
}

/** Path findings of one decoded value; `urlPath` when the value is the request path itself. */
export function inspectPath (text: string, urlPath: boolean, work: Work, out: GrammarFinding[]): void {
  const len = text.length
  work.n += len
  // null byte
  const nul = text.indexOf('\0')
  if (nul >= 0) {
    let j = nul + 1
    while (j < len && text.charCodeAt(j) === 0) j++
    const ext = j + 1 < len && text.charCodeAt(j) === 46 && /[A-Za-z0-9]/.test(text[j + 1])
    out.push({ grammar: 'path', context: 'file name', token: '\\0', offset: nul, span: text.slice(nul, Math.min(len, nul + 32)), fingerprint: ext ? 'NUL.ext' : 'NUL', strength: ext ? 'strong' : 'weak', why: ext ? 'a NUL byte ends the file name before its extension' : 'a NUL byte ends the file name' })
  }
  // traversal: depth relative to where the value starts (the root for a URL path)
  if (text.indexOf('..') >= 0) {
    let depth = 0
    let climbs = 0
    let first = -1
    let segStart = 0
    for (let i = 0; i <= len; i++) {
      if (i < len && !isSep(text.charCodeAt(i))) continue
      const segLen = i - segStart
      if ((segLen >= 2 && text.charCodeAt(segStart) === 46 && text.charCodeAt(segStart + 1) === 46 && (segLen === 2 || text.charCodeAt(segStart + 2) === 59)) ||
        (segLen >= 3 && i < len && dotsOnly(text, segStart, i))) {
        depth--
        if (depth < 0) { climbs++; if (first < 0) first = segStart; depth = 0 }
      } else if (!(segLen === 0 || (segLen === 1 && text.charCodeAt(segStart) === 46))) {
        depth++
      }
      segStart = i + 1
    }
    if (climbs > 0) {
      const lower = text.toLowerCase().replace(/\\/g, '/')
      const target = systemFile(lower)
      const strong = climbs >= 2 || urlPath || target !== ''
      out.push({ grammar: 'path', context: urlPath ? 'URL path' : 'relative file name', token: '..', offset: first, span: text.slice(first, Math.min(len, first + 256)), fingerprint: `../×${climbs}${target !== '' ? ' ' + target : ''}`, strength: strong ? 'strong' : 'weak', why: `climbs ${climbs} level${climbs > 1 ? 's' : ''} above ${urlPath ? 'the root' : 'where it starts'}${target !== '' ? ` to ${target}` : ''}` })
      return
    }
  }
  // an absolute path to a system file
  let i = 0
  while (i < len && text.charCodeAt(i) <= 32) i++
  const c = text.charCodeAt(i)
  const drive = ((c | 0x20) >= 97 && (c | 0x20) <= 122) && text.charCodeAt(i + 1) === 58 && isSep(text.charCodeAt(i + 2))
  const file = text.slice(i, i + 5).toLowerCase() === 'file:'
  if (!urlPath && (isSep(c) || drive || file)) {
    const lower = text.slice(i, i + 512).toLowerCase().replace(/\\/g, '/')
    const target = systemFile(lower)
    if (target !== '' && !/\s/.test(lower.slice(0, lower.indexOf(target)))) {
      out.push({ grammar: 'path', context: 'file name', token: text.slice(i, i + (drive ? 3 : file ? 5 : 1)), offset: i, span: text.slice(i, Math.min(len, i + 256)), fingerprint: `abs ${target}`, strength: 'strong', why: `is an absolute path to a system file (${target})` })
      return
    }
  }
  // a system file anywhere in the value, after a separator
  if (!urlPath && (text.indexOf('/') >= 0 || text.indexOf('\\') >= 0)) {
    const inside = systemFileInside(text.toLowerCase().replace(/\\/g, '/'), work)
    if (inside != null) {
      out.push({ grammar: 'path', context: 'file name (inside the value)', token: text.slice(inside.offset, inside.offset + 1), offset: inside.offset, span: text.slice(inside.offset, Math.min(len, inside.offset + 256)), fingerprint: `in ${inside.file}`, strength: 'weak', why: `names a system file (${inside.file}) inside the value` })
    }
  }
}
