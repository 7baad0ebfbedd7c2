/**
 * The texts a signature is matched against, built once per observation.
 *
 * `whole` is the canonical request (canonical form: see canonical.ts):
 *
 *     <path> '?' <name>=<value> '&' <name>=<value> ... '\n' <body pairs, same>
 *
 * and `spans` locate every parameter's canonical value inside `whole`
 * (query pairs first, then body pairs, in request order). A signature scoped
 * to a parameter must have all its tokens inside one span of that name; an
 * unscoped signature (parameter '') may find them anywhere in `whole`.
 * Building `whole` from the canonical parts (rather than decoding the raw
 * query as one string) keeps the spans exact, so the matcher scans a request
 * once and still knows in which value each token sits.
 */
import type { HttpObservation } from '../observation.js'
import { canonicalDecoded, canonicalForm, canonicalPath } from './canonical.js'

export interface ValueSpan {
  /** Canonical (decoded, lower-case) parameter name. */
  name: string
  /** Start (inclusive) and end (exclusive) of the canonical value in `whole`. */
  start: number
  end: number
}

export interface ObservationDocs {
  whole: string
  spans: ValueSpan[]
}

/**
 * A parameter name as the profile decodes it (once) → its canonical form, the
 * form of `ValueSpan.name` and of `SignatureIndicator.parameter`.
 */
export function canonicalParameterName (decodedName: string): string {
  return canonicalDecoded(decodedName)
}

function appendForm (parts: string[], spans: ValueSpan[], raw: string, offset: number): number {
  let pos = offset
  let first = true
  for (const { name, value } of canonicalForm(raw)) {
    if (!first) { parts.push('&'); pos += 1 }
    first = false
    parts.push(name, '=')
    pos += name.length + 1
    spans.push({ name, start: pos, end: pos + value.length })
    parts.push(value)
    pos += value.length
  }
  return pos
}

/** Build the documents of one observation (no caching). */
export function buildObservationDocs (obs: Pick<HttpObservation, 'path' | 'query' | 'body'>): ObservationDocs {
  const parts: string[] = []
  const spans: ValueSpan[] = []
  const path = canonicalPath(obs.path)
  parts.push(path, '?')
  let pos = path.length + 1
  pos = appendForm(parts, spans, obs.query, pos)
  if (obs.body !== '') {
    parts.push('\n')
    pos += 1
    appendForm(parts, spans, obs.body, pos)
  }
  return { whole: parts.join(''), spans }
}

const cache = new WeakMap<object, ObservationDocs>()

/**
 * The documents of an observation, cached per object (the reservoir keeps its
 * observations, so vetting and clonal selection decode each one only once).
 * Observations must not be mutated after they were first seen here.
 */
export function observationDocs (obs: Pick<HttpObservation, 'path' | 'query' | 'body'>): ObservationDocs {
  let docs = cache.get(obs)
  if (docs == null) {
    docs = buildObservationDocs(obs)
    cache.set(obs, docs)
  }
  return docs
}

/** The canonical values of one parameter (all its occurrences), or `[whole]` for parameter ''. */
export function parameterValues (docs: ObservationDocs, parameter: string): string[] {
  if (parameter === '') return [docs.whole]
  const out: string[] = []
  for (const s of docs.spans) if (s.name === parameter) out.push(docs.whole.slice(s.start, s.end))
  return out
}
