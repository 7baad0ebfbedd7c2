import { describe, expect, it } from 'vitest'
import { runScenario } from '../../../sim/run/run-scenario.js'
import { builtinScenario } from '../../../sim/scenario/builtins.js'
import { withOverrides } from '../../../sim/scenario/scenario-schema.js'
import { SERIES_COLUMNS } from '../../../sim/run/metrics.js'

describe('slammer at 5,000 members', () => {
  const run = runScenario(withOverrides(builtinScenario('slammer')!, { nodes: 5000, seed: 3 }))
  const { baseline, mesh } = run.results

  it('without the mesh reproduces Moore et al. (2003): > 90% of vulnerable hosts infected within 600 s', () => {
    expect(run.results.vulnerable).toBeGreaterThan(3500)
    expect(baseline.infectedFractionAt600s).toBeGreaterThan(0.9)
    expect(baseline.alertsPublished).toBe(0)
    expect(baseline.messagesPerNodePerMin).toBe(0)
    // only detectors that saw it themselves hold the signature
    expect(baseline.immuneFraction).toBeLessThan(0.2)
    // the infected population doubles every ~8.5 s early on: from 1 to half the vulnerable hosts takes ~ln(3750)/ln2 * 8.5 s
    const t = SERIES_COLUMNS.indexOf('t_s')
    const inf = SERIES_COLUMNS.indexOf('infected_fraction')
    const half = run.series.baseline.find(r => (r[inf] ?? 0) >= 0.5)
    expect(half).toBeDefined()
    expect(half![t]!).toBeGreaterThan(60)
    expect(half![t]!).toBeLessThan(200)
  })

  it('with the mesh infects far fewer and makes the community immune', () => {
    expect(mesh.infectedFraction).toBeLessThan(baseline.infectedFraction)
    expect(mesh.infectedFractionAt600s!).toBeLessThan(0.1)
    expect(mesh.immuneFraction!).toBeGreaterThan(0.95)
    expect(mesh.timeToImmune50S!).toBeLessThanOrEqual(mesh.timeToImmune90S!)
    expect(mesh.timeToImmune90S!).toBeLessThan(600)
    expect(mesh.alertsPublished).toBeGreaterThan(0)
    expect(mesh.alertLatencyP99Ms!).toBeGreaterThan(0)
    expect(mesh.alertLatencyP50Ms!).toBeLessThanOrEqual(mesh.alertLatencyP99Ms!)
    expect(mesh.deliveryRatio!).toBeGreaterThan(0.99)
    expect(mesh.messagesPerNodePerMin).toBeGreaterThan(0)
    expect(mesh.network!.meanMeshDegree).toBeGreaterThanOrEqual(4)
    expect(mesh.falseBlocks).toBe(0)
    expect(mesh.honestHarmed).toBe(0)
  })
})
