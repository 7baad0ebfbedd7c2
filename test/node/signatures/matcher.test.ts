import { describe, expect, it } from 'vitest'
import type { HttpObservation } from '../../../node/observation.js'
import { createPrng } from '../../../core/prng.js'
import { createSignatureMatcher } from '../../../node/signatures/matcher.js'
import { makeSignature, signatureMatches } from '../../../node/signatures/signature.js'
import type { SignatureIndicator } from '../../../protocol/alert/types.js'
import { ITEM, SEARCH, itemRequest, searchRequest } from './traffic.js'

const sig = (context: string, parameter: string, tokens: string[]): SignatureIndicator =>
  makeSignature({ context, parameter, tokens, generator: 'test/1', sampleCount: 1 })

describe('signature matcher', () => {
  it('hits when all tokens are in one value of the parameter, in the context or any context', () => {
    const sqli = sig(ITEM, 'id', ["' or", "'='"])
    const anyCtx = sig('', '', ['union', 'select'])
    const m = createSignatureMatcher([sqli, anyCtx, sqli])
    expect(m.size).toBe(2)
    expect(m.match(ITEM, itemRequest("1'+OR+'1'%3D'1")).map((h) => [h.signature.id, h.parameter])).toEqual([[sqli.id, 'id']])
    // tokens split over two values do not hit a parameter signature
    expect(m.match(ITEM, itemRequest("x'+or", "a'%3D'b"))).toEqual([])
    // wrong context
    expect(m.match(SEARCH, itemRequest("1'+OR+'1'%3D'1"))).toEqual([])
    // whole-request signature: tokens may sit in different values, any context
    expect(m.match(SEARCH, searchRequest('union', '1&x=select')).map((h) => h.signature.id)).toEqual([anyCtx.id])
    expect(createSignatureMatcher([]).match(ITEM, itemRequest('1'))).toEqual([])
  })

  it('agrees with the naive matcher on seeded random signatures and requests', () => {
    const rng = createPrng(2024)
    const alphabet = ['a', 'b', "'", ' ', '=', '&', '<', 'é', '%27', '%2527', 'A']
    const str = (min: number, max: number): string => Array.from({ length: min + rng.nextInt(max - min + 1) }, () => alphabet[rng.nextInt(alphabet.length)]).join('')
    const contexts = ['c1', 'c2']
    const names = ['p', 'q', 'r']
    const canon = (s: string): string => s.replaceAll('%2527', "'").replaceAll('%27', "'").toLowerCase()
    let hits = 0
    for (let round = 0; round < 40; round++) {
      const sigs: SignatureIndicator[] = []
      for (let i = 0; i < 1 + rng.nextInt(30); i++) {
        const tokens = [...new Set(Array.from({ length: 1 + rng.nextInt(3) }, () => canon(str(1, 3))).filter((t) => t !== ''))]
        if (tokens.length === 0) continue
        sigs.push(sig(rng.next() < 0.3 ? '' : contexts[rng.nextInt(2)], rng.next() < 0.3 ? '' : names[rng.nextInt(3)], tokens))
      }
      const m = createSignatureMatcher(sigs)
      for (let k = 0; k < 25; k++) {
        const pairs = Array.from({ length: rng.nextInt(5) }, () => `${names[rng.nextInt(3)]}=${str(0, 8).replaceAll('&', '%26')}`)
        const obs: HttpObservation = { kind: 'http', time: 0, method: 'GET', path: `/${str(0, 4).replaceAll('&', '')}`, query: pairs.join('&'), body: rng.next() < 0.3 ? `r=${str(0, 6)}` : '', headers: {} }
        const context = contexts[rng.nextInt(2)]
        const got = m.match(context, obs).map((h) => h.signature.id).sort()
        const want = [...new Set(sigs.filter((s) => signatureMatches(s, context, obs)).map((s) => s.id))].sort()
        expect(got, JSON.stringify({ obs, context })).toEqual(want)
        hits += want.length
      }
    }
    // the comparison is meaningful only if many requests do hit
    expect(hits).toBeGreaterThan(200)
  })
})
