import { describe, expect, it } from 'vitest'
import { canonicalForm, canonicalFormComponent, canonicalPath } from '../../../node/signatures/canonical.js'
import { buildObservationDocs, parameterValues } from '../../../node/signatures/documents.js'
import { candidateTokens, minimalTokens, segment, words } from '../../../node/signatures/tokens.js'

describe('canonical form', () => {
  it('form-decodes, lower-cases, and decodes a second time against double encoding', () => {
    expect(canonicalFormComponent("1'+OR+'1'%3D'1")).toBe("1' or '1'='1")
    expect(canonicalFormComponent('%253Cscript%253E')).toBe('<script>')
    expect(canonicalFormComponent('%2527%20OR%201%3D1')).toBe("' or 1=1")
    // '+' survives the second pass: %2B is a plus sign, not a space
    expect(canonicalFormComponent('1%2B1')).toBe('1+1')
  })

  it('reads invalid UTF-8 as Latin-1 and keeps malformed escapes literally', () => {
    expect(canonicalFormComponent('A%F1adir')).toBe('añadir')
    expect(canonicalFormComponent('Jam%C3%B3n')).toBe('jamón')
    expect(canonicalFormComponent('100%')).toBe('100%')
    expect(canonicalFormComponent('%G1x')).toBe('%g1x')
  })

  it('keeps + literal in paths', () => {
    expect(canonicalPath('/Shop/a+b%2F..%252F')).toBe('/shop/a+b/../')
  })

  it('splits forms without dropping pairs', () => {
    expect(canonicalForm('a=1&&B=X+Y&c&a=2')).toEqual([
      { name: 'a', value: '1' }, { name: 'b', value: 'x y' }, { name: 'c', value: '' }, { name: 'a', value: '2' }
    ])
  })
})

describe('observation documents', () => {
  it('locate every value in the whole request', () => {
    const docs = buildObservationDocs({ path: '/Shop/Item.jsp', query: 'id=7&Name=Vino+Rioja&id=%27x', body: 'q=%3Cb%3E' })
    expect(docs.whole).toBe("/shop/item.jsp?id=7&name=vino rioja&id='x\nq=<b>")
    expect(docs.spans.map((s) => [s.name, docs.whole.slice(s.start, s.end)])).toEqual([['id', '7'], ['name', 'vino rioja'], ['id', "'x"], ['q', '<b>']])
    expect(parameterValues(docs, 'id')).toEqual(['7', "'x"])
    expect(parameterValues(docs, '')).toEqual([docs.whole])
    expect(parameterValues(docs, 'nope')).toEqual([])
  })
})

describe('tokenisation', () => {
  it('cuts words, whitespace runs and single symbols', () => {
    const v = "1' or  '1'='1"
    expect(segment(v).map((s) => [s.kind, v.slice(s.start, s.end)])).toEqual([
      ['word', '1'], ['symbol', "'"], ['space', ' '], ['word', 'or'], ['space', '  '], ['symbol', "'"], ['word', '1'],
      ['symbol', "'"], ['symbol', '='], ['symbol', "'"], ['word', '1']
    ])
    expect(words('union select password,from users--', 3)).toEqual(['union', 'select', 'password', 'from', 'users'])
  })

  it('candidates are segment-aligned, bounded, never edge whitespace or bare numbers', () => {
    const c = candidateTokens("1' or '1'='1", { minTokenLength: 3, maxTokenLength: 8 })
    expect(c).toContain("' or")
    expect(c).toContain("'='")
    expect(c).toContain("' or '")
    expect(c).not.toContain('or ') // ends with whitespace
    expect(c.every((t) => t.length >= 3 && t.length <= 8)).toBe(true)
    expect(c.every((t) => !/^\s|\s$/.test(t))).toBe(true)
    // words are never cut
    const d = candidateTokens('<script>alert(1)</script>', { minTokenLength: 3, maxTokenLength: 32 })
    expect(d).toContain('script')
    expect(d).toContain('alert(')
    expect(d).not.toContain('scr')
    expect(candidateTokens('12345 678', { minTokenLength: 3, maxTokenLength: 32 })).toEqual([])
  })

  it('minimal tokens drop every token that contains another', () => {
    expect(minimalTokens(['union select', 'union', 'select', "' or", "1' or", 'union'])).toEqual(['union', 'select', "' or"])
    expect(minimalTokens(['abc'])).toEqual(['abc'])
  })
})
