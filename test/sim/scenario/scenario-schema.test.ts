import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SimScenarioError, UnknownScenarioError } from '../../../sim/errors.js'
import { BUILTIN_NAMES, builtinScenario } from '../../../sim/scenario/builtins.js'
import { loadScenario, parseScenario } from '../../../sim/scenario/load-scenario.js'
import { withOverrides } from '../../../sim/scenario/scenario-schema.js'

function fieldOf (fn: () => unknown): string {
  try { fn() } catch (e) {
    expect(e).toBeInstanceOf(SimScenarioError)
    expect((e as SimScenarioError).code).toBe('IMMUNE_ERR_SIM_SCENARIO')
    return (e as SimScenarioError).details.field
  }
  throw new Error('did not throw')
}

describe('scenario files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-scenario-'))
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('every built-in resolves; the list is the six of issue 6', () => {
    expect(BUILTIN_NAMES).toEqual(['slammer', 'targeted', 'liars', 'selfish', 'sybil', 'churn'])
    for (const n of BUILTIN_NAMES) expect(builtinScenario(n)!.name).toBe(n)
    expect(builtinScenario('slammer')!.population.vulnerableFraction * builtinScenario('slammer')!.nodes).toBe(75_000)
  })

  it('YAML on top of a built-in: only the given fields change; repeat expands attacks', () => {
    const s = parseScenario([
      'base: liars',
      'nodes: 200',
      'liars: { strategy: coordinated }',
      'attacks:',
      '  - { name: probe, kind: targeted, targets: 5, repeat: { count: 3, everyS: 100 } }'
    ].join('\n'), 'x.yaml')
    expect(s.nodes).toBe(200)
    expect(s.liars!.strategy).toBe('coordinated')
    expect(s.liars!.fraction).toBe(0.1)
    expect(s.attacks.map(a => [a.name, a.startS, a.targets])).toEqual([['probe#1', 30, 5], ['probe#2', 130, 5], ['probe#3', 230, 5]])
  })

  it('errors name the field: nested attack field, unknown field, enum, network, brain params, overrides', () => {
    expect(fieldOf(() => parseScenario('{"attacks": [{}, {"doublingTimeS": -1}]}', 'a.json'))).toBe('attacks[1].doublingTimeS')
    expect(fieldOf(() => parseScenario('population: { detectorFraktion: 0.2 }'))).toBe('population.detectorFraktion')
    expect(fieldOf(() => parseScenario('liars: { strategy: sneaky }'))).toBe('liars.strategy')
    expect(fieldOf(() => parseScenario('network: { meshDegree: 20 }'))).toBe('network.meshDegree')
    expect(fieldOf(() => parseScenario('brain: { intake: { sourceQuorum: -1 } }'))).toBe('brain.intake.sourceQuorum')
    expect(fieldOf(() => parseScenario('brain: { intake: { selfish: { alpha: 2 } } }'))).toBe('brain.intake.selfish.alpha')
    expect(fieldOf(() => parseScenario('brain: { reputation: { blacklistBelow: 2 } }'))).toBe('brain.reputation.blacklistBelow')
    expect(fieldOf(() => parseScenario('brain: { policy: { dryRun: 3 } }'))).toBe('brain.policy.dryRun')
    expect(fieldOf(() => parseScenario('base: nope'))).toBe('base')
    expect(fieldOf(() => parseScenario('nodes: 1.5'))).toBe('nodes')
    expect(fieldOf(() => parseScenario('attacks: 3'))).toBe('attacks')
    expect(fieldOf(() => withOverrides(builtinScenario('slammer')!, { nodes: 0 }))).toBe('--nodes')
    const e = (() => { try { parseScenario('{"attacks": [{"kind": "virus"}]}', 'b.json') } catch (err) { return err as SimScenarioError } })()!
    expect(e.message).toContain('attacks[0].kind')
    expect(e.message).toContain('worm, targeted')
    expect(e.message).toContain('b.json')
  })

  it('unparsable text is a scenario error; an unknown name is IMMUNE_ERR_SIM_UNKNOWN_SCENARIO', () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{ "nodes": ')
    expect(fieldOf(() => loadScenario(bad))).toBe('')
    const good = join(dir, 'good.yaml')
    writeFileSync(good, 'base: slammer\nnodes: 3000\n')
    expect(loadScenario(good).nodes).toBe(3000)
    let err: unknown
    try { loadScenario(join(dir, 'missing.yaml')) } catch (e) { err = e }
    expect(err).toBeInstanceOf(UnknownScenarioError)
    expect((err as UnknownScenarioError).code).toBe('IMMUNE_ERR_SIM_UNKNOWN_SCENARIO')
  })
})
