/**
 * The feature vector of a process sample: the eight ProcessMetrics in a fixed
 * order, with log1p on the byte and byte-rate metrics (their spread grows
 * with their level, so equal ratios should look equally far apart; the
 * isolation forest also draws split points uniformly between min and max,
 * which on a raw byte scale would spend nearly every split on the top decade).
 */
import type { ProcessMetrics } from '../observation.js'

export type ProcessMetricName = keyof ProcessMetrics

/** Every metric, in vector order. */
export const PROCESS_METRIC_NAMES: readonly ProcessMetricName[] = Object.freeze([
  'cpuPct', 'rssBytes', 'threads', 'openFiles', 'sockets', 'readBytesPerSec', 'writeBytesPerSec', 'children'
] as ProcessMetricName[])

export const PROCESS_DIMS = PROCESS_METRIC_NAMES.length

export type MetricTransform = 'identity' | 'log1p'

export function applyTransform (t: MetricTransform, x: number): number {
  // byte counts cannot be negative; clamping keeps log1p finite
  return t === 'log1p' ? Math.log1p(x > 0 ? x : 0) : x
}

export function invertTransform (t: MetricTransform, y: number): number {
  return t === 'log1p' ? Math.expm1(y) : y
}

/** Compact human form: 3 significant digits; k from 10^4, M from 10^6, G from 10^9. */
export function formatMetric (x: number): string {
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  if (a >= 1e9) return `${+(x / 1e9).toPrecision(3)}G`
  if (a >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`
  if (a >= 1e4) return `${+(x / 1e3).toPrecision(3)}k`
  if (a >= 100) return String(Math.round(x))
  return String(+x.toPrecision(2 + (a >= 10 ? 1 : 0)))
}
