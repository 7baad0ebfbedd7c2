/**
 * The node's Prometheus metrics (`immune_<subsystem>_<name>_<unit|total>`,
 * bounded label sets): the one module where every family is defined, so each
 * is defined once and every one is exposed (METRIC_FAMILIES lists them; a
 * test scrapes a running daemon for each). One registry per node, shared with
 * libp2p's own metrics (@libp2p/prometheus-metrics) so `/metrics` serves both.
 * Parts report through small hooks (respondHooks for the decision manager);
 * gauges are set at scrape time by node/daemon/status.ts.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ActionType, RespondMetricsLike } from './respond/index.js'

export interface NodeMetrics {
  registry: Registry
  observations: Counter<'kind' | 'danger'>
  observeSeconds: Histogram<'kind'>
  verdicts: Counter<'verdict'>
  decisions: Counter<'action' | 'dry_run'>
  decisionsActive: Gauge<'action'>
  respondFailures: Counter<'action'>
  deniedSources: Gauge
  alertsPublished: Counter<'kind'>
  alertsReceived: Counter<'outcome'>
  signatures: Gauge<'status'>
  signatureHits: Counter
  contexts: Gauge<'phase'>
  peers: Gauge<'state'>
  threatLevel: Gauge
  ingestErrors: Counter<'code'>
}

export function createNodeMetrics (registry: Registry = new Registry()): NodeMetrics {
  const registers = [registry]
  return {
    registry,
    observations: new Counter({ name: 'immune_detector_observations_total', help: 'Observations scored, by kind and danger level', labelNames: ['kind', 'danger'], registers }),
    observeSeconds: new Histogram({ name: 'immune_detector_observe_seconds', help: 'Time to score one observation', labelNames: ['kind'], buckets: [0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01], registers }),
    verdicts: new Counter({ name: 'immune_api_verdicts_total', help: 'Ingest API verdicts', labelNames: ['verdict'], registers }),
    decisions: new Counter({ name: 'immune_respond_decisions_total', help: 'Decisions taken, by action', labelNames: ['action', 'dry_run'], registers }),
    decisionsActive: new Gauge({ name: 'immune_respond_decisions_active', help: 'Decisions in force', labelNames: ['action'], registers }),
    respondFailures: new Counter({ name: 'immune_respond_failures_total', help: 'Responder apply/undo failures, by action', labelNames: ['action'], registers }),
    deniedSources: new Gauge({ name: 'immune_respond_denied_sources', help: 'Source addresses on the deny list', registers }),
    alertsPublished: new Counter({ name: 'immune_mesh_alerts_published_total', help: 'Alerts this node published', labelNames: ['kind'], registers }),
    alertsReceived: new Counter({ name: 'immune_mesh_alerts_received_total', help: 'Valid alerts received from peers, by intake outcome', labelNames: ['outcome'], registers }),
    signatures: new Gauge({ name: 'immune_signatures_known', help: 'Known signatures by status', labelNames: ['status'], registers }),
    signatureHits: new Counter({ name: 'immune_signatures_hits_total', help: 'Observations that matched an adopted signature', registers }),
    contexts: new Gauge({ name: 'immune_profile_contexts', help: 'Learned contexts by phase', labelNames: ['phase'], registers }),
    peers: new Gauge({ name: 'immune_reputation_peers', help: 'Known peers by state', labelNames: ['state'], registers }),
    threatLevel: new Gauge({ name: 'immune_respond_threat_level', help: 'Current threat level (0 normal, 1 raised by peers or local suspicion, 2 local danger)', registers }),
    ingestErrors: new Counter({ name: 'immune_api_ingest_errors_total', help: 'Rejected ingest requests by error code', labelNames: ['code'], registers })
  }
}

/** Every family the node defines (what /metrics must expose). */
export const METRIC_FAMILIES: readonly string[] = Object.freeze(createNodeMetrics().registry.getMetricsAsArray().map(m => m.name))

/** The decision manager's hooks on the node's families: every decision counted, every responder failure counted. */
export function respondHooks (m: NodeMetrics): RespondMetricsLike {
  return {
    onDecision: (action: ActionType, dryRun: boolean) => { m.decisions.inc({ action, dry_run: dryRun ? 'true' : 'false' }) },
    onFailure: (action: ActionType) => { m.respondFailures.inc({ action }) }
  }
}
