import { describe, expect, it } from 'vitest'
import { createStatusMonitor, poissonTail } from '../../../node/detector/status-monitor.js'

const T0 = 1_700_000_000_000

describe('status monitor: error storms per source', () => {
  it('poissonTail matches the exact sums', () => {
    expect(poissonTail(0, 3)).toBe(1)
    expect(poissonTail(1, 2)).toBeCloseTo(1 - Math.exp(-2), 9)
    expect(poissonTail(3, 0.5)).toBeCloseTo(1 - Math.exp(-0.5) * (1 + 0.5 + 0.125), 9)
    expect(poissonTail(50, 1)).toBeLessThan(1e-60)
    expect(poissonTail(5, 0)).toBe(0)
  })

  function trained () {
    const m = createStatusMonitor()
    // 2,000 normal responses: 1 % 404s, 0.1 % 500s
    for (let i = 0; i < 2000; i++) m.record({ context: 'get /item/{id}', source: `198.51.100.${i % 200}`, status: i % 100 === 0 ? 404 : i % 1000 === 7 ? 500 : 200, time: T0 + i * 100, normal: true })
    return m
  }

  it('a source whose requests keep breaking the server is a 5xx storm; one error is not', () => {
    const m = trained()
    const t = T0 + 300_000
    expect(m.record({ context: 'get /item/{id}', source: '203.0.113.5', status: 500, time: t, normal: false })).toBeNull()
    let found = null
    for (let i = 1; i < 12 && found == null; i++) found = m.record({ context: 'get /item/{id}', source: '203.0.113.5', status: 500, time: t + i * 500, normal: false })
    expect(found).toMatchObject({ source: '203.0.113.5', kind: '5xx', errors: 10 })
    expect(found!.p).toBeLessThan(1e-6)
    expect(found!.reason.feature).toBe('server-error-storm')
    // once per cooldown, but the storm is visible while it lasts
    expect(m.record({ context: 'get /item/{id}', source: '203.0.113.5', status: 500, time: t + 7000, normal: false })).toBeNull()
    expect(m.storming('203.0.113.5', t + 7000)).not.toBeNull()
    expect(m.storming('203.0.113.5', t + 200_000)).toBeNull()
  })

  it('a scan of missing paths is a 4xx storm; a page with a few broken links is not', () => {
    const m = trained()
    const t = T0 + 400_000
    let found = null
    for (let i = 0; i < 60 && found == null; i++) found = m.record({ context: `get /x${i}`, source: '192.0.2.9', status: 404, time: t + i * 200, normal: false })
    expect(found).toMatchObject({ kind: '4xx', errors: 50 })
    for (let i = 0; i < 8; i++) expect(m.record({ context: 'get /item/{id}', source: '198.51.100.77', status: 404, time: t + i * 200, normal: false })).toBeNull()
  })

  it('the error rate of an endpoint where errors are normal raises the bar', () => {
    const m = createStatusMonitor()
    // a flaky endpoint (30 % 503) and a healthy one (0.1 % 500)
    for (let i = 0; i < 2000; i++) {
      m.record({ context: 'get /flaky', source: `198.51.100.${i % 100}`, status: i % 10 < 3 ? 503 : 200, time: T0 + i, normal: true })
      m.record({ context: 'get /ok', source: `198.51.100.${i % 100}`, status: i % 1000 === 0 ? 500 : 200, time: T0 + i, normal: true })
    }
    const run = (context: string, source: string): boolean => {
      let found = false
      for (let i = 0; i < 40; i++) found = m.record({ context, source, status: i % 10 < 3 ? 503 : 200, time: T0 + 100_000 + i * 100, normal: false }) != null || found
      return found
    }
    expect(run('get /flaky', '203.0.113.1')).toBe(false) // 12 errors in 40 where 30 % fail: expected
    expect(run('get /ok', '203.0.113.2')).toBe(true) // the same at a healthy endpoint: a storm
  })

  it('bounded, and its baselines survive a snapshot', () => {
    const m = createStatusMonitor({ maxSources: 10, maxContexts: 3 })
    for (let i = 0; i < 100; i++) m.record({ context: `get /p${i % 5}`, source: `10.0.0.${i}`, status: 200, time: T0 + i, normal: true })
    const j = m.toJSON()
    expect(j.contexts.length).toBe(3)
    const n = createStatusMonitor()
    n.load(JSON.parse(JSON.stringify(j)))
    expect(n.rates('get /p0')).toEqual(m.rates('get /p0'))
    expect(() => { n.load({ v: 1, contexts: [['x', [1, 2]]] }) }).toThrow(/malformed/)
    expect(() => createStatusMonitor({ alpha: 0 })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
  })
})
