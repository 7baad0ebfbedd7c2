/**
 * GET /metrics of a real daemon parses as valid Prometheus text exposition
 * (a strict parser, itself tested here on broken inputs), holds immune_* and
 * libp2p metrics, and the immune_* ones follow what the node did.
 */
import { METRIC_FAMILIES } from '../../node/metrics.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDaemonPool } from './support/daemon.js'
import type { RunningDaemon } from './support/daemon.js'
import { getJson, getOk, postJson, waitFor } from './support/http.js'
import { PromParseError, parsePrometheusText } from './support/prometheus.js'
import type { MetricFamily } from './support/prometheus.js'
import { NORMAL_ENDPOINTS, createNormalTraffic, sqlInjection } from './support/traffic.js'

const MIN_OBS = 50
const pool = createDaemonPool()
let node: RunningDaemon

beforeAll(async () => {
  node = await pool.start({
    name: 'metrics',
    config: {
      cells: [{ name: 'shop', type: 'http' }],
      learning: { minObservations: MIN_OBS, minDurationSec: 0 }
    }
  })
})

afterAll(async () => { await pool.cleanup() })

const sum = (f: MetricFamily | undefined, labels: Record<string, string> = {}, name = f?.name): number =>
  (f?.samples ?? []).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0)

async function scrape (): Promise<{ families: Map<string, MetricFamily>, contentType: string }> {
  const r = await getJson(node.apiUrl, '/metrics')
  expect(r.status).toBe(200)
  return { families: parsePrometheusText(r.text), contentType: String(r.headers['content-type']) }
}

describe('the strict exposition parser', () => {
  const bad: Array<[string, string]> = [
    ['no trailing newline', 'a 1'],
    ['bad metric name', '1a 1\n'],
    ['bad value', 'a one\n'],
    ['lower-case nan', 'a nan\n'],
    ['bad label escape', 'a{x="\\t"} 1\n'],
    ['unquoted label value', 'a{x=1} 1\n'],
    ['reserved label name', 'a{__x="1"} 1\n'],
    ['repeated label', 'a{x="1",x="2"} 1\n'],
    ['duplicate series', 'a{x="1"} 1\na{x="1"} 2\n'],
    ['unknown type', '# TYPE a countr\na 1\n'],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['second HELP', '# HELP a x\n# HELP a y\na 1\n'],
    ['interleaved families', 'a 1\nb 1\na{x="1"} 1\n'],
    ['negative counter', '# TYPE a counter\na -1\n'],
    ['histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['histogram not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['histogram count mismatch', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
    ['trailing text', 'a 1 2 3\n']
  ]
  for (const [what, text] of bad) {
    it(`rejects: ${what}`, () => { expect(() => parsePrometheusText(text)).toThrow(PromParseError) })
  }

  it('accepts the format\'s own example features', () => {
    const f = parsePrometheusText([
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400",} 3 1395066363000',
      '# A comment',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      'nan_gauge NaN',
      '# TYPE h histogram',
      'h_bucket{le="0.05"} 24054',
      'h_bucket{le="+Inf"} 144320',
      'h_sum 53423',
      'h_count 144320',
      '# TYPE s summary',
      's{quantile="0.5"} 4773',
      's_sum 1.7560473e+07',
      's_count 2693',
      ''
    ].join('\n'))
    expect(f.get('http_requests_total')?.samples).toHaveLength(2)
    expect(f.get('msdos_file_access_time_seconds')?.samples[0].labels.error).toBe('Cannot find file:\n"FILE.TXT"')
    expect(f.get('something_weird')?.samples[0].value).toBe(Infinity)
    expect(Number.isNaN(f.get('nan_gauge')?.samples[0].value)).toBe(true)
    expect(f.get('h')?.samples).toHaveLength(4)
  })
})

describe('GET /metrics of a running daemon', () => {
  it('is valid Prometheus text exposition with immune_* and libp2p metrics', async () => {
    const { families, contentType } = await scrape()
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/)
    const names = [...families.keys()]
    const immune = names.filter((n) => n.startsWith('immune_'))
    const libp2p = names.filter((n) => n.startsWith('libp2p_'))
    expect(immune.length).toBeGreaterThanOrEqual(10)
    expect(libp2p.length).toBeGreaterThanOrEqual(5)
    for (const n of ['immune_detector_observations_total', 'immune_detector_observe_seconds', 'immune_api_verdicts_total', 'immune_respond_decisions_total', 'immune_profile_contexts', 'immune_respond_threat_level']) {
      expect(families.has(n), n).toBe(true)
    }
    // every family the node defines is exposed (immune_respond_failures_total used never to be)
    for (const n of METRIC_FAMILIES) expect(families.has(n), n).toBe(true)
    expect(families.get('immune_detector_observe_seconds')?.type).toBe('histogram')
    // every immune_* family is documented and typed
    for (const n of immune) {
      expect(families.get(n)?.help, n).toBeTruthy()
      expect(families.get(n)?.type, n).not.toBe('untyped')
    }
  })

  it('follows what the node does: observations, verdicts, contexts, decisions', async () => {
    const gen = createNormalTraffic({ cell: 'shop', seed: 3 })
    expect((await postJson(node.apiUrl, '/v1/observe', gen(MIN_OBS * NORMAL_ENDPOINTS))).status).toBe(200)
    const atk = (await postJson(node.apiUrl, '/v1/observe', sqlInjection('192.0.2.44', 'shop'))).body as { danger: number, verdict: string }
    expect(atk.danger).toBe(2)
    // the responders apply after the verdict: wait until the threat level is raised
    await waitFor('threat level raised', async () => (await getOk<{ threatLevel: number }>(node.apiUrl, '/status')).threatLevel === 2)
    const { families } = await scrape()
    const n = MIN_OBS * NORMAL_ENDPOINTS + 1
    expect(sum(families.get('immune_detector_observations_total'), { kind: 'http' })).toBe(n)
    expect(sum(families.get('immune_detector_observations_total'), { kind: 'http', danger: '2' })).toBe(1)
    expect(sum(families.get('immune_api_verdicts_total'), { verdict: 'block' })).toBe(1)
    expect(sum(families.get('immune_api_verdicts_total'), { verdict: 'allow' })).toBe(n - 1)
    const h = families.get('immune_detector_observe_seconds')
    expect(sum(h, { kind: 'http' }, 'immune_detector_observe_seconds_count')).toBe(n)
    expect(sum(families.get('immune_profile_contexts'), { phase: 'guarding' })).toBe(NORMAL_ENDPOINTS)
    // the default level-2 rule: log, block-source, raise-threat; one verdict blocks the request, not yet its source (policy.sourceBan)
    expect(sum(families.get('immune_respond_decisions_total'), { action: 'log' })).toBe(1)
    expect(sum(families.get('immune_respond_decisions_total'), { action: 'block-source' })).toBe(0)
    expect(sum(families.get('immune_respond_decisions_active'), { action: 'raise-threat' })).toBe(1)
    // raised by the local level-2 event (raise-threat applies after the verdict): 2, under attack
    expect(sum(families.get('immune_respond_threat_level'))).toBe(2)
  })
})
