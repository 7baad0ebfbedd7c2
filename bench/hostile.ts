/**
 * The red-team suite (issue 15): each attack against REAL daemons (child
 * processes on 127.0.0.1), bounded in time, reporting per attack the
 * victim's highest RSS, GET /health p99, normal-request p99, the normal
 * clients blocked and how long until the attacking peer was graylisted.
 *
 *   npm run bench -- hostile                          # every attack
 *   npm run bench -- hostile --only valid-alert-flood  # some (comma-separated)
 *   npm run bench -- hostile --duration-sec 10 --list
 *
 * The daemons run as installed (the tsc build, compiled into a temp dir
 * first; `--runtime tsx` runs the sources instead, +~50 MB RSS). Attacks run
 * one after another, each with its own fresh daemons. The registry is
 * bench/hostile/index.ts; the harness (watch, train, report) is
 * bench/hostile/harness.ts. Targets (issue 15): RSS <= 300 MB, /health p99
 * < 100 ms, normal p99 < 50 ms at 100 attacks/s, 0 normal clients blocked by
 * sybils, a flooding peer below graylist within 10 s.
 *
 * Last stdout line:
 *   {"bench":"hostile","attacks":[{"name","maxRssMb","healthP99Ms","normalP99Ms","normalClientsBlocked","attackerGraylistedAfterS",...}...],"loadAvg":[...]}
 */
import { rmSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createDaemonPool } from '../test/e2e/support/daemon.js'
import { attacks } from './hostile/index.js'
import type { AttackReport } from './hostile/harness.js'
import { buildDaemon, loadAvg, printResult } from './lib.js'

const USAGE = `usage: npm run bench -- hostile [--only name[,name...]] [--duration-sec N] [--seed N] [--runtime build|tsx] [--list]

attacks:
${attacks.map((a) => `  ${a.name.padEnd(28)} ${a.what}`).join('\n')}
`

let values: Record<string, string | boolean | undefined>
try {
  values = parseArgs({ options: { only: { type: 'string' }, 'duration-sec': { type: 'string' }, seed: { type: 'string' }, runtime: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: false }).values
} catch (err) {
  process.stderr.write(`hostile: ${(err as Error).message}\n${USAGE}`)
  process.exit(2)
}
if (values.help === true || values.list === true) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const bad = (field: string, value: unknown, accepted: string): never => {
  process.stderr.write(`hostile: --${field} ${String(value)} is not ${accepted}\n${USAGE}`)
  process.exit(2)
}
const durationSec = Number(values['duration-sec'] ?? 15)
if (!Number.isFinite(durationSec) || durationSec <= 0 || durationSec > 600) bad('duration-sec', values['duration-sec'], 'a number of seconds in (0, 600]')
const seed = Number(values.seed ?? 1)
if (!Number.isInteger(seed)) bad('seed', values.seed, 'an integer')
const runtime = values.runtime ?? 'build'
if (runtime !== 'build' && runtime !== 'tsx') bad('runtime', runtime, 'build or tsx')
const only = typeof values.only === 'string' ? values.only.split(',').map((s) => s.trim()).filter((s) => s !== '') : null
for (const n of only ?? []) if (!attacks.some((a) => a.name === n)) bad('only', n, `an attack name (${attacks.map((a) => a.name).join(', ')})`)
const chosen = attacks.filter((a) => only == null || only.includes(a.name))

const log = (msg: string): void => { process.stderr.write(`hostile: ${msg}\n`) }
const loadAtStart = loadAvg()
const built = runtime === 'build' ? buildDaemon() : null
if (built != null) log(`built into ${built.dir}`)
const results: Array<AttackReport | { name: string, error: string }> = []
try {
  for (const a of chosen) {
    const pool = createDaemonPool()
    log(`${a.name}: ${a.what} (${durationSec} s)`)
    try {
      const r = await a.run({ pool, durationMs: durationSec * 1000, seed, log: (m) => { log(`${a.name}: ${m}`) }, ...(built != null ? { compiledBin: built.bin } : {}) })
      log(`${a.name}: ${JSON.stringify(r)}`)
      results.push(r)
    } catch (err) {
      log(`${a.name} failed: ${(err as Error).stack ?? String(err)}`)
      results.push({ name: a.name, error: (err as Error).message })
    } finally {
      await pool.cleanup()
    }
  }
} finally {
  if (built != null) rmSync(built.dir, { recursive: true, force: true })
}
printResult({ bench: 'hostile', attacks: results, durationSec, seed, runtime, loadAvgAtStart: loadAtStart, loadAvg: loadAvg() })
