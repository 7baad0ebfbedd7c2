/**
 * Names for the innate layer's signals in the benchmarks' breakdowns: a
 * grammar, or one of the signals added by the issue-10 follow-up (the probe
 * grammar's kinds and the weak signals inside values), so that each one's
 * contribution (and false positives) is counted apart. Reporting only.
 */
import type { InnateFinding } from '../../node/innate/index.js'

/** The signals added by the follow-up, as signalOf names them. */
export const NEW_SIGNALS = ['probe:backup copy', 'probe:source file', 'probe:file stream', 'probe:metadata', 'probe:configuration or data', 'probe:static file as directory',
  'probe:method', 'path:inside', 'html:link-in-text', 'sql:bare-word'] as const

export function signalOf (f: Pick<InnateFinding, 'grammar' | 'context' | 'location'>): string {
  if (f.grammar === 'probe') return f.location === 'method' ? 'probe:method' : `probe:${f.context.replace(/^URL path \((.*)\)$/, '$1')}`
  if (f.grammar === 'path' && f.context === 'file name (inside the value)') return 'path:inside'
  if (f.grammar === 'html' && f.context === 'link in text') return 'html:link-in-text'
  if (f.grammar === 'sql' && f.context === 'bare word') return 'sql:bare-word'
  return f.grammar
}

/** Adds one to counts[key]. */
export function bump (counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}
