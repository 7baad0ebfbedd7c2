import { describe, expect, it } from 'vitest'
import type { HttpObservation } from '../../../../node/observation.js'
import { HttpAppModel, parseCookies } from '../../../../node/profile/http/app-model.js'
import { createHttpContextModel } from '../../../../node/profile/http/http-context-model.js'
import { createHttpModelParams } from '../../../../node/profile/http/http-model-params.js'
import { mulberry32 } from './fake-app.js'

const r = mulberry32(5)
const hex = (n: number): string => Array.from({ length: n }, () => '0123456789ABCDEF'[Math.floor(r() * 16)]).join('')
const OLD_UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:118.0) Gecko/20100101 Firefox/118.0'
]
const obs = (headers: Record<string, string>, query = `id=${1 + Math.floor(r() * 500)}`): HttpObservation => ({ kind: 'http', time: 0, method: 'GET', path: '/item', query, body: '', headers })

function trained (): ReturnType<typeof createHttpContextModel> {
  const params = createHttpModelParams()
  const m = createHttpContextModel('get /item', params, new HttpAppModel(params))
  for (let i = 0; i < 600; i++) {
    m.learn(obs({ 'user-agent': OLD_UAS[i % 3], referer: `https://shop.example/list?page=${i % 9}`, cookie: `SESSION=${hex(32)}; lang=${['en', 'de', 'es'][i % 3]}` }))
  }
  return m
}

describe('HttpAppModel A2: headers and cookies, with the variety real clients bring', () => {
  const m = trained()

  it('cookies are parsed by name, values percent-decoded, quotes dropped', () => {
    expect(parseCookies('a=1; b="x y"; c=%27q%27;  ; d; e=f+g')).toEqual([
      { name: 'a', value: '1', flags: 0 }, { name: 'b', value: 'x y', flags: 0 }, { name: 'c', value: "'q'", flags: 0 }, { name: 'd', value: '', flags: 0 }, { name: 'e', value: 'f+g', flags: 0 }
    ])
  })

  it('a newer browser, a new session and a new tracking cookie are not evidence', () => {
    const s = m.score(obs({
      'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
      referer: 'https://shop.example/list?page=3',
      cookie: `SESSION=${hex(32)}; lang=de; _ga=GA1.2.1234.5678; _fbp=fb.1.1700000000.123`
    }))
    expect(s.evidence).toBe(0)
    // header novelty is not a signal at all: only header evidence counts
    expect(s.value).toBeLessThan(0.5)
  })

  it('a new cookie name raises nothing; its value is judged by what cookie values look like', () => {
    const s = m.score(obs({ 'user-agent': OLD_UAS[0], cookie: `SESSION=${hex(32)}; lang=en; theme=dark` }))
    expect(s.value).toBeLessThan(0.5)
    const bad = m.score(obs({ 'user-agent': OLD_UAS[0], cookie: `SESSION=${hex(32)}; lang=en; theme=dark' UNION SELECT 1--` }))
    expect(bad.evidence).toBeGreaterThan(1)
  })

  it('injections in the User-Agent, the Referer and a cookie are evidence', () => {
    const sqlmapUa = m.score(obs({ 'user-agent': "Mozilla/5.0' AND 7219=7219 AND 'abc'='abc", cookie: `SESSION=${hex(32)}; lang=en` }))
    expect(sqlmapUa.reasons[0].parameter).toBe('header:user-agent')
    expect(sqlmapUa.evidence).toBeGreaterThan(2)
    const ref = m.score(obs({ 'user-agent': OLD_UAS[1], referer: "https://shop.example/list?page=1' UNION ALL SELECT NULL,NULL--", cookie: `SESSION=${hex(32)}; lang=en` }))
    expect(ref.reasons[0].parameter).toBe('header:referer')
    expect(ref.evidence).toBeGreaterThan(2)
    const ck = m.score(obs({ 'user-agent': OLD_UAS[2], cookie: `SESSION=${hex(32)}; lang=en'||(SELECT pg_sleep(5))--` }))
    expect(ck.reasons[0].parameter).toBe('cookie:lang')
    expect(ck.evidence).toBeGreaterThan(2)
  })

  it('round-trips with the profile set meta (toJSON/load)', () => {
    const params = createHttpModelParams()
    const copy = new HttpAppModel(params)
    copy.load(JSON.parse(JSON.stringify(m.app.toJSON())))
    const again = createHttpContextModel('get /item', params, copy)
    for (let i = 0; i < 600; i++) again.learn(obs({ 'user-agent': OLD_UAS[i % 3], referer: `https://shop.example/list?page=${i % 9}`, cookie: `SESSION=${hex(32)}; lang=${['en', 'de', 'es'][i % 3]}` }))
    const probe = obs({ 'user-agent': "x' or 1=1", cookie: 'SESSION=abc; lang=xx' }, 'id=5')
    expect(copy.toJSON().cookies?.map(([k]) => k).sort()).toEqual(['SESSION', 'lang'])
    expect(again.score(probe).evidence).toBeGreaterThan(1)
    expect(() => { copy.load({ v: 2 }) }).toThrow(/malformed/)
  })
})
