/**
 * The signature matcher that runs on every observation: one Aho–Corasick
 * automaton over the distinct tokens of all adopted signatures, built once
 * per change of the adopted set. A request is scanned once (its canonical
 * whole text, documents.ts); each token occurrence is placed in the value
 * span that contains it, and a signature hits when all its tokens occur in
 * one value of its parameter (or anywhere, for parameter ''), in its context
 * or any context for context ''. Same semantics as `signatureMatches`
 * (signature.ts), which the tests hold it to.
 */
import type { HttpObservation } from '../observation.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import { buildAhoCorasick } from './aho-corasick.js'
import { canonicalParameterName, observationDocs } from './documents.js'
import type { ObservationDocs } from './documents.js'

export interface SignatureHit {
  signature: SignatureIndicator
  /** The parameter whose value held every token ('' for a whole-request signature). */
  parameter: string
}

export interface SignatureMatcher {
  /** Number of signatures compiled in. */
  readonly size: number
  /** Number of distinct tokens (patterns) in the automaton. */
  readonly tokenCount: number
  match: (context: string, obs: HttpObservation) => SignatureHit[]
  /** As `match`, on already built documents. */
  matchDocs: (context: string, docs: ObservationDocs) => SignatureHit[]
}

interface Compiled {
  signature: SignatureIndicator
  parameter: string
  tokens: Int32Array
}

/** Compile a matcher; signatures without tokens (or with an empty token) are left out. Duplicate ids count once. */
export function createSignatureMatcher (signatures: Iterable<SignatureIndicator>): SignatureMatcher {
  const compiled: Compiled[] = []
  const tokenIndex = new Map<string, number>()
  const ids = new Set<string>()
  for (const sig of signatures) {
    if (ids.has(sig.id) || sig.tokens.length === 0 || sig.tokens.some((t) => t.length === 0)) continue
    ids.add(sig.id)
    const tokens = new Int32Array(sig.tokens.length)
    sig.tokens.forEach((t, i) => {
      let k = tokenIndex.get(t)
      if (k === undefined) { k = tokenIndex.size; tokenIndex.set(t, k) }
      tokens[i] = k
    })
    compiled.push({ signature: sig, parameter: canonicalParameterName(sig.parameter), tokens })
  }
  const ac = buildAhoCorasick(tokenIndex.keys())
  const tokenLength = Int32Array.from(ac.patterns, (p) => p.length)
  // which signatures use each token
  const users: number[][] = ac.patterns.map(() => [])
  compiled.forEach((c, si) => { for (const t of new Set(c.tokens)) users[t].push(si) })

  // per-scan scratch, stamped with a scan counter instead of cleared
  let scanId = 0
  const tokenSeen = new Int32Array(ac.patterns.length)
  const sigSeen = new Int32Array(compiled.length)
  const hitTokens: number[] = []
  const hitSpans: number[] = []

  const spanOf = (docs: ObservationDocs, start: number, end: number): number => {
    // spans are sorted by start; binary search the last span starting at or before `start`
    const spans = docs.spans
    let lo = 0
    let hi = spans.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (spans[mid].start <= start) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    return found >= 0 && end <= spans[found].end ? found : -1
  }

  const matchDocs = (context: string, docs: ObservationDocs): SignatureHit[] => {
    if (compiled.length === 0) return []
    scanId++
    if (scanId === 0x7fffffff) { scanId = 1; tokenSeen.fill(0); sigSeen.fill(0) }
    const stamp = scanId
    hitTokens.length = 0
    hitSpans.length = 0
    let any = false
    ac.scan(docs.whole, (p, end) => {
      tokenSeen[p] = stamp
      any = true
      hitTokens.push(p)
      hitSpans.push(spanOf(docs, end - tokenLength[p], end))
    })
    if (!any) return []
    const out: SignatureHit[] = []
    for (const t of hitTokens) {
      for (const si of users[t]) {
        if (sigSeen[si] === stamp) continue
        sigSeen[si] = stamp
        const c = compiled[si]
        if (c.signature.context !== '' && c.signature.context !== context) continue
        let all = true
        for (let k = 0; k < c.tokens.length; k++) if (tokenSeen[c.tokens[k]] !== stamp) { all = false; break }
        if (!all) continue
        if (c.parameter === '') { out.push({ signature: c.signature, parameter: '' }); continue }
        if (inOneSpan(c, docs)) out.push({ signature: c.signature, parameter: c.parameter })
      }
    }
    return out
  }

  const inOneSpan = (c: Compiled, docs: ObservationDocs): boolean => {
    // spans of the parameter that hold at least one hit, then check each holds every token
    for (let si = 0; si < docs.spans.length; si++) {
      if (docs.spans[si].name !== c.parameter) continue
      let all = true
      for (let k = 0; k < c.tokens.length && all; k++) {
        let found = false
        for (let h = 0; h < hitTokens.length; h++) if (hitTokens[h] === c.tokens[k] && hitSpans[h] === si) { found = true; break }
        all = found
      }
      if (all) return true
    }
    return false
  }

  return {
    size: compiled.length,
    tokenCount: ac.patterns.length,
    match: (context, obs) => matchDocs(context, observationDocs(obs)),
    matchDocs
  }
}
