import { describe, expect, it } from 'vitest'
import { createHttpContextModel } from '../../../../node/profile/http/http-context-model.js'
import { createHttpModelParams } from '../../../../node/profile/http/http-model-params.js'
import { PARAM_FAMILIES } from '../../../../node/profile/http/param-model.js'
import { TermSink } from '../../../../node/profile/http/term-sink.js'
import { surprise } from '../../../../node/profile/stats/p-value.js'
import { FakeApp } from './fake-app.js'

/** Two parameter groups; the first has three p = 0.01 tests in `families`, the rest are unsurprising. */
function score (combination: 'order' | 'order-families', families: [number, number, number]): number {
  const sink = new TermSink(0.05, combination)
  for (let g = 0; g < 2; g++) {
    sink.group(PARAM_FAMILIES)
    for (let f = 0; f < 8; f++) sink.test(g === 0 && f < 3 ? 0.01 : 1, g === 0 && f < 3 ? families[f] : 1)
  }
  return sink.combined().value
}

describe('TermSink combinations', () => {
  it("'order' counts three surprising tests of one value as three events; 'order-families' as one when they are entangled", () => {
    const m = 16
    // 'order': C(16,3)·0.01³ = 5.6e-4
    expect(score('order', [2, 2, 2])).toBeCloseTo(surprise((m * (m - 1) * (m - 2) / 6) * 1e-6), 3)
    // 'order-families', all three in the alphabet family (size 4): one event, q = 4·0.01; Bonferroni m·p wins
    expect(score('order-families', [2, 2, 2])).toBeCloseTo(surprise(m * 0.01), 3)
    // three different families (value, length, alphabet: sizes 2, 1, 4): q = 0.02, 0.01, 0.04 over 8 family slots,
    // C(8,3)·q₍₃₎³ = 56·0.04³ wins
    expect(score('order-families', [0, 1, 2])).toBeCloseTo(surprise(56 * Math.pow(0.04, 3)), 3)
  })

  it("'order-families' scores a model's requests and is accepted by the params", () => {
    const params = createHttpModelParams({ combination: 'order-families' })
    const app = new FakeApp(21)
    const model = createHttpContextModel('post /account/register', params)
    const reg = (): ReturnType<FakeApp['next']> => { for (;;) { const o = app.next(); if (o.path === '/account/register') return o } }
    for (let i = 0; i < 300; i++) model.learn(reg())
    expect(model.score(reg()).value).toBeLessThan(2)
    const attack = app.custom('POST', '/account/register', '', new URLSearchParams({ name: "x' OR '1'='1", email: 'a@b.c', birth: '1990-01-01', zip: '12345', newsletter: 'on' }).toString())
    expect(model.score(attack).value).toBeGreaterThan(3)
    expect(() => createHttpModelParams({ combination: 'bogus' as never })).toThrow(/order-families/)
  })
})
