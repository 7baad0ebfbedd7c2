import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { createStore } from '../../../node/store/store.js'
import {
  createBlockSourceResponder, createDecisionManager, createDenyList, createLogResponder, createPolicy,
  createRaiseThreatResponder, createResponderRegistry, createThreatLevel
} from '../../../node/respond/index.js'
import { METRIC_FAMILIES, createNodeMetrics, respondHooks } from '../../../node/metrics.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-rm-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('respond metrics', () => {
  it('count decisions and failures, and gauge active decisions, denied sources and the threat level', async () => {
    const clock = createManualClock()
    const store = createStore({ dataDir: dir })
    await store.open()
    const policy = createPolicy({ sourceBan: { maxRetry: 1 }, rules: [{ cell: '*', level: 2, actions: ['log', 'block-source', 'raise-threat', 'quarantine'] }] }, [{ name: 'app', type: 'pid' }])
    const denyList = createDenyList({ clock })
    const threat = createThreatLevel({ clock })
    const node = createNodeMetrics()
    const responders = createResponderRegistry([createLogResponder({}), createBlockSourceResponder({ clock, denyList }), createRaiseThreatResponder({ clock, threat })])
    let manager: ReturnType<typeof createDecisionManager> | null = null
    const metrics = respondHooks(node)
    manager = createDecisionManager({ clock, store, responders, metrics }, { policy })
    await manager.start()
    // quarantine has no responder registered here: recorded as a failure
    const res = await manager.handle({ cell: 'app', level: 2, source: '192.0.2.50', context: 'cell:app', explanation: 'e', origin: 'local' })
    expect(Object.values(res.statuses)).toEqual(['done', 'active', 'active', 'failed'])
    const text = await node.registry.metrics()
    expect(text).toContain('immune_respond_decisions_total{action="block-source",dry_run="false"} 1')
    expect(text).toContain('immune_respond_failures_total{action="quarantine"} 1')
    expect(manager.active().map(d => d.action).sort()).toEqual(['block-source', 'raise-threat'])
    expect(denyList.size()).toBe(1)
    expect(threat.level()).toBe(2)
    // one module defines every family, each once
    expect(new Set(METRIC_FAMILIES).size).toBe(METRIC_FAMILIES.length)
    expect(METRIC_FAMILIES).toContain('immune_respond_failures_total')
    await manager.stop()
    await store.close()
  })
})
