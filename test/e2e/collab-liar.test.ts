/**
 * A lying member (issue 5, second end-to-end test). Five honest daemons learn
 * the shop's normal traffic. A liar, a libp2p mesh peer with its own identity
 * run by this test, joins the community and publishes validly signed alerts
 * whose signatures match normal traffic (tokens every shop request carries)
 * and whose source indicators name normal customers. Every honest node:
 *   - vets each signature on its own normal sample and rejects it (GET
 *     /signatures: status rejected, the reason), so it blocks no normal
 *     request and no named customer;
 *   - counts each rejection against the liar (R2) and blacklists it after the
 *     second (GET /peers: blacklisted; /peers/<id>: the evidence), which also
 *     sends its gossipsub score (P5) below the graylist;
 *   - ignores its later alerts (intake outcome `ignored-blacklisted`), even
 *     when they arrive through a member with no evidence against the liar
 *     (a plain relaying mesh peer here) rather than from the liar itself.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSystemClock } from '../../core/clock.js'
import { makeSignature } from '../../node/signatures/index.js'
import { createLibp2pMesh } from '../../protocol/mesh/index.js'
import type { Libp2pMesh } from '../../protocol/mesh/index.js'
import type { AlertDraft, SignatureIndicator } from '../../protocol/alert/types.js'
import { createShopTraffic } from '../../scripts/demo-shop.js'
import type { ShopRequest } from '../../scripts/demo-shop.js'
import { createDaemonPool } from './support/daemon.js'
import type { DaemonPool, RunningDaemon } from './support/daemon.js'
import { getJson, getOk, waitFor } from './support/http.js'
import { alerts, observe, peers, signatures, startCommunity, tally, train, waitForMesh } from './collab-support.js'
import type { StoredAlertView } from './collab-support.js'

/** gossipsub's ACCEPT_FROM_WHITELIST_DURATION_MS (@libp2p/gossipsub dist/src/constants.js; not exported). */
const ACCEPT_FROM_WHITELIST_DURATION_MS = 1000
const NODES = 5
const TRAIN = 400
/** Normal customers of the shop (scripts/demo-shop.ts): the liar names them as attackers. */
const CUSTOMERS = ['192.0.2.15', '192.0.2.21', '198.51.100.33']

/** Poisoned signatures: their tokens occur in normal shop traffic. */
function poison (context: string, parameter: string, tokens: string[]): SignatureIndicator {
  return makeSignature({ context, parameter, tokens, generator: 'clonal-token-set/1', sampleCount: 3 })
}
const LIE_1 = poison('get /products', 'category', ['kitchen'])
const LIE_2 = poison('get /product', '', ['product'])
const LIE_3 = poison('get /search', 'q', ['scarf', 'wool'])

function falseAlert (context: string, parameter: string, sig: SignatureIndicator, n: number): AlertDraft {
  return {
    community: 'default',
    danger: 2,
    kind: 'signature',
    seen: { context, parameter, score: 40 + n, explanation: `${parameter}: SQL injection (lie ${n})` },
    sources: CUSTOMERS.map((address) => ({ address, ttlSec: 3600 })),
    signatures: [sig],
    ttlSec: 600
  }
}

async function startPeer (bootstrap: string[]): Promise<Libp2pMesh> {
  const mesh = await createLibp2pMesh({ clock: createSystemClock() }, {
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap,
    communities: ['default'],
    redialIntervalMs: 500
  })
  await mesh.start()
  return mesh
}

/** Waits until the alert is on record at every node with a final intake outcome; returns the records. */
async function outcomeEverywhere (nodes: RunningDaemon[], alertId: string): Promise<StoredAlertView[]> {
  return await Promise.all(nodes.map(async (d) => await waitFor(`${d.name} records alert ${alertId}`, async () => {
    const a = (await alerts(d)).find((x) => x.id === alertId)
    return a?.outcome != null ? a : null
  }, { timeoutMs: 15_000, intervalMs: 100 })))
}

describe('e2e: a lying member is found out by every honest node', () => {
  let pool: DaemonPool
  let nodes: RunningDaemon[]
  let liar: Libp2pMesh
  let relay: Libp2pMesh

  beforeAll(async () => {
    pool = createDaemonPool()
    nodes = await startCommunity(pool, NODES)
    const trained = await Promise.all(nodes.map(async (d, i) => await train(d, `shop-${i}`, TRAIN)))
    for (const vs of trained) expect(vs.filter((v) => v.verdict === 'block'), JSON.stringify(tally(vs))).toEqual([])
    // a member with no evidence against anyone, which relays what it receives
    relay = await startPeer(nodes.map((d) => d.addresses[0]))
    liar = await startPeer([...nodes.map((d) => d.addresses[0]), ...relay.addresses()])
    await waitForMesh(nodes, [...nodes.map((d) => d.peerId), liar.peerId, relay.peerId])
    // the liar is connected to every honest node (it flood-publishes its own alerts to each directly), and
    // knows each one's subscription: gossipsub floods only to the peers it knows are on the topic, so a lie
    // published before a SUBSCRIBE arrived reaches that node only if its mesh happens to relay it
    await waitFor('every honest node connected to the liar, and on the topic as the liar sees it', async () => {
      for (const d of nodes) if (!(await peers(d)).some((p) => p.id === liar.peerId && p.connected)) return false
      const known = liar.peers()
      return nodes.every((d) => known.some((p) => p.id === d.peerId && p.communities.includes('default')))
    }, { timeoutMs: 20_000, intervalMs: 200 })
  }, 85_000)

  afterAll(async () => {
    await liar?.stop()
    await relay?.stop()
    await pool?.cleanup()
  })

  it('rejects the poisoned signatures, blocks no normal request, blacklists the liar and ignores its later alerts', async () => {
    // lie 1: a signature that matches every "kitchen" category page, naming three customers
    const a1 = await liar.publish(falseAlert('get /products', 'category', LIE_1, 1))
    for (const rec of await outcomeEverywhere(nodes, a1.alert.id)) {
      expect(rec.origin).toBe(liar.peerId)
      expect(rec.outcome).toBe('suspect')
    }
    for (const d of nodes) {
      const s = (await signatures(d)).find((x) => x.id === LIE_1.id)
      expect(s, d.name).toBeDefined()
      expect(s!.status).toBe('rejected')
      expect(s!.adopted).toBe(false)
      expect(s!.normalMatches).toBeGreaterThan(0)
      expect(s!.reason).toMatch(/normal/)
      // one mismatch is not yet enough evidence to blacklist (deployments differ)
      const p = (await peers(d)).find((x) => x.id === liar.peerId)
      expect(p?.blacklisted, d.name).toBe(false)
    }

    // lie 2: a signature that matches every product page (the path itself)
    const a2 = await liar.publish(falseAlert('get /product', 'id', LIE_2, 2))
    for (const rec of await outcomeEverywhere(nodes, a2.alert.id)) expect(rec.outcome).toBe('suspect')
    for (const d of nodes) {
      const s = (await signatures(d)).find((x) => x.id === LIE_2.id)
      expect(s?.status, d.name).toBe('rejected')
      const p = (await peers(d)).find((x) => x.id === liar.peerId)
      expect(p?.blacklisted, `${d.name}: ${JSON.stringify(p)}`).toBe(true)
      expect(p!.reputation).toBeLessThan(0.2)
      // the evidence behind it
      const why = await getOk<{ reputation: { blacklisted: boolean, breakdown: Record<string, number> }, applicationScore: number, events: Array<{ term: string, note?: string }> }>(d.apiUrl, `/peers/${liar.peerId}`)
      expect(why.reputation.blacklisted).toBe(true)
      expect(why.reputation.breakdown.R2).toBeLessThan(0)
      expect(why.applicationScore).toBeLessThan(0)
      const r2 = why.events.filter((e) => e.term === 'R2')
      expect(r2.length).toBe(2)
      expect(r2.map((e) => e.note).join('\n')).toMatch(new RegExp(`${LIE_1.id}[\\s\\S]*${LIE_2.id}`))
    }
    // P5: the liar's gossipsub score falls below the graylist threshold at every honest node
    await waitFor('the liar graylisted by every honest node', async () => {
      for (const d of nodes) {
        const p = (await peers(d)).find((x) => x.id === liar.peerId)
        if (p == null || p.gossipsubScore > -100) return false
      }
      return true
    }, { timeoutMs: 10_000, intervalMs: 200 })
    // gossipsub keeps accepting RPCs from a peer for up to ACCEPT_FROM_WHITELIST_DURATION_MS (1 s) after it last
    // scored >= 0 (the accept-from whitelist), so the graylist is in force only once that window has passed
    await new Promise((resolve) => setTimeout(resolve, ACCEPT_FROM_WHITELIST_DURATION_MS + 500))

    // lie 3, after the blacklisting: ignored unvetted, also where it arrives through the relay
    const a3 = await liar.publish(falseAlert('get /search', 'q', LIE_3, 3))
    for (const rec of await outcomeEverywhere(nodes, a3.alert.id)) {
      expect(rec.outcome).toBe('ignored-blacklisted')
      // not from the liar itself (graylisted: its RPCs are dropped) but relayed, by the relay or by an honest node
      expect(rec.from).not.toBe(liar.peerId)
      expect([relay.peerId, ...nodes.map((d) => d.peerId)]).toContain(rec.from)
    }
    for (const d of nodes) {
      expect((await signatures(d)).some((x) => x.id === LIE_3.id), d.name).toBe(false)
      const dec = await getOk<{ intake: Array<{ alertId?: string, outcome?: string, origin?: string }> }>(d.apiUrl, '/decisions')
      expect(dec.intake.some((x) => x.alertId === a3.alert.id && x.outcome === 'ignored-blacklisted' && x.origin === liar.peerId)).toBe(true)
    }

    // no honest node blocks a normal request: not those the lies match, not the customers they named
    const liedAbout: ShopRequest[] = [
      { method: 'GET', path: '/products', query: 'category=kitchen&page=2', body: '', source: CUSTOMERS[0], userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' },
      { method: 'GET', path: '/product', query: 'id=17', body: '', source: CUSTOMERS[1], userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' },
      { method: 'GET', path: '/search', query: 'q=wool+scarf', body: '', source: CUSTOMERS[2], userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' }
    ]
    for (const [i, d] of nodes.entries()) {
      const vs = await observe(d, [...liedAbout, ...createShopTraffic(`shop-after-lies-${i}`).take(120)])
      expect(vs.filter((v) => v.verdict === 'block'), `${d.name}: ${JSON.stringify(tally(vs))}`).toEqual([])
      const st = (await getJson(d.apiUrl, '/status')).body as { denyList: unknown[], signatures: Record<string, number>, intake: { ignoredBlacklisted: number } }
      expect(st.denyList).toEqual([])
      expect(st.signatures.adopted).toBe(0)
      expect(st.intake.ignoredBlacklisted).toBeGreaterThan(0)
    }
  }, 70_000)
})
