/**
 * Run a scenario twice from the same seed, without the mesh (every host
 * alone) and with it, and put both side by side. The baseline runs first and
 * is dropped before the mesh run starts (peak memory is one run's).
 */
import type { Scenario } from '../scenario/index.js'
import type { RunMetrics, SeriesRow } from './metrics.js'
import { Simulation } from './simulation.js'
import type { RunMode } from './simulation.js'

export interface ScenarioResults {
  scenario: string
  nodes: number
  seed: number
  durationS: number
  description: string
  /** Sybil identities on top of the members (mesh run). */
  sybils: number
  vulnerable: number
  detectors: number
  detection: { tpr: number, fpr: number, source: string }
  baseline: RunMetrics
  mesh: RunMetrics
  /** The resolved scenario, so a run can be repeated exactly. */
  parameters: Scenario
}

export interface ScenarioRun {
  results: ScenarioResults
  series: Record<RunMode, SeriesRow[]>
}

export interface RunScenarioOptions {
  onProgress?: (mode: RunMode, fraction: number) => void
}

export function runScenario (s: Scenario, options: RunScenarioOptions = {}): ScenarioRun {
  const series: Partial<Record<RunMode, SeriesRow[]>> = {}
  const out: Partial<Record<RunMode, RunMetrics>> = {}
  let sybils = 0
  let vulnerable = 0
  let detectors = 0
  for (const mode of ['baseline', 'mesh'] as const) {
    let sim: Simulation | null = new Simulation(s, mode, options.onProgress != null ? { onProgress: (f) => { options.onProgress!(mode, f) } } : {})
    out[mode] = sim.run()
    series[mode] = sim.series
    if (mode === 'mesh') sybils = sim.pop.sybils
    vulnerable = sim.pop.vulnerable
    detectors = sim.pop.detectors.length
    sim = null
  }
  return {
    results: {
      scenario: s.name,
      nodes: s.nodes,
      seed: s.seed,
      durationS: s.durationS,
      description: s.description,
      sybils,
      vulnerable,
      detectors,
      detection: { tpr: s.detection.tpr, fpr: s.detection.fpr, source: s.detection.source },
      baseline: out.baseline!,
      mesh: out.mesh!,
      parameters: s
    },
    series: { baseline: series.baseline!, mesh: series.mesh! }
  }
}
