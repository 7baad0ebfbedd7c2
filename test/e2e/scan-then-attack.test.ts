/**
 * Issue 9 (and issue 15 item 5), with a real `immune-node` process through
 * its ingest API: a shop is learned; then a scan of 5,000 one-off paths from
 * 3 sources; then a new page is used by 100 clients (300 requests); then an
 * SQL injection into that page. The scan must neither fill the context
 * table nor silence the unknown-endpoint signal nor keep the new page from
 * being learned, and the injection is blocked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDaemonPool } from './support/daemon.js'
import type { RunningDaemon } from './support/daemon.js'
import { getOk, postJson } from './support/http.js'
import { NORMAL_ENDPOINTS, createNormalTraffic } from './support/traffic.js'
import type { IngestItem } from './support/traffic.js'

interface Answer { verdict: 'allow' | 'block', danger: number, phase: string, context?: string, reasons: Array<{ feature: string }> }
interface StatusBody { contexts: Array<{ cell: string, context: string, phase: string, count: number }> }

const MIN_OBS = 150
const pool = createDaemonPool()
let node: RunningDaemon

const observe = async (batch: IngestItem[]): Promise<Answer[]> => {
  const r = await postJson(node.apiUrl, '/v1/observe', batch)
  expect(r.status).toBe(200)
  return r.body as Answer[]
}

beforeAll(async () => {
  // policy: level 2 only logs here, so that the scanners' and the attacker's addresses are not denied
  // before the test looks at the verdicts (the verdict itself is what blocks)
  node = await pool.start({
    name: 'scan',
    config: {
      learning: { minObservations: MIN_OBS, minDurationSec: 0 },
      policy: { rules: [{ cell: '*', level: 1, actions: ['log'] }, { cell: '*', level: 2, actions: ['log'] }] }
    }
  })
  const gen = createNormalTraffic({ seed: 9 })
  for (let sent = 0; sent < MIN_OBS * NORMAL_ENDPOINTS + 200; sent += 200) await observe(gen(200))
  const s = await getOk<StatusBody>(node.apiUrl, '/status')
  expect(s.contexts.filter((c) => c.cell === 'ingest').every((c) => c.phase === 'guarding')).toBe(true)
}, 90_000)

afterAll(async () => { await pool.cleanup() })

describe('e2e: scan, then a new page, then an attack on it', () => {
  it('5,000 one-off paths from 3 sources leave the table bounded and the unknown-endpoint signal on', async () => {
    // one-off names a wordlist scan asks for (no backup suffix: those are the innate layer's probes, below)
    const words = ['admin', 'backup', 'cgi-bin', 'old', 'test', 'wp-admin', 'phpmyadmin', '.git', 'config', 'db']
    let lastSuspicious = 0
    for (let i = 0; i < 5000; i += 500) {
      const batch: IngestItem[] = Array.from({ length: 500 }, (_, k) => ({ kind: 'http', method: 'GET', path: `/${words[(i + k) % words.length]}${i + k}`, source: `192.0.2.${1 + ((i + k) % 3)}` }))
      const answers = await observe(batch)
      if (i === 4500) lastSuspicious = answers.filter((a) => a.danger === 1 && a.reasons[0]?.feature === 'unknown-endpoint').length
    }
    expect(lastSuspicious).toBe(500)
    // backup copies are scanners' footprints (innate probe grammar): level 2 at once, and they create no context
    const probes = await observe(Array.from({ length: 200 }, (_, k) => ({ kind: 'http' as const, method: 'GET', path: `/${words[k % words.length]}${k}.bak`, source: '192.0.2.4' })))
    expect(probes.every((a) => a.danger === 2 && a.reasons[0]?.feature === 'innate:probe')).toBe(true)
    const s = await getOk<StatusBody>(node.apiUrl, '/status')
    const own = s.contexts.filter((c) => c.cell === 'ingest')
    // each scanning source may hold at most 64 contexts that never reached their quorum
    expect(own.length).toBeLessThanOrEqual(NORMAL_ENDPOINTS + 3 * 64)
    expect(own.some((c) => c.context.endsWith('.bak'))).toBe(false)
  })

  it('a new page used by 100 clients is learned, and an injection into it is blocked', async () => {
    const cats = ['toys', 'books', 'garden', 'music']
    const batch: IngestItem[] = Array.from({ length: 300 }, (_, i) => ({ kind: 'http', method: 'GET', path: '/offers', query: `category=${cats[i % 4]}&page=${1 + (i % 9)}`, source: `198.51.100.${1 + (i % 100)}` }))
    const answers = await observe(batch)
    expect(answers.every((a) => a.verdict === 'allow')).toBe(true)
    const s = await getOk<StatusBody>(node.apiUrl, '/status')
    expect(s.contexts.find((c) => c.context === 'get /offers')).toMatchObject({ phase: 'guarding' })
    const [normal, attack] = await observe([
      { kind: 'http', method: 'GET', path: '/offers', query: 'category=garden&page=3', source: '203.0.113.8' },
      { kind: 'http', method: 'GET', path: '/offers', query: `category=${encodeURIComponent("toys' UNION SELECT username, password FROM users--")}&page=1`, source: '203.0.113.9' }
    ])
    expect(normal).toMatchObject({ verdict: 'allow', danger: 0, phase: 'guarding' })
    expect(attack).toMatchObject({ verdict: 'block', danger: 2, phase: 'guarding', context: 'get /offers' })
    // and the unknown-endpoint signal is still there for the next page nobody has seen
    const [fresh] = await observe([{ kind: 'http', method: 'GET', path: '/never-seen', source: '203.0.113.10' }])
    expect(fresh).toMatchObject({ danger: 1 })
    expect(fresh.reasons[0].feature).toBe('unknown-endpoint')
  })
})
