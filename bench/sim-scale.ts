/**
 * Simulator scale: the slammer scenario (both runs: without the mesh and with
 * it) at 10k, 100k and 1M members, each size in a fresh child process so
 * the peak RSS (process.resourceUsage().maxRSS) is that run's alone.
 *
 *   npm run bench -- sim-scale                 # 10000,100000,1000000
 *   npm run bench -- sim-scale 10000,100000    # other sizes
 *
 * Prints {"bench":"sim-scale","results":[{"nodes":10000,"wallS":…,"peakRssMb":…,"events":…}, …]}.
 * wallS is the wall time of both runs (scenario setup included, process
 * start-up excluded); cpuS the CPU time of the child, which stays meaningful
 * when other work shares the machine (loadAvg1m is printed beside it).
 * Children get --max-old-space-size=12288: a million brains hold ~3.9 GB of
 * heap, just under V8's default limit here (docs/simulator.md).
 */
import { spawn } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { runScenario } from '../sim/run/run-scenario.js'
import { builtinScenario } from '../sim/scenario/builtins.js'
import { withOverrides } from '../sim/scenario/scenario-schema.js'
import { printResult } from './lib.js'

interface SizeResult {
  nodes: number
  wallS: number
  cpuS: number
  peakRssMb: number
  events: number
  baselineEvents: number
  meshEvents: number
  baselineInfectedAt600s: number | null
  meshInfectedAt600s: number | null
  meshTimeToImmune90S: number | null
  alertsPublished: number
  messagesPerNodePerMin: number
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d

if (process.argv[2] === '--child') {
  const nodes = Number(process.argv[3])
  const scenario = withOverrides(builtinScenario('slammer')!, { nodes })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const run = runScenario(scenario)
  const wallS = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const r = run.results
  const out: SizeResult = {
    nodes,
    wallS: round(wallS),
    cpuS: round((cpu.user + cpu.system) / 1e6),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    events: r.baseline.events + r.mesh.events,
    baselineEvents: r.baseline.events,
    meshEvents: r.mesh.events,
    baselineInfectedAt600s: r.baseline.infectedFractionAt600s,
    meshInfectedAt600s: r.mesh.infectedFractionAt600s,
    meshTimeToImmune90S: r.mesh.timeToImmune90S,
    alertsPublished: r.mesh.alertsPublished,
    messagesPerNodePerMin: r.mesh.messagesPerNodePerMin
  }
  process.stdout.write(JSON.stringify(out) + '\n')
  process.exit(0)
}

async function runChild (nodes: number): Promise<SizeResult> {
  const script = fileURLToPath(import.meta.url)
  const child = spawn(process.execPath, ['--max-old-space-size=12288', ...process.execArgv, script, '--child', String(nodes)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d: string) => { out += d })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const last = out.trim().split('\n').pop() ?? ''
  if (code !== 0 || !last.startsWith('{')) throw new Error(`sim-scale child for ${nodes} nodes failed (exit ${String(code)}): ${out.slice(-500)}`)
  return JSON.parse(last) as SizeResult
}

const sizes = (process.argv[2] ?? '10000,100000,1000000').split(',').map(Number)
if (sizes.some((s) => !Number.isInteger(s) || s < 100 || s > 10_000_000)) {
  process.stderr.write('usage: npm run bench -- sim-scale [sizes, e.g. 10000,100000,1000000 (each 100..10000000)]\n')
  process.exit(2)
}
const results: SizeResult[] = []
for (const n of sizes) {
  const r = await runChild(n)
  process.stderr.write(`sim-scale: ${JSON.stringify(r)}\n`)
  results.push(r)
}
printResult({ bench: 'sim-scale', scenario: 'slammer', loadAvg1m: round(loadavg()[0]), cpus: cpus().length, results })
