/**
 * application/x-www-form-urlencoded decoding (WHATWG URL "urlencoded parser"
 * semantics: split on '&', first '=' separates name and value, '+' is a space,
 * %XX are bytes) with the decoding problems kept as features instead of
 * thrown away:
 * - `DECODE_BAD_ESCAPE`: a '%' not followed by two hex digits (kept literally),
 * - `DECODE_BAD_UTF8`: a run of %XX bytes that is not valid UTF-8 (decoded as
 *   Latin-1 instead, which is what many legacy apps mean, e.g. `%F1` = ñ).
 */

export const DECODE_BAD_ESCAPE = 1
export const DECODE_BAD_UTF8 = 2
/** Every flag, for iteration. */
export const DECODE_FLAGS: ReadonlyArray<{ flag: number, name: string }> = Object.freeze([
  { flag: DECODE_BAD_ESCAPE, name: 'malformed %-escape' },
  { flag: DECODE_BAD_UTF8, name: 'invalid UTF-8 (read as Latin-1)' }
])

export interface FormParam {
  name: string
  value: string
  /** Raw (still encoded) length of the value. */
  rawLength: number
  /** DECODE_* flags of the name and value. */
  flags: number
}

function hexVal (c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 65 && c <= 70) return c - 55
  if (c >= 97 && c <= 102) return c - 87
  return -1
}

let scratch = new Uint8Array(256)

/** Decodes UTF-8 bytes[0..n) or returns null when they are not valid UTF-8 (overlong, surrogate, truncated). */
function decodeUtf8 (bytes: Uint8Array, n: number): string | null {
  let out = ''
  let i = 0
  while (i < n) {
    const b = bytes[i]
    if (b < 0x80) { out += String.fromCharCode(b); i++; continue }
    let need: number
    let cp: number
    let min: number
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; min = 0x80 } else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; min = 0x800 } else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; min = 0x10000 } else return null
    if (i + need >= n) return null
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]
      if ((c & 0xc0) !== 0x80) return null
      cp = (cp << 6) | (c & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null
    out += String.fromCodePoint(cp)
    i += need + 1
  }
  return out
}

/** Result holder reused by decodeFormComponent (avoids an allocation per value). */
export interface Decoded { text: string, flags: number }

/** Decodes one form component into `out` ('+' → space, %XX → bytes → UTF-8, else Latin-1). */
export function decodeFormComponent (raw: string, out: Decoded): Decoded {
  out.flags = 0
  if (raw.indexOf('%') < 0) {
    out.text = raw.indexOf('+') < 0 ? raw : raw.replace(/\+/g, ' ')
    return out
  }
  let text = ''
  let i = 0
  const len = raw.length
  while (i < len) {
    const c = raw.charCodeAt(i)
    if (c === 37 /* % */) {
      // a run of %XX escapes → bytes
      let n = 0
      while (i < len && raw.charCodeAt(i) === 37) {
        const h = i + 2 < len ? hexVal(raw.charCodeAt(i + 1)) : -1
        const l = h >= 0 ? hexVal(raw.charCodeAt(i + 2)) : -1
        if (h < 0 || l < 0) break
        if (n >= scratch.length) { const s = new Uint8Array(scratch.length * 2); s.set(scratch); scratch = s }
        scratch[n++] = (h << 4) | l
        i += 3
      }
      if (n === 0) {
        out.flags |= DECODE_BAD_ESCAPE
        text += '%'
        i++
        continue
      }
      const utf = decodeUtf8(scratch, n)
      if (utf != null) text += utf
      else {
        out.flags |= DECODE_BAD_UTF8
        for (let k = 0; k < n; k++) text += String.fromCharCode(scratch[k])
      }
    } else {
      text += c === 43 /* + */ ? ' ' : raw[i]
      i++
    }
  }
  out.text = text
  return out
}

const nameHolder: Decoded = { text: '', flags: 0 }
const valueHolder: Decoded = { text: '', flags: 0 }

/**
 * Parses a raw form string into `out` (cleared first), keeping at most `maxParams`
 * parameters. Returns the number of parameters that were present, which exceeds
 * out.length when some were dropped. Empty pairs ('&&') are skipped.
 */
export function parseForm (raw: string, out: FormParam[], maxParams = 256): number {
  out.length = 0
  if (raw.length === 0) return 0
  let total = 0
  let start = 0
  const len = raw.length
  while (start <= len) {
    let end = raw.indexOf('&', start)
    if (end < 0) end = len
    if (end > start) {
      total++
      if (out.length < maxParams) {
        const pair = raw.slice(start, end)
        const eq = pair.indexOf('=')
        const rawName = eq >= 0 ? pair.slice(0, eq) : pair
        const rawValue = eq >= 0 ? pair.slice(eq + 1) : ''
        decodeFormComponent(rawName, nameHolder)
        decodeFormComponent(rawValue, valueHolder)
        out.push({ name: nameHolder.text, value: valueHolder.text, rawLength: rawValue.length, flags: nameHolder.flags | valueHolder.flags })
      }
    }
    start = end + 1
  }
  return total
}
