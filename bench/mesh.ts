/**
 * The libp2p alert mesh in one process: N real nodes over TCP on 127.0.0.1
 * (Noise, yamux, gossipsub with the production score params and heartbeat),
 * each dialling up to 4 random earlier nodes. Once every node has its mesh,
 * ALERTS alerts are published from random nodes, SPACING_MS apart.
 *
 * Reports per size: deliveryRatio = distinct (node, alert) receipts /
 * (alerts × (N-1)); duplicates delivered to the application (must be 0);
 * latency p50/p99 from the publish() call (sign + own validation + send) to
 * each receipt (same process, same clock); rssPerNodeMb = (RSS with the mesh
 * formed - RSS before creating the nodes) / N, each size in a fresh child
 * process. cpuMsPerAlert is the CPU of all N nodes per alert while publishing
 * and delivering; cpuShare how much of one core the process actually got
 * (below 1 when other processes compete: latency then grows accordingly).
 *
 *   npm run bench -- mesh            # sizes 5,20,50
 *   npm run bench -- mesh 5,20       # other sizes
 */
import '../protocol/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { spawn } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { createSystemClock } from '../node/clock.js'
import { createLibp2pMesh } from '../protocol/mesh/index.js'
import { printResult } from './lib.js'
import type { Libp2pMesh } from '../protocol/mesh/index.js'
import type { AlertDraft } from '../protocol/alert/index.js'

const COMMUNITY = 'bench-app'
const ALERTS = 20
// alerts are rare (a few an hour); spacing them lets each one be measured on its own instead of
// measuring a backlog (at 50 nodes one alert costs ~100 ms of CPU across all nodes in this process)
const SPACING_MS = 250
const DIALS_PER_NODE = 4
const MESH_DEADLINE_MS = 60_000
const DELIVERY_DEADLINE_MS = 15_000
const IDLE_SAMPLE_MS = 2000

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

async function until (cond: () => boolean, deadlineMs: number): Promise<boolean> {
  const end = performance.now() + deadlineMs
  while (!cond()) {
    if (performance.now() > end) return false
    await sleep(50)
  }
  return true
}

function percentile (sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d

function draft (n: number): AlertDraft {
  return {
    community: COMMUNITY,
    danger: 1,
    kind: 'anomaly',
    seen: { context: 'GET /shop/item.jsp', parameter: 'id', score: 0.97, explanation: `bench alert ${n}: unusual parameter length` },
    sources: [],
    signatures: [],
    ttlSec: 600
  }
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
  meanMeshDegree: number
  /** process CPU (all nodes) per alert while publishing and delivering, background subtracted */
  cpuMsPerAlert: number
  /** background CPU of the quiet mesh (all nodes), ms per second */
  idleCpuMsPerSec: number
  /** CPU time / wall time over that phase (1 = one core busy all the time) */
  cpuShare: number
}

async function runSize (n: number, seed: number): Promise<SizeResult> {
  const rand = prng(seed)
  const clock = createSystemClock()
  ;(globalThis as { gc?: () => void }).gc?.()
  const rssBefore = process.memoryUsage().rss
  const nodes: Libp2pMesh[] = []
  try {
    const t0 = performance.now()
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
    }
    const formed = await until(() => nodes.every((m) => {
      const mp = m.meshPeers(COMMUNITY).length
      return mp >= 1 && mp >= Math.min(4, m.connectedPeers().length)
    }), MESH_DEADLINE_MS)
    if (!formed) process.stderr.write(`mesh: ${n} nodes: mesh not fully formed after ${MESH_DEADLINE_MS} ms; measuring anyway\n`)
    const meshFormMs = performance.now() - t0
    ;(globalThis as { gc?: () => void }).gc?.()
    const rssPerNodeMb = (process.memoryUsage().rss - rssBefore) / n / (1024 * 1024)
    const meanMeshDegree = nodes.reduce((s, m) => s + m.meshPeers(COMMUNITY).length, 0) / n

    const publishedAt = new Map<string, number>()
    /** alert id -> node index -> receipt time */
    const receipts = new Map<string, Map<number, number>>()
    let duplicates = 0
    nodes.forEach((m, idx) => m.onAlert((e) => {
      const at = performance.now()
      let seen = receipts.get(e.alert.id)
      if (seen == null) receipts.set(e.alert.id, seen = new Map())
      if (seen.has(idx)) { duplicates++; return }
      seen.set(idx, at)
    }))

    // background CPU of the formed, quiet mesh (heartbeats, pings), subtracted below
    const idleCpu0 = process.cpuUsage()
    const idleWall0 = performance.now()
    await sleep(IDLE_SAMPLE_MS)
    const idle = process.cpuUsage(idleCpu0)
    const idleCpuMsPerSec = (idle.user + idle.system) / 1000 / ((performance.now() - idleWall0) / 1000)

    const cpuBefore = process.cpuUsage()
    const wallBefore = performance.now()
    for (let k = 0; k < ALERTS; k++) {
      const from = nodes[Math.floor(rand() * n)]
      const start = performance.now()
      const event = await from.publish(draft(k))
      publishedAt.set(event.alert.id, start)
      await sleep(SPACING_MS)
    }
    const expected = ALERTS * (n - 1)
    const count = (): number => [...receipts.values()].reduce((s, r) => s + r.size, 0)
    await until(() => count() >= expected, DELIVERY_DEADLINE_MS)
    const cpu = process.cpuUsage(cpuBefore)
    const wallMs = performance.now() - wallBefore
    const cpuMs = (cpu.user + cpu.system) / 1000
    const cpuMsPerAlert = Math.max(0, cpuMs - idleCpuMsPerSec * wallMs / 1000) / ALERTS
    const cpuShare = cpuMs / wallMs
    await sleep(500) // let late duplicates show up
    const latencies: number[] = []
    for (const [id, byNode] of receipts) {
      const start = publishedAt.get(id)
      if (start != null) for (const at of byNode.values()) latencies.push(at - start)
    }
    const sorted = latencies.sort((a, b) => a - b)
    return {
      nodes: n,
      deliveryRatio: round(count() / expected, 4),
      duplicates,
      p50Ms: round(percentile(sorted, 0.5)),
      p99Ms: round(percentile(sorted, 0.99)),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
      rssPerNodeMb: round(rssPerNodeMb),
      meshFormMs: Math.round(meshFormMs),
      meanMeshDegree: round(meanMeshDegree),
      cpuMsPerAlert: round(cpuMsPerAlert),
      idleCpuMsPerSec: round(idleCpuMsPerSec),
      cpuShare: round(cpuShare)
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
async function runChild (n: number, seed: number): Promise<SizeResult> {
  const script = fileURLToPath(import.meta.url)
  const child = spawn(process.execPath, [...process.execArgv, script, '--child', String(n), String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] })
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
  const r = await runSize(n, seed)
  process.stdout.write(JSON.stringify(r) + '\n')
  process.exit(0)
}

const sizes = (process.argv[2] ?? '5,20,50').split(',').map(Number)
if (sizes.some((s) => !Number.isInteger(s) || s < 2 || s > 500)) {
  process.stderr.write('usage: npm run bench -- mesh [sizes, e.g. 5,20,50 (each 2..500)]\n')
  process.exit(2)
}
const results: SizeResult[] = []
for (const [i, n] of sizes.entries()) {
  const r = await runChild(n, 0x1337 + i)
  process.stderr.write(`mesh: ${JSON.stringify(r)}\n`)
  results.push(r)
}
printResult({ bench: 'mesh', alerts: ALERTS, spacingMs: SPACING_MS, loadAvg1m: round(loadavg()[0]), cpus: cpus().length, results })
