/**
 * The firewall mirror's metrics (immune_respond_firewall_state,
 * immune_respond_firewall_failures_total), which the fleet's alert rule
 * "firewall responder failing" reads: a real response system runs a fake
 * `nft` (a shell script in a temp dir that records its arguments and fails
 * where told; the host's firewall is never touched).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { validateConfig } from '../../../node/config/index.js'
import { createStore } from '../../../node/store/store.js'
import { createResponseSystem } from '../../../node/daemon/response-system.js'
import { createNodeMetrics, firewallHooks, respondHooks } from '../../../node/metrics.js'
import type { NodeMetrics } from '../../../node/metrics.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-fw-metrics-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

/** A fake nft: logs each call, exits 1 when its arguments match `failOn` (a grep -E pattern). */
function fakeNft (name: string, failOn: string): { path: string, calls: () => string[] } {
  const path = join(dir, `${name}-nft`)
  const log = join(dir, `${name}-calls`)
  writeFileSync(log, '')
  writeFileSync(path, `#!/bin/sh\necho "$*" >> '${log}'\nif echo "$*" | grep -Eq '${failOn}'; then echo "fake nft: refused" >&2; exit 1; fi\nexit 0\n`)
  chmodSync(path, 0o755)
  return { path, calls: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') }
}

async function value (m: NodeMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const j = await m.registry.getSingleMetric(name)?.get()
  return j?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value
}

async function run (name: string, failOn: string, f: (rs: ReturnType<typeof createResponseSystem>, m: NodeMetrics, nft: ReturnType<typeof fakeNft>) => Promise<void>): Promise<void> {
  const nft = fakeNft(name, failOn)
  const config = validateConfig({ dataDir: join(dir, name), cells: [{ name: 'shop', type: 'http' }], policy: { sourceBan: { maxRetry: 1 } } })
  const clock = createManualClock()
  const store = createStore({ dataDir: config.dataDir })
  await store.open()
  const metrics = createNodeMetrics()
  const rs = createResponseSystem({ clock, store, metrics: respondHooks(metrics), firewallMetrics: firewallHooks(metrics) }, {
    config,
    nftables: { detect: () => ({ enabled: true, mode: 'auto', uid: 0, netAdmin: true, nftPath: nft.path, table: 'immune_fwmetrics', reason: 'test: fake nft' }) }
  })
  try {
    await rs.start()
    await f(rs, metrics, nft)
  } finally {
    await rs.stop()
    await store.close()
  }
}

describe('firewall metrics', () => {
  it('before start: state off, and both failure series exist at 0 (so increase() sees the first failure)', async () => {
    const m = createNodeMetrics()
    firewallHooks(m)
    expect(await value(m, 'immune_respond_firewall_state', { state: 'off' })).toBe(1)
    expect(await value(m, 'immune_respond_firewall_state', { state: 'enforcing' })).toBe(0)
    expect(await value(m, 'immune_respond_firewall_failures_total', { op: 'add' })).toBe(0)
    expect(await value(m, 'immune_respond_firewall_failures_total', { op: 'remove' })).toBe(0)
  })

  it('enforcing, then an nft add that fails is counted (and the deny list still blocks)', async () => {
    await run('add-fails', 'add element', async (rs, m, nft) => {
      expect(await value(m, 'immune_respond_firewall_state', { state: 'enforcing' })).toBe(1)
      expect(await value(m, 'immune_respond_firewall_state', { state: 'off' })).toBe(0)
      await rs.handle({ cell: 'shop', level: 2, source: '198.51.100.7', context: 'get /search', explanation: 'q: union select', origin: 'local' })
      expect(nft.calls().some((c) => c.startsWith('add element') && c.includes('198.51.100.7'))).toBe(true)
      expect(await value(m, 'immune_respond_firewall_failures_total', { op: 'add' })).toBe(1)
      expect(rs.denyList.isDenied('198.51.100.7')).toBe(true)
    })
  })

  it('a setup that fails is state failed', async () => {
    await run('setup-fails', 'add table', async (_rs, m) => {
      expect(await value(m, 'immune_respond_firewall_state', { state: 'failed' })).toBe(1)
      expect(await value(m, 'immune_respond_firewall_state', { state: 'enforcing' })).toBe(0)
    })
  })
})
