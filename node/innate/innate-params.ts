/**
 * Knobs of the innate detector (params pattern).
 */
import { InvalidParamsError } from '../errors.js'
import { INNATE_GRAMMARS } from './types.js'
import type { InnateGrammar } from './types.js'

export interface InnateParams {
  /** Grammars that are checked; the others are off. */
  grammars: readonly InnateGrammar[]
  /** Longer values are read up to here (and the result says `truncated`). */
  maxValueChars: number
  /** Decoded forms of one value that are read (what the application sees, then double-URL- and HTML-entity-decoded forms). */
  maxViews: number
  /** Values read per HTTP observation (query and body parameters, headers, path). */
  maxValuesPerObservation: number
  /** Request headers `inspectHttp` reads (lower-case names), besides the path, query and body. */
  headers: readonly string[]
}

/**
 * Defaults. 64 KiB covers a form field and most JSON strings; the lexers are
 * linear, so reading all of it costs ~1 µs per KiB of text that holds
 * trigger characters (bench/detect-innate.ts). Three views: what the
 * application sees, one more URL decoding (double encoding), one HTML-entity
 * decoding; a value encoded three times is unusual enough for the profile to
 * notice on its own. 256 values per observation matches the profile's
 * maxParamsPerRequest. Headers: user-agent and referer are the ones that
 * applications log and echo (log injection, Shellshock, reflected referers);
 * cookies are opaque tokens in most applications and are left to the
 * profile.
 */
export const defaultInnateParams: Readonly<InnateParams> = Object.freeze({
  grammars: Object.freeze([...INNATE_GRAMMARS]),
  maxValueChars: 65_536,
  maxViews: 3,
  maxValuesPerObservation: 256,
  headers: Object.freeze(['user-agent', 'referer'])
})

export function createInnateParams (partial: Partial<InnateParams> = {}): Readonly<InnateParams> {
  const p: InnateParams = { ...defaultInnateParams }
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v
  validateInnateParams(p)
  return Object.freeze({ ...p, grammars: Object.freeze([...p.grammars]), headers: Object.freeze(p.headers.map((h) => h.toLowerCase())) })
}

function intIn (p: InnateParams, f: 'maxValueChars' | 'maxViews' | 'maxValuesPerObservation', min: number, max: number): void {
  const v = p[f]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(`innate.${f}`, v, `an integer in [${min}, ${max}]`)
}

/** Throws InvalidParamsError (IMMUNE_ERR_INVALID_PARAMS) naming the first bad field. */
export function validateInnateParams (p: InnateParams): void {
  if (!Array.isArray(p.grammars) || p.grammars.some((g) => !(INNATE_GRAMMARS as readonly string[]).includes(g))) {
    throw new InvalidParamsError('innate.grammars', p.grammars, `an array of ${INNATE_GRAMMARS.join(', ')}`)
  }
  intIn(p, 'maxValueChars', 1, 16 * 1024 * 1024)
  intIn(p, 'maxViews', 1, 3)
  intIn(p, 'maxValuesPerObservation', 1, 100_000)
  if (!Array.isArray(p.headers) || p.headers.some((h) => typeof h !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h))) {
    throw new InvalidParamsError('innate.headers', p.headers, 'an array of header names')
  }
}
