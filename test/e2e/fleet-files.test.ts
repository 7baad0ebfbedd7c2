/**
 * The fleet files (docs/fleet.md) against a real daemon: every query of the
 * Grafana dashboard (packaging/grafana/immune-mesh-fleet.json) and every
 * expression of the alert rules (packaging/prometheus/immune-mesh.rules.yml)
 * parses as PromQL (the Prometheus project's own grammar; promtool is not
 * here) and reads only families, labels and label values that the daemon's
 * GET /metrics serves after normal traffic and an attack; the scrape
 * config's metric_relabel keep list keeps every one of them. The checker
 * itself is shown to refuse an unknown metric, label, value and bad syntax.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { createNodeMetrics } from '../../node/metrics.js'
import { REPO_ROOT, createDaemonPool } from './support/daemon.js'
import type { RunningDaemon } from './support/daemon.js'
import { getJson, getOk, postJson, waitFor } from './support/http.js'
import { parsePrometheusText } from './support/prometheus.js'
import type { MetricFamily } from './support/prometheus.js'
import { familyOf } from './support/prometheus-naming.js'
import { promqlReads, substituteGrafanaVariables } from './support/promql.js'
import { NORMAL_ENDPOINTS, createNormalTraffic, sqlInjection } from './support/traffic.js'

const DASHBOARD = join(REPO_ROOT, 'packaging/grafana/immune-mesh-fleet.json')
const RULES = join(REPO_ROOT, 'packaging/prometheus/immune-mesh.rules.yml')
const SCRAPE = join(REPO_ROOT, 'packaging/prometheus/prometheus.yml')
/** Labels Prometheus attaches to every series of a target (not in /metrics). */
const TARGET_LABELS = new Set(['instance', 'job'])
/** Series Prometheus writes itself for each scrape (not in /metrics). */
const SYNTHETIC = new Set(['up'])
const MIN_OBS = 30

const pool = createDaemonPool()
let node: RunningDaemon
let families: Map<string, MetricFamily>
let keep: RegExp

/** Label names each family has: seen in the scrape, and for the node's own families the declared ones (a counter with no sample yet still has them). */
const declaredLabels = new Map<string, string[]>(createNodeMetrics().registry.getMetricsAsArray().map((m) => [
  (m as unknown as { name: string }).name, [...((m as unknown as { labelNames?: string[] }).labelNames ?? [])]
]))

function labelsOf (family: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const l of declaredLabels.get(family) ?? []) out.set(l, new Set())
  for (const s of families.get(family)?.samples ?? []) {
    for (const [k, v] of Object.entries(s.labels)) {
      if (!out.has(k)) out.set(k, new Set())
      out.get(k)!.add(v)
    }
  }
  return out
}

/** What is wrong with one query against the scrape (empty: it reads only what the node serves). */
function queryProblems (expr: string): string[] {
  const problems: string[] = []
  let reads
  try {
    reads = promqlReads(substituteGrafanaVariables(expr))
  } catch (err) {
    return [(err as Error).message]
  }
  const read: string[] = []
  for (const sel of reads.selectors) {
    if (SYNTHETIC.has(sel.metric)) {
      for (const m of sel.matchers) if (!TARGET_LABELS.has(m.label)) problems.push(`${sel.metric}: label ${m.label} is not a target label`)
      continue
    }
    const fam = familyOf(sel.metric, families)
    if (fam == null) { problems.push(`${sel.metric}: no such family in /metrics`); continue }
    read.push(fam)
    if (!keep.test(sel.metric)) problems.push(`${sel.metric}: dropped by the scrape config's metric_relabel keep list`)
    const labels = labelsOf(fam)
    if (sel.metric.endsWith('_bucket')) labels.set('le', new Set(['+Inf']))
    for (const m of sel.matchers) {
      if (TARGET_LABELS.has(m.label)) continue
      const values = labels.get(m.label)
      if (values == null) { problems.push(`${sel.metric}: no label ${m.label} (it has: ${[...labels.keys()].join(', ') || 'none'})`); continue }
      if (m.op === '=' && !values.has(m.value)) problems.push(`${sel.metric}{${m.label}="${m.value}"}: the node serves no such value (served: ${[...values].join(', ')})`)
      if (m.op === '=~' && ![...values].some((v) => new RegExp(`^(?:${m.value})$`).test(v))) problems.push(`${sel.metric}{${m.label}=~"${m.value}"}: matches no served value (served: ${[...values].join(', ')})`)
    }
  }
  for (const g of reads.groupingLabels) {
    if (TARGET_LABELS.has(g) || g === 'le') continue
    if (!read.some((f) => labelsOf(f).has(g))) problems.push(`groups by ${g}, a label none of ${read.join(', ')} has`)
  }
  return problems
}

interface GrafanaPanel { type: string, title?: string, datasource?: unknown, targets?: Array<{ expr?: string, refId?: string }>, panels?: GrafanaPanel[] }

function dashboardQueries (): Array<{ where: string, expr: string }> {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: GrafanaPanel[], templating: { list: Array<{ name: string, type: string, query?: unknown }> } }
  const out: Array<{ where: string, expr: string }> = []
  const walk = (ps: GrafanaPanel[]): void => {
    for (const p of ps) {
      if (p.panels != null) walk(p.panels)
      for (const t of p.targets ?? []) out.push({ where: `panel "${p.title ?? '?'}" ${t.refId ?? ''}`, expr: t.expr ?? '' })
    }
  }
  walk(d.panels)
  for (const v of d.templating.list.filter((x) => x.type === 'query')) {
    const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query
    // label_values(<selector>, <label>) is Grafana's, around a PromQL selector
    const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(q)
    if (m == null) throw new Error(`variable ${v.name}: query ${q} is not label_values(metric, label)`)
    out.push({ where: `variable $${v.name}`, expr: m[1] })
  }
  return out
}

interface Rule { alert?: string, record?: string, expr: string, for?: string, labels?: Record<string, string>, annotations?: Record<string, string> }
const rules = (): Rule[] => (parseYaml(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string, rules: Rule[] }> }).groups.flatMap((g) => g.rules)

beforeAll(async () => {
  const scrape = parseYaml(readFileSync(SCRAPE, 'utf8')) as { scrape_configs: Array<{ job_name: string, metric_relabel_configs?: Array<{ regex: string, action: string }> }> }
  const job = scrape.scrape_configs.find((j) => j.job_name === 'immune-mesh')
  const kept = job?.metric_relabel_configs?.find((r) => r.action === 'keep')
  keep = new RegExp(`^(?:${kept?.regex ?? '.*'})$`)
  node = await pool.start({
    name: 'fleet',
    config: { cells: [{ name: 'shop', type: 'http' }], learning: { minObservations: MIN_OBS, minDurationSec: 0 } }
  })
  const gen = createNormalTraffic({ cell: 'shop', seed: 11 })
  expect((await postJson(node.apiUrl, '/v1/observe', gen(MIN_OBS * NORMAL_ENDPOINTS))).status).toBe(200)
  expect(((await postJson(node.apiUrl, '/v1/observe', sqlInjection('192.0.2.61', 'shop'))).body as { danger: number }).danger).toBe(2)
  await waitFor('threat level raised', async () => (await getOk<{ threatLevel: number }>(node.apiUrl, '/status')).threatLevel === 2)
  const r = await getJson(node.apiUrl, '/metrics')
  expect(r.status).toBe(200)
  families = parsePrometheusText(r.text)
})

afterAll(async () => { await pool.cleanup() })

describe('the query checker', () => {
  it('passes a good query and refuses unknown metrics, labels, values, groupings and bad syntax', () => {
    expect(queryProblems('sum by (instance, phase) (immune_profile_contexts{phase="learning"})')).toEqual([])
    expect(queryProblems('immune_respond_decision_total')[0]).toMatch(/no such family/)
    expect(queryProblems('immune_profile_contexts{phas="learning"}')[0]).toMatch(/no label phas/)
    expect(queryProblems('immune_profile_contexts{phase="learnt"}')[0]).toMatch(/no such value/)
    expect(queryProblems('immune_respond_decisions_active{action=~"ban|kill"}')[0]).toMatch(/matches no served value/)
    expect(queryProblems('sum by (cell) (immune_profile_contexts)')[0]).toMatch(/groups by cell/)
    expect(queryProblems('rate(immune_detector_observations_total[5m]')[0]).toMatch(/syntax error/)
    expect(queryProblems('up{cell="x"}')[0]).toMatch(/not a target label/)
    expect(queryProblems('libp2p_peer_store_locks')[0]).toMatch(/dropped by the scrape config/)
  })
})

describe('Grafana dashboard', () => {
  const queries = dashboardQueries()
  it('has queries on every panel that is not a row, each with a datasource', () => {
    const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: GrafanaPanel[], uid: string, title: string }
    expect(d.uid).toBe('immune-mesh-fleet')
    for (const p of d.panels.filter((x) => x.type !== 'row')) {
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0)
      expect(p.datasource, p.title).toBeTruthy()
    }
    expect(queries.length).toBeGreaterThanOrEqual(20)
  })
  for (const q of queries) {
    it(`${q.where}: reads only what /metrics serves`, () => { expect(queryProblems(q.expr), q.expr).toEqual([]) })
  }
  it('reads every family the node defines, but the histogram\'s own', () => {
    const read = new Set(queries.flatMap((q) => promqlReads(substituteGrafanaVariables(q.expr)).selectors.map((s) => familyOf(s.metric, families))))
    const unread = [...declaredLabels.keys()].filter((f) => !read.has(f))
    expect(unread).toEqual([])
  })
})

describe('Prometheus alert rules', () => {
  const all = rules()
  it('cover the operator\'s alerts: a node stuck in learning, a blacklisted peer, a firewall responder failing', () => {
    const names = all.map((r) => r.alert)
    for (const n of ['ImmuneNodeStuckInLearning', 'ImmunePeerBlacklisted', 'ImmuneFirewallResponderFailing', 'ImmuneFirewallSetupFailed', 'ImmuneNodeDown']) expect(names).toContain(n)
  })
  for (const r of all) {
    it(`${r.alert ?? r.record ?? '?'}: well formed and reads only what /metrics serves`, () => {
      expect(r.alert).toMatch(/^Immune[A-Za-z]+$/)
      expect(['critical', 'warning', 'info']).toContain(r.labels?.severity)
      expect(r.annotations?.summary).toBeTruthy()
      expect(r.annotations?.description).toBeTruthy()
      if (r.for != null) expect(r.for).toMatch(/^\d+[smhd]$/)
      expect(queryProblems(r.expr), r.expr).toEqual([])
    })
  }
})

describe('what the rules read follows the node', () => {
  it('immune_profile_learning_age_seconds is 0 once every context guards; immune_build_info names the version', () => {
    expect(families.get('immune_profile_learning_age_seconds')?.samples[0]?.value).toBe(0)
    const guarding = families.get('immune_profile_contexts')?.samples.find((s) => s.labels.phase === 'guarding')?.value
    expect(guarding).toBe(NORMAL_ENDPOINTS)
    const info = families.get('immune_build_info')?.samples ?? []
    expect(info).toHaveLength(1)
    expect(info[0].value).toBe(1)
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(info[0].labels).toMatchObject({ version: pkg.version, protocol: '1' })
    expect(families.get('immune_respond_firewall_state')?.samples.find((s) => s.labels.state === 'off')?.value).toBe(1)
  })

  it('a context still learning shows its age', async () => {
    // a new endpoint starts learning now: its age grows from 0
    expect((await postJson(node.apiUrl, '/v1/observe', [{ kind: 'http', method: 'GET', path: '/brand-new', query: 'x=1', source: '10.1.2.3', cell: 'shop' }])).status).toBe(200)
    const age = await waitFor('learning age above 0', async () => {
      const f = parsePrometheusText((await getJson(node.apiUrl, '/metrics')).text)
      const v = f.get('immune_profile_learning_age_seconds')?.samples[0]?.value ?? 0
      return v > 0 ? v : null
    }, { timeoutMs: 20_000, intervalMs: 200 })
    expect(age).toBeGreaterThan(0)
  })
})
