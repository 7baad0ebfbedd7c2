/**
 * A selfish member (issue 5, third end-to-end test): a peer that stays
 * subscribed to the community and receives every alert but never reports
 * (here a libp2p mesh peer run by the test that only subscribes). Five honest
 * daemons meet a series of community-wide attacks, each on another endpoint of
 * the shop; each daemon reports what it meets (its own detection, or a hit on
 * a signature a peer shared). When an attack episode has gone quiet it is
 * counted: every member n += 1, reporters k += 1. After the configured number
 * of episodes (`collaboration.selfish.minEpisodes`) every honest node flags
 * the silent peer (GET /peers: selfish true; /peers/<id>: the binomial test),
 * and no honest node is flagged.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSystemClock } from '../../core/clock.js'
import { createLibp2pMesh } from '../../protocol/mesh/index.js'
import type { Libp2pMesh } from '../../protocol/mesh/index.js'
import { OTHER_ATTACKS, SQLI_TAUTOLOGY, sqlInjection } from '../../scripts/demo-shop.js'
import type { ShopRequest } from '../../scripts/demo-shop.js'
import { createDaemonPool } from './support/daemon.js'
import type { DaemonPool, RunningDaemon } from './support/daemon.js'
import { getJson, getOk, waitFor } from './support/http.js'
import { COMMUNITY_CONFIG, alerts, observeOne, peers, startCommunity, tally, train, waitForMesh } from './collab-support.js'

const NODES = 5
const TRAIN = 600
const MIN_EPISODES = 3

/** Episodes close 2 s after the last report; housekeeping runs twice a second. */
const CONFIG = {
  ...COMMUNITY_CONFIG,
  collaboration: { housekeepingIntervalSec: 0.5, selfish: { minEpisodes: MIN_EPISODES, rateTolerance: 1, episodeQuietSec: 2, cooldownSec: 1 } }
}

/** One community-wide attack per endpoint: the episodes are distinct (keyed by the attacked context). */
const EPISODES: Array<{ name: string, request: (source: string) => ShopRequest }> = [
  { name: 'SQL injection on the product page', request: (source) => sqlInjection(SQLI_TAUTOLOGY[0], source) },
  ...OTHER_ATTACKS.slice(0, 2)
]

interface SelfishView { episodes: number, reported: number, pValue: number, selfish: boolean }

describe('e2e: a selfish member is flagged by the community', () => {
  let pool: DaemonPool
  let nodes: RunningDaemon[]
  let selfish: Libp2pMesh

  beforeAll(async () => {
    pool = createDaemonPool()
    nodes = await startCommunity(pool, NODES, CONFIG)
    const trained = await Promise.all(nodes.map(async (d, i) => await train(d, `shop-${i}`, TRAIN)))
    for (const vs of trained) expect(vs.filter((v) => v.verdict === 'block'), JSON.stringify(tally(vs))).toEqual([])
    // subscribed to the community, connected to everyone, never publishes
    selfish = await createLibp2pMesh({ clock: createSystemClock() }, {
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: nodes.map((d) => d.addresses[0]),
      communities: ['default'],
      redialIntervalMs: 500
    })
    await selfish.start()
    await waitForMesh(nodes, [...nodes.map((d) => d.peerId), selfish.peerId])
    await waitFor('every honest node sees the silent peer subscribed', async () => {
      for (const d of nodes) if (!(await peers(d)).some((p) => p.id === selfish.peerId && p.connected)) return false
      return true
    }, { timeoutMs: 20_000, intervalMs: 200 })
  }, 85_000)

  afterAll(async () => {
    await selfish?.stop()
    await pool?.cleanup()
  })

  const selfishView = async (d: RunningDaemon, id: string): Promise<SelfishView> => (await getOk<{ selfish: SelfishView }>(d.apiUrl, `/peers/${id}`)).selfish

  it(`flags the silent member after ${MIN_EPISODES} community-wide attacks, and no honest one`, async () => {
    let received = 0
    const off = selfish.onAlert(() => { received++ })
    for (const [e, episode] of EPISODES.entries()) {
      // the attack meets every honest node (each from its own address); each blocks it and reports it
      for (const [i, d] of nodes.entries()) {
        const v = await observeOne(d, episode.request(`203.0.113.${10 * (e + 1) + i}`))
        expect(v.verdict, `${episode.name} at ${d.name}: ${JSON.stringify(v)}`).toBe('block')
      }
      // the episode closes (quiet) and is counted at every honest node
      const views = await Promise.all(nodes.map(async (d) => await waitFor(`${d.name} counts episode ${e + 1} (${episode.name})`, async () => {
        const v = await selfishView(d, selfish.peerId)
        return v.episodes >= e + 1 ? v : null
      }, { timeoutMs: 15_000, intervalMs: 200 })))
      const names = new Map([...nodes.map((x) => [x.peerId, x.name] as const), [selfish.peerId, 'silent'] as const])
      for (const [i, v] of views.entries()) {
        // on failure: what this node counted for every member, and which reports it received
        const members = await Promise.all(nodes.filter((x) => x !== nodes[i]).map(async (x) => [x.name, ((await getJson(nodes[i].apiUrl, `/peers/${x.peerId}`)).body as { selfish?: unknown } | undefined)?.selfish]))
        const got = (await alerts(nodes[i])).map((a) => `${names.get(a.origin) ?? a.origin}:${a.seen.context}:${a.outcome ?? '?'}`)
        const why = `${nodes[i].name}: silent peer ${JSON.stringify(v)}; members ${JSON.stringify(members)}; alerts ${got.join(', ')}`
        expect(v.episodes, why).toBe(e + 1)
        expect(v.reported, why).toBe(0)
        // not before the configured number of episodes
        expect(v.selfish, why).toBe(e + 1 >= MIN_EPISODES)
      }
    }
    off()
    // it did receive the community's reports: it chose to stay silent
    expect(received).toBeGreaterThanOrEqual(NODES)

    for (const d of nodes) {
      const ps = await peers(d)
      const silent = ps.find((p) => p.id === selfish.peerId)
      expect(silent?.selfish, d.name).toBe(true)
      expect(silent?.blacklisted).toBe(false)
      // every honest member reported every episode: none is flagged
      for (const other of nodes.filter((x) => x !== d)) {
        const p = ps.find((x) => x.id === other.peerId)
        expect(p?.selfish, `${d.name} about ${other.name}`).toBe(false)
        const v = await selfishView(d, other.peerId)
        expect(v.episodes).toBe(EPISODES.length)
        expect(v.reported).toBe(EPISODES.length)
      }
      const why = await selfishView(d, selfish.peerId)
      expect(why.pValue).toBeLessThan(0.01)
    }
  }, 75_000)
})
