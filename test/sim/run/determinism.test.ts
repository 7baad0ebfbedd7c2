import { describe, expect, it } from 'vitest'
import { reportHtml, resultsJson, seriesCsv } from '../../../sim/report/reports.js'
import { runScenario } from '../../../sim/run/run-scenario.js'
import { builtinScenario } from '../../../sim/scenario/builtins.js'
import { parseScenario } from '../../../sim/scenario/load-scenario.js'
import { withOverrides } from '../../../sim/scenario/scenario-schema.js'

describe('determinism', () => {
  it('slammer: the same scenario and seed give byte-identical results.json, CSV and HTML; another seed differs', () => {
    const s = withOverrides(builtinScenario('slammer')!, { nodes: 2000, seed: 11 })
    const a = runScenario(s)
    const b = runScenario(s)
    expect(resultsJson(b)).toBe(resultsJson(a))
    expect(seriesCsv(b)).toBe(seriesCsv(a))
    expect(reportHtml(b)).toBe(reportHtml(a))
    const c = runScenario(withOverrides(s, { seed: 12 }))
    expect(resultsJson(c)).not.toBe(resultsJson(a))
    expect(a.results.mesh.events).toBeGreaterThan(1000)
  })

  it('liars (brains, lies, refutations, graylisting): identical twice', () => {
    const s = parseScenario('{ base: liars, nodes: 120, durationS: 900, seed: 5 }')
    const a = runScenario(s)
    const b = runScenario(s)
    expect(resultsJson(b)).toBe(resultsJson(a))
    expect(seriesCsv(b)).toBe(seriesCsv(a))
    expect(a.results.mesh.alertsPublished).toBeGreaterThan(10)
  })
})
