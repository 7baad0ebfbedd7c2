/**
 * The host firewall (issue 11): an explicit choice, the node's own table
 * named after its data dir, every entry with a timeout, unblock and expiry
 * take entries out, stop leaves none, a restart puts the live ones back with
 * their remaining time. A real response system runs a fake `nft` found on a
 * PATH in a temp dir (a shell script that records its arguments): the host's
 * firewall is never touched.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import type { ManualClock } from '../../../core/clock.js'
import { validateConfig } from '../../../node/config/index.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import { createResponseSystem } from '../../../node/daemon/response-system.js'
import type { ResponseSystem } from '../../../node/daemon/response-system.js'
import { CAP_NET_ADMIN, detectNftables, nftTableName, which } from '../../../node/respond/index.js'
import { formatFirewall } from '../../../node/cli/status.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-firewall-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

/** A directory with a fake `nft` in it, and the PATH that finds it first. */
const bin = join(dir, 'bin')
const callsFile = join(dir, 'nft-calls')
writeFileSync(callsFile, '')
{
  const { mkdirSync } = await import('node:fs')
  mkdirSync(bin)
  writeFileSync(join(bin, 'nft'), `#!/bin/sh\necho "$*" >> '${callsFile}'\nexit 0\n`)
  chmodSync(join(bin, 'nft'), 0o755)
}
const PATH = `${bin}:${process.env.PATH ?? ''}`
const calls = (): string[] => readFileSync(callsFile, 'utf8').split('\n').filter((l) => l !== '')
const NET_ADMIN = 1n << BigInt(CAP_NET_ADMIN)

interface Node { rs: ResponseSystem, store: Store, clock: ManualClock, table: string }

async function node (name: string, policy: Record<string, unknown>, clock = createManualClock(1_700_000_000_000), nftFound = true): Promise<Node> {
  const config = validateConfig({
    dataDir: join(dir, name),
    cells: [{ name: 'shop', type: 'http' }],
    policy: { sourceBan: { maxRetry: 1 }, rules: [{ cell: '*', level: 2, actions: [{ type: 'block-source', durationSec: 600 }] }], ...policy }
  })
  const store = createStore({ dataDir: config.dataDir })
  await store.open()
  const rs = createResponseSystem({ clock, store }, {
    config,
    // as root with CAP_NET_ADMIN, nft searched on the PATH above (or not found)
    nftables: { detect: () => detectNftables({ mode: config.policy.nftables, table: config.policy.nftablesTable ?? nftTableName(config.dataDir), uid: 0, capEff: NET_ADMIN, which: (n) => nftFound ? which(n, PATH) : null }) }
  })
  return { rs, store, clock, table: nftTableName(config.dataDir) }
}

const attack = (source: string) => ({ cell: 'shop', level: 2 as const, source, context: 'get /search', explanation: 'q: union select', origin: 'local' as const })

describe('host firewall (policy.nftables)', () => {
  it('off by default: nothing runs nft, and status says the host firewall is not touched', async () => {
    const before = calls().length
    const n = await node('off', {})
    await n.rs.start()
    await n.rs.handle(attack('198.51.100.7'))
    expect(n.rs.denyList.isDenied('198.51.100.7')).toBe(true)
    const view = n.rs.firewall()
    expect(view).toMatchObject({ mode: 'off', enabled: false, held: null })
    expect(view.reason).toContain('not touched')
    expect(formatFirewall(view)).toContain('firewall: off')
    await n.rs.stop()
    await n.store.close()
    expect(calls().length).toBe(before)
  })

  it('on: its own table named after the data dir, entries with timeouts, unblock and expiry take them out, stop deletes the table', async () => {
    const n = await node('on-a', { nftables: 'on' })
    await n.rs.start()
    const t = n.table
    expect(t).toMatch(/^immune_[0-9a-f]{12}$/)
    expect(calls()).toEqual(expect.arrayContaining([
      `add table inet ${t}`,
      `add set inet ${t} deny4 { type ipv4_addr; flags timeout; timeout 604800s; }`,
      `add set inet ${t} deny6 { type ipv6_addr; flags timeout; timeout 604800s; }`,
      `flush set inet ${t} deny4`,
      `add rule inet ${t} input ip saddr @deny4 drop`
    ]))
    expect(n.rs.firewall()).toMatchObject({ mode: 'on', enabled: true, table: t, held: { table: t, entries: [] } })
    expect(n.rs.firewall().reason).toContain(`inet ${t}`)

    await n.rs.handle(attack('198.51.100.7'))
    await n.rs.handle(attack('2001:db8::9'))
    expect(calls()).toContain(`add element inet ${t} deny4 { 198.51.100.7 timeout 600s }`)
    expect(calls()).toContain(`add element inet ${t} deny6 { 2001:db8::9 timeout 600s }`)
    expect(n.rs.firewall().held?.entries.map((e) => e.address).sort()).toEqual(['198.51.100.7', '2001:db8::9'])
    expect(formatFirewall(n.rs.firewall())).toBe(`firewall: nftables table inet ${t}: 2 blocked sources (each with its decision's timeout; the table is deleted at stop)`)

    // a second node on the host owns another table and never names the first's
    const other = await node('on-b', { nftables: 'on' })
    const mark = calls().length
    await other.rs.start()
    await other.rs.handle(attack('203.0.113.50'))
    const its = calls().slice(mark)
    expect(other.table).not.toBe(t)
    expect(its.length).toBeGreaterThan(0)
    expect(its.every((c) => c.includes(`inet ${other.table}`) && !c.includes(t))).toBe(true)

    // unblock: the decision is revoked, the entry deleted
    const revoked = await n.rs.decisions.unblock('198.51.100.7', 'test')
    expect(revoked.map((r) => r.status)).toEqual(['revoked'])
    expect(calls()).toContain(`delete element inet ${t} deny4 { 198.51.100.7 }`)
    expect(n.rs.denyList.isDenied('198.51.100.7')).toBe(false)
    // expiry: the decision ends, and so does its entry
    n.clock.advance(601_000)
    await vi.waitFor(() => { expect(calls()).toContain(`delete element inet ${t} deny6 { 2001:db8::9 }`) }, { timeout: 10_000, interval: 20 })
    expect(n.rs.firewall().held?.entries).toEqual([])

    await n.rs.stop()
    await other.rs.stop()
    expect(calls().slice(-2).sort()).toEqual([`delete table inet ${other.table}`, `delete table inet ${t}`].sort())
    await n.store.close()
    await other.store.close()
  })

  it('a restart puts the live blocks back with their remaining time (stop deleted them)', async () => {
    const clock = createManualClock(1_700_000_000_000)
    let n = await node('restart', { nftables: 'on', nftablesTable: 'immune_restart_test' }, clock)
    await n.rs.start()
    await n.rs.handle(attack('198.51.100.8'))
    await n.rs.stop()
    await n.store.close()
    expect(calls().at(-1)).toBe('delete table inet immune_restart_test')
    clock.advance(200_000)
    n = await node('restart', { nftables: 'on', nftablesTable: 'immune_restart_test' }, clock)
    const mark = calls().length
    await n.rs.start()
    const after = calls().slice(mark)
    expect(after.indexOf('flush set inet immune_restart_test deny4')).toBeLessThan(after.indexOf('add element inet immune_restart_test deny4 { 198.51.100.8 timeout 400s }'))
    expect(after).toContain('add element inet immune_restart_test deny4 { 198.51.100.8 timeout 400s }')
    await n.rs.stop()
    await n.store.close()
  })

  it('on, but impossible: start fails naming policy.nftables and why; auto: runs without it and says so', async () => {
    const n = await node('on-missing', { nftables: 'on' }, undefined, false)
    await expect(n.rs.start()).rejects.toMatchObject({ code: 'IMMUNE_ERR_STARTUP', message: expect.stringContaining('policy.nftables = on, but nft is not found on PATH') })
    await n.store.close()
    const a = await node('auto-missing', { nftables: 'auto' }, undefined, false)
    await a.rs.start()
    expect(a.rs.firewall()).toMatchObject({ mode: 'auto', enabled: false })
    expect(formatFirewall(a.rs.firewall())).toContain('not used (policy.nftables = auto): auto, but nft is not found on PATH')
    await a.rs.stop()
    await a.store.close()
  })

  it('every entry has a timeout within [1 s, maxDurationSec]; table names are checked', async () => {
    const { createNftablesFirewall } = await import('../../../node/respond/index.js')
    const seen: string[] = []
    const fw = createNftablesFirewall({ nftPath: 'nft', table: 'immune_t', exec: async (a) => { seen.push(a.join(' ')) }, maxTimeoutSec: 3600 })
    await fw.add('192.0.2.1', 0.2)
    await fw.add('192.0.2.2', 10 ** 9)
    expect(seen).toEqual(['add element inet immune_t deny4 { 192.0.2.1 timeout 1s }', 'add element inet immune_t deny4 { 192.0.2.2 timeout 3600s }'])
    expect(() => validateConfig({ dataDir: dir, policy: { nftablesTable: 'bad name;' } })).toThrow(/policy.nftablesTable/)
    expect(() => validateConfig({ dataDir: dir, policy: { nftables: 'yes' } })).toThrow(/policy.nftables/)
  })
})
