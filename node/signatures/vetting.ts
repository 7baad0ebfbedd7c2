/**
 * Vetting a signature received from a peer (DESIGN.md invariant 2, "check,
 * don't trust"): adopt it only if it matches nothing in the local normal
 * sample, and only if it is well formed and specific.
 *
 * Checks, in order (the first failing one is the verdict; the normal-match
 * count is always computed when the tokens can be evaluated):
 *   1. malformed shape: not strings, no tokens, too many tokens, id not the
 *      digest of (context, parameter, tokens) → 'malformed';
 *   2. matches normal: any observation of the sample in scope (the context's,
 *      or all contexts for context '') matched by the signature under the
 *      shared semantics (signature.ts) → 'matches-normal';
 *   3. malformed tokens: shorter or longer than allowed, not canonical
 *      (upper case cannot ever match), duplicated, too little text in total,
 *      bad generator or sampleCount → 'malformed';
 *   4. too generic: a token from the generic list, a number, or a token that
 *      occurs in more than `maxTokenContextRate` of the normal requests in
 *      scope (e.g. the whole value of a normal enumeration, a path segment) →
 *      'too-generic';
 *   5. fewer than `minNormalSamples` normal observations in scope: nothing to
 *      vet against yet → 'insufficient-normal' (not adopted, not the peer's
 *      fault: keep it pending and vet again later);
 *   6. otherwise → 'adopted'.
 * For reputation: 'malformed', 'matches-normal' and 'too-generic' are evidence
 * against the origin; 'insufficient-normal' is not.
 */
import { InvalidParamsError } from '../errors.js'
import type { HttpObservation } from '../observation.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import { canonicalParameterName, observationDocs } from './documents.js'
import type { NormalSample, ReservoirEntry } from './reservoir.js'
import { defaultSignatureRulesParams, isNumericToken, signatureId, signatureMatchesDocs, validateSignatureRulesParams } from './signature.js'
import type { SignatureRulesParams } from './signature.js'

export type VetCode = 'adopted' | 'malformed' | 'matches-normal' | 'too-generic' | 'insufficient-normal'

export interface VetResult {
  adopted: boolean
  code: VetCode
  /** One line for people and logs. */
  reason: string
  /** Normal observations in scope that the signature matched. */
  normalMatches: number
  /** Normal observations in scope that it was tested against. */
  normalChecked: number
  /** Up to `sampleSize` of the matched normal observations. */
  sample: ReservoirEntry[]
}

export interface VettingParams extends SignatureRulesParams {
  /** A token in more than this share of the normal requests in scope is too generic. */
  maxTokenContextRate: number
  minNormalSamples: number
  /** Matched normal observations reported. */
  sampleSize: number
}

export const defaultVettingParams: Readonly<VettingParams> = Object.freeze({
  ...defaultSignatureRulesParams,
  maxTokenContextRate: 0.05,
  minNormalSamples: 20,
  sampleSize: 3
})

export function validateVettingParams (p: VettingParams): void {
  validateSignatureRulesParams(p)
  if (typeof p.maxTokenContextRate !== 'number' || !(p.maxTokenContextRate >= 0 && p.maxTokenContextRate <= 1)) {
    throw new InvalidParamsError('maxTokenContextRate', p.maxTokenContextRate, 'a number in [0, 1]')
  }
  for (const [field, max] of [['minNormalSamples', 10_000_000], ['sampleSize', 1000]] as const) {
    const v = p[field]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new InvalidParamsError(field, v, `an integer in [0, ${max}]`)
  }
}

export function createVettingParams (partial: Partial<VettingParams> = {}): Readonly<VettingParams> {
  const p = { ...defaultVettingParams, ...partial }
  validateVettingParams(p)
  return Object.freeze(p)
}

function scope (sig: SignatureIndicator, normal: NormalSample): readonly ReservoirEntry[] {
  if (sig.context === '') return normal.all()
  return normal.values(sig.context).map((obs: HttpObservation) => ({ context: sig.context, obs }))
}

/** Structural problems that make the tokens impossible to evaluate, or the id a lie. */
function shapeProblem (sig: SignatureIndicator, p: Readonly<VettingParams>): string | null {
  if (sig == null || typeof sig !== 'object') return 'not an object'
  if (typeof sig.id !== 'string' || typeof sig.context !== 'string' || typeof sig.parameter !== 'string') return 'id, context and parameter must be strings'
  if (!Array.isArray(sig.tokens) || sig.tokens.some((t) => typeof t !== 'string')) return 'tokens must be an array of strings'
  if (sig.tokens.length < p.minTokens) return `${sig.tokens.length} token(s), need at least ${p.minTokens}`
  if (sig.tokens.length > p.maxTokens) return `${sig.tokens.length} tokens, at most ${p.maxTokens} accepted`
  if (sig.tokens.some((t) => t.length === 0)) return 'empty token'
  if (sig.id !== signatureId(sig.context, sig.parameter, sig.tokens)) return 'id is not the digest of (context, parameter, tokens)'
  return null
}

function tokenProblem (sig: SignatureIndicator, p: Readonly<VettingParams>): string | null {
  for (const t of sig.tokens) {
    if (t.length < p.minTokenLength) return `token ${JSON.stringify(t)} is shorter than ${p.minTokenLength} characters`
    if (t.length > p.maxTokenLength) return `token ${JSON.stringify(t.slice(0, 40))}... is longer than ${p.maxTokenLength} characters`
    if (t !== t.toLowerCase()) return `token ${JSON.stringify(t)} is not in canonical (lower-case) form and can never match`
  }
  if (new Set(sig.tokens).size !== sig.tokens.length) return 'duplicate tokens'
  const chars = sig.tokens.reduce((n, t) => n + t.length, 0)
  if (chars < p.minTotalChars) return `${chars} characters of tokens in total, need ${p.minTotalChars}`
  if (sig.parameter !== canonicalParameterName(sig.parameter)) return `parameter ${JSON.stringify(sig.parameter)} is not in canonical (lower-case) form`
  if (typeof sig.generator !== 'string' || sig.generator.length === 0 || sig.generator.length > p.maxGeneratorLength) return 'generator must be a non-empty string'
  if (typeof sig.sampleCount !== 'number' || !Number.isInteger(sig.sampleCount) || sig.sampleCount < 1) return 'sampleCount must be a positive integer'
  return null
}

function genericProblem (sig: SignatureIndicator, entries: readonly ReservoirEntry[], p: Readonly<VettingParams>): string | null {
  const generic = new Set(p.genericTokens)
  for (const t of sig.tokens) {
    if (generic.has(t)) return `token ${JSON.stringify(t)} is a generic word`
    if (isNumericToken(t)) return `token ${JSON.stringify(t)} is a number`
  }
  if (entries.length === 0) return null
  const limit = p.maxTokenContextRate * entries.length
  for (const t of sig.tokens) {
    let n = 0
    for (const e of entries) if (observationDocs(e.obs).whole.includes(t)) n++
    if (n > limit) return `token ${JSON.stringify(t)} occurs in ${n} of ${entries.length} normal requests (more than ${(p.maxTokenContextRate * 100).toFixed(1)}%)`
  }
  return null
}

/** Vet one signature against a normal sample (pure; see the module comment for the order of checks). */
export function vetSignature (sig: SignatureIndicator, normal: NormalSample, params: Readonly<VettingParams> = defaultVettingParams): VetResult {
  const shape = shapeProblem(sig, params)
  if (shape != null) return { adopted: false, code: 'malformed', reason: `malformed: ${shape}`, normalMatches: 0, normalChecked: 0, sample: [] }

  const entries = scope(sig, normal)
  let normalMatches = 0
  const sample: ReservoirEntry[] = []
  for (const e of entries) {
    if (signatureMatchesDocs(sig, observationDocs(e.obs))) {
      normalMatches++
      if (sample.length < params.sampleSize) sample.push(e)
    }
  }
  const base = { normalMatches, normalChecked: entries.length, sample }
  if (normalMatches > 0) {
    return { ...base, adopted: false, code: 'matches-normal', reason: `matches ${normalMatches} of ${entries.length} normal observations${sig.context === '' ? ' (all contexts)' : ` in ${sig.context}`}` }
  }
  const tokens = tokenProblem(sig, params)
  if (tokens != null) return { ...base, adopted: false, code: 'malformed', reason: `malformed: ${tokens}` }
  const generic = genericProblem(sig, entries, params)
  if (generic != null) return { ...base, adopted: false, code: 'too-generic', reason: `too generic: ${generic}` }
  if (entries.length < params.minNormalSamples) {
    return { ...base, adopted: false, code: 'insufficient-normal', reason: `only ${entries.length} normal observation(s) to vet against, need ${params.minNormalSamples}` }
  }
  return { ...base, adopted: true, code: 'adopted', reason: `matches none of ${entries.length} normal observations` }
}

export interface SignatureVetter {
  vet: (sig: SignatureIndicator) => VetResult
}

/** A vetter bound to the node's reservoir and validated params. */
export function createSignatureVetter (components: { reservoir: NormalSample }, init: Partial<VettingParams> = {}): SignatureVetter {
  const params = createVettingParams(init)
  return { vet: (sig) => vetSignature(sig, components.reservoir, params) }
}
