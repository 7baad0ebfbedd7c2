/**
 * Immune memory with real daemons (issue 14): a community of `immune-node`
 * processes learns an attack (one member meets an SQL injection; its
 * signature reaches the others). Afterwards
 *   - a member that was stopped while the alert passed is started again on
 *     its data dir, and
 *   - a new daemon with an empty data dir joins (and, like any newcomer, sees
 *     some normal traffic of its own),
 * and each catches up through /immune/1/memory: it receives the original
 * signed alert, its intake vets the signature on its own normal traffic,
 * adopts it with the victim as origin, and blocks the attack.
 * A peer serving forged and expired items (a libp2p peer in the test process
 * running the same memory service over a poisoned store) is penalised by the
 * newcomer and nothing it sent is adopted.
 *
 * No wall-clock assertion: each step waits for its event with a bounded wait;
 * the time from joining to the first blocked attack is printed.
 */
import { loadavg } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { SQLI_TAUTOLOGY, sqlInjection } from '../../scripts/demo-shop.js'
import { createSystemClock } from '../../core/index.js'
import { createAlert, ReplayGuard, signAlert, validateAlert, AlertValidationCode } from '../../protocol/alert/index.js'
import { createLibp2pMesh } from '../../protocol/mesh/index.js'
import type { Libp2pMesh } from '../../protocol/mesh/index.js'
import { createMeshMemory } from '../../protocol/memory/index.js'
import type { MeshMemory } from '../../protocol/memory/index.js'
import { createDaemonPool } from './support/daemon.js'
import type { DaemonPool, RunningDaemon } from './support/daemon.js'
import { getOk, waitFor } from './support/http.js'
import { COMMUNITY_CONFIG, alerts, observeOne, peers, signatures, startCommunity, train } from './collab-support.js'
import type { SignatureView } from './collab-support.js'

const TRAIN = 400
const COMMUNITY = 'default'

interface MemoryStatus { communities: Array<{ community: string, lastSync: { outcome: string, reason: string } | null, received: number, accepted: number, rejected: number }> }
interface StatusView { memory: MemoryStatus | null }

describe('e2e: newcomers and returning members catch up on what the community knows (immune memory)', () => {
  let pool: DaemonPool
  let nodes: RunningDaemon[]
  let returning: RunningDaemon
  let victimSigIds: Set<string>
  let liar: { mesh: Libp2pMesh, memory: MeshMemory }

  beforeAll(async () => {
    pool = createDaemonPool()
    nodes = await startCommunity(pool, 3)
    returning = await pool.start({ name: 'returning', config: COMMUNITY_CONFIG, args: nodes.flatMap((d) => ['--bootstrap', d.addresses[0]]) })
    for (const [i, d] of [...nodes, returning].entries()) await train(d, `shop-${i}`, TRAIN)
    // the returning member goes away before the attack
    await returning.stop()

    // the community learns the attack: the victim blocks it, makes a signature, the others adopt it
    const victim = nodes[0]
    const first = await observeOne(victim, sqlInjection(SQLI_TAUTOLOGY[0], '203.0.113.66'))
    expect(first.verdict).toBe('block')
    victimSigIds = new Set((await signatures(victim)).filter((s) => s.origin === 'local' && s.adopted).map((s) => s.id))
    expect(victimSigIds.size).toBeGreaterThan(0)
    for (const d of nodes.slice(1)) {
      await waitFor(`${d.name} adopts the victim's signature`, async () => (await signatures(d)).some((s) => victimSigIds.has(s.id) && s.adopted), { timeoutMs: 20_000, intervalMs: 100 })
    }
  }, 120_000)

  afterAll(async () => {
    await liar?.memory.stop().catch(() => {})
    await liar?.mesh.stop().catch(() => {})
    await pool?.cleanup()
  })

  /** What a member knows, for a failure message. */
  const explain = async (d: RunningDaemon): Promise<string> => {
    const st = await getOk<StatusView>(d.apiUrl, '/status')
    return `memory: ${JSON.stringify(st.memory)}; signatures: ${JSON.stringify(await signatures(d))}; logs: ${JSON.stringify(d.logs().filter((l) => /memory|signature|mesh/.test(String(l.msg))).slice(-20))}`
  }

  const blocksBySignature = async (d: RunningDaemon, i: number): Promise<void> => {
    const v = await observeOne(d, sqlInjection(SQLI_TAUTOLOGY[1 + (i % (SQLI_TAUTOLOGY.length - 1))], `203.0.113.${150 + i}`))
    expect(v.verdict, `${d.name}: ${JSON.stringify(v)}`).toBe('block')
    expect(v.reasons[0].feature).toBe('signature')
  }

  // the victim's own alert vouches for it: first origin, or one of them (a member that later blocked the attack by
  // this signature publishes it too, and gossip may bring that copy first; the victim's comes by memory)
  const adoptedFromVictim = async (d: RunningDaemon): Promise<SignatureView | null> =>
    (await signatures(d)).find((s) => victimSigIds.has(s.id) && s.adopted && (s.origin === nodes[0].peerId || s.origins.includes(nodes[0].peerId))) ?? null

  it('a member restarted on its data dir after missing the alert catches up at start and blocks the attack', async () => {
    // it never heard of the signature
    const back = await pool.start({ name: 'returning-again', dataDir: returning.dataDir, config: COMMUNITY_CONFIG, args: nodes.flatMap((d) => ['--bootstrap', d.addresses[0]]) })
    const t0 = Date.now() // joined: the daemon is up
    expect(back.peerId).toBe(returning.peerId)
    const sig = await waitFor('the returning member adopts the signature it missed', async () => await adoptedFromVictim(back), { timeoutMs: 60_000, intervalMs: 100 }).catch(async (err: unknown) => { throw new Error(`${(err as Error).message}; ${await explain(back)}`) })
    expect(sig.normalMatches).toBe(0)
    await blocksBySignature(back, 1)
    process.stdout.write(`returning member: up to attack blocked in ${Date.now() - t0} ms (load ${loadavg()[0].toFixed(1)})\n`)
    // it came by the memory protocol: the start sync accepted it
    const st = await getOk<StatusView>(back.apiUrl, '/status')
    const m = st.memory?.communities.find((c) => c.community === COMMUNITY)
    expect(m?.accepted).toBeGreaterThan(0)
    expect(m?.lastSync?.reason).toMatch(/start|anti-entropy|rejoin/)
    const rec = (await alerts(back)).find((a) => a.signatures.some((s) => victimSigIds.has(s.id)))
    expect(rec?.origin).toBe(nodes[0].peerId)
    expect(rec?.outcome).toBe('accepted')
    // /metrics shows the counters
    const metrics = await (await fetch(`${back.apiUrl}/metrics`)).text()
    expect(metrics).toMatch(/immune_memory_items_total\{community="default",outcome="accepted"\} [1-9]/)
    expect(metrics).toMatch(/immune_memory_last_sync_timestamp_seconds\{community="default"\} \d+/)
  }, 120_000)

  it('a new daemon with an empty data dir catches up, ignores a peer serving forged and expired items, and blocks the attack', async () => {
    // the liar: a mesh peer whose memory holds a forged copy of the victim's alert and an expired alert of its own
    const replay = new ReplayGuard()
    const key = await generateKeyPair('Ed25519')
    const mesh = await createLibp2pMesh({ clock: createSystemClock() }, { privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: nodes.map((d) => d.addresses[0]), communities: [COMMUNITY], heartbeatIntervalMs: 200, redialIntervalMs: 500, replayGuard: replay })
    await mesh.start()
    const memory = createMeshMemory({ clock: createSystemClock(), mesh, replay }, {})
    liar = { mesh, memory }
    const genuine = (await getOk<Array<{ id: string, envelope: string, signatures: Array<{ id: string }> }>>(nodes[1].apiUrl, '/alerts')).find((a) => a.signatures.some((s) => victimSigIds.has(s.id)))
    expect(genuine).toBeDefined()
    const forged = new Uint8Array(Buffer.from(genuine!.envelope, 'base64'))
    forged[forged.length - 3] ^= 0x40 // a byte of the signature
    const opened = await validateAlert(new Uint8Array(Buffer.from(genuine!.envelope, 'base64')), { nowMs: Date.now(), replay: { check: () => AlertValidationCode.OK } })
    const now = Date.now()
    memory.store.add({ ...opened.alert!, issuedAtMs: now, ttlSec: 3600 }, forged, now)
    const old = createAlert({ community: COMMUNITY, danger: 2, kind: 'source', seen: { context: 'get /product', parameter: 'id', score: 40, explanation: 'expired long ago' }, sources: [{ address: '198.51.100.7', ttlSec: 60 }], signatures: [], ttlSec: 60 }, { origin: mesh.peerId, seq: 1n, nowMs: now - 3_600_000 })
    memory.store.add({ ...old, issuedAtMs: now, ttlSec: 3600 }, await signAlert(old, key), now)
    await memory.start()

    const newcomer = await pool.start({ name: 'newcomer', config: COMMUNITY_CONFIG, args: [...nodes.map((d) => d.addresses[0]), mesh.addresses()[0]].flatMap((a) => ['--bootstrap', a]) })
    const t0 = Date.now() // joined: the daemon is up
    // like any newcomer it sees some normal traffic of its own (too little to guard: it is learning)
    await train(newcomer, 'newcomer', 120)
    const sig = await waitFor('the newcomer adopts the community\'s signature', async () => await adoptedFromVictim(newcomer), { timeoutMs: 60_000, intervalMs: 100 }).catch(async (err: unknown) => { throw new Error(`${(err as Error).message}; ${await explain(newcomer)}`) })
    expect(sig.normalMatches).toBe(0)
    await blocksBySignature(newcomer, 2)
    process.stdout.write(`newcomer: up to attack blocked in ${Date.now() - t0} ms (load ${loadavg()[0].toFixed(1)})\n`)

    // the liar was asked and penalised: its answer was junk
    const liarView = await waitFor('the newcomer penalises the liar', async () => {
      const p = (await peers(newcomer)).find((x) => x.id === mesh.peerId)
      return p != null && p.reputation < 0.5 ? p : null
    }, { timeoutMs: 20_000, intervalMs: 200 })
    expect(liarView.reputation).toBeLessThan(0.5)
    const explained = await getOk<{ terms?: Record<string, unknown>, events?: unknown[] } & Record<string, unknown>>(newcomer.apiUrl, `/peers/${mesh.peerId}`)
    expect(JSON.stringify(explained)).toMatch(/memory answer: item-(invalid|expired)/)
    // nothing it sent was adopted: no alert from it on record, not the expired one, not the forged copy
    const recs = await alerts(newcomer)
    expect(recs.filter((a) => a.from === mesh.peerId)).toEqual([])
    expect(recs.some((a) => a.id === old.id)).toBe(false)
    const copies = recs.filter((a) => a.id === opened.alert!.id)
    expect(copies.length).toBe(1)
    expect(copies[0].from).not.toBe(mesh.peerId)
    const st = await getOk<StatusView>(newcomer.apiUrl, '/status')
    const m = st.memory?.communities.find((c) => c.community === COMMUNITY)
    expect(m?.rejected).toBeGreaterThan(0)
    expect(m?.accepted).toBeGreaterThan(0)
  }, 150_000)
})
