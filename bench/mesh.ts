/**
 * The libp2p alert mesh in one process: N real nodes over TCP on 127.0.0.1
 * (Noise, yamux, gossipsub with StrictNoSign, the production score params,
 * heartbeat and topic validator: Ed25519 envelope check, replay guard), each
 * dialling up to 4 random earlier nodes. Then ALERTS alerts are published from
 * random nodes, one at a time.
 *
 * Set-up, so that what is measured is the alert and not the set-up:
 * - each node's bootstrap dials complete before the next node starts (all
 *   dials at once made one process run ~200 Noise handshakes together, ~50 ms
 *   of CPU each: dials timed out, and their 10 s re-dials then landed in the
 *   middle of the latency measurement);
 * - measuring starts once every node has a mesh and the mesh degrees and
 *   connection counts stayed the same for STABLE_MS (3 heartbeats);
 * - the alert is a typical signed signature alert (~560 bytes, like the one of
 *   bench/protocol.ts); a smaller one would slip under size thresholds such as
 *   gossipsub's IDONTWANT minimum;
 * - alerts are rare (a few an hour), so each one is measured on its own: the
 *   next is published once the previous one reached every node (or after
 *   ALERT_DEADLINE_MS) plus SETTLE_MS. Latency is still publish() call →
 *   receipt, nothing is batched.
 *
 * Reports per size: deliveryRatio = distinct (node, alert) receipts /
 * (alerts × (N-1)); duplicates delivered to the application (must be 0);
 * latency p50/p99 from the publish() call (sign + own validation + send) to
 * each receipt (same process, same clock); rssPerNodeMb = (RSS with the mesh
 * formed - RSS before creating the nodes) / N, each size in a fresh child
 * process.
 *
 * CPU: cpuMsPerAlert is the CPU of all N nodes per alert (publishing and
 * delivering, idle background subtracted). cpuMsToLastReceipt (median over
 * alerts) is the process CPU from publish() to the alert's last receipt: all N
 * nodes share ONE event loop, so that work is serialised and the last receipts
 * cannot come much sooner than it (process CPU also counts GC threads). That,
 * not the protocol, is the floor of p99 here: `hops` (median over alerts) is
 * how far the publisher's farthest node is (flood publish to all its peers,
 * then mesh forwarding), and in a deployment, where each node does ~1/N of
 * the work on its own CPU, the latency is about hops × (one node's share of
 * cpuMsPerAlert + link latency). cpuShare is how much of one core the process
 * got while publishing (lower when idle between alerts or when other
 * processes compete); loadAvg1m the machine's 1-minute load average when the
 * size finished. cpuMsPerAlertPerNode = cpuMsPerAlert / N is what one node
 * spends on one alert (issue 16's target: <= 1 ms).
 *
 *   npm run bench -- mesh            # sizes 5,20,50
 *   npm run bench -- mesh 5,20       # other sizes
 *   npm run bench -- mesh 50 --cpu-prof /tmp/prof   # V8 CPU profile of the alert phase only (one file per size)
 */
import { TYPICAL_EXPLANATION, typicalAlertDraft } from '../protocol/alert/typical-alert.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createSystemClock } from '../core/index.js'
import { createLibp2pMesh } from '../protocol/mesh/index.js'
import { printResult } from './lib.js'
import type { Libp2pMesh } from '../protocol/mesh/index.js'
import type { AlertDraft } from '../protocol/alert/index.js'

const COMMUNITY = 'bench-app'
const ALERTS = 20
/** pause after an alert reached every node, before the next (late duplicates drain) */
const SETTLE_MS = 250
const DIALS_PER_NODE = 4
/** per node: its bootstrap dials (a refused dial is retried after the mesh's 10 s re-dial period) */
const CONNECT_DEADLINE_MS = 15_000
const MESH_DEADLINE_MS = 60_000
/** mesh degrees and connection counts unchanged this long = formed (3 heartbeats) */
const STABLE_MS = 3000
const ALERT_DEADLINE_MS = 5000
const IDLE_SAMPLE_MS = 5000

/** mulberry32: a small seeded PRNG so runs pick the same publishers and topology. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function until (cond: () => boolean, deadlineMs: number, everyMs = 50): Promise<boolean> {
  const end = performance.now() + deadlineMs
  while (!cond()) {
    if (performance.now() > end) return false
    await sleep(everyMs)
  }
  return true
}

function percentile (sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]
}

/**
 * Hops from the publisher to its farthest node: gossipsub floods our own
 * alert to every connected topic peer, then each node forwards along its mesh.
 */
function hopsFrom (nodes: Libp2pMesh[], from: number): number {
  const index = new Map(nodes.map((m, i) => [m.peerId, i]))
  const depth = new Array<number>(nodes.length).fill(-1)
  depth[from] = 0
  let frontier = [from]
  let max = 0
  while (frontier.length > 0) {
    const next: number[] = []
    for (const i of frontier) {
      const out = i === from ? nodes[i].connectedPeers() : nodes[i].meshPeers(COMMUNITY)
      for (const id of out) {
        const j = index.get(id)
        if (j == null || depth[j] >= 0) continue
        depth[j] = depth[i] + 1
        max = Math.max(max, depth[j])
        next.push(j)
      }
    }
    frontier = next
  }
  return max
}

const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 0.5)
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000

/** The typical alert (protocol/alert/typical-alert.ts, ~560 bytes signed), numbered so every alert is distinct. */
function draft (n: number): AlertDraft {
  return typicalAlertDraft({
    community: COMMUNITY,
    seen: { context: 'GET /ecommerce/control/keywordsearch', parameter: 'SEARCH_STRING', score: 8.73, explanation: `bench alert ${n}: ${TYPICAL_EXPLANATION}` }
  })
}

interface SizeResult {
  nodes: number
  deliveryRatio: number
  duplicates: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  rssPerNodeMb: number
  meshFormMs: number
  /** false if the mesh was still changing at MESH_DEADLINE_MS (measured anyway) */
  meshStable: boolean
  meanMeshDegree: number
  /** median over alerts of the hops from the publisher to its farthest node */
  hops: number
  alertBytes: number
  /** process CPU (all nodes) per alert while publishing and delivering, background subtracted */
  cpuMsPerAlert: number
  /** cpuMsPerAlert / nodes: one node's CPU per alert (target <= 1 ms) */
  cpuMsPerAlertPerNode: number
  /** median over alerts of the process CPU from publish() to the alert's last receipt */
  cpuMsToLastReceipt: number
  /** median over alerts of the wall time from publish() to the alert's last receipt */
  wallMsToLastReceipt: number
  /** background CPU of the formed, quiet mesh (all nodes), ms per second */
  idleCpuMsPerSec: number
  /** CPU time / wall time while publishing (1 = one core busy all the time) */
  cpuShare: number
  loadAvg1m: number
}

/** A V8 CPU profile (inspector) of one phase, written to `dir` as a .cpuprofile (Chrome DevTools, speedscope). */
async function startProfile (dir: string): Promise<() => Promise<string>> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return async () => {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `mesh-${process.pid}.cpuprofile`)
    writeFileSync(file, JSON.stringify(profile))
    return file
  }
}

async function runSize (n: number, seed: number, profileDir?: string): Promise<SizeResult> {
  const rand = prng(seed)
  const clock = createSystemClock()
  ;(globalThis as { gc?: () => void }).gc?.()
  const rssBefore = process.memoryUsage().rss
  const nodes: Libp2pMesh[] = []
  try {
    const t0 = performance.now()
    const slow: number[] = []
    for (let i = 0; i < n; i++) {
      const bootstrap: string[] = []
      const earlier = [...Array(i).keys()]
      for (let k = 0; k < DIALS_PER_NODE && earlier.length > 0; k++) {
        const [j] = earlier.splice(Math.floor(rand() * earlier.length), 1)
        bootstrap.push(nodes[j].addresses()[0])
      }
      const mesh = await createLibp2pMesh({ clock }, {
        privateKey: await generateKeyPair('Ed25519'),
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap,
        communities: [COMMUNITY]
      })
      await mesh.start()
      nodes.push(mesh)
      if (!await until(() => mesh.connectedPeers().length >= bootstrap.length, CONNECT_DEADLINE_MS, 10)) slow.push(i)
    }
    if (slow.length > 0) process.stderr.write(`mesh: ${n} nodes: bootstrap dials of node(s) ${slow.join(',')} not done after ${CONNECT_DEADLINE_MS} ms\n`)
    let shape = ''
    let sameSince = performance.now()
    const meshStable = await until(() => {
      const now = performance.now()
      const s = nodes.map((m) => `${m.meshPeers(COMMUNITY).length}/${m.connectedPeers().length}`).join(',')
      if (s !== shape || nodes.some((m) => m.meshPeers(COMMUNITY).length === 0)) {
        shape = s
        sameSince = now
      }
      return now - sameSince >= STABLE_MS
    }, MESH_DEADLINE_MS, 250)
    if (!meshStable) process.stderr.write(`mesh: ${n} nodes: mesh still changing after ${MESH_DEADLINE_MS} ms; measuring anyway\n`)
    const meshFormMs = performance.now() - t0
    ;(globalThis as { gc?: () => void }).gc?.()
    const rssPerNodeMb = (process.memoryUsage().rss - rssBefore) / n / (1024 * 1024)
    const meanMeshDegree = nodes.reduce((s, m) => s + m.meshPeers(COMMUNITY).length, 0) / n

    /** alert id -> node index -> receipt time */
    const receipts = new Map<string, Map<number, number>>()
    let duplicates = 0
    /** resolved by the receipt that completes the alert being waited for (no polling timers during a flood) */
    let complete: { id: string, resolve: () => void } | null = null
    nodes.forEach((m, idx) => m.onAlert((e) => {
      const at = performance.now()
      let seen = receipts.get(e.alert.id)
      if (seen == null) receipts.set(e.alert.id, seen = new Map())
      if (seen.has(idx)) { duplicates++; return }
      seen.set(idx, at)
      if (complete?.id === e.alert.id && seen.size >= n - 1) complete.resolve()
    }))

    // background CPU of the formed, quiet mesh (heartbeats, pings), subtracted below
    const idleCpu0 = process.cpuUsage()
    const idleWall0 = performance.now()
    await sleep(IDLE_SAMPLE_MS)
    const idleCpuMsPerSec = cpuMs(process.cpuUsage(idleCpu0)) / ((performance.now() - idleWall0) / 1000)

    const latencies: number[] = []
    const toLastCpu: number[] = []
    const toLastWall: number[] = []
    const hops: number[] = []
    let alertBytes = 0
    const stopProfile = profileDir != null ? await startProfile(profileDir) : null
    const cpuBefore = process.cpuUsage()
    const wallBefore = performance.now()
    for (let k = 0; k < ALERTS; k++) {
      const fromIndex = Math.floor(rand() * n)
      const from = nodes[fromIndex]
      hops.push(hopsFrom(nodes, fromIndex))
      const cpu0 = process.cpuUsage()
      const start = performance.now()
      let finish = (): void => {}
      const done = new Promise<void>((resolve) => { finish = resolve })
      const timer = setTimeout(finish, ALERT_DEADLINE_MS)
      const waiter = { id: '', resolve: finish }
      complete = waiter
      const event = await from.publish(draft(k))
      alertBytes = event.envelope.byteLength
      const id = event.alert.id
      waiter.id = id
      // the receipts may already be complete if publish() yielded long enough
      if ((receipts.get(id)?.size ?? 0) >= n - 1) finish()
      await done
      clearTimeout(timer)
      complete = null
      const byNode = receipts.get(id) ?? new Map<number, number>()
      if (byNode.size >= n - 1) {
        toLastCpu.push(cpuMs(process.cpuUsage(cpu0)))
        toLastWall.push(Math.max(...byNode.values()) - start)
      }
      for (const at of byNode.values()) latencies.push(at - start)
      await sleep(SETTLE_MS)
    }
    const cpu = cpuMs(process.cpuUsage(cpuBefore))
    const wallMs = performance.now() - wallBefore
    const cpuMsPerAlert = Math.max(0, cpu - idleCpuMsPerSec * wallMs / 1000) / ALERTS
    if (stopProfile != null) process.stderr.write(`mesh: ${n} nodes: CPU profile of the alert phase in ${await stopProfile()}\n`)
    await sleep(500) // let late receipts and duplicates show up
    const count = [...receipts.values()].reduce((s, r) => s + r.size, 0)
    const sorted = latencies.sort((a, b) => a - b)
    return {
      nodes: n,
      deliveryRatio: round(count / (ALERTS * (n - 1)), 4),
      duplicates,
      p50Ms: round(percentile(sorted, 0.5)),
      p99Ms: round(percentile(sorted, 0.99)),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
      rssPerNodeMb: round(rssPerNodeMb),
      meshFormMs: Math.round(meshFormMs),
      meshStable,
      meanMeshDegree: round(meanMeshDegree),
      hops: median(hops),
      alertBytes,
      cpuMsPerAlert: round(cpuMsPerAlert),
      cpuMsPerAlertPerNode: round(cpuMsPerAlert / n, 3),
      cpuMsToLastReceipt: round(median(toLastCpu)),
      wallMsToLastReceipt: round(median(toLastWall)),
      idleCpuMsPerSec: round(idleCpuMsPerSec),
      cpuShare: round(cpu / wallMs),
      loadAvg1m: round(loadavg()[0])
    }
  } finally {
    await Promise.allSettled(nodes.map(async (m) => { await m.stop() }))
  }
}

/**
 * Each size runs in a fresh child process (same loader flags), so its RSS
 * baseline is clean and sizes do not share a heap. The child prints its
 * result as one JSON line.
 */
async function runChild (n: number, seed: number, profileDir?: string): Promise<SizeResult> {
  const script = fileURLToPath(import.meta.url)
  const args = [...process.execArgv, script, '--child', String(n), String(seed), ...(profileDir != null ? [profileDir] : [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d: string) => { out += d })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const last = out.trim().split('\n').pop() ?? ''
  if (code !== 0 || !last.startsWith('{')) throw new Error(`mesh bench child for ${n} nodes failed (exit ${String(code)}): ${out.slice(-500)}`)
  return JSON.parse(last) as SizeResult
}

if (process.argv[2] === '--child') {
  const n = Number(process.argv[3])
  const seed = Number(process.argv[4])
  // warm up the crypto and libp2p code paths before the RSS baseline
  await generateKeyPair('Ed25519')
  const r = await runSize(n, seed, process.argv[5])
  process.stdout.write(JSON.stringify(r) + '\n')
  process.exit(0)
}

const { values: opts, positionals } = parseArgs({ options: { 'cpu-prof': { type: 'string' } }, allowPositionals: true })
const sizes = (positionals[0] ?? '5,20,50').split(',').map(Number)
if (positionals.length > 1 || sizes.some((s) => !Number.isInteger(s) || s < 2 || s > 500)) {
  process.stderr.write('usage: npm run bench -- mesh [sizes, e.g. 5,20,50 (each 2..500)] [--cpu-prof DIR]\n')
  process.exit(2)
}
const results: SizeResult[] = []
for (const [i, n] of sizes.entries()) {
  const r = await runChild(n, 0x1337 + i, opts['cpu-prof'])
  process.stderr.write(`mesh: ${JSON.stringify(r)}\n`)
  results.push(r)
}
printResult({ bench: 'mesh', alerts: ALERTS, settleMs: SETTLE_MS, loadAvg1m: round(loadavg()[0]), cpus: cpus().length, results })
