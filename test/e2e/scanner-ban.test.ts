/**
 * Issue 11, the scanner rule, with real parts: a real `immune-node` process
 * learns a shop through its ingest API; a busy normal client (3,000
 * requests, 1% of them at pages nobody else asks for) is never blocked;
 * then Debian's `dirb` scans a real node:http app on 127.0.0.1 that runs the
 * in-process agent (node/agent). Its unknown paths are level-1 anomalies
 * (and its backup-file probes request-only level 2s): on the learned
 * per-source rate the node blocks the scanner's address once (basis
 * `scanner`), and the agent refuses it from then on.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createImmuneAgent } from '../../node/agent/index.js'
import type { ImmuneAgent } from '../../node/agent/index.js'
import { which } from '../../node/respond/index.js'
import { createDaemonPool } from './support/daemon.js'
import type { RunningDaemon } from './support/daemon.js'
import { getOk, httpRequest, killIfAlive, postJson } from './support/http.js'
import { NORMAL_ENDPOINTS, createNormalTraffic } from './support/traffic.js'
import type { IngestItem } from './support/traffic.js'

const MIN_OBS = 100
const DIRB = which('dirb')
const WORDLIST = '/usr/share/dirb/wordlists/small.txt'
const pool = createDaemonPool()
let node: RunningDaemon
let app: Server
let agent: ImmuneAgent
let appUrl: string
let scanner: ChildProcess | null = null

interface DecisionLike { id: string, action: string, target: { kind: string, address?: string }, params: Record<string, unknown>, dryRun?: boolean }

/** Every decision object in a /decisions answer (active and recent, whatever their wrapping). */
function decisionsIn (body: unknown, out: DecisionLike[] = []): DecisionLike[] {
  if (Array.isArray(body)) { for (const x of body) decisionsIn(x, out); return out }
  if (body == null || typeof body !== 'object') return out
  const o = body as Record<string, unknown>
  if (typeof o.action === 'string' && typeof o.id === 'string' && o.target != null) { out.push(o as unknown as DecisionLike); return out }
  for (const v of Object.values(o)) decisionsIn(v, out)
  return out
}

const sourceBlocks = async (address: string): Promise<DecisionLike[]> => {
  const all = decisionsIn(await getOk(node.apiUrl, '/decisions'))
  const seen = new Map<string, DecisionLike>()
  for (const d of all) if (d.action === 'block-source' && d.target.address === address) seen.set(d.id, d)
  return [...seen.values()]
}

beforeAll(async () => {
  node = await pool.start({
    name: 'scanner-ban',
    config: {
      learning: { minObservations: MIN_OBS, minDurationSec: 0 },
      // the scanner runs on 127.0.0.1: take loopback off the allowlist here
      policy: { allowlist: [] }
    }
  })
  const gen = createNormalTraffic({ seed: 11 })
  for (let sent = 0; sent < MIN_OBS * NORMAL_ENDPOINTS + 400; sent += 200) expect((await postJson(node.apiUrl, '/v1/observe', gen(200))).status).toBe(200)
  const s = await getOk<{ contexts: Array<{ cell: string, phase: string }> }>(node.apiUrl, '/status')
  expect(s.contexts.filter((c) => c.cell === 'ingest').every((c) => c.phase === 'guarding')).toBe(true)

  // the shop: its four pages answer 200, anything else 404; the agent asks the node first
  agent = createImmuneAgent({ url: node.apiUrl, failOpen: false })
  app = createServer(agent.wrap((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const known = ['/', '/search', '/item', '/login', '/cart'].includes(path)
    res.writeHead(known ? 200 : 404, { 'content-type': 'text/plain' })
    res.end(known ? 'shop\n' : 'not found\n')
  }))
  await new Promise<void>((resolve) => { app.listen(0, '127.0.0.1', resolve) })
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
}, 120_000)

afterAll(async () => {
  killIfAlive(scanner?.pid)
  agent?.close()
  await new Promise<void>((resolve) => { if (app != null) app.close(() => { resolve() }); else resolve() })
  await pool.cleanup()
})

describe('e2e: a scanner is blocked on the learned per-source rate; a busy client is not', () => {
  it('a busy client: 3,000 requests, 30 of them at unknown pages (more than minAnomalies), is never blocked', async () => {
    const gen = createNormalTraffic({ seed: 12 })
    const busy = '198.51.100.250'
    let anomalies = 0
    for (let i = 0; i < 3000; i += 300) {
      const batch: IngestItem[] = gen(300).map((x, k) => ((i + k) % 100 === 50 ? { kind: 'http', method: 'GET', path: `/promo-${i + k}`, source: busy } : { ...x, source: busy }))
      const answers = (await postJson(node.apiUrl, '/v1/observe', batch)).body as Array<{ verdict: string, danger: number }>
      anomalies += answers.filter((a) => a.danger >= 1).length
      expect(answers.every((a) => a.verdict === 'allow' || a.danger === 2)).toBe(true)
    }
    expect(anomalies).toBeGreaterThanOrEqual(30)
    expect(await sourceBlocks(busy)).toEqual([])
    const last = (await postJson(node.apiUrl, '/v1/observe', gen(1).map((x) => ({ ...x, source: busy })))).body as Array<{ verdict: string }>
    expect(last[0].verdict).toBe('allow')
  })

  it.skipIf(DIRB == null)('dirb against the app on 127.0.0.1: one block of the scanner (basis scanner), then the agent refuses it', async () => {
    expect((await httpRequest(appUrl, 'GET', '/search?q=lamp&page=2')).status).toBe(200)
    const out: string[] = []
    const done = new Promise<number | null>((resolve) => {
      scanner = spawn(DIRB as string, [`${appUrl}/`, WORDLIST, '-S', '-r'], { stdio: ['ignore', 'pipe', 'pipe'] })
      scanner.stdout?.on('data', (b: Buffer) => { out.push(b.toString()) })
      scanner.stderr?.on('data', (b: Buffer) => { out.push(b.toString()) })
      scanner.on('exit', (code) => { resolve(code) })
    })
    // bounded: dirb asks 959 names; stop it after 120 s whatever happens
    const bound = setTimeout(() => { killIfAlive(scanner?.pid) }, 120_000)
    await done
    clearTimeout(bound)
    expect(out.join('')).toContain('DOWNLOADED')
    const blocks = await sourceBlocks('127.0.0.1')
    // one source, one live block, decided by the scanner rule
    expect(blocks).toHaveLength(1)
    expect(blocks[0].params).toMatchObject({ basis: 'scanner' })
    expect(String(blocks[0].params.evidence)).toMatch(/scanning: \d+ anomalies in \d+ requests/)
    console.log('scanner-ban:', JSON.stringify({ evidence: blocks[0].params.evidence, agent: agent.stats() }))
    // the scanner's 20th anomaly blocked it: at most a handful of its requests reached the app
    expect(agent.stats().allowed).toBeLessThanOrEqual(25)
    expect(agent.stats().blocked).toBeGreaterThan(100)
    // from now on the agent refuses the scanner's address, even on a page it knows
    expect((await httpRequest(appUrl, 'GET', '/search?q=lamp&page=2')).status).toBe(403)
  }, 180_000)
})
