import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNodeMetrics, respondHooks } from '../../../node/metrics.js'
import { afterAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { validateConfig } from '../../../node/config/index.js'
import { createStore } from '../../../node/store/store.js'
import { createResponseSystem } from '../../../node/daemon/response-system.js'
import { isAlive, processState } from '../../../core/index.js'
import type { DangerEvent } from '../../../node/respond/index.js'
import { until } from '../respond/helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-rs-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('ResponseSystem: from the config to real responses on a supervised cell', () => {
  it('blocks, freezes, releases, terminates-and-renews; remote events never freeze or kill; renewal follows the threat level', async () => {
    const config = validateConfig({
      dataDir: join(dir, 'data'),
      cells: [{ name: 'web', type: 'supervised', command: 'sleep', args: ['1000'], stdio: 'ignore', renewIntervalSec: 600, renewUnderThreatFactor: 10 }],
      policy: {
        nftables: 'off',
        sourceBan: { maxRetry: 1 },
        rules: [
          { cell: 'web', level: 1, actions: ['log', { type: 'quarantine', durationSec: 60 }] },
          { cell: 'web', level: 2, actions: ['log', { type: 'block-source', durationSec: 600 }, { type: 'raise-threat', durationSec: 300 }, { type: 'terminate-and-renew', graceSec: 2 }] }
        ]
      }
    })
    const clock = createManualClock()
    const store = createStore({ dataDir: config.dataDir })
    await store.open()
    const metrics = createNodeMetrics()
    const rs = createResponseSystem({ clock, store, metrics: respondHooks(metrics) }, { config })
    try {
      await rs.start()
      expect(rs.nftables()?.enabled).toBe(false)
      const web = rs.supervisors.get('web')
      const first = web?.pid() as number
      expect(isAlive(first)).toBe(true)
      const t0 = clock.now()
      expect(web?.info().nextRenewAtMs).toBe(t0 + 600_000)

      const attack: DangerEvent = { cell: 'web', level: 2, source: '198.51.100.23', context: 'POST /login', explanation: 'user: 212 chars (normal <= 24)', origin: 'remote' }
      // remote: the source may be blocked (quorum reached upstream) but the cell is neither frozen nor killed
      const remote = await rs.handle(attack)
      expect(remote.decisions.map(d => d.action)).toEqual(['log', 'block-source', 'raise-threat'])
      expect(rs.denyList.isDenied('198.51.100.23')).toBe(true)
      expect(web?.pid()).toBe(first)
      expect(processState(first)).not.toBe('T')
      const remoteL1 = await rs.handle({ ...attack, level: 1 })
      expect(remoteL1.decisions.map(d => d.action)).toEqual(['log'])
      expect(processState(first)).not.toBe('T')
      // remote raises the threat to 1 only; renewal comes sooner (600 s / 10)
      expect(rs.threat.level()).toBe(1)
      expect(web?.info().nextRenewAtMs).toBe(t0 + 60_000)

      // local level 1: quarantine freezes the child, release resumes it
      await rs.handle({ ...attack, level: 1, origin: 'local' })
      await until(() => processState(first) === 'T', 'the cell frozen')
      expect(web?.info().frozen).toBe(true)
      const released = await rs.release('web')
      expect(released).toHaveLength(1)
      await until(() => /^[SR]$/.test(processState(first) ?? ''), 'the cell resumed')

      // local level 2: terminate-and-renew gives a new pid; threat 2
      const local = await rs.handle({ ...attack, origin: 'local', source: '198.51.100.24' })
      expect(Object.values(local.statuses)).toEqual(['done', 'active', 'active', 'done'])
      const second = web?.pid() as number
      expect(second).not.toBe(first)
      expect(isAlive(first)).toBe(false)
      expect(isAlive(second)).toBe(true)
      expect(rs.threat.level()).toBe(2)
      expect(rs.denyList.isDenied('198.51.100.24')).toBe(true)

      // a burst of events does not make the cell flap: the next terminate-and-renew is coalesced
      const burst = await rs.handle({ ...attack, origin: 'local', source: '198.51.100.25' })
      const tr = burst.decisions.find(d => d.action === 'terminate-and-renew')
      expect((await rs.decisions.get(tr?.id as string))?.receipt).toMatchObject({ coalesced: true })
      expect(web?.pid()).toBe(second)

      // periodic renewal under threat: 60 s after the last renewal
      clock.advance(60_000)
      await until(() => web?.pid() !== second && web?.pid() != null, 'the periodic renewal')
      expect(web?.info().renewals).toBe(2)

      const text = await metrics.registry.metrics()
      expect(text).toContain('immune_respond_decisions_total{action="terminate-and-renew",dry_run="false"} 2')
      expect(rs.threat.level()).toBe(2)
      const audit = await rs.decisions.audit()
      expect(audit.filter(a => a.event === 'skipped' && a.detail?.includes('never taken on remote evidence'))).toHaveLength(2)
    } finally {
      await rs.stop()
      await store.close()
    }
    expect(rs.supervisors.get('web')?.pid()).toBeNull()
  })
})
