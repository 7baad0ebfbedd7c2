import { describe, expect, it } from 'vitest'
import { SERIES_COLUMNS } from '../../../sim/run/metrics.js'
import { runScenario } from '../../../sim/run/run-scenario.js'
import { Simulation } from '../../../sim/run/simulation.js'
import { ROLE_HONEST } from '../../../sim/world/population.js'
import { parseScenario } from '../../../sim/scenario/load-scenario.js'

describe('liars', () => {
  it('honest members blacklist liars with high precision, and see them below honest peers', () => {
    const run = runScenario(parseScenario('{ base: liars, nodes: 300, durationS: 1800, seed: 2 }'))
    const m = run.results.mesh
    expect(m.blacklistPrecision!).toBeGreaterThanOrEqual(0.95)
    expect(m.blacklistRecall!).toBeGreaterThan(0.4)
    expect(run.results.baseline.blacklistPrecision).toBeNull()
    const last = run.series.mesh[run.series.mesh.length - 1]
    const honest = last[SERIES_COLUMNS.indexOf('rep_honest')]!
    const liars = last[SERIES_COLUMNS.indexOf('rep_liars')]!
    expect(liars).toBeLessThan(honest)
    expect(liars).toBeLessThan(0.35)
    // lies cost something, but far from everyone
    expect(m.honestHarmed).toBeLessThan(0.5 * 270)
  })

  it('a poisoned signature is rejected by vetting (R2) and the real intake stops listening to its origin', () => {
    const sim = new Simulation(parseScenario('{ base: liars, nodes: 100, durationS: 1200, seed: 4, liars: { strategy: random, poisonShare: 1, liesPerHour: 30 } }'), 'mesh')
    sim.run()
    let sawIgnored = false
    for (let h = 0; h < 100; h++) {
      if (sim.pop.role[h] !== ROLE_HONEST) continue
      const st = sim.brainOf(h)?.intake.stats()
      if (st == null) continue
      expect(st.signaturesRejected).toBeGreaterThan(0)
      if (st.ignoredBlacklisted > 0) sawIgnored = true
    }
    expect(sawIgnored).toBe(true)
  })
})

describe('selfish members', () => {
  it('honest members flag the selfish (binomial test) and nobody else', () => {
    const run = runScenario(parseScenario(`{ base: selfish, nodes: 80, durationS: 4400,
      attacks: [{ name: wave, kind: targeted, startS: 30, durationS: 30, context: 'GET /search', signature: false, sourceKnown: false,
                  targetFraction: 1, attemptsPerTargetPerMin: 4, repeat: { count: 12, everyS: 360 } }] }`))
    const m = run.results.mesh
    expect(m.selfishPrecision!).toBeGreaterThanOrEqual(0.9)
    expect(m.selfishRecall!).toBeGreaterThan(0.7)
    expect(run.results.baseline.selfishRecall).toBeNull()
  })
})

describe('sybils', () => {
  it('fresh identities cannot reach a source-block quorum; honest alerts still get through', () => {
    const run = runScenario(parseScenario('{ base: sybil, nodes: 100, durationS: 900, seed: 6 }'))
    const m = run.results.mesh
    expect(run.results.sybils).toBe(400)
    expect(m.honestHarmed).toBe(0)
    expect(m.deliveryRatio!).toBeGreaterThan(0.8)
    expect(m.alertsPublished).toBeGreaterThan(10)
  })
})
