/**
 * HTML: does the value, placed into a page, create markup? Contexts, as the
 * HTML5 tokenizer would read the value:
 *
 *   text             `<` + letter opens a tag (`<script`), `</` an end tag,
 *                    `<!--` a comment (a server-side include when `#exec`,
 *                    `#include`, … follows), `<!`/`<?` a declaration;
 *   quoted attribute `"` (or `'`) ends the value, then an attribute or `>`
 *                    and a tag follows (`" onmouseover=…`, `"><script>`);
 *   unquoted attribute whitespace, then an event handler (`x onload=…`);
 *   URL attribute    the value is a `javascript:`/`vbscript:` URL with code
 *                    after the scheme, or a `data:text/html` URL (tab, CR, LF
 *                    inside the scheme are ignored, as by browsers);
 *   link in text     a script URL inside the value, where a link or an
 *                    attribute made from the text would start (Markdown's
 *                    `[x](javascript:…)`, an auto-linker, a payload appended
 *                    to a value): `javascript:`/`vbscript:` followed by code
 *                    (a call, a tagged template or an assignment), or a
 *                    `data:` URL of HTML or SVG after a word boundary.
 *
 * Strong: a tag that runs script or loads content (script, iframe, object,
 * embed, svg, meta, base, link, style, …), an event-handler attribute, a
 * script URL in any attribute, CSS `expression(`/`url(javascript:`, a
 * server-side include, `<?php`. Weak: any other tag (`<b>`, `<a href=…>`),
 * an end tag, a comment or declaration, a script URL inside text (a
 * developers' forum may write `javascript:void(0)`).
 */
import type { Work } from '../decode.js'
import type { GrammarFinding } from './grammar.js'

const STRONG_TAGS = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'meta', 'base', 'link', 'svg', 'math', 'style',
  'xml', 'import', 'isindex', 'portal', 'set', 'animate', 'handler', 'listener', 'xss', 'bgsound', 'layer', 'ilayer', 'param', 'template'])
const SSI = new Set(['exec', 'include', 'echo', 'config', 'fsize', 'flastmod', 'printenv', 'set', 'if', 'elif', 'else', 'endif'])
const SCRIPT_SCHEMES = new Set(['javascript', 'vbscript', 'livescript', 'mocha'])
const MAX_TAGS = 64
const MAX_ATTRS = 32

function isAlpha (c: number): boolean { return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) }
function isSpace (c: number): boolean { return c === 32 || c === 9 || c === 10 || c === 12 || c === 13 }

/** The URL scheme at text[from…] as a browser reads it (leading spaces/controls skipped, tab/CR/LF inside ignored), lower-case; '' when none. */
export function schemeAt (text: string, from: number, end = text.length): string {
  let i = from
  while (i < end && text.charCodeAt(i) <= 32) i++
  let s = ''
  while (i < end && s.length < 16) {
    const c = text.charCodeAt(i)
    if (c === 9 || c === 10 || c === 13) { i++; continue }
    if (c === 58) return s
    if (!(isAlpha(c) || (s.length > 0 && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)))) return ''
    s += String.fromCharCode(c | 0x20)
    i++
  }
  return ''
}

/** Whether an attribute value runs script: a script URL, or a `data:` URL of HTML/SVG. */
function scriptUrl (v: string): boolean {
  const s = schemeAt(v, 0)
  if (SCRIPT_SCHEMES.has(s)) return true
  if (s === 'data') { const l = v.toLowerCase(); return l.includes('text/html') || l.includes('svg') || l.includes('xhtml') || l.includes('javascript') }
  return false
}

/** Whether a style value runs script (IE expression(), url(javascript:…), behavior:, -moz-binding). */
function scriptStyle (v: string): boolean {
  // lower-case, without backslashes (CSS escapes), whitespace and /* comments */: linear
  let l = ''
  for (let i = 0; i < v.length && l.length < 4096; i++) {
    const c = v.charCodeAt(i)
    if (c === 47 && v.charCodeAt(i + 1) === 42) { const e = v.indexOf('*/', i + 2); if (e < 0) break; i = e + 1; continue }
    if (c === 92 || isSpace(c)) continue
    l += String.fromCharCode(c >= 65 && c <= 90 ? c | 0x20 : c)
  }
  return l.includes('expression(') || l.includes('javascript:') || l.includes('vbscript:') || l.includes('behavior:') || l.includes('-moz-binding')
}

interface Attr { name: string, value: string }
interface Tag { name: string, attrs: Attr[], end: number, closed: boolean }

/** Reads the attributes of a tag from text[i…] (after its name) up to '>' or the end. Linear. */
function readAttributes (text: string, i: number, attrs: Attr[], work: Work): { end: number, closed: boolean } {
  const len = text.length
  const start = i
  while (i < len) {
    let c = text.charCodeAt(i)
    if (isSpace(c) || c === 47) { i++; continue }
    if (c === 62) { work.n += i - start; return { end: i + 1, closed: true } }
    // attribute name
    const ns = i
    while (i < len) { c = text.charCodeAt(i); if (isSpace(c) || c === 47 || c === 62 || (c === 61 && i > ns)) break; i++ }
    const name = text.slice(ns, i).toLowerCase()
    while (i < len && isSpace(text.charCodeAt(i))) i++
    let value = ''
    if (i < len && text.charCodeAt(i) === 61) {
      i++
      while (i < len && isSpace(text.charCodeAt(i))) i++
      const q = i < len ? text.charCodeAt(i) : 0
      if (q === 34 || q === 39) {
        const close = text.indexOf(q === 34 ? '"' : "'", i + 1)
        const e = close < 0 ? len : close
        value = text.slice(i + 1, e)
        i = close < 0 ? len : close + 1
      } else {
        const vs = i
        while (i < len && !isSpace(text.charCodeAt(i)) && text.charCodeAt(i) !== 62) i++
        value = text.slice(vs, i)
      }
    }
    if (attrs.length < MAX_ATTRS) attrs.push({ name, value })
  }
  work.n += i - start
  return { end: len, closed: false }
}

function readTag (text: string, lt: number, work: Work): Tag {
  let i = lt + 1
  const len = text.length
  while (i < len) { const c = text.charCodeAt(i); if (isSpace(c) || c === 47 || c === 62) break; i++ }
  const name = text.slice(lt + 1, i).toLowerCase()
  const attrs: Attr[] = []
  const r = readAttributes(text, i, attrs, work)
  return { name, attrs, end: r.end, closed: r.closed }
}

/** Why a tag is strong, or '' when it is not. */
function tagDanger (tag: Tag): string {
  if (STRONG_TAGS.has(tag.name)) return `a <${tag.name}> element`
  for (const a of tag.attrs) {
    const why = attrDanger(a)
    if (why !== '') return why
  }
  return ''
}

function attrDanger (a: Attr): string {
  // an event handler runs only with code in its value (`'Ondara` in a town name is an empty attribute)
  if (a.name.length > 2 && a.name.startsWith('on') && /^on[a-z]+$/.test(a.name) && a.value.trim() !== '') return `an event handler (${a.name})`
  if (a.name === 'srcdoc') return 'a srcdoc document'
  if (a.name === 'style' && scriptStyle(a.value)) return 'script in a style attribute'
  if (a.value !== '' && scriptUrl(a.value)) return `a script URL in ${a.name}`
  return ''
}

/** The most dangerous markup in text[from…] (the first strong one, else the first weak one). */
function scanText (text: string, from: number, work: Work, context: string): GrammarFinding | null {
  let weak: GrammarFinding | null = null
  let i = text.indexOf('<', from)
  let tags = 0
  while (i >= 0 && i + 1 < text.length && tags < MAX_TAGS) {
    work.n++
    const c = text.charCodeAt(i + 1)
    let f: GrammarFinding | null = null
    let next = i + 1
    if (isAlpha(c)) {
      tags++
      const tag = readTag(text, i, work)
      const danger = tagDanger(tag)
      const token = text.slice(i, Math.min(i + 1 + tag.name.length, i + 33))
      f = { grammar: 'html', context, token, offset: i, span: text.slice(i, Math.min(tag.end, i + 256)), fingerprint: `<${tag.name}${tag.attrs.length > 0 ? ' @' + tag.attrs.map((a) => a.name).slice(0, 6).join(' @') : ''}${tag.closed ? '>' : ''}`, strength: danger !== '' ? 'strong' : 'weak', why: danger !== '' ? `opens ${danger}` : `opens a <${tag.name}> tag` }
      next = Math.max(i + 1, tag.end)
    } else if (c === 47 && i + 2 < text.length && isAlpha(text.charCodeAt(i + 2))) {
      tags++
      let j = i + 2
      while (j < text.length && !isSpace(text.charCodeAt(j)) && text.charCodeAt(j) !== 62) j++
      const name = text.slice(i + 2, j).toLowerCase()
      f = { grammar: 'html', context, token: text.slice(i, Math.min(j, i + 34)), offset: i, span: text.slice(i, Math.min(j + 1, i + 256)), fingerprint: `</${name}`, strength: 'weak', why: `closes a <${name}> element` }
      next = j
    } else if (c === 33) {
      tags++
      if (text.startsWith('!--', i + 1)) {
        let j = i + 4
        while (j < text.length && isSpace(text.charCodeAt(j))) j++
        let directive = ''
        if (j < text.length && text.charCodeAt(j) === 35) {
          let k = j + 1
          while (k < text.length && isAlpha(text.charCodeAt(k)) && k - j < 12) k++
          directive = text.slice(j + 1, k).toLowerCase()
        }
        const close = text.indexOf('-->', j)
        const end = close < 0 ? text.length : close + 3
        work.n += end - j
        if (SSI.has(directive)) {
          f = { grammar: 'html', context: `${context} (server-side include)`, token: text.slice(i, j + 1 + directive.length), offset: i, span: text.slice(i, Math.min(end, i + 256)), fingerprint: `<!--#${directive}`, strength: 'strong', why: `opens a server-side include directive (#${directive})` }
        } else {
          f = { grammar: 'html', context, token: '<!--', offset: i, span: text.slice(i, Math.min(end, i + 256)), fingerprint: '<!--', strength: 'weak', why: 'opens a comment' }
        }
        next = Math.max(i + 1, j)
      } else if (i + 2 < text.length && (isAlpha(text.charCodeAt(i + 2)) || text.charCodeAt(i + 2) === 91)) {
        f = { grammar: 'html', context, token: text.slice(i, i + 3), offset: i, span: text.slice(i, i + 32), fingerprint: '<!', strength: 'weak', why: 'opens a declaration' }
      }
    } else if (c === 63) {
      tags++
      const php = text.slice(i + 2, i + 5).toLowerCase() === 'php' || text.charCodeAt(i + 2) === 61
      f = { grammar: 'html', context, token: text.slice(i, php ? i + 5 : i + 2), offset: i, span: text.slice(i, i + 64), fingerprint: '<?', strength: php ? 'strong' : 'weak', why: php ? 'opens a PHP block' : 'opens a processing instruction' }
    }
    if (f != null) {
      if (f.strength === 'strong') return f
      if (weak == null) weak = f
    }
    i = text.indexOf('<', next)
  }
  return weak
}

/** HTML findings of one decoded value: the text context, then the attribute contexts, then a script URL. */
export function inspectHtml (text: string, work: Work, out: GrammarFinding[]): void {
  work.n += text.length
  const hasLt = text.indexOf('<') >= 0
  const inText = hasLt ? scanText(text, 0, work, 'text') : null
  if (inText != null && inText.strength === 'strong') { out.push(inText); return }
  // quoted attributes
  for (const q of ['"', "'"]) {
    const b = text.indexOf(q)
    if (b < 0) continue
    let i = b + 1
    while (i < text.length && (isSpace(text.charCodeAt(i)) || text.charCodeAt(i) === 47)) i++
    if (i >= text.length) continue
    const c = text.charCodeAt(i)
    const context = q === '"' ? 'double-quoted attribute' : 'single-quoted attribute'
    if (c === 62) {
      const rest = scanText(text, i + 1, work, context)
      if (rest != null) {
        out.push({ ...rest, token: q, offset: b, span: text.slice(b, Math.min(b + 256, rest.offset + rest.span.length)), why: `ends the attribute and the tag, then ${rest.why}` })
        return
      }
      continue
    }
    const attrs: Attr[] = []
    const r = readAttributes(text, i, attrs, work)
    for (const a of attrs) {
      const danger = attrDanger(a)
      if (danger !== '') {
        out.push({ grammar: 'html', context, token: q, offset: b, span: text.slice(b, Math.min(r.end, b + 256)), fingerprint: `${q} @${a.name}`, strength: 'strong', why: `ends the attribute, then adds ${danger}` })
        return
      }
    }
  }
  // unquoted attribute: whitespace then an event handler
  for (let i = 0; i + 3 < text.length; i++) {
    if (!isSpace(text.charCodeAt(i)) || (text.charCodeAt(i + 1) | 0x20) !== 111 || (text.charCodeAt(i + 2) | 0x20) !== 110) continue
    const h = i + 1
    let j = h + 2
    while (j < text.length && j < h + 34 && isAlpha(text.charCodeAt(j))) j++
    let k = j
    while (k < text.length && k < j + 16 && isSpace(text.charCodeAt(k))) k++
    work.n += k - i
    if (j > h + 2 && k < text.length && text.charCodeAt(k) === 61) {
      const name = text.slice(h, j).toLowerCase()
      out.push({ grammar: 'html', context: 'unquoted attribute', token: text.slice(i, j), offset: i, span: text.slice(i, Math.min(text.length, i + 256)), fingerprint: ` @${name}=`, strength: 'strong', why: `ends the attribute value, then adds an event handler (${name})` })
      return
    }
  }
  // URL attribute: a script scheme followed by code (`javascript:alert(1)`); followed by words it runs
  // nothing ("JavaScript: The Good Parts" in a search box)
  if (scriptUrl(text)) {
    let i = 0
    while (i < text.length && text.charCodeAt(i) <= 32) i++
    const colon = text.indexOf(':', i)
    const scheme = schemeAt(text, 0)
    if (scheme === 'data' || codeStarts(text, colon + 1)) {
      out.push({ grammar: 'html', context: 'URL attribute', token: text.slice(i, colon + 1), offset: i, span: text.slice(i, i + 256), fingerprint: 'scheme:', strength: 'strong', why: `is a script URL (${scheme}:)` })
      return
    }
  }
  if (inText != null) { out.push(inText); return }
  const inside = scriptUrlInside(text, work)
  if (inside != null) out.push(inside)
}

const MAX_COLONS = 64
const INSIDE_SCHEMES = ['javascript', 'vbscript', 'livescript']
const DATA_TYPES = ['text/html', 'image/svg', 'application/xhtml', 'text/xml', 'application/xml']

function isIdent (c: number): boolean { return isAlpha(c) || (c >= 48 && c <= 57) || c === 95 || c === 36 }

/**
 * A script URL inside the text (not at its start: that is the URL-attribute
 * context): the scheme read backwards from a ':' (tab, CR, LF inside it
 * ignored), then code after it. Linear: at most MAX_COLONS colons, 16
 * characters back and 96 forward from each.
 */
function scriptUrlInside (text: string, work: Work): GrammarFinding | null {
  let colon = text.indexOf(':', 1)
  for (let n = 0; colon >= 0 && n < MAX_COLONS; n++, colon = text.indexOf(':', colon + 1)) {
    let i = colon - 1
    let scheme = ''
    while (i >= 0 && scheme.length < 16) {
      const c = text.charCodeAt(i)
      if (c === 9 || c === 10 || c === 13) { i--; continue }
      if (!isAlpha(c)) break
      scheme = String.fromCharCode(c | 0x20) + scheme
      i--
    }
    work.n += colon - i + 96
    if (scheme === '') continue
    const glued = INSIDE_SCHEMES.find((x) => scheme.endsWith(x))
    const start = glued != null ? colon - glued.length - countControls(text, i + 1, colon) : i + 1
    if (glued != null) {
      if (!codeAfter(text, colon + 1)) continue
    } else if (scheme === 'data' && (i < 0 || !isAlpha(text.charCodeAt(i)))) {
      const rest = text.slice(colon + 1, colon + 40).toLowerCase().trimStart()
      if (!DATA_TYPES.some((t) => rest.startsWith(t))) continue
    } else continue
    const name = glued ?? 'data'
    return { grammar: 'html', context: 'link in text', token: text.slice(start, colon + 1), offset: start, span: text.slice(start, start + 256), fingerprint: `in ${name}:`, strength: 'weak', why: `holds a script URL (${name}:) where a link made from the text would start` }
  }
  return null
}

/** Tab, CR, LF in text[from, to) (ignored inside a scheme). */
function countControls (text: string, from: number, to: number): number {
  let n = 0
  for (let k = from; k < to; k++) { const c = text.charCodeAt(k); if (c === 9 || c === 10 || c === 13) n++ }
  return n
}

/**
 * Whether JavaScript starts at text[from…] (after a script scheme in a URL
 * attribute): a comment, an opening bracket, quote, backquote or unary
 * operator, or a name followed by `(` `.` `[` `=` or a backquote; not a word
 * followed by a space and more words.
 */
function codeStarts (text: string, from: number): boolean {
  let i = from
  while (i < text.length && isSpace(text.charCodeAt(i))) i++
  if (i >= text.length) return false
  const c = text.charCodeAt(i)
  if ('/([{\'"`!~+-%'.includes(text[i])) return true
  if (!isIdent(c)) return false
  let j = i
  while (j < text.length && j < i + 64 && isIdent(text.charCodeAt(j))) j++
  return j < text.length && '(.[=`'.includes(text[j])
}

/** Whether code follows a script scheme at text[from…]: spaces and `//` comments skipped, then a name (a.b.c) and `(`, a backquote or `=`. */
function codeAfter (text: string, from: number): boolean {
  const end = Math.min(text.length, from + 96)
  let i = from
  for (;;) {
    while (i < end && isSpace(text.charCodeAt(i))) i++
    if (i + 1 < end && text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 47) {
      while (i < end && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++
      continue
    }
    break
  }
  const s = i
  while (i < end && (isIdent(text.charCodeAt(i)) || (text.charCodeAt(i) === 46 && i > s))) i++
  if (i === s || !isAlpha(text.charCodeAt(s))) return false
  const c = text.charCodeAt(i)
  return c === 40 || c === 96 || (c === 61 && text.charCodeAt(i + 1) !== 61)
}

