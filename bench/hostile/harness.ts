/**
 * The red-team suite's harness (bench/hostile.ts): what every attack needs to
 * run against REAL daemons (child processes of this one, on 127.0.0.1) and to
 * report the same figures.
 *
 * An attack is one entry of the registry (bench/hostile/index.ts):
 *
 *   { name: 'valid-alert-flood', what: '...', run: async (ctx) => AttackReport }
 *
 * and usually: start a victim (`startVictim`), train it on normal shop
 * traffic (`train`), start a `watch` (RSS of the victim's pid, GET /health
 * latency, normal requests from the shop's normal clients with their
 * latencies and verdicts), attack for ctx.durationMs, and turn the watch's
 * figures into the report (`report`). Every wait is bounded; the pool stops
 * what it started, by pid.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { Agent } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { createShopTraffic, toObservation } from '../../scripts/demo-shop.js'
import type { ShopRequest } from '../../scripts/demo-shop.js'
import { defaultMeshScoreParams } from '../../protocol/mesh/index.js'
import type { AlertDraft } from '../../protocol/alert/types.js'
import type { DaemonPool, DaemonSpec, RunningDaemon } from '../../test/e2e/support/daemon.js'
import { getOk, httpRequest, procRssBytes, sleep, waitFor } from '../../test/e2e/support/http.js'

/** What each attack reports (the fields first; extra figures after them). */
export interface AttackReport {
  name: string
  /** Highest VmRSS of the victim daemon while attacked, MB. */
  maxRssMb: number
  /** p99 of GET /health latency at the victim while attacked, ms. */
  healthP99Ms: number
  /** p99 of a normal client's POST /v1/observe while attacked, ms. */
  normalP99Ms: number
  /** Distinct normal clients (shop sources) that got a `block` verdict while attacked. */
  normalClientsBlocked: number
  /** Seconds from the attack's start until the victim scored the attacking peer below gossipsub's graylist threshold; null when no peer attacks. */
  attackerGraylistedAfterS: number | null
  [extra: string]: unknown
}

export interface AttackContext {
  pool: DaemonPool
  /** The compiled daemon (as installed), or undefined to run the sources through tsx. */
  compiledBin?: string
  /** How long the attack itself lasts. */
  durationMs: number
  seed: number
  log: (msg: string) => void
}

export interface Attack {
  name: string
  /** One line: what the attacker does. */
  what: string
  run: (ctx: AttackContext) => Promise<AttackReport>
}

const HERE = dirname(fileURLToPath(import.meta.url))

export const GRAYLIST_THRESHOLD = defaultMeshScoreParams.graylistThreshold

/** The victim's config: community `default` from the ingest API, short learning, warn logs (a flood logs nothing per alert). */
export const VICTIM_CONFIG: Record<string, unknown> = {
  cells: [],
  learning: { minObservations: 60, minDurationSec: 0 },
  logging: { level: 'warn', format: 'json' }
}

export async function startVictim (ctx: AttackContext, spec: DaemonSpec = {}): Promise<RunningDaemon> {
  return await ctx.pool.start({
    name: 'victim',
    config: VICTIM_CONFIG,
    ...(ctx.compiledBin != null ? { compiledBin: ctx.compiledBin } : {}),
    ...spec
  })
}

/** POST observations; the verdicts. */
export async function observe (d: RunningDaemon, reqs: ShopRequest[], agent?: Agent): Promise<Array<{ verdict: string, danger: number, reasons?: Array<{ feature: string }> }>> {
  const r = await httpRequest(d.apiUrl, 'POST', '/v1/observe', reqs.map(toObservation), { agent, timeoutMs: 60_000 })
  if (r.status !== 200) throw new Error(`POST /v1/observe at ${d.name}: HTTP ${r.status} ${r.text.slice(0, 300)}`)
  return r.body as Array<{ verdict: string, danger: number }>
}

/** Train the victim on normal shop traffic until every shop context guards (bounded). */
export async function train (d: RunningDaemon, seed: number, opts: { batch?: number, maxBatches?: number } = {}): Promise<number> {
  const shop = createShopTraffic(`train-${seed}`)
  const batch = opts.batch ?? 200
  const maxBatches = opts.maxBatches ?? 30
  for (let i = 0; i < maxBatches; i++) {
    await observe(d, shop.take(batch))
    if (i < 2) continue
    const st = await getOk<{ contexts: Array<{ phase: string }> }>(d.apiUrl, '/status')
    if (st.contexts.length >= 6 && st.contexts.every((c) => c.phase === 'guarding')) return (i + 1) * batch
  }
  return maxBatches * batch
}

export function percentile (xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)]
}

export interface WatchOptions {
  /** Normal requests per second, one observation per request (0: none). */
  normalPerSec?: number
  seed?: number
  /** Only these normal requests (e.g. searches); default: the whole shop. */
  normalFilter?: (r: ShopRequest) => boolean
  healthIntervalMs?: number
  rssIntervalMs?: number
}

export interface WatchFigures {
  maxRssMb: number
  healthP99Ms: number
  healthMaxMs: number
  healthSamples: number
  normalP99Ms: number
  normalRequests: number
  normalRequestsBlocked: number
  normalLevel2: number
  normalClientsBlocked: number
  /** Normal clients answered "source-blocked" (their address is on the deny list). */
  normalClientsDenied: number
  normalErrors: number
}

export interface Watch {
  stop: () => Promise<WatchFigures>
  /** The figures so far (the watch goes on). */
  peek: () => WatchFigures
}

/** Start watching the victim: RSS, /health, normal traffic. Stop it to get the figures. */
export function watch (d: RunningDaemon, opts: WatchOptions = {}): Watch {
  let running = true
  let maxRss = procRssBytes(d.pid) ?? 0
  const health: number[] = []
  const normal: number[] = []
  const blockedClients = new Set<string>()
  const deniedClients = new Set<string>()
  let normalBlocked = 0
  let level2 = 0
  let errors = 0
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  const healthAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  const rssTimer = setInterval(() => { maxRss = Math.max(maxRss, procRssBytes(d.pid) ?? 0) }, opts.rssIntervalMs ?? 100)
  const healthLoop = (async () => {
    while (running) {
      const t0 = performance.now()
      try { await httpRequest(d.apiUrl, 'GET', '/health', undefined, { agent: healthAgent, timeoutMs: 30_000 }) } catch { /* counted as its time */ }
      health.push(performance.now() - t0)
      await sleep(opts.healthIntervalMs ?? 100)
    }
  })()
  const shop = createShopTraffic(`normal-${opts.seed ?? 1}`)
  const nextNormal = (): ShopRequest => {
    for (let i = 0; i < 1000; i++) {
      const r = shop.next()
      if (opts.normalFilter == null || opts.normalFilter(r)) return r
    }
    throw new Error('normalFilter matches no shop request')
  }
  const perSec = opts.normalPerSec ?? 20
  const inflight = new Set<Promise<void>>()
  const normalLoop = (async () => {
    if (perSec <= 0) return
    const t0 = performance.now()
    let sent = 0
    while (running) {
      const due = Math.floor((performance.now() - t0) / 1000 * perSec)
      while (sent < due && running && inflight.size < 64) {
        sent++
        const req = nextNormal()
        const p = (async () => {
          const s = performance.now()
          try {
            const [v] = await observe(d, [req], agent)
            normal.push(performance.now() - s)
            if (v.danger === 2) level2++
            if (v.verdict === 'block') {
              normalBlocked++
              blockedClients.add(req.source)
              if (v.reasons?.some((r) => r.feature === 'source-blocked') === true) deniedClients.add(req.source)
            }
          } catch {
            errors++
            normal.push(performance.now() - s)
          }
        })()
        inflight.add(p)
        void p.finally(() => inflight.delete(p))
      }
      await sleep(5)
    }
  })()
  const figures = (): WatchFigures => ({
    maxRssMb: Math.round(maxRss / 1e5) / 10,
    healthP99Ms: Math.round(percentile(health, 99) * 10) / 10,
    healthMaxMs: Math.round(Math.max(0, ...health) * 10) / 10,
    healthSamples: health.length,
    normalP99Ms: Math.round(percentile(normal, 99) * 10) / 10,
    normalRequests: normal.length,
    normalRequestsBlocked: normalBlocked,
    normalLevel2: level2,
    normalClientsBlocked: blockedClients.size,
    normalClientsDenied: deniedClients.size,
    normalErrors: errors
  })
  return {
    peek: figures,
    stop: async () => {
      running = false
      clearInterval(rssTimer)
      await Promise.race([Promise.all([healthLoop, normalLoop, ...inflight]), sleep(35_000)])
      agent.destroy()
      healthAgent.destroy()
      return figures()
    }
  }
}

export interface PeerRow { id: string, gossipsubScore: number, reputation: number, blacklisted: boolean, connected: boolean }

/**
 * Polls the victim's GET /peers until `peerId`'s gossipsub score is below the
 * graylist threshold; resolves with the seconds since `sinceMs` (performance.now()
 * time base), or null when it did not happen within timeoutMs (or `until` resolved first).
 */
export async function graylistedAfter (d: RunningDaemon, peerId: string, sinceMs: number, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    try {
      const r = await httpRequest(d.apiUrl, 'GET', '/peers', undefined, { timeoutMs: 5000 })
      const row = (r.body as PeerRow[]).find?.((p) => p.id === peerId)
      if (row != null && row.gossipsubScore < GRAYLIST_THRESHOLD) return Math.round((performance.now() - sinceMs) / 100) / 10
    } catch { /* the victim may be too busy to answer: try again */ }
    await sleep(250)
  }
  return null
}

/** The report from a watch's figures (the fields first). */
export function report (name: string, f: WatchFigures, attackerGraylistedAfterS: number | null, extra: Record<string, unknown> = {}): AttackReport {
  const { maxRssMb, healthP99Ms, normalP99Ms, normalClientsBlocked, ...rest } = f
  return { name, maxRssMb, healthP99Ms, normalP99Ms, normalClientsBlocked, attackerGraylistedAfterS, ...rest, ...extra }
}

export { sleep, waitFor, getOk }

export interface Attacker {
  readonly pid: number
  readonly peerIds: string[]
  publish: (who: number, draft: AlertDraft) => Promise<void>
  /** `who` publishes valid alerts as fast as it can for durationMs. */
  flood: (who: number, durationMs: number, opts?: { concurrency?: number, context?: string }) => Promise<{ sent: number, failed: number }>
  stop: () => Promise<void>
}

/**
 * `identities` attacking mesh peers in a child process (bench/hostile/attacker.ts),
 * bootstrapped to `bootstrap`; resolves once they are up. Stopped by pid.
 */
export async function startAttacker (bootstrap: string[], identities: number, community = 'default'): Promise<Attacker> {
  const child: ChildProcess = fork(join(HERE, 'attacker.ts'), [JSON.stringify({ bootstrap, identities, community })], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  let next = 0
  const waiting = new Map<number, (m: Record<string, unknown>) => void>()
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
  const ready = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('attacker process not ready within 60 s')) }, 60_000)
    child.on('message', (raw) => {
      const m = raw as Record<string, unknown>
      if (m.type === 'ready') { clearTimeout(timer); resolve(m.peerIds as string[]); return }
      const done = waiting.get(m.id as number)
      if (done != null) { waiting.delete(m.id as number); done(m) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`attacker process exited (${String(code)}) before it was ready`)) })
  })
  const call = async (cmd: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> => {
    const id = ++next
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { waiting.delete(id); reject(new Error(`attacker: ${String(cmd.op)} not answered within ${timeoutMs} ms`)) }, timeoutMs)
      waiting.set(id, (m) => { clearTimeout(timer); if (m.ok === true) resolve(m); else reject(new Error(`attacker: ${String(m.error)}`)) })
      child.send({ ...cmd, id })
    })
  }
  const peerIds = await ready
  return {
    pid: child.pid!,
    peerIds,
    publish: async (who, draft) => { await call({ op: 'publish', who, draft }, 30_000) },
    flood: async (who, durationMs, opts = {}) => {
      const r = await call({ op: 'flood', who, durationMs, concurrency: opts.concurrency ?? 8, context: opts.context ?? 'GET /search' }, durationMs + 30_000)
      return { sent: r.sent as number, failed: r.failed as number }
    },
    stop: async () => {
      if (child.exitCode != null || child.signalCode != null) return
      await call({ op: 'stop' }, 15_000).catch(() => {})
      const killTimer = setTimeout(() => { if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL') }, 5_000)
      await exited
      clearTimeout(killTimer)
    }
  }
}
