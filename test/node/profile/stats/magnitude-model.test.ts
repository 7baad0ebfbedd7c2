import { describe, expect, it } from 'vitest'
import { MagnitudeModel, magnitudeOf } from '../../../../node/profile/stats/magnitude-model.js'

describe('MagnitudeModel: numbers as a range with a learned distribution', () => {
  const ids = new MagnitudeModel()
  for (let i = 0; i < 300; i++) ids.learn(1 + (i % 3))

  it('inside the range seen: p = 1 (a new id between known ones)', () => {
    expect(ids.pValue(2)).toBe(1)
    expect(ids.range).toEqual([1, 3])
  })

  it('a little beyond: unremarkable (id=4 where training saw 1–3; a quantity of 100 where 1–55)', () => {
    expect(ids.pValue(4)).toBe(1)
    const q = new MagnitudeModel()
    for (let i = 1; i <= 55; i++) q.learn(i)
    expect(q.pValue(100)).toBeGreaterThan(0.1)
  })

  it('far beyond: an outlier, falling with the distance in decades (Chebyshev)', () => {
    const p6 = ids.pValue(1e6)
    const p12 = ids.pValue(1e12)
    expect(p6).toBeLessThan(0.02)
    expect(p12).toBeLessThan(p6)
    expect(ids.pValue(-5000)).toBeLessThan(0.1)
    expect(ids.pValue(0)).toBe(1)
  })

  it('is signed on the log scale and survives a snapshot', () => {
    expect(magnitudeOf(-9)).toBeCloseTo(-1, 10)
    const r = MagnitudeModel.restore(JSON.parse(JSON.stringify(ids.toJSON())))
    expect(r.pValue(1e6)).toBe(ids.pValue(1e6))
    expect(MagnitudeModel.restore(undefined).pValue(5)).toBe(1)
    expect(() => MagnitudeModel.restore({ n: 1.5, mean: 0, m2: 0, min: 0, max: 0 })).toThrow(/malformed/)
  })
})
