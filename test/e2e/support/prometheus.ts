/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/), for tests:
 * it throws, naming the line, on anything a Prometheus server would reject or
 * that the format forbids:
 *
 * - `# HELP <name> <text>` (escapes `\\` and `\n` only) and `# TYPE <name> <type>`
 *   with type counter|gauge|histogram|summary|untyped, each at most once per
 *   metric, TYPE before the metric's first sample; other `#` lines are comments;
 * - samples `name{label="value",...} value [timestamp]`: metric names
 *   `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*` (not `__…`),
 *   label values with the escapes `\\`, `\"`, `\n` only, no repeated label;
 *   values Go floats incl. NaN, +Inf, -Inf; timestamps integers (ms);
 * - one family's lines form one group (no interleaving with other families);
 * - no duplicate series (same name and label set);
 * - histograms: `_bucket` samples with `le`, including `le="+Inf"`, cumulative
 *   (non-decreasing in le), `_count` equal to the +Inf bucket, and `_sum`;
 *   summaries: `quantile` labels in [0, 1], `_sum` and `_count`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
  timestampMs?: number
  line: number
}

export interface MetricFamily {
  name: string
  type: MetricType
  help?: string
  samples: Sample[]
}

export class PromParseError extends Error {
  constructor (readonly line: number, message: string, readonly text: string) {
    super(`line ${line}: ${message}: ${JSON.stringify(text.slice(0, 200))}`)
    this.name = 'PromParseError'
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf)$/

export function parseFloatStrict (s: string): number | null {
  if (s === 'NaN') return NaN
  if (s === '+Inf' || s === 'Inf') return Infinity
  if (s === '-Inf') return -Infinity
  if (!FLOAT.test(s) || /inf/i.test(s)) return null
  return Number(s)
}

/** The family a sample name belongs to, given the declared types (histogram/summary suffixes). */
function familyOf (sample: string, types: Map<string, MetricType>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue
    const base = sample.slice(0, -suffix.length)
    const t = types.get(base)
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base
  }
  return sample
}

function parseLabels (text: string, lineNo: number, line: string): { labels: Record<string, string>, rest: string } {
  const labels: Record<string, string> = {}
  let i = 1 // after '{'
  const fail = (m: string): never => { throw new PromParseError(lineNo, m, line) }
  for (;;) {
    while (text[i] === ' ') i++
    if (text[i] === '}') { i++; break }
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))
    if (m == null) fail('bad label name')
    const name = m![0]
    if (!LABEL_NAME.test(name) || name.startsWith('__')) fail(`label name ${name} is not allowed`)
    if (name in labels) fail(`label ${name} repeated`)
    i += name.length
    while (text[i] === ' ') i++
    if (text[i] !== '=') fail('expected = after a label name')
    i++
    while (text[i] === ' ') i++
    if (text[i] !== '"') fail('a label value must be double-quoted')
    i++
    let value = ''
    for (;;) {
      if (i >= text.length) fail('unterminated label value')
      const c = text[i]
      if (c === '"') { i++; break }
      if (c === '\\') {
        const n = text[i + 1]
        if (n === '\\') value += '\\'
        else if (n === '"') value += '"'
        else if (n === 'n') value += '\n'
        else fail(`bad escape \\${n ?? ''} in a label value`)
        i += 2
        continue
      }
      value += c
      i++
    }
    labels[name] = value
    while (text[i] === ' ') i++
    if (text[i] === ',') { i++; continue }
    if (text[i] === '}') { i++; break }
    fail('expected , or } in a label set')
  }
  return { labels, rest: text.slice(i) }
}

const seriesKey = (name: string, labels: Record<string, string>): string =>
  name + JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]))

/** Parses a whole exposition; returns the families by name, in order of appearance. */
export function parsePrometheusText (text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>()
  const types = new Map<string, MetricType>()
  const helps = new Set<string>()
  const series = new Set<string>()
  const finished = new Set<string>()
  let current: string | null = null
  if (text.length > 0 && !text.endsWith('\n')) throw new PromParseError(text.split('\n').length, 'the exposition must end with a newline', text.slice(-100))
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()

  const family = (name: string, lineNo: number, line: string): MetricFamily => {
    if (current !== name) {
      if (finished.has(name)) throw new PromParseError(lineNo, `lines of ${name} are not in one group`, line)
      if (current != null) finished.add(current)
      current = name
    }
    let f = families.get(name)
    if (f == null) {
      f = { name, type: types.get(name) ?? 'untyped', samples: [] }
      families.set(name, f)
    }
    return f
  }

  lines.forEach((line, idx) => {
    const lineNo = idx + 1
    if (line.trim() === '') return
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line)
      if (m == null) return // a plain comment
      const [, kind, name, restRaw] = m
      const rest = restRaw ?? ''
      if (!METRIC_NAME.test(name)) throw new PromParseError(lineNo, `bad metric name ${name}`, line)
      const f = family(name, lineNo, line)
      if (kind === 'HELP') {
        if (helps.has(name)) throw new PromParseError(lineNo, `second HELP for ${name}`, line)
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new PromParseError(lineNo, 'bad escape in HELP text', line)
        helps.add(name)
        f.help = rest.replace(/\\(\\|n)/g, (_x, c: string) => c === 'n' ? '\n' : '\\')
      } else {
        const t = rest.trim() as MetricType
        if (!TYPES.has(t)) throw new PromParseError(lineNo, `unknown type ${rest}`, line)
        if (types.has(name)) throw new PromParseError(lineNo, `second TYPE for ${name}`, line)
        if (f.samples.length > 0) throw new PromParseError(lineNo, `TYPE for ${name} after its samples`, line)
        types.set(name, t)
        f.type = t
      }
      return
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)
    if (nm == null) throw new PromParseError(lineNo, 'a sample must start with a metric name', line)
    const name = nm[0]
    let rest = line.slice(name.length)
    let labels: Record<string, string> = {}
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, lineNo, line))
    if (!/^ +\S/.test(rest)) throw new PromParseError(lineNo, 'expected a space and a value after the metric', line)
    const parts = rest.trim().split(/ +/)
    if (parts.length > 2) throw new PromParseError(lineNo, 'trailing text after value and timestamp', line)
    const value = parseFloatStrict(parts[0])
    if (value === null) throw new PromParseError(lineNo, `bad value ${parts[0]}`, line)
    let timestampMs: number | undefined
    if (parts.length === 2) {
      if (!/^-?\d+$/.test(parts[1])) throw new PromParseError(lineNo, `bad timestamp ${parts[1]}`, line)
      timestampMs = Number(parts[1])
    }
    const fname = familyOf(name, types)
    const f = family(fname, lineNo, line)
    const key = seriesKey(name, labels)
    if (series.has(key)) throw new PromParseError(lineNo, `duplicate series ${name}${JSON.stringify(labels)}`, line)
    series.add(key)
    if (f.type === 'histogram' && name === `${fname}_bucket` && !('le' in labels)) throw new PromParseError(lineNo, 'a histogram bucket needs an le label', line)
    if (f.type === 'summary' && name === fname) {
      const q = labels.quantile == null ? NaN : parseFloatStrict(labels.quantile)
      if (q == null || !(q >= 0 && q <= 1)) throw new PromParseError(lineNo, 'a summary sample needs a quantile label in [0, 1]', line)
    }
    if ((f.type === 'counter') && (value < 0 || Number.isNaN(value))) throw new PromParseError(lineNo, 'a counter cannot be negative or NaN', line)
    f.samples.push({ name, labels, value, ...(timestampMs != null ? { timestampMs } : {}), line: lineNo })
  })

  for (const f of families.values()) {
    if (f.type === 'histogram') checkHistogram(f)
    if (f.type === 'summary') {
      const groups = groupBy(f.samples, 'quantile')
      for (const [k, ss] of groups) {
        if (!ss.some((s) => s.name === `${f.name}_sum`) || !ss.some((s) => s.name === `${f.name}_count`)) throw new PromParseError(ss[0].line, `summary ${f.name}${k} lacks _sum or _count`, '')
      }
    }
  }
  return families
}

function groupBy (samples: Sample[], drop: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>()
  for (const s of samples) {
    const rest = { ...s.labels }
    delete rest[drop]
    const k = JSON.stringify(Object.keys(rest).sort().map((x) => [x, rest[x]]))
    out.set(k, [...(out.get(k) ?? []), s])
  }
  return out
}

function checkHistogram (f: MetricFamily): void {
  for (const [k, ss] of groupBy(f.samples, 'le')) {
    const buckets = ss.filter((s) => s.name === `${f.name}_bucket`).map((s) => {
      const le = parseFloatStrict(s.labels.le)
      if (le == null || Number.isNaN(le)) throw new PromParseError(s.line, `bad le ${s.labels.le}`, '')
      return { le, v: s.value, line: s.line }
    }).sort((a, b) => a.le - b.le)
    const count = ss.find((s) => s.name === `${f.name}_count`)
    const sum = ss.find((s) => s.name === `${f.name}_sum`)
    const line = ss[0].line
    if (buckets.length === 0 || buckets[buckets.length - 1].le !== Infinity) throw new PromParseError(line, `histogram ${f.name}${k} has no le="+Inf" bucket`, '')
    for (let i = 1; i < buckets.length; i++) if (buckets[i].v < buckets[i - 1].v) throw new PromParseError(buckets[i].line, `histogram ${f.name}${k} buckets are not cumulative`, '')
    if (count == null || sum == null) throw new PromParseError(line, `histogram ${f.name}${k} lacks _sum or _count`, '')
    if (count.value !== buckets[buckets.length - 1].v) throw new PromParseError(count.line, `histogram ${f.name}${k}: _count ${count.value} differs from the +Inf bucket ${buckets[buckets.length - 1].v}`, '')
  }
}
