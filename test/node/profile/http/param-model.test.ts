import { describe, expect, it } from 'vitest'
import { DECODE_BAD_ESCAPE, DECODE_BAD_UTF8 } from '../../../../node/profile/http/form.js'
import { createHttpModelParams } from '../../../../node/profile/http/http-model-params.js'
import { PARAM_FEATURES, ParamModel } from '../../../../node/profile/http/param-model.js'
import { TermSink } from '../../../../node/profile/http/term-sink.js'
import { mulberry32 } from './fake-app.js'

const params = createHttpModelParams()

function trained (values: string[], flags: number[] = []): ParamModel {
  const m = new ParamModel('p', params)
  values.forEach((v, i) => m.learn(v, flags[i] ?? 0))
  return m
}

/** Feature → smallest p-value of that feature for `value` (every term kept). */
function terms (m: ParamModel, value: string, flags = 0): Map<string, { p: number, observed: string | number, expected: string }> {
  const sink = new TermSink(0.05)
  m.score(value, flags, sink)
  expect(sink.tests).toBe(PARAM_FEATURES)
  const out = new Map<string, { p: number, observed: string | number, expected: string }>()
  for (const t of sink.terms()) if (!out.has(t.feature) || out.get(t.feature)!.p > t.p) out.set(t.feature, { p: t.p, observed: t.observed, expected: t.expected })
  return out
}

const r = mulberry32(7)
const word = (n: number): string => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(r() * 26)]).join('')
const names = Array.from({ length: 600 }, () => word(3 + Math.floor(r() * 6)))

describe('ParamModel features', () => {
  it('H1 length: beyond the training range, with the expected range in the explanation', () => {
    const m = trained(names)
    expect(terms(m, word(6)).has('length')).toBe(false)
    const t = terms(m, 'a'.repeat(412)).get('length')!
    expect(t.observed).toBe(412)
    expect(t.expected).toBe('3–8')
    expect(t.p).toBeLessThan(1e-3)
  })

  it('H2 unseen characters: a quote in a parameter that never had one', () => {
    const m = trained(names)
    const t = terms(m, "ab'cd").get('unseen-characters')!
    expect(t.observed).toBe('"\'"')
    expect(t.p).toBeCloseTo(Math.max(params.minP, 1 / 601), 8)
    // more unseen characters: more surprising (geometric tail)
    expect(terms(m, "a'=-(b").get('unseen-characters')!.p).toBeLessThan(t.p)
  })

  it("H2' unseen letters are tracked apart from punctuation", () => {
    const accents = 'áéíóúñüç'
    // a name field where accented letters keep appearing: a new one is not surprising
    const m = trained(names.map((n, i) => i % 3 === 0 ? n + String.fromCharCode(0xe0 + (i % 31)) : n))
    expect(terms(m, 'josé' + accents[3]).get('unseen-letters')?.p ?? 1).toBeGreaterThan(0.01)
    // an ASCII-only field: the first accented letter is
    const ascii = trained(names)
    expect(terms(ascii, 'josé').get('unseen-letters')!.p).toBeLessThanOrEqual(2 / 601)
  })

  it('H3 character count: a second @ in an e-mail', () => {
    const emails = names.map((n, i) => `${n}@${names[(i * 7) % names.length]}.com`)
    const m = trained(emails)
    expect(terms(m, 'abc@defg.com').size).toBe(0)
    const t = terms(m, 'abc@de@fg.com').get('character-count')!
    expect(t.observed).toBe('"@" ×2')
    expect(t.expected).toContain('at most 1 per value')
  })

  it('H3 beyond the most any value had: the tail is scaled by the mean count, so a long review with a few more full stops is not extreme', () => {
    // reviews with 0–3 sentences (mean 1.6 full stops where present), then one with 5: two beyond the maximum
    const reviews = Array.from({ length: 60 }, (_, i) => Array.from({ length: i % 4 }, () => `${word(4)} ${word(5)} ${word(3)}.`).join(' ') || word(6))
    const m = trained(reviews)
    const five = Array.from({ length: 5 }, () => `${word(4)} ${word(5)} ${word(3)}.`).join(' ')
    const t = terms(m, five).get('character-count')!
    expect(t.expected).toContain('at most 3 per value')
    const mean = (1 + 2 + 3) / 3
    expect(t.p).toBeCloseTo(Math.pow(Math.exp(-1 / mean), 5 - 3 - 1) / 61, 6) // e^{−1/2} per extra, not 0.25
    // a symbol that comes once per value has the steepest tail, e^{−1} per extra (four @ in an e-mail)
    const emails = names.map((n, i) => `${n}@${names[(i * 7) % names.length]}.com`)
    expect(terms(trained(emails), 'a@b@c@d@e.com').get('character-count')!.p).toBeCloseTo(Math.pow(Math.exp(-1), 4 - 1 - 1) / 601, 8)
  })

  it('H4 structure: a date with the parts in another shape', () => {
    const p2 = (x: number): string => String(x).padStart(2, '0')
    const dates = Array.from({ length: 600 }, (_, i) => `${1950 + (i % 50)}-${p2(1 + (i % 12))}-${p2(1 + (i % 28))}`)
    const m = trained(dates)
    expect(terms(m, '1977-03-09').has('structure')).toBe(false)
    const t = terms(m, '1977-0309').get('structure')!
    expect(t.observed).toBe('"9-9"')
    expect(t.expected).toContain('"9-9-9"')
  })

  it('H5 enumeration: a value outside a small learned set', () => {
    const m = trained(Array.from({ length: 300 }, (_, i) => ['on', 'off'][i % 2]))
    expect(terms(m, 'on').size).toBe(0)
    const t = terms(m, 'maybe').get('enumeration')!
    expect(t.observed).toBe('value "maybe"')
    expect(t.expected).toMatch(/one of \{"(on|off)", "(on|off)"\}/)
    // a free-text parameter is not an enumeration
    expect(terms(trained(names), word(5)).has('enumeration')).toBe(false)
  })

  it('H6 unseen 3-grams: an SQL keyword in a numeric parameter', () => {
    const ids = Array.from({ length: 600 }, (_, i) => String(1 + ((i * 7919) % 100000)))
    const m = trained(ids)
    expect(terms(m, '123456').has('unseen-3grams')).toBe(false)
    const t = terms(m, '12 union select').get('unseen-3grams')!
    expect(String(t.observed)).toMatch(/^\d+ unseen/)
    expect(t.p).toBeLessThan(1e-4)
  })

  it('H7 encoding: malformed escapes where training had none, invalid UTF-8 where it is common', () => {
    const m = trained(names, names.map((_, i) => i % 2 === 0 ? DECODE_BAD_UTF8 : 0))
    expect(terms(m, names[1], DECODE_BAD_UTF8).has('encoding')).toBe(false)
    const t = terms(m, names[1], DECODE_BAD_ESCAPE).get('encoding')!
    expect(t.observed).toBe('malformed %-escape')
    expect(t.p).toBeCloseTo(Math.max(params.minP, 1 / 601), 8)
  })

  it('round-trips through JSON with identical scores', () => {
    const m = trained(names)
    const r2 = new ParamModel('p', params, JSON.parse(JSON.stringify(m.toJSON())))
    for (const v of ["o'brien", 'x'.repeat(50), names[3], 'josé']) {
      const a = new TermSink(1); m.score(v, 0, a)
      const b = new TermSink(1); r2.score(v, 0, b)
      expect(b.terms()).toEqual(a.terms())
    }
  })
})

/** The request-level view of one value: its combined and evidence-only surprise. */
function surprises (m: ParamModel, value: string, flags = 0): { value: number, evidence: number, novelty: string[] } {
  const sink = new TermSink(0.05)
  m.score(value, flags, sink)
  return { value: sink.combined().value, evidence: sink.evidence().value, novelty: sink.terms().filter((t) => t.novelty === true).map((t) => t.feature) }
}

describe('ParamModel typed values and evidence (issue 9)', () => {
  it('numbers are a range: a new id, price or quantity in range raises nothing; a huge one is evidence', () => {
    const ids = trained(Array.from({ length: 600 }, (_, i) => String(1 + (i % 3))))
    expect(terms(ids, '4').size).toBe(0)
    expect(terms(ids, '17').size).toBe(0)
    const quantities = trained(Array.from({ length: 600 }, (_, i) => String(1 + (i % 55))))
    expect(terms(quantities, '100').size).toBe(0)
    const prices = trained(Array.from({ length: 600 }, (_, i) => String(5 + (i % 95))))
    expect(terms(prices, '12.50').size).toBe(0)
    const huge = surprises(ids, '99999999999999')
    expect(terms(ids, '99999999999999').get('magnitude')!.p).toBeLessThan(0.01)
    expect(huge.evidence).toBeGreaterThan(0)
  })

  it("names with apostrophes, hyphens and accents are novelty where only plain names came, not evidence", () => {
    const m = trained(names)
    for (const v of ["o'neill", 'jean-luc', 'josé']) {
      const s = surprises(m, v)
      expect(s.value).toBeGreaterThan(0)
      expect(s.evidence).toBe(0)
    }
    // the same apostrophe followed by SQL is text: evidence
    expect(surprises(m, "o'neill' or '1'='1").evidence).toBeGreaterThan(1)
  })

  it('an e-mail address as login is a new type of value, not an attack', () => {
    const users = trained(names.map((n, i) => `${n}${i % 10}`))
    const s = surprises(users, 'alice.smith@example.com')
    expect(s.novelty).toContain('type')
    expect(s.value).toBeGreaterThan(2)
    // its length is judged on a relative scale (another kind of value), far below any dangerous threshold
    expect(s.evidence).toBeLessThan(0.5)
    expect(surprises(users, "admin'--").evidence).toBeGreaterThan(1)
  })

  it('legacy Latin-1 form encoding of letters is novelty; other invalid UTF-8 is evidence', () => {
    const m = trained(names)
    expect(surprises(m, 'peñas', DECODE_BAD_UTF8).evidence).toBe(0)
    expect(surprises(m, 'pe\u00c0\u00afs', DECODE_BAD_UTF8).evidence).toBeGreaterThan(0)
  })

  it('identifiers (UUIDs, hex, tokens) teach their type and length only, not their values', () => {
    const hex = (i: number): string => `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}9f3c${i.toString(16).padStart(4, '0')}a1b2c3d4e5f6a7b8`.toUpperCase()
    const m = trained(Array.from({ length: 300 }, (_, i) => hex(i + 1)))
    expect(m.grams.size).toBe(0)
    expect(m.values.size).toBe(0)
    expect(terms(m, hex(9999)).size).toBe(0)
    expect(terms(m, hex(9999) + 'AB').get('length')).toBeDefined()
  })
})
