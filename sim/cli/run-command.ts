/** `immune-sim run <scenario> [--nodes N] [--seed S] [--duration SEC] [--out DIR] [--json]` */
import { getHeapStatistics } from 'node:v8'
import { UsageError } from '../../node/cli/index.js'
import type { Command } from '../../node/cli/index.js'
import { SimScenarioError, UnknownScenarioError } from '../errors.js'
import { summaryText, resultsJson, writeReports } from '../report/index.js'
import { runScenario } from '../run/index.js'
import { loadScenario } from '../scenario/index.js'
import { withOverrides } from '../scenario/index.js'
import { createProgress } from './progress.js'

function numberOption (name: string, v: unknown, integer: boolean): number | undefined {
  if (v === undefined) return undefined
  const s = String(v).replace(/_/g, '')
  const n = Number(s)
  if (s.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`)
  }
  return n
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run a scenario without the mesh (every host alone) and with it, and compare',
  usage: 'run <scenario-name-or-file> [--nodes N] [--seed S] [--duration SEC] [--out DIR] [--json]',
  help: [
    'arguments:',
    '  <scenario>        a built-in (see "immune-sim scenarios") or a JSON/YAML scenario file',
    'options:',
    '  --nodes N         members (the scenario scales: fractions stay, counts are per member)',
    '  --seed S          seed (the same scenario and seed give byte-identical results)',
    '  --duration SEC    virtual seconds to simulate',
    '  --out DIR         write results.json, timeseries.csv and report.html into DIR',
    '  --json            print results.json to stdout instead of the summary',
    '',
    'examples:',
    '  immune-sim run slammer --nodes 100000 --out out/slammer',
    '  immune-sim run my-scenario.yaml --seed 7 --json'
  ].join('\n'),
  options: {
    nodes: { type: 'string' },
    seed: { type: 'string' },
    duration: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' }
  },
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const nodes = numberOption('nodes', args.values.nodes, true)
    const seed = numberOption('seed', args.values.seed, true)
    const durationS = numberOption('duration', args.values.duration, false)
    const out = args.values.out
    if (out !== undefined && (typeof out !== 'string' || out === '')) throw new UsageError('--out needs a directory')
    let scenario
    try {
      scenario = withOverrides(loadScenario(args.positionals[0]), {
        ...(nodes !== undefined ? { nodes } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(durationS !== undefined ? { durationS } : {})
      })
    } catch (err) {
      if (err instanceof SimScenarioError || err instanceof UnknownScenarioError) throw new UsageError(err.message)
      throw err
    }
    // the mesh run gives every member a brain (~4 KB of heap each after a worm wave, docs/simulator.md)
    const needMb = 300 + scenario.nodes * 4.5 / 1024
    const limitMb = getHeapStatistics().heap_size_limit / (1024 * 1024)
    if (needMb > 0.85 * limitMb) {
      io.err(`immune-sim: ${scenario.nodes.toLocaleString('en-US')} members may need ~${Math.ceil(needMb / 1024)} GB of heap (limit ${(limitMb / 1024).toFixed(1)} GB); if it runs out, set NODE_OPTIONS=--max-old-space-size=${Math.ceil(needMb * 1.5 / 1024) * 1024}`)
    }
    const progress = createProgress()
    const run = runScenario(scenario, { onProgress: (mode, f) => { progress.update(mode, f) } })
    progress.done()
    if (typeof out === 'string') {
      const files = writeReports(out, run)
      if (args.values.json === true) io.out(resultsJson(run))
      else io.out(summaryText(run) + files.map(f => `wrote ${f}`).join('\n'))
      return 0
    }
    io.out(args.values.json === true ? resultsJson(run) : summaryText(run))
    return 0
  }
}
