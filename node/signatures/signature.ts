/**
 * What a signature is and when it matches: the one definition that clonal
 * selection, the matcher and vetting share.
 *
 * Matching semantics. A signature {context, parameter, tokens} matches an
 * observation seen in context C when
 *   - `context` is '' (any context) or equals C, and
 *   - ALL `tokens` occur as substrings of ONE document of the observation:
 *     if `parameter` != '': one canonical value of that parameter (any of its
 *     occurrences in the query or the body); if `parameter` == '': the
 *     canonical whole request (path, query pairs and body pairs; see
 *     documents.ts), which contains every single value.
 * Documents are in canonical form (canonical.ts): form-decoded, decoded a second
 * time when escapes remain (double encoding), lower-cased. Tokens are compared
 * verbatim, so a valid token is itself lower-case; parameter names are
 * compared lower-cased.
 */
import { createHash } from 'node:crypto'
import { InvalidParamsError } from '../errors.js'
import type { HttpObservation } from '../observation.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import { canonicalParameterName, observationDocs } from './documents.js'
import type { ObservationDocs } from './documents.js'

/** The generator name and version this module writes into signatures. */
export const CLONAL_GENERATOR = 'clonal-token-set/1'

/**
 * Shape rules that a good signature obeys; the generator follows them and
 * vetting rejects a peer's signature that breaks them (same defaults on both
 * sides, so an honest peer's signatures pass).
 */
export interface SignatureRulesParams {
  /** Shortest token (characters). 3 follows Polygraph's observation that 2-byte tokens are too common to be specific. */
  minTokenLength: number
  /** Longest token (characters); longer words are not used as tokens. */
  maxTokenLength: number
  minTokens: number
  maxTokens: number
  /** The tokens together must have at least this many characters. */
  minTotalChars: number
  /** Tokens that are generic in any web traffic; never used, and a peer's signature holding one is rejected. */
  genericTokens: readonly string[]
  /** Longest accepted generator string. */
  maxGeneratorLength: number
}

export const defaultSignatureRulesParams: Readonly<SignatureRulesParams> = Object.freeze({
  minTokenLength: 3,
  maxTokenLength: 32,
  minTokens: 1,
  maxTokens: 8,
  minTotalChars: 6,
  genericTokens: Object.freeze(['http', 'https', 'www', 'com', 'org', 'net', 'html', 'htm', 'php', 'jsp', 'asp', 'aspx', 'index', 'the']),
  maxGeneratorLength: 64
})

function intInRange (p: Record<string, unknown>, field: string, min: number, max: number): void {
  const v = p[field]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidParamsError(field, v, `an integer in [${min}, ${max}]`)
  }
}

/** Validate the shared rules (used by the clonal-selection and vetting params validators). */
export function validateSignatureRulesParams (p: SignatureRulesParams): void {
  const r = p as unknown as Record<string, unknown>
  intInRange(r, 'minTokenLength', 1, 256)
  intInRange(r, 'maxTokenLength', p.minTokenLength, 1024)
  intInRange(r, 'minTokens', 1, 64)
  intInRange(r, 'maxTokens', p.minTokens, 64)
  intInRange(r, 'minTotalChars', 0, 65536)
  intInRange(r, 'maxGeneratorLength', 1, 1024)
  if (!Array.isArray(p.genericTokens) || p.genericTokens.some((t) => typeof t !== 'string')) {
    throw new InvalidParamsError('genericTokens', p.genericTokens, 'an array of strings')
  }
}

/** A token made only of digits (and spaces) is never specific (ids, prices, quantities). */
export function isNumericToken (token: string): boolean {
  return /^[0-9\s]+$/.test(token)
}

/**
 * The signature id: sha-256 over (context, parameter, sorted tokens), first
 * 16 bytes in hex. Token order does not change the id.
 */
export function signatureId (context: string, parameter: string, tokens: readonly string[]): string {
  const canonical = JSON.stringify([context, parameter, [...tokens].sort()])
  return createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 32)
}

/** Build a signature with its id. */
export function makeSignature (init: Omit<SignatureIndicator, 'id'>): SignatureIndicator {
  return {
    id: signatureId(init.context, init.parameter, init.tokens),
    context: init.context,
    parameter: init.parameter,
    tokens: [...init.tokens],
    generator: init.generator,
    sampleCount: init.sampleCount
  }
}

function allIn (text: string, tokens: readonly string[], start: number, end: number): boolean {
  for (const t of tokens) {
    // the first occurrence at or after `start`; any later one ends later still
    const at = text.indexOf(t, start)
    if (at < 0 || at + t.length > end) return false
  }
  return true
}

/** The signature's tokens all occur in one document of `docs` (context is not checked here). */
export function signatureMatchesDocs (sig: Pick<SignatureIndicator, 'parameter' | 'tokens'>, docs: ObservationDocs): boolean {
  if (sig.tokens.length === 0) return false
  if (sig.parameter === '') return allIn(docs.whole, sig.tokens, 0, docs.whole.length)
  const name = canonicalParameterName(sig.parameter)
  for (const span of docs.spans) {
    if (span.name === name && allIn(docs.whole, sig.tokens, span.start, span.end)) return true
  }
  return false
}

/** The context rule: '' matches any context. */
export function signatureAppliesTo (sig: Pick<SignatureIndicator, 'context'>, context: string): boolean {
  return sig.context === '' || sig.context === context
}

/** The reference (naive) matcher: the semantics in the module comment, one signature, one observation. */
export function signatureMatches (sig: Pick<SignatureIndicator, 'context' | 'parameter' | 'tokens'>, context: string, obs: HttpObservation): boolean {
  return signatureAppliesTo(sig, context) && signatureMatchesDocs(sig, observationDocs(obs))
}
