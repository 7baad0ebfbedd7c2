/**
 * Tokenisation for clonal selection: from one canonical value, the candidate
 * tokens a signature may be made of.
 *
 * A value is cut into segments: runs of word characters (ASCII letters,
 * digits, '_' and any non-ASCII character), runs of whitespace, and single
 * symbol characters (every other character is its own segment, so "')--"
 * yields "')-", ")--" and "')--"). A candidate is a concatenation of
 * consecutive whole segments that
 *   - is between minTokenLength and maxTokenLength characters long,
 *   - neither starts nor ends with whitespace,
 *   - is not made only of digits (and whitespace).
 * Words are never cut, so a candidate is "select" or "union select" or
 * "' or", never "elec". Matching is still plain substring search, so a
 * candidate also matches inside longer words in other requests.
 */
import { buildAhoCorasick } from './aho-corasick.js'

export type SegmentKind = 'word' | 'space' | 'symbol'

export interface Segment {
  kind: SegmentKind
  start: number
  end: number
}

function kindOf (c: number): SegmentKind {
  if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 95 || c >= 128) return 'word'
  if (c === 32 || (c >= 9 && c <= 13)) return 'space'
  return 'symbol'
}

/** Cut a value into word runs, whitespace runs and single symbols. */
export function segment (value: string): Segment[] {
  const out: Segment[] = []
  let i = 0
  while (i < value.length) {
    const kind = kindOf(value.charCodeAt(i))
    let j = i + 1
    if (kind !== 'symbol') while (j < value.length && kindOf(value.charCodeAt(j)) === kind) j++
    out.push({ kind, start: i, end: j })
    i = j
  }
  return out
}

/** The delimiter tokenisation: word runs only (what a classic "split on delimiters" gives). */
export function words (value: string, minLength = 1): string[] {
  return segment(value).filter((s) => s.kind === 'word' && s.end - s.start >= minLength).map((s) => value.slice(s.start, s.end))
}

export interface CandidateOptions {
  minTokenLength: number
  maxTokenLength: number
}

/**
 * Every candidate token of a canonical value (distinct, in order of first
 * appearance). Cost is O(segments x maxTokenLength).
 */
export function candidateTokens (value: string, opts: CandidateOptions): string[] {
  const segs = segment(value)
  const out = new Set<string>()
  for (let i = 0; i < segs.length; i++) {
    if (segs[i].kind === 'space') continue
    const start = segs[i].start
    for (let j = i; j < segs.length; j++) {
      const end = segs[j].end
      const len = end - start
      if (len > opts.maxTokenLength) break
      if (segs[j].kind === 'space' || len < opts.minTokenLength) continue
      const token = value.slice(start, end)
      if (!/^[0-9\s]+$/.test(token)) out.add(token)
    }
  }
  return [...out]
}

/**
 * Keep the minimal tokens: drop every token that contains another token of
 * the set. Among tokens that are all absent from normal traffic, the minimal
 * ones are the most general (a variant of the attack is more likely to keep
 * "' or" than "1' or '1").
 */
export function minimalTokens (tokens: readonly string[]): string[] {
  const distinct = [...new Set(tokens)]
  if (distinct.length < 2) return distinct
  const ac = buildAhoCorasick(distinct)
  const index = new Map(ac.patterns.map((p, i) => [p, i]))
  return distinct.filter((t) => {
    const self = index.get(t)
    let contains = false
    ac.scan(t, (p) => { if (p !== self) contains = true })
    return !contains
  })
}
