/**
 * Proactive immunity with real daemons (issue 5, first end-to-end test):
 * five `immune-node` processes in community `default` learn a small web
 * shop's normal traffic; one of them meets an SQL injection. Its signature
 * reaches the others, each vets it against its own normal traffic and adopts
 * it (origin = the node that met the attack), and then blocks the FIRST
 * matching attack it ever receives (a variant: another id, another trailing
 * comment), by that signature, while normal requests still pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SQLI_TAUTOLOGY, createShopTraffic, sqlInjection } from '../../scripts/demo-shop.js'
import { createDaemonPool } from './support/daemon.js'
import type { DaemonPool, RunningDaemon } from './support/daemon.js'
import { getOk, waitFor } from './support/http.js'
import { COMMUNITY_CONFIG, alerts, observe, observeOne, peers, signatures, startCommunity, tally, train, waitForMesh } from './collab-support.js'
import type { SignatureView } from './collab-support.js'

const NODES = 5
const TRAIN = 400
/** The node that meets the attack (not the bootstrap hub: its alert has to be relayed). */
const VICTIM = 2

describe('e2e: a community learns from one member\'s attack (proactive immunity)', () => {
  let pool: DaemonPool
  let nodes: RunningDaemon[]
  /** A member that joined just now: it has seen (almost) no traffic of its own yet. */
  let newcomer: RunningDaemon

  beforeAll(async () => {
    pool = createDaemonPool()
    nodes = await startCommunity(pool, NODES)
    newcomer = await pool.start({ name: 'newcomer', config: COMMUNITY_CONFIG, args: nodes.flatMap((d) => ['--bootstrap', d.addresses[0]]) })
    await waitForMesh([...nodes, newcomer], [...nodes, newcomer].map((d) => d.peerId))
    const trained = await Promise.all(nodes.map(async (d, i) => await train(d, `shop-${i}`, TRAIN)))
    // learning normal traffic blocks nothing
    for (const vs of trained) expect(vs.filter((v) => v.verdict === 'block'), JSON.stringify(tally(vs))).toEqual([])
  }, 80_000)

  afterAll(async () => { await pool?.cleanup() })

  it('adopts the victim\'s signature everywhere and blocks the first variant each node meets, by that signature', async () => {
    const victim = nodes[VICTIM]
    const others = nodes.filter((_, i) => i !== VICTIM)

    // the victim meets the attack: its own detector blocks it (it guards its shop by now)
    const first = await observeOne(victim, sqlInjection(SQLI_TAUTOLOGY[0], '203.0.113.66'))
    expect(first.verdict, JSON.stringify(first)).toBe('block')
    expect(first.danger).toBe(2)
    expect(first.context).toBe('get /product')

    // clonal selection made a local signature from it
    const local = (await signatures(victim)).filter((s) => s.origin === 'local' && s.adopted)
    expect(local.length).toBeGreaterThan(0)
    const localIds = new Set(local.map((s) => s.id))

    // within seconds every other member has vetted and adopted it, with the victim as origin
    const adoptedAt = await Promise.all(others.map(async (d) => await waitFor(`${d.name} adopts the victim's signature`, async () => {
      const sigs = await signatures(d)
      const s = sigs.find((x) => localIds.has(x.id))
      return s?.adopted === true ? s : null
    }, { timeoutMs: 15_000, intervalMs: 100 })))
    for (const s of adoptedAt) {
      expect(s.origin).toBe(victim.peerId)
      expect(s.status).toBe('adopted')
      expect(s.normalMatches).toBe(0)
      expect(s.context).toBe('get /product')
      expect(s.tokens.length).toBeGreaterThan(0)
    }

    // the alert that carried it is on record at each member, accepted (the record gets its outcome a
    // moment after the signature store adopted the signature: wait for it rather than race it)
    for (const d of others) {
      const got = await waitFor(`${d.name} records the alert's outcome`, async () => {
        const a = (await alerts(d)).filter((x) => x.origin === victim.peerId && x.signatures.some((y) => localIds.has(y.id)))
        return a.length > 0 && a[0].outcome != null ? a : null
      }, { timeoutMs: 5_000, intervalMs: 50 })
      expect(got[0].outcome).toBe('accepted')
    }

    // each member blocks the FIRST attack it ever receives: a variant it never saw, from a new address
    for (const [i, d] of others.entries()) {
      const payload = SQLI_TAUTOLOGY[1 + (i % (SQLI_TAUTOLOGY.length - 1))]
      expect(payload).not.toBe(SQLI_TAUTOLOGY[0])
      const v = await observeOne(d, sqlInjection(payload, `203.0.113.${100 + i}`))
      expect(v.verdict, `${d.name}: ${JSON.stringify(v)}`).toBe('block')
      expect(v.danger).toBe(2)
      // decided by the adopted signature, not by the node's own profile
      expect(v.reasons[0].feature).toBe('signature')
      expect(v.reasons[0].expected).toMatch(new RegExp(`no match of signature (${[...localIds].join('|')})`))
      const after = (await signatures(d)).find((x: SignatureView) => localIds.has(x.id))
      expect(after?.hits).toBeGreaterThan(0)
    }

    // normal requests still pass everywhere (fresh customers, never seen in training)
    for (const [i, d] of nodes.entries()) {
      const vs = await observe(d, createShopTraffic(`shop-fresh-${i}`).take(150))
      const blockedBySignature = vs.filter((v) => v.reasons.some((r) => r.feature === 'signature'))
      expect(blockedBySignature, d.name).toEqual([])
      expect(vs.filter((v) => v.verdict === 'block'), `${d.name}: ${JSON.stringify(tally(vs))}`).toEqual([])
    }

    // status shows the adopted signature
    for (const d of others) {
      const st = await getOk<{ signatures: Record<string, number> }>(d.apiUrl, '/status')
      expect(st.signatures.adopted).toBeGreaterThan(0)
    }
  }, 60_000)

  it('protects a member in its learning period: the signature it could not vet on arrival is adopted once it has seen some normal traffic', async () => {
    const victimIds = new Set((await signatures(nodes[VICTIM])).filter((s) => s.origin === 'local').map((s) => s.id))
    expect(victimIds.size).toBeGreaterThan(0)
    // it received the signature with no normal traffic to check it against: kept pending, not adopted, nobody blamed
    const pending = (await signatures(newcomer)).filter((s) => victimIds.has(s.id))
    expect(pending.length, JSON.stringify(pending)).toBeGreaterThan(0)
    expect(pending[0].status).toBe('pending')
    expect(pending[0].origin).toBe(nodes[VICTIM].peerId)
    expect(pending[0].reason).toMatch(/normal/)
    const rep = (await peers(newcomer)).find((p) => p.id === nodes[VICTIM].peerId)
    expect(rep?.blacklisted).toBe(false)

    // a little normal traffic (far too little to guard: every endpoint still learns)
    const vs = await train(newcomer, 'newcomer', 120)
    expect(vs.every((v) => v.phase === 'learning' && v.verdict === 'allow'), JSON.stringify(tally(vs))).toBe(true)
    // re-vetted in the background, now against its own normal sample: adopted
    const adopted = await waitFor('the newcomer adopts the pending signature', async () => {
      const s = (await signatures(newcomer)).find((x) => victimIds.has(x.id))
      return s?.status === 'adopted' ? s : null
    }, { timeoutMs: 15_000, intervalMs: 250 })
    expect(adopted.normalMatches).toBe(0)
    expect(adopted.origin).toBe(nodes[VICTIM].peerId)

    // still learning, it blocks the attack by the community's signature, and lets its customers through
    const v = await observeOne(newcomer, sqlInjection(SQLI_TAUTOLOGY[3], '203.0.113.200'))
    expect(v.phase).toBe('learning')
    expect(v.verdict, JSON.stringify(v)).toBe('block')
    expect(v.reasons[0].feature).toBe('signature')
    const normal = await observe(newcomer, createShopTraffic('newcomer-more').take(40))
    expect(normal.filter((x) => x.verdict === 'block')).toEqual([])
  }, 40_000)
})
