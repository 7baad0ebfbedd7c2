/**
 * Value types, as a person reads a value (issue 9): a number, a name, an
 * e-mail address, a date, a UUID, a token, a URL, a User-Agent, or free text.
 *
 * A type is a small grammar that explains the value's symbols: the '@' and
 * '.' of an e-mail, the apostrophe of "O'Neill", the '-' of a date or a UUID,
 * the '(' ';' '/' of a User-Agent. The parameter model (param-model.ts) scores
 * a value of a recognised type by what varies inside that type (the
 * magnitude of a number, the length of a token, the words of a name) and by
 * how usual the type is for the parameter, instead of by its symbols one by
 * one: those are what every new e-mail address, name or browser brings.
 * Anything no grammar explains is `text`, scored by the generic features.
 *
 * Every recogniser is a single left-to-right scan (no backtracking), so a
 * hostile 64 KiB value costs linear time. Values above MAX_TYPED_CHARS are
 * `text`.
 */

export type ValueType = 'empty' | 'number' | 'uuid' | 'hex' | 'token' | 'date' | 'email' | 'url' | 'ua' | 'name' | 'text'

/** Every type, for iteration and validation. */
export const VALUE_TYPES: readonly ValueType[] = Object.freeze(['empty', 'number', 'uuid', 'hex', 'token', 'date', 'email', 'url', 'ua', 'name', 'text'])

/**
 * Types whose values are high-entropy identifiers: their values, 3-grams and
 * shapes are not learned (they would fill the tables with random material
 * and make session tokens part of the stored profile).
 */
export const OPAQUE_TYPES: ReadonlySet<ValueType> = new Set<ValueType>(['uuid', 'hex', 'token'])

/** Longest value a grammar is tried on (a longer one is text). */
export const MAX_TYPED_CHARS = 512
/** Most words a name has (a longer run of words is text: a sentence). */
export const MAX_NAME_WORDS = 8

const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
const isHexLower = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102)
const isHexUpper = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70)

/** 0 = not yet known, 1 = letter or combining mark, 2 = neither. */
const LETTER = new Uint8Array(65536)
const LETTER_RE = /[\p{L}\p{M}]/u
function isLetterOrMark (c: number): boolean {
  if (c < 128) return isAsciiLetter(c)
  let v = LETTER[c]
  if (v === 0) {
    v = c >= 0xd800 && c <= 0xdfff ? 2 : LETTER_RE.test(String.fromCharCode(c)) ? 1 : 2
    LETTER[c] = v
  }
  return v === 1
}

/** A decimal number: optional sign, digits, optional one '.' or ',' and digits (1e3 and thousands separators are text). */
export function isNumber (v: string): boolean {
  const n = v.length
  if (n === 0 || n > 40) return false
  let i = 0
  const c0 = v.charCodeAt(0)
  if (c0 === 45 || c0 === 43) i = 1
  let digits = 0
  while (i < n && isDigit(v.charCodeAt(i))) { i++; digits++ }
  if (digits === 0) return false
  if (i === n) return true
  const sep = v.charCodeAt(i)
  if (sep !== 46 && sep !== 44) return false
  i++
  let frac = 0
  while (i < n && isDigit(v.charCodeAt(i))) { i++; frac++ }
  return frac > 0 && i === n
}

/** The number's value (',' read as the decimal separator); NaN when not a number. */
export function numberValue (v: string): number {
  return isNumber(v) ? Number(v.replace(',', '.')) : NaN
}

/** 8-4-4-4-12 hexadecimal digits. */
export function isUuid (v: string): boolean {
  if (v.length !== 36) return false
  for (let i = 0; i < 36; i++) {
    const c = v.charCodeAt(i)
    if (i === 8 || i === 13 || i === 18 || i === 23) { if (c !== 45) return false } else if (!isHexLower(c) && !isHexUpper(c)) return false
  }
  return true
}

/** At least 16 hexadecimal digits of one case, with both letters and digits (a long run of digits is a number). */
export function isHex (v: string): boolean {
  const n = v.length
  if (n < 16 || n > MAX_TYPED_CHARS) return false
  let lower = false
  let upper = false
  let digits = 0
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i)
    if (isDigit(c)) { digits++; continue }
    if (c >= 97 && c <= 102) lower = true
    else if (c >= 65 && c <= 70) upper = true
    else return false
  }
  // hex ids have both digits and letters ("aaaa…" and "deadbeefcafe…" are words, all digits a number)
  return lower !== upper && digits >= 1 && n - digits >= 1
}

/**
 * A token: base64url / base64 material of at least 16 characters that
 * looks random (letters and digits interleaved: at least 2 of each and 3
 * switches between them), up to two '=' of padding; or a JWT (three such
 * segments separated by '.'). File names and slugs ("invoice-2021-05") are
 * not tokens.
 */
export function isToken (v: string): boolean {
  const n = v.length
  if (n < 16 || n > MAX_TYPED_CHARS * 4) return false
  const dots = countChar(v, 46)
  if (dots === 0) return isTokenSegment(v, 0, n, true)
  if (dots !== 2) return false
  const a = v.indexOf('.')
  const b = v.indexOf('.', a + 1)
  return a >= 8 && b - a > 8 && n - b > 8 && isTokenSegment(v, 0, a, false) && isTokenSegment(v, a + 1, b, false) && isTokenSegment(v, b + 1, n, false)
}

function countChar (v: string, code: number): number {
  let k = 0
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) === code) k++
  return k
}

function isTokenSegment (v: string, from: number, to: number, randomLooking: boolean): boolean {
  let letters = 0
  let digits = 0
  let switches = 0
  let prev = 0 // 1 letter, 2 digit
  let pad = 0
  for (let i = from; i < to; i++) {
    const c = v.charCodeAt(i)
    if (pad > 0) { if (c !== 61 || ++pad > 2) return false; continue }
    let cls = 0
    if (isAsciiLetter(c)) { letters++; cls = 1 } else if (isDigit(c)) { digits++; cls = 2 } else if (c === 61 && i > from) { pad = 1; continue } else if (c !== 45 && c !== 95 && c !== 43 && c !== 47) return false
    if (cls !== 0) { if (prev !== 0 && cls !== prev) switches++; prev = cls }
  }
  if (!randomLooking) return letters + digits > 0
  return letters >= 2 && digits >= 2 && switches >= 3
}

/** Digits from `i`: the index after them. */
function digitsFrom (v: string, i: number): number {
  while (i < v.length && isDigit(v.charCodeAt(i))) i++
  return i
}

/** ISO 8601 date[-time], d/m/y or d.m.y or d-m-y, or a time of day. */
export function isDate (v: string): boolean {
  const n = v.length
  if (n < 5 || n > 40) return false
  let i = digitsFrom(v, 0)
  const first = i
  if (first === 4 && i < n && (v.charCodeAt(i) === 45 || v.charCodeAt(i) === 47)) {
    // yyyy-mm-dd
    const sep = v.charCodeAt(i)
    let j = digitsFrom(v, i + 1)
    if (j - i - 1 !== 2 || j >= n || v.charCodeAt(j) !== sep) return false
    i = digitsFrom(v, j + 1)
    if (i - j - 1 !== 2) return false
    if (i === n) return true
    const t = v.charCodeAt(i)
    if (t !== 84 && t !== 116 && t !== 32) return false // T t or space
    return isTimeAt(v, i + 1)
  }
  if (first >= 1 && first <= 2 && i < n) {
    const sep = v.charCodeAt(i)
    if (sep === 58) return isTimeAt(v, 0) // hh:mm[:ss]
    if (sep !== 47 && sep !== 46 && sep !== 45) return false
    const j = digitsFrom(v, i + 1)
    const m = j - i - 1
    if (m < 1 || m > 2 || j >= n || v.charCodeAt(j) !== sep) return false
    const k = digitsFrom(v, j + 1)
    const y = k - j - 1
    return (y === 2 || y === 4) && k === n
  }
  return false
}

/** Two digits at `i`. */
function twoDigits (v: string, i: number): boolean {
  return i + 2 <= v.length && isDigit(v.charCodeAt(i)) && isDigit(v.charCodeAt(i + 1))
}

function isTimeAt (v: string, start: number): boolean {
  const n = v.length
  let i = start
  if (!twoDigits(v, i) || v.charCodeAt(i + 2) !== 58) return false
  i += 3
  if (!twoDigits(v, i)) return false
  i += 2
  if (i < n && v.charCodeAt(i) === 58) {
    if (!twoDigits(v, i + 1)) return false
    i += 3
    if (i < n && v.charCodeAt(i) === 46) {
      const j = digitsFrom(v, i + 1)
      if (j === i + 1 || j - i - 1 > 9) return false
      i = j
    }
  }
  if (i === n) return true
  const c = v.charCodeAt(i)
  if ((c === 90 || c === 122) && i + 1 === n) return true // Z
  if (c === 43 || c === 45) {
    if (!twoDigits(v, i + 1)) return false
    i += 3
    if (i < n && v.charCodeAt(i) === 58) i++
    return twoDigits(v, i) && i + 2 === n
  }
  return false
}

/**
 * An e-mail address: a local part of letters, digits and . _ % + - (an
 * apostrophe only between letters: o'neill@…), one '@', and a domain of at
 * least two labels of letters, digits and '-', the last one letters only.
 */
export function isEmail (v: string): boolean {
  const n = v.length
  if (n < 5 || n > 254) return false
  const at = v.indexOf('@')
  if (at < 1 || at > 64 || v.indexOf('@', at + 1) >= 0) return false
  for (let i = 0; i < at; i++) {
    const c = v.charCodeAt(i)
    if (isAsciiLetter(c) || isDigit(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45) continue
    if (c === 39 && i > 0 && i + 1 < at && isAsciiLetter(v.charCodeAt(i - 1)) && isAsciiLetter(v.charCodeAt(i + 1))) continue
    if (c >= 128 && isLetterOrMark(c)) continue
    return false
  }
  if (v.charCodeAt(0) === 46 || v.charCodeAt(at - 1) === 46) return false
  return isDomain(v, at + 1, n, true)
}

/** Labels of letters/digits/'-' separated by '.', at least `needDot` two of them, the last one letters (a TLD). */
function isDomain (v: string, from: number, to: number, needDot: boolean): boolean {
  let label = 0
  let labels = 0
  let lastAlpha = true
  for (let i = from; i < to; i++) {
    const c = v.charCodeAt(i)
    if (c === 46) {
      if (label === 0 || v.charCodeAt(i - 1) === 45) return false
      labels++
      label = 0
      lastAlpha = true
      continue
    }
    if (isAsciiLetter(c) || (c >= 128 && isLetterOrMark(c))) { label++; continue }
    if (isDigit(c)) { label++; lastAlpha = false; continue }
    if (c === 45 && label > 0) { label++; lastAlpha = false; continue }
    return false
  }
  if (label === 0) return false
  labels++
  return needDot ? labels >= 2 && lastAlpha && label >= 2 : true
}

/** URL characters besides letters and digits (RFC 3986 unreserved, reserved and '%'), without the quote characters ' " ` and < > \ { } | ^ and spaces. */
const URL_CHAR = new Uint8Array(128)
for (const ch of "-._~:/?#[]@!$&()*+,;=%") URL_CHAR[ch.charCodeAt(0)] = 1

/** An absolute http(s) URL (scheme://host[:port][/path][?query][#fragment]) of URL characters. */
export function isUrl (v: string): boolean {
  const n = v.length
  if (n < 8 || n > MAX_TYPED_CHARS * 4) return false
  let i = 0
  if (v.startsWith('https://')) i = 8
  else if (v.startsWith('http://')) i = 7
  else return false
  const hostStart = i
  while (i < n) {
    const c = v.charCodeAt(i)
    if (c === 47 || c === 63 || c === 35 || c === 58) break
    i++
  }
  if (i === hostStart) return false
  const host = v.slice(hostStart, i)
  if (!(isDomain(host, 0, host.length, false) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host === 'localhost')) return false
  if (i < n && v.charCodeAt(i) === 58) {
    i++
    let d = 0
    while (i < n && isDigit(v.charCodeAt(i))) { i++; d++ }
    if (d === 0 || d > 5) return false
  }
  for (; i < n; i++) {
    const c = v.charCodeAt(i)
    if (isAsciiLetter(c) || isDigit(c)) continue
    if (c < 128 && URL_CHAR[c] === 1) continue
    return false
  }
  return true
}

/**
 * A User-Agent in the shape browsers, crawlers and libraries send
 * (RFC 9110 §10.1.5): products `name[/version]` and parenthesised comments,
 * separated by spaces, at least one version starting with a digit. Product characters: letters, digits and . _ - + ;
 * comment characters besides those: space ; , : / = and [ ] (no quotes,
 * angle brackets, backslashes or nested comments).
 */
export function isUserAgent (v: string): boolean {
  const n = v.length
  if (n < 3 || n > MAX_TYPED_CHARS * 2) return false
  let i = 0
  let products = 0
  let versioned = false
  while (i < n) {
    const c = v.charCodeAt(i)
    if (c === 32) { i++; continue }
    if (c === 40) {
      // comment
      i++
      let closed = false
      for (; i < n; i++) {
        const d = v.charCodeAt(i)
        if (d === 41) { closed = true; i++; break }
        if (isAsciiLetter(d) || isDigit(d) || d === 32 || d === 59 || d === 44 || d === 58 || d === 47 || d === 46 || d === 95 || d === 45 || d === 43 || d === 61 || d === 91 || d === 93) continue
        if (d >= 128 && isLetterOrMark(d)) continue
        return false
      }
      if (!closed) return false
      continue
    }
    // product name [/ version]
    let name = 0
    while (i < n && isProductChar(v.charCodeAt(i))) { i++; name++ }
    if (name === 0) return false
    if (i < n && v.charCodeAt(i) === 47) {
      i++
      if (i < n && isDigit(v.charCodeAt(i))) versioned = true
      let ver = 0
      while (i < n && isProductChar(v.charCodeAt(i))) { i++; ver++ }
      if (ver === 0) return false
    }
    if (i < n && v.charCodeAt(i) !== 32 && v.charCodeAt(i) !== 40) return false
    products++
  }
  return products > 0 && versioned
}

function isProductChar (c: number): boolean {
  return isAsciiLetter(c) || isDigit(c) || c === 46 || c === 95 || c === 45 || c === 43
}

/**
 * A name (of a person, a place, a product): words of letters (any script)
 * separated by single spaces, apostrophes or hyphens between letters, or a
 * full stop after a letter (initials, "St. Louis", "l.heureux"); at most
 * MAX_NAME_WORDS words. Digits and any other symbol make it text.
 */
export function isName (v: string): boolean {
  const n = v.length
  if (n === 0 || n > 128) return false
  let words = 1
  let prevLetter = false
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i)
    if (isLetterOrMark(c)) { prevLetter = true; continue }
    if (!prevLetter) return false
    const next = i + 1 < n ? v.charCodeAt(i + 1) : -1
    if (c === 32) {
      if (next < 0 || !isLetterOrMark(next)) return false
      words++
    } else if (c === 39 || c === 0x2019 || c === 45) {
      if (next < 0 || !isLetterOrMark(next)) return false
    } else if (c === 46) {
      if (next === 32) { words++; i++; if (i + 1 >= n || !isLetterOrMark(v.charCodeAt(i + 1))) return false } else if (next >= 0 && !isLetterOrMark(next)) return false
    } else {
      return false
    }
    prevLetter = false
    if (words > MAX_NAME_WORDS) return false
  }
  return prevLetter || v.charCodeAt(n - 1) === 46
}

/** Words of a name-like value (for the name features). */
export function wordCount (v: string): number {
  let w = 0
  let inWord = false
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c === 32) inWord = false
    else if (!inWord) { inWord = true; w++ }
  }
  return w
}

/**
 * The type of a value. Order matters where grammars overlap: a run of digits
 * is a number before it is hex; a UUID before a token; a date before a number.
 */
export function valueTypeOf (v: string): ValueType {
  const n = v.length
  if (n === 0) return 'empty'
  if (n > MAX_TYPED_CHARS * 4) return 'text'
  const c0 = v.charCodeAt(0)
  if (isDigit(c0) || c0 === 45 || c0 === 43) {
    if (isNumber(v)) return 'number'
    if (isDate(v)) return 'date'
    if (isUuid(v)) return 'uuid'
    if (isHex(v)) return 'hex'
    if (isToken(v)) return 'token'
    return 'text'
  }
  if (c0 === 104 && isUrl(v)) return 'url'
  if (isUuid(v)) return 'uuid'
  if (isEmail(v)) return 'email'
  if (n <= 128 && isName(v)) return 'name'
  if (isHex(v)) return 'hex'
  if (isToken(v)) return 'token'
  if (isUserAgent(v)) return 'ua'
  return 'text'
}
