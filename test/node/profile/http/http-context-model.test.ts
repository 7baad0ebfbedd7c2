import { describe, expect, it } from 'vitest'
import type { HttpObservation, ScoreReason } from '../../../../node/observation.js'
import { HttpContextModel, RAW_BODY_PARAM, createHttpContextModel, httpContextOf, restoreHttpContextModel } from '../../../../node/profile/http/http-context-model.js'
import { mulberry32 } from './fake-app.js'

const r = mulberry32(11)
const get = (query: string, extra: Partial<HttpObservation> = {}): HttpObservation => ({ kind: 'http', time: 0, method: 'GET', path: '/x', query, body: '', headers: {}, ...extra })
const normal = (): HttpObservation => get(`a=${1 + Math.floor(r() * 9000)}&b=${r() < 0.5 ? 'on' : 'off'}`)

function model (): HttpContextModel {
  const m = createHttpContextModel('get /x')
  for (let i = 0; i < 500; i++) m.learn(normal())
  return m
}

const has = (reasons: ScoreReason[], feature: string, parameter?: string): boolean =>
  reasons.some((x) => x.feature === feature && (parameter === undefined || x.parameter === parameter))

describe('HttpContextModel request-level features', () => {
  const m = model()

  it('context is the lower-case method and the path as received', () => {
    expect(httpContextOf({ method: 'POST', path: '/A%20b' })).toBe('post /A%20b')
    expect(m.count).toBe(500)
    expect(m.parameterNames().sort()).toEqual(['a', 'b'])
  })

  it('normal requests score near 0 with no reasons', () => {
    let worst = 0
    for (let i = 0; i < 200; i++) worst = Math.max(worst, m.score(normal()).value)
    expect(worst).toBeLessThan(1.5)
  })

  it('Q1 unknown parameter', () => {
    const s = m.score(get('a=5&b=on&debug=1'))
    expect(s.reasons[0]).toMatchObject({ context: 'get /x', feature: 'unknown-parameter', parameter: 'debug' })
    expect(s.value).toBeGreaterThan(1)
  })

  it('Q2 missing and repeated parameters', () => {
    expect(has(m.score(get('a=5')).reasons, 'missing-parameter', 'b')).toBe(true)
    const rep = m.score(get('a=5&a=6&b=on')).reasons
    expect(rep.find((x) => x.feature === 'repeated-parameter')).toMatchObject({ parameter: 'a', observed: '×2' })
  })

  it('Q3 parameter order', () => {
    expect(has(m.score(get('b=on&a=5')).reasons, 'parameter-order')).toBe(true)
  })

  it('Q4 too many parameters', () => {
    const q = Array.from({ length: 300 }, (_, i) => `a=${i}`).join('&') + '&b=on'
    const s = m.score(get(q))
    expect(has(s.reasons, 'too-many-parameters')).toBe(true)
    expect(s.value).toBeGreaterThan(2)
  })

  it('a body that is not form-encoded is one opaque parameter', () => {
    const j = createHttpContextModel('post /api')
    const json = (v: string): HttpObservation => ({ kind: 'http', time: 0, method: 'POST', path: '/api', query: '', body: `{"name":"${v}","n":${Math.floor(r() * 100)}}`, headers: { 'content-type': 'application/json' } })
    for (let i = 0; i < 400; i++) j.learn(json(['ann', 'bob', 'carl', 'dora'][i % 4]))
    expect(j.parameterNames()).toEqual([RAW_BODY_PARAM])
    const s = j.score(json("x' or 1=1 --"))
    expect(s.reasons[0].parameter).toBe(RAW_BODY_PARAM)
    expect(s.value).toBeGreaterThan(2)
  })

  it('round-trips through JSON with identical scores, and rejects foreign snapshots', () => {
    const back = restoreHttpContextModel(JSON.parse(JSON.stringify(m.toJSON())))
    expect(back.count).toBe(m.count)
    for (const q of ['a=5&b=on', 'a=5&b=on&debug=1', "a=5'&b=maybe", 'b=on']) expect(back.score(get(q))).toEqual(m.score(get(q)))
    for (const bad of [null, { kind: 'process', v: 1 }, { ...m.toJSON(), v: 99 }, { kind: 'http', v: 1, context: 'x' }]) {
      let caught: unknown
      try { restoreHttpContextModel(bad) } catch (err) { caught = err }
      expect((caught as { code?: string })?.code).toBe('IMMUNE_ERR_PROFILE_FORMAT')
    }
  })
})
