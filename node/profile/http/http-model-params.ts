/**
 * Knobs of the HTTP context model (params pattern). Every cap bounds memory or
 * work per request so that hostile input cannot exhaust the node.
 */
import { InvalidParamsError } from '../../errors.js'

import type { Combination } from './term-sink.js'

export interface HttpModelParams {
  /**
   * How a request's p-values become one: 'order' = the most surprising of the
   * first three order statistics, each with the union-bound correction
   * C(m, j)·p_(j)^j (j = 1 is the Bonferroni minimum); 'order-families' =
   * the same with one p-value per family of entangled tests in the j = 2, 3
   * terms (term-sink.ts); 'min' = the Bonferroni
   * minimum alone; 'fisher' = Fisher's method inside each parameter, then the
   * Bonferroni minimum over parameters; 'product' = likewise with the product.
   */
  combination: Combination
  /** Parameters read from one request (query + body); the rest count as one "too many parameters" term. */
  maxParamsPerRequest: number
  /** Parameter models per context; names beyond are still tracked as names but their values are not modelled. */
  maxParamsPerContext: number
  /** Characters of a value analysed for characters, structure and 3-grams (the length feature sees the whole value). */
  maxAnalysedChars: number
  /** A parameter with more distinct values than this is not an enumeration (feature turned off). */
  maxEnumValues: number
  /** A parameter with a value longer than this is not an enumeration. */
  maxEnumValueChars: number
  /** Distinct shapes kept per parameter (beyond, new shapes count as singletons). */
  maxShapes: number
  /** Shape characters kept (run-collapsed) before cutting. */
  maxShapeChars: number
  /** Distinct 3-grams kept per parameter. */
  maxGrams: number
  /** Distinct symbol characters kept per parameter. */
  maxSymbols: number
  /** Distinct parameter orders kept per context. */
  maxOrders: number
  /** Distinct parameter names kept per context. */
  maxParamNames: number
  /**
   * Smallest p-value one empirical test may give before its extrapolated tail
   * (add-one smoothing alone gives 1/(n+1), which keeps falling as the model
   * ages). A floor that does not move with n keeps a young model's scores
   * comparable with an old one's, which threshold calibration relies on.
   */
  minP: number
  /** Geometric factor per novel item beyond the training range (see NoveltyTracker). */
  noveltyTailFactor: number
  /** Terms with a p-value above this are not reported as reasons. */
  reasonMaxP: number
  /** Reasons kept per score. */
  maxReasons: number
  /**
   * Parameter names dropped before learning and scoring: tracking tags that
   * marketing adds to links (a trailing '*' matches a prefix; case-insensitive).
   */
  ignoreParameters: readonly string[]
  /**
   * Request headers modelled app-wide, one model each (lower-case names;
   * their values must be in the observation's `headers`). Cookies are
   * modelled by name apart (`modelCookies`).
   */
  headers: readonly string[]
  /** Model every cookie of the Cookie header by its name (`cookie:<name>`). */
  modelCookies: boolean
  /** Cookie names dropped (analytics and ad cookies; trailing '*' = prefix). */
  ignoreCookies: readonly string[]
  /** Cookie names modelled per application; further names only count as unknown. */
  maxCookieNames: number
  /**
   * Lengths beyond the longest seen are judged by a Chebyshev tail whose
   * spread is at least this fraction of the mean length, without the
   * empirical "longer than any" p-value (0: off; header models use 0.25).
   */
  relativeLength: number
}

/**
 * Cookies that analytics and ad scripts set on every site (Google Analytics
 * and Ads, Meta, Microsoft Clarity and Ads, Hotjar, Segment, HubSpot,
 * Mixpanel, Matomo): a visitor brings new ones after every campaign.
 */
export const DEFAULT_TRACKING_COOKIES: readonly string[] = Object.freeze([
  '_ga*', '_gid', '_gat*', '_gcl_*', '__utm*', '_fbp', '_fbc', '_clck', '_clsk', '_uetsid', '_uetvid', 'muid', '_hj*',
  'ajs_*', '__hs*', 'hubspotutk', 'mp_*', '_pk_*', '_dc_gtm_*'
])

/**
 * Tracking tags of the common analytics and ad platforms (click ids and
 * campaign tags that links carry into any page): Google (utm_*, gclid,
 * gclsrc, dclid, gbraid, wbraid, _ga, _gl), Meta (fbclid, igshid), Microsoft
 * (msclkid), Yandex (yclid), X (twclid), TikTok (ttclid), LinkedIn
 * (li_fat_id), Mailchimp (mc_cid, mc_eid), HubSpot (_hsenc, _hsmi, __hs*),
 * Marketo (mkt_tok), Adobe (s_cid, ef_id), Matomo/Piwik (mtm_*, pk_*).
 */
export const DEFAULT_TRACKING_PARAMETERS: readonly string[] = Object.freeze([
  'utm_*', 'gclid', 'gclsrc', 'dclid', 'gbraid', 'wbraid', '_ga', '_gl', 'fbclid', 'igshid', 'msclkid', 'yclid', 'twclid', 'ttclid',
  'li_fat_id', 'mc_cid', 'mc_eid', '_hsenc', '_hsmi', '__hs*', 'mkt_tok', 's_cid', 'ef_id', 'mtm_*', 'pk_*'
])

/** A predicate for names matching any pattern (exact or, with a trailing '*', prefix; case-insensitive). */
export function nameMatcher (patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false
  const exact = new Set<string>()
  const prefixes: string[] = []
  for (const p of patterns) {
    const l = p.toLowerCase()
    if (l.endsWith('*')) prefixes.push(l.slice(0, -1))
    else exact.add(l)
  }
  // names repeat: remember the answer for the names met (bounded)
  const memo = new Map<string, boolean>()
  return (name) => {
    if (name.length > 64) return false
    const known = memo.get(name)
    if (known !== undefined) return known
    const l = name.toLowerCase()
    let hit = exact.has(l)
    for (let i = 0; !hit && i < prefixes.length; i++) hit = l.startsWith(prefixes[i])
    if (memo.size >= 4096) memo.clear()
    memo.set(name, hit)
    return hit
  }
}

/**
 * Defaults. Enumeration bound 64 and the feature set follow Kruegel & Vigna
 * (2003, "token finder": a parameter whose distinct values stop growing);
 * the caps were sized on CSIC 2010 (the largest parameter, `direccion`, has
 * ≈4,000 distinct 3-grams in 1,000 values) with a 5× margin.
 * combination 'order' and minP 0.001 were chosen on CSIC 2010 training data
 * with 5-fold scoring against the test files (docs/detection.md):
 * ROC-AUC 'order' 0.9996, 'min' 0.9994, 'fisher' 0.9969, 'product' 0.9957;
 * minP 0.001 vs 0.002: R-precision 0.994 vs 0.987.
 */
export const defaultHttpModelParams: Readonly<HttpModelParams> = Object.freeze({
  combination: 'order' as Combination,
  maxParamsPerRequest: 256,
  maxParamsPerContext: 128,
  maxAnalysedChars: 2048,
  maxEnumValues: 64,
  maxEnumValueChars: 64,
  maxShapes: 1024,
  maxShapeChars: 48,
  maxGrams: 20_000,
  maxSymbols: 512,
  maxOrders: 256,
  maxParamNames: 1024,
  minP: 0.001,
  noveltyTailFactor: 0.25,
  reasonMaxP: 0.05,
  maxReasons: 5,
  ignoreParameters: DEFAULT_TRACKING_PARAMETERS,
  headers: Object.freeze(['user-agent', 'referer']),
  modelCookies: true,
  ignoreCookies: DEFAULT_TRACKING_COOKIES,
  maxCookieNames: 64,
  relativeLength: 0
})

export function createHttpModelParams (partial: Partial<HttpModelParams> = {}): Readonly<HttpModelParams> {
  const p: HttpModelParams = { ...defaultHttpModelParams }
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v
  validateHttpModelParams(p)
  return Object.freeze(p)
}

function intIn (p: HttpModelParams, f: keyof HttpModelParams, min: number, max: number): void {
  const v = p[f]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(`httpModel.${f}`, v, `an integer in [${min}, ${max}]`)
}

function numIn (p: HttpModelParams, f: keyof HttpModelParams, min: number, max: number): void {
  const v = p[f]
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new InvalidParamsError(`httpModel.${f}`, v, `a number in [${min}, ${max}]`)
}

export function validateHttpModelParams (p: HttpModelParams): void {
  if (!['min', 'order', 'order-families', 'fisher', 'product'].includes(p.combination)) throw new InvalidParamsError('httpModel.combination', p.combination, '"order", "order-families", "min", "fisher" or "product"')
  intIn(p, 'maxParamsPerRequest', 1, 10_000)
  intIn(p, 'maxParamsPerContext', 1, 10_000)
  intIn(p, 'maxAnalysedChars', 16, 1 << 20)
  intIn(p, 'maxEnumValues', 1, 10_000)
  intIn(p, 'maxEnumValueChars', 1, 10_000)
  intIn(p, 'maxShapes', 1, 1_000_000)
  intIn(p, 'maxShapeChars', 4, 4096)
  intIn(p, 'maxGrams', 1, 10_000_000)
  intIn(p, 'maxSymbols', 1, 65_536)
  intIn(p, 'maxOrders', 1, 1_000_000)
  intIn(p, 'maxParamNames', 1, 1_000_000)
  numIn(p, 'minP', 0, 0.5)
  numIn(p, 'noveltyTailFactor', 1e-6, 1)
  numIn(p, 'reasonMaxP', 0, 1)
  intIn(p, 'maxReasons', 0, 100)
  if (!Array.isArray(p.ignoreParameters) || p.ignoreParameters.length > 1000 || p.ignoreParameters.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 64 || x === '*')) {
    throw new InvalidParamsError('httpModel.ignoreParameters', p.ignoreParameters, 'an array of at most 1000 parameter names (1–64 characters, a trailing * for a prefix, not * alone)')
  }
  if (!Array.isArray(p.ignoreCookies) || p.ignoreCookies.length > 1000 || p.ignoreCookies.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 64 || x === '*')) {
    throw new InvalidParamsError('httpModel.ignoreCookies', p.ignoreCookies, 'an array of at most 1000 cookie names (1–64 characters, a trailing * for a prefix, not * alone)')
  }
  if (!Array.isArray(p.headers) || p.headers.length > 64 || p.headers.some((h) => typeof h !== 'string' || !/^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(h) || h === 'cookie' || h === 'host')) {
    throw new InvalidParamsError('httpModel.headers', p.headers, 'at most 64 lower-case header names (not cookie, which modelCookies covers, nor host)')
  }
  if (typeof p.modelCookies !== 'boolean') throw new InvalidParamsError('httpModel.modelCookies', p.modelCookies, 'true or false')
  intIn(p, 'maxCookieNames', 0, 10_000)
  numIn(p, 'relativeLength', 0, 100)
}
