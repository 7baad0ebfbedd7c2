/**
 * Clonal selection (KIS): when an observation reaches danger level two, make a
 * signature from the parts of the offending value(s) that the context's
 * normal sample (the "self", reservoir.ts) does not contain.
 *
 *   1. Candidates: the segment-aligned substrings of the canonical value
 *      (tokens.ts), minus generic tokens and numbers.
 *   2. Negative selection against self: keep the candidates whose document
 *      frequency in the parameter's normal values is at most
 *      `maxNormalDocFreq` (default 0: absent) and whose frequency in the
 *      context's whole normal requests is at most `maxContextDocFreq` (a token
 *      common elsewhere in the request is not specific, and peers' vetting
 *      rejects it as too generic).
 *   3. Generalisation (Polygraph's conjunction signatures): recent level-two
 *      values of the same context and parameter that share at least
 *      `clusterMinSimilarity` of the current minimal tokens join the cluster,
 *      and only the candidates common to every member survive.
 *   4. Minimal tokens only (a token containing another surviving token adds
 *      nothing but specificity to this one sample), digit-free ones first
 *      (numbers vary between instances of an attack), longest first, at most
 *      `maxTokens`; at least one token must be digit-free (tokens that all
 *      hold digits describe one instance, not an attack).
 *   5. The signature must match the offending observation and no observation
 *      of the normal sample (signature.ts semantics); otherwise it is refined
 *      with more tokens or given up with a reason.
 *   Innate focus: when the innate layer (node/innate) found where the value
 *   breaks out of its syntax, only candidates inside those injection spans
 *   (from the breaking token on) are kept, so the signature is cut around the
 *   breaking tokens (`' or`, `<script`, `union select`) rather than around
 *   whatever else the value holds (a user name, an id); without a candidate
 *   there, the whole value is mined as before.
 *
 * Only evidence worth sharing (issue 9):
 *   - only the parameters the detector's EVIDENCE reasons name are mined:
 *     never a parameter whose only surprise is novelty (a new value, a new
 *     name), and never the whole request (the values the profile judged
 *     normal in it are the client's data); an observation whose reasons are
 *     all novelty makes no signature;
 *   - no token that looks like personal data: none that lies in the value's
 *     leading data (the name, number or address before the first character
 *     that breaks out: `juan` in "juan' union select …"), none that holds an
 *     e-mail address or a run of three digits or more.
 */
import type { Clock } from '../../core/index.js'
import { InvalidParamsError } from '../errors.js'
import type { HttpObservation, ScoreReason } from '../observation.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import { buildAhoCorasick } from './aho-corasick.js'
import { canonicalParameterName, observationDocs, parameterValues } from './documents.js'
import type { NormalSample } from './reservoir.js'
import { CLONAL_GENERATOR, defaultSignatureRulesParams, isNumericToken, makeSignature, signatureMatchesDocs, validateSignatureRulesParams } from './signature.js'
import type { SignatureRulesParams } from './signature.js'
import { candidateTokens, minimalTokens } from './tokens.js'
import { evictOldest } from '../../core/index.js'

export interface ClonalSelectionParams extends SignatureRulesParams {
  /** Highest share of the parameter's normal values a token may occur in (0 = absent from all). */
  maxNormalDocFreq: number
  /** Highest share of the context's whole normal requests a token may occur in. */
  maxContextDocFreq: number
  /** Fewer normal observations than this in the context: no signature (rarity cannot be judged). */
  minNormalSamples: number
  /** Only the first characters of a value are mined (bounds the candidate count). */
  maxValueChars: number
  /** At most this many parameters (signatures) per observation. */
  maxParameters: number
  /** Level-two values older than this do not join a cluster. */
  clusterWindowMs: number
  /** Recent level-two values kept per (context, parameter). */
  clusterBufferSize: number
  /** (context, parameter) buffers kept; the least recently used is dropped. */
  clusterMaxKeys: number
  /** Share of the current minimal tokens a buffered value must contain to join the cluster. */
  clusterMinSimilarity: number
  generator: string
}

export const defaultClonalSelectionParams: Readonly<ClonalSelectionParams> = Object.freeze({
  ...defaultSignatureRulesParams,
  maxNormalDocFreq: 0,
  // below vetting's maxTokenContextRate (0.05) so that a peer with a similar self accepts our tokens
  maxContextDocFreq: 0.01,
  minNormalSamples: 20,
  maxValueChars: 2048,
  maxParameters: 4,
  clusterWindowMs: 10 * 60_000,
  clusterBufferSize: 16,
  clusterMaxKeys: 1024,
  clusterMinSimilarity: 0.5,
  generator: CLONAL_GENERATOR
})

export function validateClonalSelectionParams (p: ClonalSelectionParams): void {
  validateSignatureRulesParams(p)
  const rate = (field: keyof ClonalSelectionParams): void => {
    const v = p[field]
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new InvalidParamsError(field, v, 'a number in [0, 1]')
  }
  const int = (field: keyof ClonalSelectionParams, min: number, max: number): void => {
    const v = p[field]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(field, v, `an integer in [${min}, ${max}]`)
  }
  rate('maxNormalDocFreq')
  rate('maxContextDocFreq')
  rate('clusterMinSimilarity')
  int('minNormalSamples', 0, 10_000_000)
  int('maxValueChars', p.minTokenLength, 1_000_000)
  int('maxParameters', 1, 256)
  int('clusterWindowMs', 0, 365 * 86_400_000)
  int('clusterBufferSize', 0, 10_000)
  int('clusterMaxKeys', 1, 10_000_000)
  if (typeof p.generator !== 'string' || p.generator.length === 0 || p.generator.length > p.maxGeneratorLength) {
    throw new InvalidParamsError('generator', p.generator, `a non-empty string of at most ${p.maxGeneratorLength} characters`)
  }
}

export function createClonalSelectionParams (partial: Partial<ClonalSelectionParams> = {}): Readonly<ClonalSelectionParams> {
  const p = { ...defaultClonalSelectionParams, ...partial }
  validateClonalSelectionParams(p)
  return Object.freeze(p)
}

export interface TokenSelectionInput {
  /** The canonical offending value (a parameter value, or the whole request for parameter ''). */
  value: string
  /** Other recent anomalous values of the same context and parameter, newest first. */
  cluster: readonly string[]
  /** The same parameter's canonical values in the normal sample (whole requests for parameter ''). */
  normalDocs: readonly string[]
  /** The context's whole canonical normal requests. */
  contextDocs: readonly string[]
  /** Injection spans the innate layer found in this value, lower-case: candidates are taken from inside them when any are. */
  focus?: readonly string[]
}

/** The breakdown of one token selection. */
export interface TokenSelection {
  /** Chosen tokens, most specific first (empty when none qualify). */
  tokens: string[]
  /** Minimal tokens that qualified but were not chosen (cap), in rank order: material to refine with. */
  spare: string[]
  /** Values generalised over, including `value`. */
  members: number
  candidates: number
  /** Candidates that passed negative selection (rare enough in the normal sample). */
  rare: number
  minimal: number
  reason: string
}

function docFrequencies (tokens: readonly string[], docs: readonly string[]): Int32Array {
  const counts = new Int32Array(tokens.length)
  if (tokens.length === 0 || docs.length === 0) return counts
  const ac = buildAhoCorasick(tokens)
  const position = new Map<string, number>()
  tokens.forEach((t, i) => { if (!position.has(t)) position.set(t, i) })
  const index = ac.patterns.map((p) => position.get(p) as number)
  const stamp = new Int32Array(ac.patterns.length).fill(-1)
  for (let d = 0; d < docs.length; d++) {
    ac.scan(docs[d], (p) => {
      if (stamp[p] !== d) { stamp[p] = d; counts[index[p]]++ }
    })
  }
  return counts
}

function rank (tokens: readonly string[], value: string): string[] {
  const pos = new Map(tokens.map((t) => [t, value.indexOf(t)]))
  const digits = (t: string): number => /[0-9]/.test(t) ? 1 : 0
  return [...tokens].sort((a, b) => digits(a) - digits(b) || b.length - a.length || (pos.get(a) ?? 0) - (pos.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0))
}

function choose (ranked: readonly string[], params: SignatureRulesParams): { tokens: string[], spare: string[] } {
  const digitFree = ranked.filter((t) => !/[0-9]/.test(t))
  const tokens = digitFree.slice(0, params.maxTokens)
  let chars = tokens.reduce((n, t) => n + t.length, 0)
  // tokens with digits only when the digit-free ones are not enough
  for (const t of ranked) {
    if (tokens.length >= params.maxTokens || (tokens.length >= params.minTokens && chars >= params.minTotalChars)) break
    if (/[0-9]/.test(t)) { tokens.push(t); chars += t.length }
  }
  const chosen = new Set(tokens)
  return { tokens, spare: ranked.filter((t) => !chosen.has(t)) }
}

function enough (tokens: readonly string[], params: SignatureRulesParams): boolean {
  return tokens.length >= params.minTokens && tokens.reduce((n, t) => n + t.length, 0) >= params.minTotalChars &&
    tokens.some((t) => !/[0-9]/.test(t))
}

/**
 * Pure token selection (steps 1-4 of the module comment), with its breakdown.
 */
/** Where the value's leading data ends: letters, digits, spaces and . - _ @ + (a name, a number, an address) before the first other character. */
export function leadingDataEnd (value: string): number {
  let i = 0
  while (i < value.length) {
    const c = value.charCodeAt(i)
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 32 || c === 46 || c === 45 || c === 95 || c === 64 || c === 43 || c >= 128) i++
    else break
  }
  return i
}

const EMAIL_LIKE = /[a-z0-9._%+-]@[a-z0-9-]/i
const EMAIL_SPAN = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*/gi
const DIGIT_RUN = /[0-9]{3}/

/** True when a token looks like personal data: an e-mail address or a run of three digits (numbers, ids, phones). */
export function looksPersonal (token: string): boolean {
  return EMAIL_LIKE.test(token) || DIGIT_RUN.test(token)
}

export function selectTokens (input: TokenSelectionInput, params: Readonly<ClonalSelectionParams>): TokenSelection {
  const value = input.value.slice(0, params.maxValueChars)
  const generic = new Set(params.genericTokens)
  // the client's own data: what precedes the first breaking character, when something breaks out after it
  const dataEnd = leadingDataEnd(value)
  const data = dataEnd < value.length ? value.slice(0, dataEnd) : ''
  // e-mail addresses anywhere in the value: no token may hold part of one
  const mails: Array<[number, number]> = []
  for (const m of value.matchAll(EMAIL_SPAN)) mails.push([m.index, m.index + m[0].length])
  const inData = (t: string): boolean => {
    // every occurrence of the token lies in the client's data (the leading data or an e-mail address)
    for (let i = value.indexOf(t); i >= 0; i = value.indexOf(t, i + 1)) {
      const end = i + t.length
      if (!((data !== '' && i < dataEnd) || mails.some(([a, b]) => i < b && end > a))) return false
    }
    return true
  }
  const all = candidateTokens(value, params).filter((t) => !generic.has(t) && !isNumericToken(t) && !looksPersonal(t) && !inData(t))
  const focus = input.focus ?? []
  const focused = focus.length === 0 ? all : all.filter((t) => focus.some((f) => f.includes(t)))
  const candidates = focused.length > 0 ? focused : all
  const result = (tokens: string[], spare: string[], members: number, rare: number, minimal: number, reason: string): TokenSelection =>
    ({ tokens, spare, members, candidates: candidates.length, rare, minimal, reason })
  if (candidates.length === 0) return result([], [], 1, 0, 0, 'no candidate token (value too short, only numbers, generic words or the client\'s own data)')

  // negative selection against the normal sample
  const sameDocs = input.contextDocs === input.normalDocs
  const df = docFrequencies(candidates, input.normalDocs)
  const maxDf = (sameDocs ? Math.min(params.maxNormalDocFreq, params.maxContextDocFreq) : params.maxNormalDocFreq) * input.normalDocs.length
  let rare = candidates.filter((_, i) => df[i] <= maxDf)
  if (!sameDocs && rare.length > 0) {
    const cdf = docFrequencies(rare, input.contextDocs)
    const maxCdf = params.maxContextDocFreq * input.contextDocs.length
    rare = rare.filter((_, i) => cdf[i] <= maxCdf)
  }
  if (rare.length === 0) return result([], [], 1, 0, 0, 'every candidate token occurs in the normal sample')

  // generalisation over similar anomalous values (conjunction of shared tokens)
  let pool = rare
  let members = 1
  for (const other of input.cluster) {
    const minimal = minimalTokens(pool)
    const contained = minimal.filter((t) => other.includes(t)).length
    if (minimal.length === 0 || contained / minimal.length < params.clusterMinSimilarity) continue
    const shared = pool.filter((t) => other.includes(t))
    if (!enough(minimalTokens(shared), params)) continue
    pool = shared
    members++
  }

  const minimal = minimalTokens(pool)
  const { tokens, spare } = choose(rank(minimal, value), params)
  if (!enough(tokens, params)) {
    return result([], spare, members, rare.length, minimal.length, `too little distinctive text: ${tokens.length} token(s), ${tokens.reduce((n, t) => n + t.length, 0)} characters (need ${params.minTokens} and ${params.minTotalChars}, and one token without digits)`)
  }
  return result(tokens, spare, members, rare.length, minimal.length, members > 1 ? `generalised over ${members} similar values` : 'single value')
}

/** What happened for one parameter of the observation. */
export interface SignatureOutcome {
  parameter: string
  signature: SignatureIndicator | null
  reason: string
  selection: TokenSelection | null
}

export interface ClonalSelectionResult {
  /** The signatures made (at most one per parameter), ready to publish and adopt. */
  signatures: SignatureIndicator[]
  outcomes: SignatureOutcome[]
}

export interface ClonalSelectionComponents {
  reservoir: NormalSample
  clock: Clock
}

export interface ClonalSelection {
  /**
   * Make signatures from an observation that reached danger level two in
   * `context`. `reasons` (the detector's, or plain parameter names) pick the
   * offending parameters: only evidence reasons count (a reason marked
   * `novelty` never does); without any the request holds, no signature is
   * made.
   */
  generate: (context: string, obs: HttpObservation, reasons?: ReadonlyArray<ScoreReason | string>, focus?: readonly InnateFocus[]) => ClonalSelectionResult
  /** Forget the buffered level-two values (cluster material). */
  clear: () => void
}

/** Where the innate layer found an injection: the parameter ('' for the path) and the span from the breaking token on. */
export interface InnateFocus { parameter: string, text: string }

interface Buffered { value: string, time: number }

export function createClonalSelection (components: ClonalSelectionComponents, init: Partial<ClonalSelectionParams> = {}): ClonalSelection {
  const params = createClonalSelectionParams(init)
  const { reservoir, clock } = components
  const buffers = new Map<string, Buffered[]>()

  const recall = (key: string, now: number, exclude: string): string[] => {
    const buf = buffers.get(key)
    if (buf == null) return []
    const out: string[] = []
    for (let i = buf.length - 1; i >= 0; i--) {
      const b = buf[i]
      if (now - b.time <= params.clusterWindowMs && b.value !== exclude) out.push(b.value)
    }
    return out
  }

  const remember = (key: string, value: string, now: number): void => {
    if (params.clusterBufferSize === 0) return
    let buf = buffers.get(key)
    if (buf == null) {
      evictOldest(buffers, params.clusterMaxKeys - 1)
      buf = []
    } else buffers.delete(key)
    buffers.set(key, buf) // most recently used last
    const existing = buf.findIndex((b) => b.value === value)
    if (existing >= 0) buf.splice(existing, 1)
    buf.push({ value, time: now })
    while (buf.length > params.clusterBufferSize) buf.shift()
  }

  const forParameter = (context: string, parameter: string, obs: HttpObservation, normal: readonly HttpObservation[], contextDocs: string[], focusAll: readonly InnateFocus[]): SignatureOutcome => {
    const focus = focusAll.filter((f) => parameter === '' || canonicalParameterName(f.parameter) === parameter).map((f) => f.text.toLowerCase())
    const docs = observationDocs(obs)
    const values = parameterValues(docs, parameter).map((v) => v.slice(0, params.maxValueChars))
    const normalDocs = parameter === '' ? contextDocs : normal.flatMap((o) => parameterValues(observationDocs(o), parameter))
    const key = `${context}\u0000${parameter}`
    const now = clock.now()
    // with repeated parameters, mine the occurrence that gives the most rare tokens
    let best: { value: string, selection: TokenSelection } | null = null
    for (const value of values) {
      const selection = selectTokens({ value, cluster: recall(key, now, value), normalDocs, contextDocs, focus }, params)
      if (best == null || selection.tokens.length > best.selection.tokens.length || (selection.tokens.length === best.selection.tokens.length && selection.rare > best.selection.rare)) best = { value, selection }
    }
    if (best == null) return { parameter, signature: null, reason: `parameter ${JSON.stringify(parameter)} is not in the request`, selection: null }
    remember(key, best.value, now)
    const { selection } = best
    if (selection.tokens.length === 0) return { parameter, signature: null, reason: selection.reason, selection }

    // the signature must never match the node's own normal sample
    const tokens = [...selection.tokens]
    const spare = [...selection.spare]
    const matchesNormal = (t: string[]): boolean => normal.some((o) => signatureMatchesDocs({ parameter, tokens: t }, observationDocs(o)))
    while (matchesNormal(tokens)) {
      const next = spare.shift()
      if (next == null || tokens.length >= params.maxTokens) {
        return { parameter, signature: null, reason: 'every token set drawn from the value matches the normal sample', selection }
      }
      tokens.push(next)
    }
    const signature = makeSignature({ context, parameter, tokens, generator: params.generator, sampleCount: selection.members })
    if (!signatureMatchesDocs(signature, docs)) {
      // cannot happen with substrings of the value; kept as a guard on the semantics
      return { parameter, signature: null, reason: 'the token set does not match the offending request', selection }
    }
    return { parameter, signature, reason: selection.reason, selection }
  }

  return {
    generate (context, obs, reasons, focus = []) {
      const normal = reservoir.values(context)
      if (normal.length < params.minNormalSamples) {
        return { signatures: [], outcomes: [{ parameter: '', signature: null, reason: `insufficient normal sample: ${normal.length} observation(s) in context, need ${params.minNormalSamples}`, selection: null }] }
      }
      const docs = observationDocs(obs)
      const present = new Set(docs.spans.map((s) => s.name))
      const named: string[] = []
      let evidence = 0
      // the innate layer's injection spans are evidence; so are the detector's reasons that are not novelty
      for (const r of [...focus.map((f) => f.parameter), ...(reasons ?? [])]) {
        if (typeof r !== 'string' && r.novelty === true) continue
        evidence++
        const name = typeof r === 'string' ? r : r.parameter
        if (name == null || name === '') continue
        const canonical = canonicalParameterName(name)
        if (present.has(canonical) && !named.includes(canonical)) named.push(canonical)
        if (named.length >= params.maxParameters) break
      }
      if (named.length === 0) {
        const why = (reasons ?? []).length > 0 && evidence === 0
          ? 'novelty only (new value, parameter or endpoint): nothing worth sharing'
          : 'no parameter of the request holds the evidence (the whole request, normal fields included, is never mined)'
        return { signatures: [], outcomes: [{ parameter: '', signature: null, reason: why, selection: null }] }
      }
      const contextDocs = normal.map((o) => observationDocs(o).whole)
      const outcomes: SignatureOutcome[] = named.map((p) => forParameter(context, p, obs, normal, contextDocs, focus))
      return { signatures: outcomes.flatMap((o) => o.signature != null ? [o.signature] : []), outcomes }
    },
    clear () { buffers.clear() }
  }
}
