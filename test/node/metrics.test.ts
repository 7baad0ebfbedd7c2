/**
 * Every family the node defines (METRIC_FAMILIES, node/metrics.ts) follows
 * Prometheus naming (test/e2e/support/prometheus-naming.ts: snake_case under
 * immune_<subsystem>_, `_total` on counters only, base units last, histograms
 * with a unit, `_info` gauges); the checker itself fails on each kind of bad
 * name; immune_build_info says which build runs.
 */
import { describe, expect, it } from 'vitest'
import { METRIC_FAMILIES, createNodeMetrics, setBuildInfo } from '../../node/metrics.js'
import { metricNamingProblems } from '../e2e/support/prometheus-naming.js'
import type { FamilyType } from '../e2e/support/prometheus-naming.js'

interface FamilyInfo { name: string, type: FamilyType, labelNames: string[] }

function families (): Map<string, FamilyInfo> {
  const m = createNodeMetrics()
  // prom-client keeps each metric's type and label names on the instance
  return new Map(m.registry.getMetricsAsArray().map((x) => {
    const o = x as unknown as { name: string, type: FamilyType, labelNames?: string[] }
    return [o.name, { name: o.name, type: o.type, labelNames: [...(o.labelNames ?? [])] }]
  }))
}

describe('metric naming', () => {
  const info = families()

  it('METRIC_FAMILIES is every family of createNodeMetrics, each once', () => {
    expect([...info.keys()].sort()).toEqual([...METRIC_FAMILIES].sort())
    expect(new Set(METRIC_FAMILIES).size).toBe(METRIC_FAMILIES.length)
    expect(METRIC_FAMILIES).toContain('immune_build_info')
  })

  for (const name of METRIC_FAMILIES) {
    it(`${name} follows Prometheus naming`, () => {
      const f = info.get(name)!
      expect(['counter', 'gauge', 'histogram', 'summary']).toContain(f.type)
      expect(metricNamingProblems(name, f.type, f.labelNames)).toEqual([])
    })
  }

  const bad: Array<[string, FamilyType, string[], string]> = [
    ['immune_api_requests', 'counter', [], 'N2'],
    ['immune_respond_decisions_active_total', 'gauge', [], 'N2'],
    ['immune_api_latency_ms', 'histogram', [], 'N4'],
    ['immune_api_latency', 'histogram', [], 'N5'],
    ['immune_store_size_kilobytes', 'gauge', [], 'N4'],
    ['immune_api_error_percent', 'gauge', [], 'N4'],
    ['immune_api_seconds_latency', 'gauge', [], 'N4'],
    ['immune_api_last_seen_timestamp', 'gauge', [], 'N4'],
    ['immune_api_requests_count', 'gauge', [], 'N3'],
    ['immune_api_total_requests', 'counter', [], 'N2'],
    ['immune_mesh_peer_info', 'counter', [], 'N6'],
    ['immune_Api_requests_total', 'counter', [], 'N1'],
    ['immune:api_requests_total', 'counter', [], 'N1'],
    ['immune_http_requests_total', 'counter', [], 'N1'],
    ['api_requests_total', 'counter', [], 'N1'],
    ['immune_api_requests_total', 'counter', ['le'], 'N7'],
    ['immune_api_requests_total', 'counter', ['peerId'], 'N7']
  ]
  for (const [name, type, labels, rule] of bad) {
    it(`the checker refuses ${name} (${type}${labels.length > 0 ? ` {${labels.join(',')}}` : ''}): ${rule}`, () => {
      expect(metricNamingProblems(name, type, labels).map((p) => p.rule)).toContain(rule)
    })
  }

  it('accepts what Prometheus itself names well', () => {
    expect(metricNamingProblems('immune_api_request_seconds_total', 'counter')).toEqual([])
    expect(metricNamingProblems('immune_store_last_write_timestamp_seconds', 'gauge')).toEqual([])
    expect(metricNamingProblems('immune_store_size_bytes', 'gauge')).toEqual([])
    expect(metricNamingProblems('immune_build_info', 'gauge', ['version'])).toEqual([])
  })
})

describe('immune_build_info', () => {
  it('is one series, value 1, labelled with the version, protocol and runtime', async () => {
    const m = createNodeMetrics()
    setBuildInfo(m, { version: '9.8.7', protocol: 1 })
    setBuildInfo(m, { version: '9.8.8', protocol: 1 })
    const j = await m.registry.getSingleMetricAsString('immune_build_info')
    const lines = j.split('\n').filter((l) => l.startsWith('immune_build_info{'))
    expect(lines).toEqual([`immune_build_info{version="9.8.8",protocol="1",nodejs="${process.versions.node}"} 1`])
  })
})
