/**
 * The canonical text form that signatures are made of and matched against:
 * the one rule that clonal selection, the matcher and vetting share.
 *
 *   1. form-decode once ('+' → ' ', %XX → bytes → UTF-8, or Latin-1 when the
 *      bytes are not valid UTF-8, as in CSIC 2010's '%F1'), with the profile's
 *      decoder (node/profile/http/form.ts), so parameter names agree with the
 *      detector's reasons;
 *   2. if the result still holds a '%XX' escape, percent-decode it a second
 *      time ('+' kept as '+'), which defeats double encoding ('%2527' → "'");
 *   3. lower-case.
 * Malformed escapes ('%G1', a trailing '%') stay literal text. Paths follow the
 * same rule except that '+' is literal in a path.
 */
import { decodeFormComponent, parseForm } from '../profile/http/index.js'
import type { Decoded, FormParam } from '../profile/http/index.js'

const HEX_ESCAPE = /%[0-9a-fA-F]{2}/
const holder: Decoded = { text: '', flags: 0 }

/** Percent-decode with '+' kept literal (the second pass, and paths). */
export function percentDecode (s: string): string {
  if (!s.includes('%')) return s
  return decodeFormComponent(s.includes('+') ? s.replaceAll('+', '%2B') : s, holder).text
}

/** Steps 2 and 3 on text that was form-decoded once. */
export function canonicalDecoded (decoded: string): string {
  const s = decoded.includes('%') && HEX_ESCAPE.test(decoded) ? percentDecode(decoded) : decoded
  return s.toLowerCase()
}

/** The canonical text of one raw (still encoded) form component. */
export function canonicalFormComponent (raw: string): string {
  return canonicalDecoded(decodeFormComponent(raw, holder).text)
}

/** The canonical text of a raw URL path ('+' is literal in paths). */
export function canonicalPath (raw: string): string {
  return canonicalDecoded(percentDecode(raw))
}

/** One canonical `name=value` pair. */
export interface CanonicalPair {
  name: string
  value: string
}

const scratch: FormParam[] = []

/** Every pair of a raw form string (query or body), canonical, in order; none dropped. */
export function canonicalForm (raw: string): CanonicalPair[] {
  if (raw === '') return []
  parseForm(raw, scratch, Number.MAX_SAFE_INTEGER)
  const out: CanonicalPair[] = new Array(scratch.length)
  for (let i = 0; i < scratch.length; i++) {
    out[i] = { name: canonicalDecoded(scratch[i].name), value: canonicalDecoded(scratch[i].value) }
  }
  scratch.length = 0
  return out
}
