/**
 * What leaves a host (issue 13, docs/protocol.md "What leaves a host"), with
 * real daemons: member A (its own allowlist and trusted proxy) learns the
 * shop's normal traffic and meets SQL injections from excluded addresses
 * (loopback, RFC 1918, RFC 6598, link-local, RFC 4193, allowlisted, the
 * trusted proxy) and from one public address. Member B receives what A
 * publishes. No alert names an excluded address; the public attacker is
 * named; the alerts carry no value of A's normal traffic. The same check
 * (support/alert-privacy.ts) runs at the cleanup of every e2e daemon pool;
 * here it is also shown to fail on a leaky alert.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SQLI_TAUTOLOGY, createShopTraffic, sqlInjection, toObservation } from '../../scripts/demo-shop.js'
import { createSystemClock } from '../../core/clock.js'
import { createAlert, signAlert } from '../../protocol/alert/index.js'
import { createStore } from '../../node/store/index.js'
import { createReservoir } from '../../node/signatures/index.js'
import { createDaemonPool } from './support/daemon.js'
import type { DaemonPool, RunningDaemon } from './support/daemon.js'
import { checkPublishedAlerts } from './support/alert-privacy.js'
import { waitFor } from './support/http.js'
import { COMMUNITY_CONFIG, alerts, observe, startCommunity, train } from './collab-support.js'

const PUBLIC_ATTACKER = '203.0.113.77'
const EXCLUDED = ['127.0.0.1', '::1', '10.20.30.40', '172.20.1.2', '192.168.7.7', '100.64.9.9', '169.254.1.1', 'fe80::7', 'fd00::7', '203.0.113.50', '198.51.100.250']

describe('e2e: what leaves a host', () => {
  let pool: DaemonPool
  let a: RunningDaemon
  let b: RunningDaemon

  beforeAll(async () => {
    pool = createDaemonPool()
    const config = { ...COMMUNITY_CONFIG, policy: { allowlist: ['127.0.0.1', '::1', '203.0.113.50'] }, collaboration: { trustedProxies: ['198.51.100.250'] } }
    ;[a, b] = await startCommunity(pool, 2, config)
    await Promise.all([train(a, 'privacy-a', 400), train(b, 'privacy-b', 400)])
  }, 90_000)

  afterAll(async () => {
    await pool?.cleanup()
    // the pool's own check ran over every alert B (and A) received
    expect(pool.privacy?.checked ?? 0).toBeGreaterThan(0)
    expect(pool.privacy?.violations).toEqual([])
  }, 60_000)

  it('never names an excluded address and never carries normal values', async () => {
    // each excluded address attacks with its own variant (so each is something new to share), then the public one
    const reqs = EXCLUDED.map((src, i) => sqlInjection(`${SQLI_TAUTOLOGY[i % SQLI_TAUTOLOGY.length]} union select password from users where name like '%a${i}%'`, src))
    const verdicts = await observe(a, reqs)
    expect(verdicts.filter((v) => v.verdict === 'block').length).toBeGreaterThan(0)
    await observe(a, [sqlInjection("1' OR '1'='1' -- ", PUBLIC_ATTACKER)])

    const fromA = await waitFor('B receives the public attacker named by A', async () => {
      const got = (await alerts(b)).filter((x) => x.origin === a.peerId)
      return got.some((x) => x.sources.some((s) => s.address === PUBLIC_ATTACKER)) ? got : null
    }, { timeoutMs: 20_000, intervalMs: 200 })
    for (const x of fromA) for (const s of x.sources) expect(EXCLUDED, JSON.stringify(x)).not.toContain(s.address)

    // and a normal request of A's own customers is still allowed (nothing of the above changed that)
    const normal = await observe(a, createShopTraffic('privacy-a').take(20))
    expect(normal.filter((v) => v.verdict === 'block').length).toBe(0)
  }, 60_000)

  it('the check itself finds a leaky alert (a normal value in the explanation, a private source)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'immune-privacy-'))
    try {
      const key = await generateKeyPair('Ed25519')
      const origin = peerIdFromPrivateKey(key).toString()
      const store = createStore({ dataDir: dir })
      await store.open()
      const reservoir = createReservoir({ store, clock: createSystemClock() })
      await reservoir.start()
      for (const r of createShopTraffic('leaky').take(50)) reservoir.add(`${r.method.toLowerCase()} ${r.path}`, { ...toObservation(r), time: Date.now() } as never)
      reservoir.add('get /products', { ...toObservation({ method: 'GET', path: '/products', query: 'category=umbrellas', body: '', source: '192.0.2.10', userAgent: 'x' }), time: Date.now() } as never)
      await reservoir.stop()
      const alert = createAlert({
        community: 'default',
        danger: 2,
        kind: 'source',
        seen: { context: 'get /products', parameter: 'category', score: 3, explanation: 'category: expected one of {"umbrellas","boots"}' },
        sources: [{ address: '10.1.1.1', ttlSec: 60 }],
        signatures: [],
        ttlSec: 60
      }, { origin, seq: 1n, nowMs: Date.now() })
      const envelope = await signAlert(alert, key)
      await store.sub('alerts').put(`000000000000001:${alert.id}`, { id: alert.id, envelope: Buffer.from(envelope).toString('base64') })
      await store.close()
      const report = await checkPublishedAlerts([{ peerId: origin, dataDir: dir, config: {} }])
      expect(report.checked).toBe(1)
      expect(report.violations.some((v) => v.includes('10.1.1.1'))).toBe(true)
      expect(report.violations.some((v) => v.includes('"umbrellas"'))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
