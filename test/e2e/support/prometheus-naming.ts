/**
 * Prometheus' naming rules (https://prometheus.io/docs/practices/naming/ and
 * the OpenMetrics suffix rules), as a pure check the tests run over every
 * family the node defines (METRIC_FAMILIES) and over what the fleet files
 * query:
 *
 * - N1 a name is lower-case snake_case `[a-z_][a-z0-9_]*` (no colons: those are
 *   for recording rules), prefixed `immune_<subsystem>_` with a known subsystem
 *   (or exactly `immune_build_info`);
 * - N2 `_total` ends counters and only counters; a counter of a unit puts the
 *   unit before it (`_seconds_total`);
 * - N3 `_count`, `_sum`, `_bucket` (and `_created`) are the suffixes Prometheus
 *   adds itself: no family ends in them;
 * - N4 base units only: seconds and bytes, never ms, minutes, kilobytes...;
 *   a ratio is `_ratio` (0..1), never `_percent`; a timestamp is
 *   `_timestamp_seconds`;
 * - N5 a histogram or summary says its unit last (`_seconds`, `_bytes`,
 *   `_ratio`...), since its `_sum` is meaningless without one;
 * - N6 `_info` families are gauges (value 1, the information in the labels);
 * - N7 label names are snake_case, not reserved (`__…`), and `le`/`quantile`
 *   only where Prometheus puts them.
 */

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

/** The node's subsystems, as in `immune_<subsystem>_<name>` (docs/fleet.md lists them). */
export const SUBSYSTEMS = ['api', 'detector', 'mesh', 'profile', 'reputation', 'respond', 'signatures', 'memory', 'store', 'intake', 'supervisor', 'sensors', 'innate', 'brain'] as const

/** Base units a name may end in (before `_total` for counters). */
export const BASE_UNITS = ['seconds', 'bytes', 'ratio', 'celsius', 'volts', 'amperes', 'joules', 'grams', 'meters', 'info'] as const

/** Non-base units and their base: a name holding one of these words is wrong. */
const NON_BASE_UNITS: Record<string, string> = {
  ms: 'seconds', millis: 'seconds', milliseconds: 'seconds', microseconds: 'seconds', us: 'seconds', nanoseconds: 'seconds', ns: 'seconds',
  sec: 'seconds', secs: 'seconds', second: 'seconds', minutes: 'seconds', mins: 'seconds', hours: 'seconds', days: 'seconds',
  kb: 'bytes', kilobytes: 'bytes', mb: 'bytes', megabytes: 'bytes', gb: 'bytes', gigabytes: 'bytes', kib: 'bytes', mib: 'bytes', bits: 'bytes', byte: 'bytes',
  percent: 'ratio', percentage: 'ratio', pct: 'ratio'
}

const RESERVED_SUFFIXES = ['_count', '_sum', '_bucket', '_created']

export interface NamingProblem {
  rule: 'N1' | 'N2' | 'N3' | 'N4' | 'N5' | 'N6' | 'N7'
  name: string
  message: string
}

export function metricNamingProblems (name: string, type: FamilyType, labelNames: readonly string[] = []): NamingProblem[] {
  const out: NamingProblem[] = []
  const p = (rule: NamingProblem['rule'], message: string): void => { out.push({ rule, name, message }) }
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) p('N1', 'not lower-case snake_case [a-z_][a-z0-9_]* (colons are for recording rules)')
  const words = name.split('_')
  if (name !== 'immune_build_info') {
    if (words[0] !== 'immune') p('N1', 'not prefixed immune_')
    else if (!(SUBSYSTEMS as readonly string[]).includes(words[1] ?? '')) p('N1', `subsystem ${JSON.stringify(words[1] ?? '')} is not one of ${SUBSYSTEMS.join(', ')}`)
    else if (words.length < 3 || words.slice(2).join('') === '') p('N1', 'no name after immune_<subsystem>_')
  }
  if (words.some((w) => w === '')) p('N1', 'empty word (double or trailing underscore)')
  const total = name.endsWith('_total')
  if (type === 'counter' && !total) p('N2', 'a counter ends in _total')
  if (type !== 'counter' && total) p('N2', `a ${type} does not end in _total (only counters do)`)
  if (words.slice(0, -1).includes('total')) p('N2', '_total appears before the end')
  for (const suffix of RESERVED_SUFFIXES) if (name.endsWith(suffix)) p('N3', `ends in ${suffix}, a suffix Prometheus adds to histograms and summaries`)
  for (const w of words) {
    const base = NON_BASE_UNITS[w]
    if (base != null) p('N4', `${JSON.stringify(w)} is not a base unit (use ${base})`)
  }
  const stem = total ? words.slice(0, -1) : words
  if (stem.includes('timestamp') && stem.at(-1) !== 'seconds') p('N4', 'a timestamp is _timestamp_seconds')
  for (const unit of ['seconds', 'bytes', 'ratio'] as const) {
    const i = stem.indexOf(unit)
    if (i >= 0 && i !== stem.length - 1) p('N4', `the unit ${unit} is not last${total ? ' (before _total)' : ''}`)
  }
  if ((type === 'histogram' || type === 'summary') && !(BASE_UNITS as readonly string[]).includes(stem.at(-1) ?? '')) {
    p('N5', `a ${type} ends in its unit (${BASE_UNITS.filter((u) => u !== 'info').join(', ')})`)
  }
  if (name.endsWith('_info') && type !== 'gauge') p('N6', 'an _info family is a gauge')
  for (const l of labelNames) {
    if (!/^[a-z_][a-z0-9_]*$/.test(l)) p('N7', `label ${JSON.stringify(l)} is not snake_case`)
    if (l.startsWith('__')) p('N7', `label ${JSON.stringify(l)} is reserved (__…)`)
    if (l === 'le' && type !== 'histogram') p('N7', 'label le is only a histogram\'s')
    if (l === 'quantile' && type !== 'summary') p('N7', 'label quantile is only a summary\'s')
  }
  return out
}

/** The family a sample or selector name belongs to (histogram and summary series carry suffixes). */
export function familyOf (name: string, families: ReadonlyMap<string, { type: string }>): string | null {
  if (families.has(name)) return name
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (!name.endsWith(suffix)) continue
    const base = name.slice(0, -suffix.length)
    const f = families.get(base)
    if (f != null && (f.type === 'histogram' || f.type === 'summary') && (suffix !== '_bucket' || f.type === 'histogram')) return base
  }
  return null
}
