import { describe, expect, it } from 'vitest'
import type { HttpObservation } from '../../../../node/observation.js'
import { charClassOf, createHttpPriors } from '../../../../node/profile/http/http-priors.js'

const obs = (query: string, path = '/login'): HttpObservation => ({ kind: 'http', time: 0, method: 'GET', path, query, body: '', headers: {} })

describe('HTTP priors', () => {
  const check = createHttpPriors([
    { context: 'get /login', parameter: 'user', maxLength: 12, allowedClasses: ['letter', 'digit'], allowedChars: '._-' },
    { context: 'get /item', parameter: 'id', pattern: '^[0-9]{1,6}$' },
    { context: 'get /api/*', maxParams: 2 }
  ])

  it('accepts values inside the bounds', () => {
    expect(check(obs('user=j.doe-42&x=anything'), 'get /login')).toEqual([])
    expect(check(obs('user=José'), 'get /login')).toEqual([])
    expect(check(obs('id=123456', '/item'), 'get /item')).toEqual([])
  })

  it('names the parameter and the broken bound', () => {
    expect(check(obs('user=' + 'a'.repeat(13)), 'get /login')).toEqual([
      { context: 'get /login', parameter: 'user', feature: 'prior', observed: 'length 13', expected: 'at most 12', surprise: 300 }
    ])
    const chars = check(obs("user=o'neil%20x"), 'get /login')
    expect(chars).toHaveLength(1)
    expect(chars[0]).toMatchObject({ parameter: 'user', observed: 'characters "\' "' })
    expect(check(obs('id=12a', '/item'), 'get /item')[0]).toMatchObject({ parameter: 'id', observed: 'value "12a"' })
    expect(check(obs('a=1&b=2&c=3', '/api/v1'), 'get /api/v1')[0]).toMatchObject({ observed: '3 parameters', expected: 'at most 2' })
    expect(check(obs('a=1&b=2&c=3', '/other'), 'get /other')).toEqual([])
  })

  it('rejects bad rules with IMMUNE_ERR_INVALID_PARAMS naming the field', () => {
    for (const [rule, field] of [
      [{ maxLength: -1 }, 'priors[0].maxLength'],
      [{ allowedClasses: ['letters'] }, 'priors[0].allowedClasses'],
      [{ pattern: '(' }, 'priors[0].pattern']
    ] as const) {
      let caught: unknown
      try { createHttpPriors([rule as never]) } catch (err) { caught = err }
      expect(caught).toMatchObject({ code: 'IMMUNE_ERR_INVALID_PARAMS', details: { field } })
    }
  })

  it('classifies characters', () => {
    expect(['a', 'Z', '7', ' ', '\n', ';', 'ñ', '€'].map((c) => charClassOf(c.charCodeAt(0)))).toEqual(['lower', 'upper', 'digit', 'space', 'control', 'punct', 'letter', 'other'])
  })
})
