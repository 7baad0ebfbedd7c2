/**
 * Character classes used by the HTTP parameter features.
 *
 * - ASCII letters and digits are "alphanumeric": their identity is left to the
 *   structure and n-gram features; every other UTF-16 code unit (space,
 *   punctuation, controls, non-ASCII letters) is a "symbol" whose presence and
 *   count per value are tracked individually (the rare 1-gram feature).
 * - The structure (shape) of a value maps letters (any script) to 'a', digits
 *   to '9', keeps every other character, and collapses runs: "C/ Mayor 12" →
 *   "a/ a 9".
 * - 3-grams are taken over a folded value: letters lower-cased, digits → '0'.
 */

/** 0 = not yet known, 1 = letter, 2 = not a letter (filled lazily from \p{L}). */
const LETTER_TABLE = new Uint8Array(65536)
const LETTER_RE = /\p{L}/u

/** Letter of any script (UTF-16 code unit; surrogates are not letters). */
export function isLetter (c: number): boolean {
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
  let v = LETTER_TABLE[c]
  if (v === 0) {
    v = c >= 0xd800 && c <= 0xdfff ? 2 : LETTER_RE.test(String.fromCharCode(c)) ? 1 : 2
    LETTER_TABLE[c] = v
  }
  return v === 1
}

export function isAsciiAlnum (c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/** Shape code of one character: 97 ('a') for letters, 57 ('9') for digits, else the character. */
export function shapeCode (c: number): number {
  if (c >= 48 && c <= 57) return 57
  if (isLetter(c)) return 97
  return c
}

/** Fold for n-grams: lower-case ASCII letters, digits → '0'. */
export function gramFold (c: number): number {
  if (c >= 65 && c <= 90) return c + 32
  if (c >= 48 && c <= 57) return 48
  return c
}

/** The collapsed shape of a value, at most `maxChars` shape characters ('…' marks a cut). */
export function shapeOf (value: string, maxChars = 48): string {
  let out = ''
  let prev = -1
  let n = 0
  for (let i = 0; i < value.length; i++) {
    const s = shapeCode(value.charCodeAt(i))
    if (s === prev) continue
    prev = s
    if (n >= maxChars) { out += '…'; break }
    out += String.fromCharCode(s)
    n++
  }
  return out
}

/** A printable rendering of a set of characters for explanations: `"'=<"`. */
export function showChars (codes: Iterable<number>, max = 16): string {
  let s = ''
  let n = 0
  for (const c of codes) {
    if (n++ >= max) { s += '…'; break }
    s += String.fromCharCode(c)
  }
  return JSON.stringify(s)
}

/** A value cut for explanations (JSON-quoted, control characters escaped). */
export function showValue (value: string, max = 48): string {
  return JSON.stringify(value.length > max ? value.slice(0, max) + '…' : value)
}
