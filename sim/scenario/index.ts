/** Scenarios: types, schema and validation, built-ins, loading from JSON/YAML files. */
export type * from './scenario-types.js'
export { resolveScenario, withOverrides, emptyScenario, defaultAttack, checkBrain, MAX_ATTACKS, MAX_ATTACKERS, MAX_NODES } from './scenario-schema.js'
export { BUILTIN_SCENARIOS, BUILTIN_NAMES, builtinScenario } from './builtins.js'
export { loadScenario, parseScenario } from './load-scenario.js'
export { DEFAULT_DETECTION } from './detection-figures.js'
