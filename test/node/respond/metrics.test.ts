import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { createStore } from '../../../node/store/store.js'
import {
  createBlockSourceResponder, createDecisionManager, createDenyList, createLogResponder, createPolicy,
  createRaiseThreatResponder, createRespondMetrics, createResponderRegistry, createThreatLevel
} from '../../../node/respond/index.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-rm-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('respond metrics', () => {
  it('count decisions and failures, and gauge active decisions, denied sources and the threat level', async () => {
    const clock = createManualClock()
    const store = createStore({ dataDir: dir })
    await store.open()
    const policy = createPolicy({ rules: [{ cell: '*', level: 2, actions: ['log', 'block-source', 'raise-threat', 'quarantine'] }] }, [{ name: 'app', type: 'pid' }])
    const denyList = createDenyList({ clock })
    const threat = createThreatLevel({ clock })
    const registry = new Registry()
    const responders = createResponderRegistry([createLogResponder({}), createBlockSourceResponder({ clock, denyList }), createRaiseThreatResponder({ clock, threat })])
    let manager: ReturnType<typeof createDecisionManager> | null = null
    const metrics = createRespondMetrics(registry, { active: () => manager?.active() ?? [], denyList, threat })
    manager = createDecisionManager({ clock, store, responders, metrics }, { policy })
    await manager.start()
    // quarantine has no responder registered here: recorded as a failure
    const res = await manager.handle({ cell: 'app', level: 2, source: '192.0.2.50', context: 'cell:app', explanation: 'e', origin: 'local' })
    expect(Object.values(res.statuses)).toEqual(['done', 'active', 'active', 'failed'])
    const text = await registry.metrics()
    expect(text).toContain('immune_respond_decisions_total{action="block-source",dry_run="false"} 1')
    expect(text).toContain('immune_respond_failures_total{action="quarantine"} 1')
    expect(text).toContain('immune_respond_active_decisions{action="block-source"} 1')
    expect(text).toContain('immune_respond_denied_sources 1')
    expect(text).toContain('immune_threat_level 2')
    await manager.stop()
    await store.close()
  })
})
