/**
 * DESIGN.md invariant 1, end to end: remote alerts alone never quarantine or
 * terminate a local cell. Raw mesh peers in this process (real libp2p
 * gossipsub, bootstrapped to a real daemon) first earn some reputation (they
 * warn about sources that then attack a second, HTTP-only cell of the same
 * community: local evidence corroborates them), so their word has weight.
 * Then they publish signed level-2 alerts naming the supervised cell's
 * context and the sources the daemon has seen. Even with a policy that
 * quarantines and terminates at every level, the child keeps its pid and
 * keeps running, and no quarantine or terminate-and-renew decision appears.
 */
import type { DecisionsView, StatusView } from '../../node/daemon/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDaemonPool, tinyAppCell } from './support/daemon.js'
import type { RunningDaemon } from './support/daemon.js'
import { getOk, isAlive, killIfAlive, postJson, procState, sleep, waitFor } from './support/http.js'
import { anomalyAlert, startMeshPeer } from './support/mesh-peer.js'
import type { MeshPeer } from './support/mesh-peer.js'
import { NORMAL_ENDPOINTS, createNormalTraffic, sqlInjection } from './support/traffic.js'

const COMMUNITY = 'shop'
const PEERS = 3
const ROUNDS = 4
const MIN_OBS = 50

type StatusBody = StatusView
type DecisionsBody = DecisionsView

const pool = createDaemonPool()
const peers: MeshPeer[] = []
let node: RunningDaemon
let childPid: number
let sources: string[]

beforeAll(async () => {
  const harsh = ['log', { type: 'block-source', durationSec: 600 }, { type: 'raise-threat', durationSec: 600 }, { type: 'quarantine', durationSec: 600 }, { type: 'terminate-and-renew', graceSec: 1 }]
  node = await pool.start({
    name: 'remote',
    config: {
      communities: [COMMUNITY],
      cells: [tinyAppCell('web', { extra: { community: COMMUNITY } }), { name: 'bait', type: 'http', community: COMMUNITY }],
      ingest: { community: COMMUNITY },
      learning: { minObservations: MIN_OBS, minDurationSec: 0 },
      policy: {
        rules: [
          { cell: '*', level: 1, actions: harsh },
          { cell: '*', level: 2, actions: harsh },
          { cell: 'bait', level: 1, actions: ['log'] },
          { cell: 'bait', level: 2, actions: ['log', { type: 'block-source', durationSec: 600 }] }
        ]
      }
    }
  })
  // the bait cell guards; web only ever learns (a few requests: no local danger for it)
  expect((await postJson(node.apiUrl, '/v1/observe', createNormalTraffic({ cell: 'bait', seed: 12 })(MIN_OBS * NORMAL_ENDPOINTS))).status).toBe(200)
  const traffic = createNormalTraffic({ cell: 'web', seed: 11 })(40)
  expect((await postJson(node.apiUrl, '/v1/observe', traffic)).status).toBe(200)
  sources = [...new Set(traffic.map((t) => t.source!))].slice(0, 5)
  const s = await getOk<StatusBody>(node.apiUrl, '/status')
  childPid = s.cells[0].pid!
  expect(isAlive(childPid)).toBe(true)
  for (let i = 0; i < PEERS; i++) peers.push(await startMeshPeer({ bootstrap: [node.addresses[0]], communities: [COMMUNITY] }))
})

afterAll(async () => {
  await Promise.allSettled(peers.map(async (p) => { await p.stop() }))
  await pool.cleanup()
  killIfAlive(childPid)
})

let n = 0
const received = async (): Promise<number> => (await getOk<StatusBody>(node.apiUrl, '/status')).alerts.received

describe('remote alerts alone', () => {
  it('peers earn weight when local evidence corroborates their warnings', async () => {
    await waitFor('peers connected', async () => {
      const s = await getOk<StatusBody>(node.apiUrl, '/status')
      return peers.every((p) => s.peers.some((x) => x.id === p.peerId && x.connected))
    }, { timeoutMs: 20_000, intervalMs: 200 })
    // publish until the daemon has received a warning from every peer (the gossipsub mesh takes a heartbeat or two)
    const attacker = '198.51.100.20'
    await waitFor('warnings received by the daemon', async () => {
      for (const p of peers) await p.publish(anomalyAlert(COMMUNITY, 'get /search', [attacker], n++))
      return await received() >= PEERS
    }, { timeoutMs: 20_000, intervalMs: 300 })
    // the warned-about source attacks the bait cell: local evidence
    const a = (await postJson(node.apiUrl, '/v1/observe', sqlInjection(attacker, 'bait'))).body as { danger: number }
    expect(a.danger).toBe(2)
    const s = await getOk<StatusBody>(node.apiUrl, '/status')
    for (const p of peers) expect(s.peers.find((x) => x.id === p.peerId)?.weight).toBeGreaterThan(0)
  })

  it('never freeze or kill a cell', async () => {
    const before = await received()
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of peers) await p.publish(anomalyAlert(COMMUNITY, 'get /search', sources, n++))
      await sleep(200)
    }
    const s = await waitFor('every alert received', async () => {
      const st = await getOk<StatusBody>(node.apiUrl, '/status')
      return st.alerts.received >= before + PEERS * ROUNDS ? st : null
    }, { timeoutMs: 15_000, intervalMs: 200 })

    // the alerts did arrive and did act: local sensitivity raised, threat level raised (by peers: at most to 1)...
    expect(s.threatLevel).toBe(1)
    const intake = (await getOk<DecisionsBody>(node.apiUrl, '/decisions')).intake
    expect(intake.some((x) => x.type === 'alert' && /^sensitivity ×/.test(x.why ?? ''))).toBe(true)
    // ...but the child is the same process, running, never frozen, never renewed
    const cell = s.cells.find((c) => c.name === 'web')!
    expect(cell.pid).toBe(childPid)
    expect(cell.state).toBe('running')
    expect(cell.frozen).toBe(false)
    expect(cell.restarts).toBe(0)
    expect(cell.renewals).toBe(0)
    expect(isAlive(childPid)).toBe(true)
    expect(procState(childPid)).not.toBe('T')
    const d = await getOk<DecisionsBody>(node.apiUrl, '/decisions')
    const forbidden = ['quarantine', 'terminate-and-renew']
    expect(d.active.filter((x) => forbidden.includes(x.action))).toEqual([])
    expect(d.recent.filter((r) => forbidden.includes(r.action))).toEqual([])
    // GET /peers: every peer with its local reputation and gossipsub score
    const list = await getOk<Array<Record<string, unknown>>>(node.apiUrl, '/peers')
    for (const p of peers) {
      const v = list.find((x) => x.id === p.peerId)
      expect(v).toBeDefined()
      expect(Object.keys(v!)).toEqual(expect.arrayContaining(['id', 'reputation', 'blacklisted', 'selfish', 'gossipsubScore', 'lastSeen']))
      expect(v!.blacklisted).toBe(false)
      expect(typeof v!.gossipsubScore).toBe('number')
    }
    // GET /alerts?since=: what arrived, from whom, with the intake's outcome
    const alerts = await getOk<Array<{ origin: string, community: string, danger: number }>>(node.apiUrl, `/alerts?since=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}&limit=1000`)
    expect(alerts.length).toBeGreaterThanOrEqual(PEERS * (ROUNDS + 1))
    expect(new Set(alerts.map((a) => a.origin))).toEqual(new Set(peers.map((p) => p.peerId)))
    expect(alerts.every((a) => a.community === COMMUNITY && a.danger === 2)).toBe(true)
    expect(await getOk<unknown[]>(node.apiUrl, `/alerts?since=${Date.now() + 60_000}`)).toEqual([])
    // the only local decisions are the bait's (log, block-source)
    expect(d.recent.filter((r) => r.origin === 'local').every((r) => ['log', 'block-source'].includes(r.action))).toBe(true)
  })
})
