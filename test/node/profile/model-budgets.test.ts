/**
 * Issue 15 item 2: the per-parameter caps of the HTTP models do not
 * multiply. A context's parameters draw their 3-grams, shapes and symbols
 * from one per-context budget, the contexts of a set from one per-cell
 * budget, and a context dropped from its set gives its share back.
 */
import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../core/prng.js'
import { HttpContextModel } from '../../../node/profile/http/http-context-model.js'
import { HttpAppModel } from '../../../node/profile/http/app-model.js'
import { createHttpModelParams } from '../../../node/profile/http/http-model-params.js'
import type { HttpObservation } from '../../../node/observation.js'

const rng = createPrng('model-budgets')
const junk = (n: number): string => { let s = ''; for (let i = 0; i < n; i++) s += String.fromCharCode(33 + rng.nextInt(0x2fff)); return s }
const worst = (path: string, params: number, chars: number): HttpObservation => ({
  kind: 'http', time: 0, method: 'POST', path, query: '', headers: { 'content-type': 'application/x-www-form-urlencoded' }, source: '198.51.100.1',
  body: Array.from({ length: params }, (_, j) => `p${j}=${encodeURIComponent(junk(chars))}`).join('&')
})

describe('HTTP model budgets', () => {
  it('a context keeps at most maxGramsPerContext 3-grams and shapes and maxSymbolsPerContext symbols over all its parameters', () => {
    const params = createHttpModelParams({ maxGramsPerContext: 5000, maxSymbolsPerContext: 300 })
    const m = new HttpContextModel('post /x', params)
    for (let i = 0; i < 5; i++) m.learn(worst('/x', 64, 400))
    expect(m.gramBudget.used).toBe(5000)
    expect(m.symbolBudget.used).toBe(300)
    // it still scores
    expect(Number.isFinite(m.score(worst('/x', 64, 400)).value)).toBe(true)
  })

  it('the contexts of one set share the cell budget; a disposed context gives its share back', () => {
    const params = createHttpModelParams({ maxGramsPerContext: 4000, maxGramsPerCell: 10_000, maxParamsPerCell: 100 })
    const app = new HttpAppModel(params)
    const a = new HttpContextModel('post /a', params, undefined, app)
    const b = new HttpContextModel('post /b', params, undefined, app)
    const c = new HttpContextModel('post /c', params, undefined, app)
    for (const m of [a, b, c]) m.learn(worst('/', 40, 400))
    expect(app.gramBudget.used).toBe(10_000)
    expect(a.gramBudget.used + b.gramBudget.used + c.gramBudget.used).toBe(10_000)
    expect(app.paramBudget.used).toBe(100)
    expect(c.parameterNames().length).toBe(20)
    const before = c.gramBudget.used
    a.dispose()
    expect(app.gramBudget.used).toBe(10_000 - 4000)
    c.learn(worst('/', 20, 400))
    expect(c.gramBudget.used).toBeGreaterThan(before)
  })
})
