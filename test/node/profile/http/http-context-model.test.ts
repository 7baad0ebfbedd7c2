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

  it('a JSON body is its fields, flattened to paths; the JSON version of a form post has the same parameters', () => {
    const j = createHttpContextModel('post /api')
    const json = (v: string): HttpObservation => ({ kind: 'http', time: 0, method: 'POST', path: '/api', query: '', body: JSON.stringify({ name: v, n: Math.floor(r() * 100), items: [{ sku: `AB-${Math.floor(r() * 900) + 100}` }, { sku: 'CX-200' }] }), headers: { 'content-type': 'application/json' } })
    for (let i = 0; i < 400; i++) j.learn(json(['ann', 'bob', 'carl', 'dora'][i % 4]))
    expect(j.parameterNames().sort()).toEqual(['items[].sku', 'n', 'name'])
    const s = j.score(json("x' or 1=1 --"))
    expect(s.reasons[0].parameter).toBe('name')
    expect(s.value).toBeGreaterThan(2)
    // the same fields as a form post
    const form: HttpObservation = { kind: 'http', time: 0, method: 'POST', path: '/api', query: '', body: 'name=bob&n=7&items%5B%5D.sku=AB-123&items%5B%5D.sku=CX-200', headers: { 'content-type': 'application/x-www-form-urlencoded' } }
    expect(j.score(form).value).toBeLessThan(1)
  })

  it('a body of another type (XML, text) is one opaque parameter', () => {
    const x = createHttpContextModel('post /soap')
    const xml = (v: string): HttpObservation => ({ kind: 'http', time: 0, method: 'POST', path: '/soap', query: '', body: `<a><b>${v}</b></a>`, headers: { 'content-type': 'text/xml' } })
    for (let i = 0; i < 200; i++) x.learn(xml(String(i)))
    expect(x.parameterNames()).toEqual([RAW_BODY_PARAM])
  })

  it('multipart form fields are parameters (a file part by its file name)', () => {
    const m2 = createHttpContextModel('post /upload')
    const mp = (title: string, file: string): HttpObservation => ({
      kind: 'http', time: 0, method: 'POST', path: '/upload', query: '', headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
      body: `--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\n${title}\r\n--XyZ\r\nContent-Disposition: form-data; name="photo"; filename="${file}"\r\nContent-Type: image/png\r\n\r\n\u0089PNG...\r\n--XyZ--\r\n`
    })
    for (let i = 0; i < 300; i++) m2.learn(mp(['holiday', 'cat', 'garden party'][i % 3], `img${i}.png`))
    expect(m2.parameterNames().sort()).toEqual(['photo', 'title'])
    expect(m2.score(mp('cat', 'img9.png')).value).toBeLessThan(1)
    const s = m2.score(mp("cat' UNION SELECT password FROM users--", 'img9.png'))
    expect(s.reasons[0].parameter).toBe('title')
    expect(s.evidence).toBeGreaterThan(2)
  })

  it('tracking tags are ignored; an unknown parameter is novelty, its value judged by what the app looks like', () => {
    const base = m.score(get('a=5&b=on')).value
    expect(m.score(get('a=5&b=on&utm_source=newsletter&utm_campaign=spring&fbclid=IwAR2xyz&gclid=Cj0KCQ')).value).toBe(base)
    const unknown = m.score(get('a=5&b=on&debug=1'))
    expect(unknown.reasons[0]).toMatchObject({ feature: 'unknown-parameter', novelty: true })
    expect(unknown.evidence).toBe(0)
    const injected = m.score(get("a=5&b=on&debug=1'%20OR%20'1'%3D'1"))
    expect(injected.reasons.some((x) => x.parameter === 'debug' && x.novelty !== true)).toBe(true)
    expect(injected.evidence).toBeGreaterThan(1)
  })

  it('round-trips through JSON with identical scores, and rejects foreign snapshots', () => {
    const back = restoreHttpContextModel(JSON.parse(JSON.stringify(m.toJSON())), undefined, m.app)
    expect(back.count).toBe(m.count)
    for (const q of ['a=5&b=on', 'a=5&b=on&debug=1', "a=5'&b=maybe", 'b=on']) expect(back.score(get(q))).toEqual(m.score(get(q)))
    for (const bad of [null, { kind: 'process', v: 1 }, { ...m.toJSON(), v: 99 }, { kind: 'http', v: 1, context: 'x' }]) {
      let caught: unknown
      try { restoreHttpContextModel(bad) } catch (err) { caught = err }
      expect((caught as { code?: string })?.code).toBe('IMMUNE_ERR_PROFILE_FORMAT')
    }
  })
})
