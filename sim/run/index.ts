/** Running a scenario: population, one run (baseline or mesh), both runs side by side, metrics. */
export { Simulation } from './simulation.js'
export type { RunMode, SimulationOptions } from './simulation.js'
export { runScenario } from './run-scenario.js'
export type { ScenarioResults, ScenarioRun, RunScenarioOptions } from './run-scenario.js'
export { SERIES_COLUMNS, r6 } from './metrics.js'
export type { RunMetrics, AttackMetrics, SeriesRow } from './metrics.js'
export { buildPopulation, ROLE_HONEST, ROLE_LIAR, ROLE_SELFISH, ROLE_SYBIL } from '../world/index.js'
export type { Population } from '../world/index.js'
