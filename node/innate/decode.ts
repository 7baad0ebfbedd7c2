/**
 * Decoding as applications do, each step named (DecodingStep):
 *
 *   form component:  url-decode (+ plus-as-space) → [double-url-decode] → [html-entity-decode]
 *   URL path:        url-decode                   → [double-url-decode] → [html-entity-decode]
 *   decoded value:                                   [double-url-decode] → [html-entity-decode]
 *
 * Percent decoding turns %XX runs into bytes and the bytes into UTF-8; bytes
 * that are not UTF-8 are read as Latin-1 (what legacy applications mean by
 * `%F1`), except overlong sequences (`%C0%AE`, `%E0%80%AF`), which lenient
 * decoders (old IIS, Java's modified UTF-8, many hand-written ones) read as the
 * character they spell: so does this one, naming the step `overlong-utf8`.
 * `%uXXXX` is decoded too (`percent-u-decode`). A bracketed step is applied
 * only when the text still holds something it would decode, so a value is read
 * in at most three forms ("views"), each a pure function of the previous one.
 * Every function here is linear in the length of its input.
 */
import type { DecodingStep, InnateEncoding } from './types.js'

/** A decoded form of the value and the steps that produced it. */
export interface DecodedView {
  text: string
  steps: DecodingStep[]
}

/** Work counter shared by one inspection (characters examined). */
export interface Work { n: number }

function hexVal (c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 65 && c <= 70) return c - 55
  if (c >= 97 && c <= 102) return c - 87
  return -1
}

let bytes = new Uint8Array(256)

interface Utf8Out { text: string, overlong: boolean }
const utf8Out: Utf8Out = { text: '', overlong: false }

/**
 * Bytes [0, n) → text: valid UTF-8 as such, overlong forms as the character
 * they spell (flagged), anything else byte by byte as Latin-1.
 */
function decodeBytes (n: number, out: Utf8Out): Utf8Out {
  let text = ''
  let overlong = false
  let i = 0
  while (i < n) {
    const b = bytes[i]
    if (b < 0x80) { text += String.fromCharCode(b); i++; continue }
    let need = 0
    let cp = 0
    let min = 0
    if (b >= 0xc0 && b <= 0xdf) { need = 1; cp = b & 0x1f; min = 0x80 } else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; min = 0x800 } else if (b >= 0xf0 && b <= 0xf7) { need = 3; cp = b & 0x07; min = 0x10000 }
    let ok = need > 0 && i + need < n
    if (ok) {
      for (let k = 1; ok && k <= need; k++) {
        const c = bytes[i + k]
        if ((c & 0xc0) !== 0x80) ok = false
        else cp = (cp << 6) | (c & 0x3f)
      }
    }
    if (ok && (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false
    if (!ok) { text += String.fromCharCode(b); i++; continue }
    if (cp < min) overlong = true
    text += String.fromCodePoint(cp)
    i += need + 1
  }
  out.text = text
  out.overlong = overlong
  return out
}

/** Whether `s` holds a %XX or %uXXXX escape (what a percent decoder would change). */
export function hasPercentEscape (s: string, work: Work): boolean {
  let i = s.indexOf('%')
  while (i >= 0 && i + 2 < s.length) {
    work.n++
    const a = s.charCodeAt(i + 1)
    if (hexVal(a) >= 0 && hexVal(s.charCodeAt(i + 2)) >= 0) return true
    if ((a === 117 || a === 85) && i + 5 < s.length && hexVal(s.charCodeAt(i + 2)) >= 0 && hexVal(s.charCodeAt(i + 3)) >= 0 && hexVal(s.charCodeAt(i + 4)) >= 0 && hexVal(s.charCodeAt(i + 5)) >= 0) return true
    i = s.indexOf('%', i + 1)
  }
  return false
}

/**
 * Percent-decodes `s` (and '+' → space when `plusAsSpace`), pushing the steps
 * it applied onto `steps`: `firstStep` for %XX ('url-decode' or
 * 'double-url-decode'), 'plus-as-space', 'percent-u-decode', 'overlong-utf8'.
 * Malformed escapes stay literal text.
 */
export function percentDecode (s: string, plusAsSpace: boolean, firstStep: 'url-decode' | 'double-url-decode', steps: DecodingStep[], work: Work): string {
  const len = s.length
  work.n += len
  if (s.indexOf('%') < 0 && (!plusAsSpace || s.indexOf('+') < 0)) return s
  let text = ''
  let pct = false
  let plus = false
  let pu = false
  let over = false
  let i = 0
  let runStart = 0
  while (i < len) {
    const c = s.charCodeAt(i)
    if (c === 37 /* % */) {
      let n = 0
      let j = i
      while (j + 2 < len && s.charCodeAt(j) === 37) {
        const h = hexVal(s.charCodeAt(j + 1))
        const l = h >= 0 ? hexVal(s.charCodeAt(j + 2)) : -1
        if (h < 0 || l < 0) break
        if (n >= bytes.length) { const b = new Uint8Array(bytes.length * 2); b.set(bytes); bytes = b }
        bytes[n++] = (h << 4) | l
        j += 3
      }
      if (n > 0) {
        text += s.slice(runStart, i)
        const d = decodeBytes(n, utf8Out)
        text += d.text
        if (d.overlong) over = true
        pct = true
        i = j
        runStart = i
        continue
      }
      // %uXXXX
      const u = i + 1 < len ? s.charCodeAt(i + 1) : 0
      if ((u === 117 || u === 85) && i + 5 < len) {
        const a = hexVal(s.charCodeAt(i + 2))
        const b = hexVal(s.charCodeAt(i + 3))
        const d = hexVal(s.charCodeAt(i + 4))
        const e = hexVal(s.charCodeAt(i + 5))
        if (a >= 0 && b >= 0 && d >= 0 && e >= 0) {
          text += s.slice(runStart, i) + String.fromCharCode((a << 12) | (b << 8) | (d << 4) | e)
          pu = true
          i += 6
          runStart = i
          continue
        }
      }
      i++
      continue
    }
    if (c === 43 /* + */ && plusAsSpace) {
      text += s.slice(runStart, i) + ' '
      plus = true
      i++
      runStart = i
      continue
    }
    i++
  }
  text += s.slice(runStart)
  if (pct) steps.push(firstStep)
  if (plus) steps.push('plus-as-space')
  if (pu) steps.push('percent-u-decode')
  if (over) steps.push('overlong-utf8')
  return text
}

/**
 * HTML5 named character references that matter to injection (delimiters and
 * the characters of `javascript:`), plus the common ones. A browser knows
 * 2,231; a name outside this table stays literal text here.
 */
const NAMED: Readonly<Record<string, string>> = Object.freeze({
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0', sol: '/', bsol: '\\', lpar: '(', rpar: ')',
  colon: ':', semi: ';', comma: ',', period: '.', excl: '!', num: '#', dollar: '$', percnt: '%', equals: '=',
  plus: '+', ast: '*', quest: '?', commat: '@', verbar: '|', vert: '|', grave: '`', lsqb: '[', rsqb: ']', lbrack: '[', rbrack: ']',
  lcub: '{', rcub: '}', lbrace: '{', rbrace: '}', tab: '\t', newline: '\n', hyphen: '-', dash: '-', lowbar: '_', hat: '^', tilde: '~'
})

/** Whether `s` holds a character reference this decoder would change. */
export function hasEntity (s: string, work: Work): boolean {
  let i = s.indexOf('&')
  while (i >= 0) {
    work.n++
    if (entityAt(s, i) != null) return true
    i = s.indexOf('&', i + 1)
  }
  return false
}

interface Entity { text: string, end: number }
const entity: Entity = { text: '', end: 0 }

/** The character reference starting at s[i] === '&', or null. Numeric references may omit the ';' (as browsers accept). */
function entityAt (s: string, i: number): Entity | null {
  const len = s.length
  let j = i + 1
  if (j < len && s.charCodeAt(j) === 35 /* # */) {
    j++
    const hex = j < len && (s.charCodeAt(j) === 120 || s.charCodeAt(j) === 88)
    if (hex) j++
    let cp = 0
    let digits = 0
    while (j < len && digits < 8) {
      const c = s.charCodeAt(j)
      const v = hex ? hexVal(c) : (c >= 48 && c <= 57 ? c - 48 : -1)
      if (v < 0) break
      cp = cp * (hex ? 16 : 10) + v
      digits++
      j++
    }
    if (digits === 0) return null
    while (j < len && digits >= 8 && (hex ? hexVal(s.charCodeAt(j)) >= 0 : (s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57))) j++ // leading-zero padding
    if (j < len && s.charCodeAt(j) === 59) j++
    entity.text = cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\ufffd'
    entity.end = j
    return entity
  }
  let name = ''
  while (j < len && name.length < 10) {
    const c = s.charCodeAt(j)
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90))) break
    name += s[j]
    j++
  }
  if (name === '' || j >= len || s.charCodeAt(j) !== 59) return null
  const t = NAMED[name] ?? NAMED[name.toLowerCase()]
  if (t === undefined) return null
  entity.text = t
  entity.end = j + 1
  return entity
}

/** Decodes character references (one pass, as a browser does). */
export function decodeEntities (s: string, work: Work): string {
  work.n += s.length
  let out = ''
  let last = 0
  let i = s.indexOf('&')
  while (i >= 0) {
    const e = entityAt(s, i)
    if (e != null) {
      out += s.slice(last, i) + e.text
      last = e.end
      i = s.indexOf('&', e.end)
    } else {
      i = s.indexOf('&', i + 1)
    }
  }
  return out + s.slice(last)
}

/**
 * The views of one value (see the module comment): first what the application
 * sees, then each further decoding that changes it, at most `maxViews`.
 */
export function decodeViews (value: string, encoding: InnateEncoding, maxViews: number, work: Work): DecodedView[] {
  const first: DecodingStep[] = []
  const text = encoding === 'none' ? value : percentDecode(value, encoding === 'form', 'url-decode', first, work)
  const views: DecodedView[] = [{ text, steps: first }]
  let cur = views[0]
  if (views.length < maxViews && cur.text.indexOf('%') >= 0 && hasPercentEscape(cur.text, work)) {
    const steps = cur.steps.slice()
    // a second decoding is a second call to the same decoder ('+' is a space again for a form value: PHP urldecode, Java URLDecoder)
    const t = percentDecode(cur.text, encoding === 'form', 'double-url-decode', steps, work)
    if (t !== cur.text) { cur = { text: t, steps }; views.push(cur) }
  }
  if (views.length < maxViews && cur.text.indexOf('&') >= 0 && hasEntity(cur.text, work)) {
    const t = decodeEntities(cur.text, work)
    if (t !== cur.text) views.push({ text: t, steps: [...cur.steps, 'html-entity-decode'] })
  }
  return views
}
