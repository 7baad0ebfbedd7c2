/**
 * A scenario by built-in name or from a JSON/YAML file. A file may start from
 * a built-in (`base: slammer`) and change only some fields.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { extname } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { SimScenarioError, UnknownScenarioError } from '../errors.js'
import { BUILTIN_NAMES, builtinScenario } from './builtins.js'
import { emptyScenario, resolveScenario } from './scenario-schema.js'
import type { Scenario } from './scenario-types.js'

/** Parse scenario text (JSON or YAML; YAML is a superset of JSON) and resolve it. */
export function parseScenario (text: string, file = '<text>'): Scenario {
  let raw: unknown
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new SimScenarioError('', '(unparsable)', `valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML or JSON'}: ${(err as Error).message.split('\n')[0]}`, file)
  }
  let base = emptyScenario()
  if (raw != null && typeof raw === 'object' && !Array.isArray(raw) && 'base' in raw) {
    const name = (raw as { base: unknown }).base
    const b = typeof name === 'string' ? builtinScenario(name) : undefined
    if (b == null) throw new SimScenarioError('base', name, `a built-in scenario (${BUILTIN_NAMES.join(', ')})`, file)
    base = b
  }
  return resolveScenario(raw, base, file)
}

/** A built-in by name, else a file path. */
export function loadScenario (nameOrFile: string): Scenario {
  const b = builtinScenario(nameOrFile)
  if (b != null) return b
  if (!existsSync(nameOrFile)) throw new UnknownScenarioError(nameOrFile, BUILTIN_NAMES, 'no such file')
  if (!statSync(nameOrFile).isFile()) throw new UnknownScenarioError(nameOrFile, BUILTIN_NAMES, 'not a file')
  return parseScenario(readFileSync(nameOrFile, 'utf8'), nameOrFile)
}
