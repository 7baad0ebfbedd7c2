/**
 * Aho–Corasick multi-pattern search (Aho & Corasick, CACM 1975), compiled to a
 * full DFA over a compacted alphabet in typed arrays: one table lookup per
 * input character, whatever the number of patterns.
 *
 * Written here rather than taken from npm: the small packages there
 * (aho-corasick 0.1.x, ahocorasick 1.0.x) are untyped and unmaintained, and
 * the typed ones build object tries and report matches as strings; the
 * matcher needs pattern indices and end offsets on a hot path without
 * allocating per character.
 *
 * Works on UTF-16 code units (JavaScript string indices).
 */

export interface AhoCorasick {
  /** The distinct patterns, in the order indices refer to. */
  readonly patterns: readonly string[]
  readonly stateCount: number
  /**
   * Report every occurrence of every pattern in `text`: `onHit(patternIndex, end)`,
   * `end` exclusive, in increasing order of `end`.
   */
  scan: (text: string, onHit: (pattern: number, end: number) => void) => void
  /** The set of pattern indices that occur in `text`. */
  present: (text: string) => Set<number>
}

/** Build an automaton; duplicate patterns are merged and the empty pattern is refused. */
export function buildAhoCorasick (input: Iterable<string>): AhoCorasick {
  const patterns: string[] = []
  const seen = new Set<string>()
  for (const p of input) {
    if (p.length === 0) throw new RangeError('Aho-Corasick patterns must not be empty')
    if (!seen.has(p)) { seen.add(p); patterns.push(p) }
  }

  // compact alphabet: class 0 is "no pattern uses this character"
  const classOf = new Uint16Array(65536)
  let classes = 1
  for (const p of patterns) {
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i)
      if (classOf[c] === 0) classOf[c] = classes++
    }
  }

  // trie with Map children while building
  const children: Array<Map<number, number>> = [new Map()]
  const ends: number[][] = [[]]
  for (let pi = 0; pi < patterns.length; pi++) {
    const p = patterns[pi]
    let s = 0
    for (let i = 0; i < p.length; i++) {
      const k = classOf[p.charCodeAt(i)]
      let next = children[s].get(k)
      if (next === undefined) {
        next = children.length
        children.push(new Map())
        ends.push([])
        children[s].set(k, next)
      }
      s = next
    }
    ends[s].push(pi)
  }

  const n = children.length
  const delta = new Int32Array(n * classes)
  const fail = new Int32Array(n)
  const outs: number[][] = ends.map((e) => [...e])
  // breadth-first: fill the DFA row of each state from its fail state's row
  const queue: number[] = []
  for (const [k, child] of children[0]) {
    delta[k] = child
    fail[child] = 0
    queue.push(child)
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi]
    const f = fail[s]
    for (let k = 0; k < classes; k++) delta[s * classes + k] = delta[f * classes + k]
    for (const [k, child] of children[s]) {
      fail[child] = delta[f * classes + k]
      delta[s * classes + k] = child
      queue.push(child)
    }
    // outputs of the fail state are already complete (it is shallower)
    if (outs[f].length > 0) outs[s].push(...outs[f])
  }

  const outStart = new Int32Array(n + 1)
  let total = 0
  for (let s = 0; s < n; s++) { outStart[s] = total; total += outs[s].length }
  outStart[n] = total
  const outList = new Int32Array(total)
  for (let s = 0, w = 0; s < n; s++) for (const o of outs[s]) outList[w++] = o

  const scan = (text: string, onHit: (pattern: number, end: number) => void): void => {
    if (patterns.length === 0) return
    let s = 0
    for (let i = 0; i < text.length; i++) {
      s = delta[s * classes + classOf[text.charCodeAt(i)]]
      const a = outStart[s]
      const b = outStart[s + 1]
      for (let j = a; j < b; j++) onHit(outList[j], i + 1)
    }
  }

  return {
    patterns,
    stateCount: n,
    scan,
    present (text) {
      const found = new Set<number>()
      scan(text, (p) => { found.add(p) })
      return found
    }
  }
}
