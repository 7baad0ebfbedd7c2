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
  /** Always 1; the labels say which build runs (Prometheus' `<x>_build_info` convention: join on it with `* on(instance) group_left(version)`). */
  buildInfo: Gauge<'version' | 'protocol' | 'nodejs'>
  /** Age of the oldest context still learning (0 when none is): the fleet's "stuck in learning" alert reads it. */
  learningAgeSeconds: Gauge
  /** The firewall mirror (nftables): 1 on its current state, 0 on the others. */
  firewallState: Gauge<'state'>
  firewallFailures: Counter<'op'>
  memoryItems: Counter<'community' | 'outcome'>
  memorySyncs: Counter<'reason' | 'outcome'>
  memoryLastSync: Gauge<'community'>
  memoryHeld: Gauge<'community'>
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
    ingestErrors: new Counter({ name: 'immune_api_ingest_errors_total', help: 'Rejected ingest requests by error code', labelNames: ['code'], registers }),
    buildInfo: new Gauge({ name: 'immune_build_info', help: 'Always 1: the version of immune-mesh, the alert protocol and the Node.js runtime this node runs', labelNames: ['version', 'protocol', 'nodejs'], registers }),
    firewallState: new Gauge({ name: 'immune_respond_firewall_state', help: 'The nftables mirror of blocked sources: 1 on its state (off, enforcing, failed: wanted but its setup failed), 0 on the others', labelNames: ['state'], registers }),
    firewallFailures: new Counter({ name: 'immune_respond_firewall_failures_total', help: 'nft commands of the firewall mirror that failed (the deny list still blocks), by operation', labelNames: ['op'], registers }),
    learningAgeSeconds: new Gauge({ name: 'immune_profile_learning_age_seconds', help: 'Seconds since the oldest context still learning was first seen (0 when every context guards)', registers }),
    memoryItems: new Counter({ name: 'immune_memory_items_total', help: 'Items of memory answers (protocol/memory), by community and outcome (received, accepted, rejected)', labelNames: ['community', 'outcome'], registers }),
    memorySyncs: new Counter({ name: 'immune_memory_syncs_total', help: 'Memory syncs, by reason (start, rejoin, anti-entropy, manual) and outcome (in-sync, updated, no-answer, junk)', labelNames: ['reason', 'outcome'], registers }),
    memoryLastSync: new Gauge({ name: 'immune_memory_last_sync_timestamp_seconds', help: 'When the last memory sync of a community started (Unix seconds)', labelNames: ['community'], registers }),
    memoryHeld: new Gauge({ name: 'immune_memory_held_items', help: 'Live alerts remembered per community', labelNames: ['community'], registers })
  }
}

/** Every family the node defines (what /metrics must expose). */
export const METRIC_FAMILIES: readonly string[] = Object.freeze(createNodeMetrics().registry.getMetricsAsArray().map(m => m.name))

/** Sets immune_build_info to 1 for this build (once, at start). */
export function setBuildInfo (m: NodeMetrics, build: { version: string, protocol: number | string, nodejs?: string }): void {
  m.buildInfo.reset()
  m.buildInfo.set({ version: build.version, protocol: String(build.protocol), nodejs: build.nodejs ?? process.versions.node }, 1)
}

const FIREWALL_STATES = ['off', 'enforcing', 'failed'] as const

/** The response system's firewall hooks: the state as an enum gauge, failures counted (both series exist from the start, so `increase()` sees the first failure). */
export function firewallHooks (m: NodeMetrics): { state: (s: typeof FIREWALL_STATES[number]) => void, failure: (op: 'add' | 'remove') => void } {
  for (const state of FIREWALL_STATES) m.firewallState.set({ state }, state === 'off' ? 1 : 0)
  for (const op of ['add', 'remove']) m.firewallFailures.inc({ op }, 0)
  return {
    state: (s) => { for (const state of FIREWALL_STATES) m.firewallState.set({ state }, state === s ? 1 : 0) },
    failure: (op) => { m.firewallFailures.inc({ op }) }
  }
}

/** The decision manager's hooks on the node's families: every decision counted, every responder failure counted. */
export function respondHooks (m: NodeMetrics): RespondMetricsLike {
  return {
    onDecision: (action: ActionType, dryRun: boolean) => { m.decisions.inc({ action, dry_run: dryRun ? 'true' : 'false' }) },
    onFailure: (action: ActionType) => { m.respondFailures.inc({ action }) }
  }
}
