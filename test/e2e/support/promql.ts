/**
 * What a PromQL expression reads, for tests of the fleet files (Grafana
 * dashboard, alert rules): parsed with the Prometheus project's own grammar
 * (@prometheus-io/lezer-promql, the parser behind Prometheus' web UI), since
 * promtool is not on this machine. A syntax error throws, naming where.
 */
import { parser } from '@prometheus-io/lezer-promql'

type SyntaxNode = ReturnType<typeof parser.parse>['topNode']

export interface LabelMatcher {
  label: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
}

export interface Selector {
  /** The metric name (a selector without one, `{__name__=~…}`, is refused: it cannot be checked). */
  metric: string
  matchers: LabelMatcher[]
}

export interface PromqlReads {
  selectors: Selector[]
  /** Label names the expression groups or joins on (by, without, on, ignoring, group_left/right). */
  groupingLabels: string[]
}

export class PromqlError extends Error {
  constructor (readonly expr: string, readonly at: number, message: string) {
    super(`${message} at offset ${at}: ${expr.slice(Math.max(0, at - 30), at)}⟨here⟩${expr.slice(at, at + 30)}`)
    this.name = 'PromqlError'
  }
}

/** Grafana's built-in variables, replaced by a value of their kind before parsing (they are not PromQL). */
export function substituteGrafanaVariables (expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{?__(interval_ms|range_s|range_ms)\}?/g, '300')
}

function unquote (s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1)
  return JSON.parse(s.startsWith("'") ? `"${s.slice(1, -1).replace(/"/g, '\\"')}"` : s) as string
}

export function promqlReads (expr: string): PromqlReads {
  const tree = parser.parse(expr)
  const selectors: Selector[] = []
  const grouping = new Set<string>()
  const text = (n: SyntaxNode): string => expr.slice(n.from, n.to)
  let error: PromqlError | null = null
  tree.iterate({
    enter: (ref) => {
      if (error != null) return false
      if (ref.type.isError) { error = new PromqlError(expr, ref.from, 'syntax error'); return false }
      const n = ref.node
      if (ref.name === 'VectorSelector') {
        const id = n.getChild('Identifier')
        if (id == null) { error = new PromqlError(expr, ref.from, 'a selector without a metric name'); return false }
        const matchers: LabelMatcher[] = []
        for (const m of n.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
          const label = m.getChild('LabelName'); const op = m.getChild('MatchOp'); const value = m.getChild('StringLiteral')
          if (label == null || op == null || value == null) { error = new PromqlError(expr, m.from, 'a label matcher it cannot read'); return false }
          matchers.push({ label: text(label), op: text(op) as LabelMatcher['op'], value: unquote(text(value)) })
        }
        if ((n.getChild('LabelMatchers')?.getChildren('QuotedLabelMatcher').length ?? 0) > 0) { error = new PromqlError(expr, ref.from, 'quoted label names are not used here'); return false }
        selectors.push({ metric: text(id), matchers })
      }
      if (ref.name === 'GroupingLabels') {
        for (const l of n.getChildren('LabelName')) grouping.add(text(l))
      }
      return undefined
    }
  })
  if (error != null) throw error as PromqlError
  if (selectors.length === 0) throw new PromqlError(expr, 0, 'reads no metric')
  return { selectors, groupingLabels: [...grouping] }
}
