/** Prometheus metrics of the respond/ part (optional; created on the daemon's registry). */
import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { DenyList } from './deny-list.js'
import type { RespondMetricsLike } from './decision-manager.js'
import type { ActionType, Decision } from './policy-types.js'
import { ACTION_TYPES } from './policy-types.js'
import type { ThreatLevel } from './threat-level.js'

export interface RespondMetricsSources {
  active?: () => Decision[]
  denyList?: DenyList
  threat?: ThreatLevel
}

export function createRespondMetrics (registry: Registry, sources: RespondMetricsSources = {}): RespondMetricsLike {
  const decisions = new Counter({ name: 'immune_respond_decisions_total', help: 'Decisions taken, by action and dry run', labelNames: ['action', 'dry_run'], registers: [registry] })
  const failures = new Counter({ name: 'immune_respond_failures_total', help: 'Responder apply/undo failures, by action', labelNames: ['action'], registers: [registry] })
  new Gauge({ // eslint-disable-line no-new
    name: 'immune_respond_active_decisions',
    help: 'Active (applied, not yet expired) decisions, by action',
    labelNames: ['action'],
    registers: [registry],
    collect () {
      const counts = new Map<ActionType, number>(ACTION_TYPES.map(a => [a, 0]))
      for (const d of sources.active?.() ?? []) counts.set(d.action, (counts.get(d.action) ?? 0) + 1)
      for (const [action, n] of counts) this.set({ action }, n)
    }
  })
  if (sources.denyList != null) {
    const dl = sources.denyList
    new Gauge({ name: 'immune_respond_denied_sources', help: 'Source addresses on the deny list', registers: [registry], collect () { this.set(dl.size()) } }) // eslint-disable-line no-new
  }
  if (sources.threat != null) {
    const t = sources.threat
    new Gauge({ name: 'immune_threat_level', help: 'Threat level: 0 calm, 1 elevated, 2 under attack', registers: [registry], collect () { this.set(t.level()) } }) // eslint-disable-line no-new
  }
  return {
    onDecision: (action, dryRun) => { decisions.inc({ action, dry_run: dryRun ? 'true' : 'false' }) },
    onFailure: (action) => { failures.inc({ action }) }
  }
}
