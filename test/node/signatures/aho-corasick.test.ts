import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../core/prng.js'
import { buildAhoCorasick } from '../../../node/signatures/aho-corasick.js'

function naive (patterns: readonly string[], text: string): string[] {
  const out: string[] = []
  for (let end = 1; end <= text.length; end++) {
    patterns.forEach((p, i) => { if (end >= p.length && text.slice(end - p.length, end) === p) out.push(`${i}@${end}`) })
  }
  return out.sort()
}

describe('Aho-Corasick', () => {
  it('finds every occurrence, overlapping and nested ones too', () => {
    const ac = buildAhoCorasick(['he', 'she', 'his', 'hers', 'he'])
    expect(ac.patterns).toEqual(['he', 'she', 'his', 'hers'])
    const hits: string[] = []
    ac.scan('ushers', (p, end) => hits.push(`${ac.patterns[p]}@${end}`))
    expect(hits).toEqual(['she@4', 'he@4', 'hers@6'])
    expect([...ac.present('this')].map((i) => ac.patterns[i])).toEqual(['his'])
    expect(() => buildAhoCorasick(['a', ''])).toThrow(RangeError)
    expect(buildAhoCorasick([]).present('anything').size).toBe(0)
  })

  it('agrees with a naive search on seeded random inputs (small alphabet, non-ASCII included)', () => {
    const rng = createPrng(42)
    const alphabet = ['a', 'b', 'c', "'", ' ', 'ñ', '😀']
    const str = (n: number): string => Array.from({ length: n }, () => alphabet[rng.nextInt(alphabet.length)]).join('')
    for (let round = 0; round < 200; round++) {
      const patterns = [...new Set(Array.from({ length: 1 + rng.nextInt(12) }, () => str(1 + rng.nextInt(4))))]
      const text = str(rng.nextInt(60))
      const ac = buildAhoCorasick(patterns)
      const got: string[] = []
      ac.scan(text, (p, end) => got.push(`${patterns.indexOf(ac.patterns[p])}@${end}`))
      expect(got.sort()).toEqual(naive(patterns, text))
    }
  })
})
