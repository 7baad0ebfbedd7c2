/**
 * The daemon as a person runs it: one real `immune-node start` process
 * protecting one supervised cell (a tiny node:http app, /proc sampling every
 * 10 s, renewal every 600 s: the defaults), its API on 127.0.0.1.
 *
 *   idleCpuPct   CPU of the daemon process (utime+stime from /proc/<pid>/stat)
 *                over IDLE_SEC seconds with nothing to do, % of one core
 *   rssMb        VmRSS of the daemon after the idle period
 *   observePerSec       ingest API, one observation per request (keep-alive,
 *                       CONCURRENCY connections), context guarding
 *   observeBatchPerSec  the same with BATCH observations per request
 *   daemonCpuUsPerObs   µs of daemon CPU (utime+stime) per observation, batched:
 *                       the cost of ingest per core whatever the client or the
 *                       neighbours do (daemonCpuUsPerObsSingle: one per request)
 *   agentP50Ms, agentP99Ms  the in-process agent's added latency per request at
 *                       AGENT_RATE requests/s: an app (node:http, this process)
 *                       behind the agent and the same app bare are driven side
 *                       by side, open loop, one request to each per tick; the
 *                       figure is the agent's percentile minus the bare app's
 *                       (both percentiles are printed too)
 *
 * The daemon runs as installed (package.json "bin": the tsc build): the
 * sources are compiled into a temp dir first (`--runtime tsx` runs them
 * through tsx instead, as the tests do; its loader adds ~50 MB of RSS).
 *
 * Before the throughput runs the cell is trained through the API (four
 * endpoints to guarding), so the figures are for the steady state: score,
 * sometimes learn, journal commit before every answer. Request bodies are
 * made before the clock starts; the client runs in this process and shares
 * the machine with the daemon (cpuShare tells how much CPU the daemon got).
 *
 *   npm run bench -- daemon               # idle 60 s
 *   npm run bench -- daemon --idle-sec 10 # a quicker look
 */
import { Agent, createServer, request as httpRequestRaw } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { createDaemonPool, tinyAppCell } from '../test/e2e/support/daemon.js'
import { getOk, httpRequest, procCpuTicks, procRssBytes, sleep } from '../test/e2e/support/http.js'
import { NORMAL_ENDPOINTS, createNormalTraffic } from '../test/e2e/support/traffic.js'
import { buildDaemon, printResult } from './lib.js'
import { createImmuneAgent } from '../node/agent/index.js'
import type { IngestItem } from '../test/e2e/support/traffic.js'

const { values } = parseArgs({ options: { 'idle-sec': { type: 'string' }, single: { type: 'string' }, batches: { type: 'string' }, 'cpu-prof': { type: 'string' }, runtime: { type: 'string' }, 'agent-rate': { type: 'string' }, 'agent-sec': { type: 'string' } }, allowPositionals: true })
const RUNTIME = values.runtime === 'tsx' ? 'tsx' : 'build'
const IDLE_SEC = Number(values['idle-sec'] ?? 60)
const SETTLE_MS = 5000
const MIN_OBS = 500
const SINGLE_REQUESTS = Number(values.single ?? 20_000)
const BATCH = 100
const BATCH_REQUESTS = Number(values.batches ?? 600)
const CONCURRENCY = 4
const AGENT_RATE = Number(values['agent-rate'] ?? 1000)
const AGENT_SEC = Number(values['agent-sec'] ?? 10)

const clockTicks = ((): number => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100 } catch { return 100 }
})()

const log = (msg: string): void => { process.stderr.write(`daemon bench: ${msg}\n`) }

/** Sends every body over CONCURRENCY keep-alive connections; returns elapsed seconds and the daemon's CPU seconds. */
async function drive (apiUrl: string, pid: number, bodies: string[]): Promise<{ sec: number, cpuSec: number, blocked: number, errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  let next = 0
  let blocked = 0
  let errors = 0
  const cpu0 = procCpuTicks(pid)!
  const t0 = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]
      const r = await httpRequest(apiUrl, 'POST', '/v1/observe', body, { agent, timeoutMs: 60_000 })
      if (r.status !== 200) { errors++; continue }
      blocked += (r.text.match(/"verdict":"block"/g) ?? []).length
    }
  }))
  const sec = (performance.now() - t0) / 1000
  const cpuSec = (procCpuTicks(pid)! - cpu0) / clockTicks
  agent.destroy()
  return { sec, cpuSec, blocked, errors }
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const percentile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]
}

/**
 * The agent's added latency: the same app bare and behind the agent (asking
 * the daemon at apiUrl), AGENT_RATE requests/s to each, open loop, for
 * AGENT_SEC seconds (bounded: AGENT_RATE × AGENT_SEC requests each).
 */
async function agentLatency (apiUrl: string, items: IngestItem[]): Promise<{ bare: number[], agent: number[], blocked: number, errors: number, achievedPerSec: number }> {
  const app = (_req: unknown, res: { writeHead: (s: number, h: Record<string, string>) => void, end: (b: string) => void }): void => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok\n') }
  const immune = createImmuneAgent({ url: apiUrl, cell: 'web', trustProxy: true, reportStatus: true })
  const bareServer = createServer((req, res) => { req.resume(); req.on('end', () => { app(req, res) }) })
  const agentServer = createServer(immune.wrap((req, res) => { app(req, res) }))
  const bareUrl = await listen(bareServer)
  const agentUrl = await listen(agentServer)
  const keep = new Agent({ keepAlive: true, maxSockets: 256 })
  const bare: number[] = []
  const agent: number[] = []
  let blocked = 0
  let errors = 0
  const send = async (base: string, it: IngestItem, into: number[]): Promise<void> => {
    const url = new URL(`${it.path}${it.query != null && it.query !== '' ? `?${it.query}` : ''}`, base)
    const t0 = performance.now()
    await new Promise<void>((resolve) => {
      const req = httpRequestRaw(url, { method: it.method, agent: keep, headers: { ...(it.headers ?? {}), 'x-forwarded-for': it.source ?? '198.51.100.1' } }, (res) => {
        res.resume()
        res.on('end', () => { into.push(performance.now() - t0); if (res.statusCode === 403) blocked++; resolve() })
      })
      req.on('error', () => { errors++; resolve() })
      req.end(it.body ?? '')
    })
  }
  const n = Math.max(1, Math.round(AGENT_RATE * AGENT_SEC))
  const pending: Array<Promise<void>> = []
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    const due = start + i * 1000 / AGENT_RATE
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    const it = items[i % items.length]
    pending.push(send(bareUrl, it, bare), send(agentUrl, it, agent))
  }
  await Promise.all(pending)
  const sec = (performance.now() - start) / 1000
  immune.close()
  keep.destroy()
  await Promise.all([bareServer, agentServer].map(async (s) => { await new Promise<void>((resolve) => { s.close(() => { resolve() }) }) }))
  return { bare, agent, blocked, errors, achievedPerSec: n / sec }
}

const built = RUNTIME === 'build' ? buildDaemon() : null
if (built != null) log(`built into ${built.dir}`)
const pool = createDaemonPool()
try {
  const node = await pool.start({
    ...(built != null ? { compiledBin: built.bin } : {}),
    name: 'bench',
    config: {
      cells: [tinyAppCell('web', { renewIntervalSec: 600, sampleIntervalSec: 10 })],
      learning: { minObservations: MIN_OBS, minDurationSec: 0 },
      logging: { level: 'warn', format: 'json' }
    },
    ...(values['cpu-prof'] != null ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] } : {})
  })
  log(`daemon pid ${node.pid} at ${node.apiUrl}; settling ${SETTLE_MS} ms, then idle ${IDLE_SEC} s`)
  await sleep(SETTLE_MS)
  const idle0 = procCpuTicks(node.pid)!
  const idleT0 = performance.now()
  await sleep(IDLE_SEC * 1000)
  const idleSec = (performance.now() - idleT0) / 1000
  const idleCpuPct = ((procCpuTicks(node.pid)! - idle0) / clockTicks) / idleSec * 100
  const rssMb = procRssBytes(node.pid)! / 1e6
  log(`idle: ${idleCpuPct.toFixed(2)}% CPU, RSS ${rssMb.toFixed(1)} MB`)

  // train to guarding (not measured)
  const gen = createNormalTraffic({ cell: 'web', seed: 1 })
  const trainBodies = Array.from({ length: MIN_OBS * NORMAL_ENDPOINTS / BATCH + 4 }, () => JSON.stringify(gen(BATCH)))
  await drive(node.apiUrl, node.pid, trainBodies)
  const st = await getOk<{ contexts: Array<{ cell: string, phase: string }> }>(node.apiUrl, '/status')
  const guarding = st.contexts.filter((c) => c.cell === 'web' && c.phase === 'guarding').length
  log(`trained: ${guarding} of ${NORMAL_ENDPOINTS} contexts guarding`)

  const singles = gen(SINGLE_REQUESTS).map((o) => JSON.stringify(o))
  const s = await drive(node.apiUrl, node.pid, singles)
  const observePerSec = SINGLE_REQUESTS / s.sec
  log(`single: ${SINGLE_REQUESTS} requests in ${s.sec.toFixed(2)} s = ${observePerSec.toFixed(0)}/s (daemon CPU ${s.cpuSec.toFixed(2)} s, ${s.errors} errors)`)

  const batches = Array.from({ length: BATCH_REQUESTS }, () => JSON.stringify(gen(BATCH)))
  const b = await drive(node.apiUrl, node.pid, batches)
  const observeBatchPerSec = BATCH_REQUESTS * BATCH / b.sec
  log(`batched: ${BATCH_REQUESTS}×${BATCH} in ${b.sec.toFixed(2)} s = ${observeBatchPerSec.toFixed(0)}/s (daemon CPU ${b.cpuSec.toFixed(2)} s, ${b.errors} errors)`)
  const rssAfterLoadMb = procRssBytes(node.pid)! / 1e6

  const a = await agentLatency(node.apiUrl, gen(2000))
  const bareP50 = percentile(a.bare, 0.5)
  const bareP99 = percentile(a.bare, 0.99)
  const withP50 = percentile(a.agent, 0.5)
  const withP99 = percentile(a.agent, 0.99)
  log(`agent at ${AGENT_RATE}/s for ${AGENT_SEC} s: p50 ${withP50.toFixed(2)} ms vs bare ${bareP50.toFixed(2)} ms, p99 ${withP99.toFixed(2)} ms vs bare ${bareP99.toFixed(2)} ms (${a.blocked} blocked, ${a.errors} errors)`)

  await node.stop()
  printResult({
    bench: 'daemon',
    runtime: RUNTIME,
    idleCpuPct: Number(idleCpuPct.toFixed(3)),
    rssMb: Number(rssMb.toFixed(1)),
    observePerSec: Math.round(observePerSec),
    observeBatchPerSec: Math.round(observeBatchPerSec),
    idleSec: Math.round(idleSec),
    rssAfterLoadMb: Number(rssAfterLoadMb.toFixed(1)),
    singleRequests: SINGLE_REQUESTS,
    batchRequests: BATCH_REQUESTS,
    batchSize: BATCH,
    concurrency: CONCURRENCY,
    // share of one core the daemon used while driven: < 1 everywhere means the client or other processes held it back
    daemonCpuShareSingle: Number((s.cpuSec / s.sec).toFixed(2)),
    daemonCpuShareBatch: Number((b.cpuSec / b.sec).toFixed(2)),
    usPerObservationBatch: Number((b.cpuSec / (BATCH_REQUESTS * BATCH) * 1e6).toFixed(1)),
    daemonCpuUsPerObs: Number((b.cpuSec / (BATCH_REQUESTS * BATCH) * 1e6).toFixed(1)),
    daemonCpuUsPerObsSingle: Number((s.cpuSec / SINGLE_REQUESTS * 1e6).toFixed(1)),
    agentRate: AGENT_RATE,
    // requests/s each app really got (sent and answered): below agentRate, the machine could not keep the pace
    agentAchievedPerSec: Math.round(a.achievedPerSec),
    agentP50Ms: Number((withP50 - bareP50).toFixed(3)),
    agentP99Ms: Number((withP99 - bareP99).toFixed(3)),
    agentWithP50Ms: Number(withP50.toFixed(3)),
    agentWithP99Ms: Number(withP99.toFixed(3)),
    agentBareP50Ms: Number(bareP50.toFixed(3)),
    agentBareP99Ms: Number(bareP99.toFixed(3)),
    agentBlocked: a.blocked,
    errors: s.errors + b.errors + a.errors,
    blocked: s.blocked + b.blocked,
    contextsGuarding: guarding,
    cpus: cpus().length,
    loadavg1: Number(loadavg()[0].toFixed(2)),
    targets: { idleCpuPct: 1, rssMb: 150, observeBatchPerSec: 10_000, daemonCpuUsPerObs: 20, observePerSec: 10_000 }
  })
} finally {
  await pool.cleanup()
  if (built != null) rmSync(built.dir, { recursive: true, force: true })
}
