/**
 * The outputs of `immune-sim run`: results.json, timeseries.csv and a
 * self-contained report.html (inline SVG plots, inline CSS, no scripts, no
 * external assets), plus the short human summary. All deterministic: the same
 * scenario and seed give byte-identical files (no wall-clock figures inside).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SERIES_COLUMNS } from '../run/index.js'
import type { RunMetrics, SeriesRow } from '../run/index.js'
import type { ScenarioRun } from '../run/index.js'
import { escapeXml, lineChart } from './svg-plot.js'
import type { PlotSeries } from './svg-plot.js'

export const RESULTS_FILE = 'results.json'
export const SERIES_FILE = 'timeseries.csv'
export const REPORT_FILE = 'report.html'

export function resultsJson (run: ScenarioRun): string {
  return JSON.stringify(run.results, null, 2) + '\n'
}

const cell = (v: number | null): string => v == null ? '' : String(v)

export function seriesCsv (run: ScenarioRun): string {
  const lines = ['run,' + SERIES_COLUMNS.join(',')]
  for (const mode of ['baseline', 'mesh'] as const) {
    for (const row of run.series[mode]) lines.push(mode + ',' + row.map(cell).join(','))
  }
  return lines.join('\n') + '\n'
}

const col = (name: typeof SERIES_COLUMNS[number]): number => SERIES_COLUMNS.indexOf(name)

function points (rows: SeriesRow[], name: typeof SERIES_COLUMNS[number]): Array<[number, number | null]> {
  const t = col('t_s')
  const c = col(name)
  return rows.map(r => [r[t] ?? 0, r[c]])
}

const fmt = (v: unknown): string => {
  if (v == null) return '–'
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : String(Number(v.toPrecision(4)))
  return escapeXml(String(v))
}

const ROWS: Array<[keyof RunMetrics, string]> = [
  ['infectedFraction', 'infected (share of vulnerable members, end)'],
  ['infectedFractionAt600s', 'infected at 600 s'],
  ['peakInfectedFraction', 'peak infected'],
  ['immuneFraction', 'immune (primary attack, end)'],
  ['timeToImmune50S', 'time to 50% immune (s)'],
  ['timeToImmune90S', 'time to 90% immune (s)'],
  ['timeToImmune99S', 'time to 99% immune (s)'],
  ['alertsPublished', 'alerts published'],
  ['alertLatencyP50Ms', 'alert delivery p50 (ms)'],
  ['alertLatencyP99Ms', 'alert delivery p99 (ms)'],
  ['deliveryRatio', 'delivery ratio (honest alerts)'],
  ['messagesPerNodePerMin', 'messages per member per minute'],
  ['bytesPerNodePerMin', 'bytes per member per minute'],
  ['falseBlocks', 'false blocks of normal traffic'],
  ['honestHarmed', 'honest members harmed by lies'],
  ['blacklistPrecision', 'blacklisting precision'],
  ['blacklistRecall', 'blacklisting recall'],
  ['selfishPrecision', 'selfish detection precision'],
  ['selfishRecall', 'selfish detection recall'],
  ['renewalsCleaned', 'renewals that cleaned an infection'],
  ['events', 'events processed']
]

export function reportHtml (run: ScenarioRun): string {
  const r = run.results
  const b = run.series.baseline
  const m = run.series.mesh
  const plots: string[] = []
  plots.push(lineChart([
    { label: 'without the mesh', color: '#c0392b', points: points(b, 'infected_fraction') },
    { label: 'with the mesh', color: '#2471a3', points: points(m, 'infected_fraction') }
  ], { title: 'Infected share of vulnerable members', xLabel: 'time (s)', yLabel: 'infected', yMin: 0, yMax: 1 }))
  const immune: PlotSeries[] = [
    { label: 'with the mesh', color: '#1e8449', points: points(m, 'immune_fraction') },
    { label: 'without the mesh', color: '#7f8c8d', points: points(b, 'immune_fraction'), dashed: true }
  ]
  if (immune.some(s => s.points.some(p => p[1] != null))) {
    plots.push(lineChart(immune, { title: 'Immunity: share of vulnerable members holding the signature', xLabel: 'time (s)', yLabel: 'immune', yMin: 0, yMax: 1 }))
  }
  const rep: PlotSeries[] = [
    { label: 'honest peers', color: '#1e8449', points: points(m, 'rep_honest') },
    { label: 'liars', color: '#c0392b', points: points(m, 'rep_liars') },
    { label: 'sybils', color: '#8e44ad', points: points(m, 'rep_sybils') }
  ].filter(s => s.points.some(p => p[1] != null))
  if (rep.length > 0) {
    plots.push(lineChart(rep, { title: 'Reputation E as seen by honest members (mean)', xLabel: 'time (s)', yLabel: 'E', yMin: 0, yMax: 1 }))
  }
  const t = col('t_s')
  const msg = col('messages')
  const rate: Array<[number, number | null]> = m.map((row, i) => {
    if (i === 0) return [row[t] ?? 0, null]
    const dt = ((row[t] ?? 0) - (m[i - 1][t] ?? 0)) / 60
    return [row[t] ?? 0, dt > 0 ? ((row[msg] ?? 0) - (m[i - 1][msg] ?? 0)) / r.nodes / dt : null]
  })
  plots.push(lineChart([{ label: 'with the mesh', color: '#2471a3', points: rate }], { title: 'Messages per member per minute', xLabel: 'time (s)', yLabel: 'messages/min' }))

  const rows = ROWS.map(([k, label]) => `<tr><td>${escapeXml(label)}</td><td>${fmt(r.baseline[k])}</td><td>${fmt(r.mesh[k])}</td></tr>`).join('\n')
  const attacks = r.mesh.attacks.map((a, i) => {
    const ba = r.baseline.attacks[i]
    return `<tr><td>${escapeXml(a.name)}</td><td>${escapeXml(a.kind)}</td><td>${fmt(ba?.infectedFraction)}</td><td>${fmt(a.infectedFraction)}</td><td>${fmt(a.immuneFraction)}</td><td>${fmt(a.timeToImmune90S)}</td></tr>`
  }).join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>immune-sim: ${escapeXml(r.scenario)}</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}td:first-child,th:first-child{text-align:left}svg{display:block;margin:1rem 0}code{background:#f4f4f4;padding:0 .2rem}</style>
</head><body>
<h1>immune-sim: ${escapeXml(r.scenario)}</h1>
<p>${escapeXml(r.description)}</p>
<p>${r.nodes.toLocaleString('en-US')} members (${r.vulnerable.toLocaleString('en-US')} vulnerable, ${r.detectors.toLocaleString('en-US')} with a detector${r.sybils > 0 ? `, plus ${r.sybils.toLocaleString('en-US')} sybils` : ''}), ${r.durationS} s of virtual time, seed ${r.seed}.
Detection: TPR ${r.detection.tpr}, FPR ${r.detection.fpr} (${escapeXml(r.detection.source)}).</p>
<table><thead><tr><th>figure</th><th>without the mesh</th><th>with the mesh</th></tr></thead><tbody>
${rows}
</tbody></table>
${plots.join('\n')}
<h2>Attacks</h2>
<table><thead><tr><th>attack</th><th>kind</th><th>infected without</th><th>infected with</th><th>immune with</th><th>90% immune at (s)</th></tr></thead><tbody>
${attacks}
</tbody></table>
<p>Files: <code>${RESULTS_FILE}</code> (all figures and the resolved scenario), <code>${SERIES_FILE}</code> (time series). Model and limits: docs/simulator.md.</p>
</body></html>
`
}

/** Write results.json, timeseries.csv and report.html into dir (created if needed). Returns the paths. */
export function writeReports (dir: string, run: ScenarioRun): string[] {
  mkdirSync(dir, { recursive: true })
  const files: Array<[string, string]> = [[RESULTS_FILE, resultsJson(run)], [SERIES_FILE, seriesCsv(run)], [REPORT_FILE, reportHtml(run)]]
  return files.map(([name, text]) => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  })
}

const pct = (v: number | null): string => v == null ? '–' : `${(100 * v).toFixed(v < 0.001 && v > 0 ? 3 : 1)}%`
const num = (v: number | null, unit = ''): string => v == null ? '–' : `${Number(v.toPrecision(4)).toLocaleString('en-US')}${unit}`

/** A few lines for a person. */
export function summaryText (run: ScenarioRun): string {
  const r = run.results
  const line = (label: string, b: string, m: string): string => `  ${label.padEnd(34)} ${b.padStart(14)} ${m.padStart(14)}`
  const out = [
    `${r.scenario}: ${r.nodes.toLocaleString('en-US')} members, ${r.durationS} s, seed ${r.seed}`,
    line('', 'without mesh', 'with mesh'),
    line('infected (end)', pct(r.baseline.infectedFraction), pct(r.mesh.infectedFraction)),
    line('infected at 600 s', pct(r.baseline.infectedFractionAt600s), pct(r.mesh.infectedFractionAt600s)),
    line('immune (end)', pct(r.baseline.immuneFraction), pct(r.mesh.immuneFraction)),
    line('time to 90% immune', num(r.baseline.timeToImmune90S, ' s'), num(r.mesh.timeToImmune90S, ' s')),
    line('alert delivery p99', num(r.baseline.alertLatencyP99Ms, ' ms'), num(r.mesh.alertLatencyP99Ms, ' ms')),
    line('messages per member per minute', num(r.baseline.messagesPerNodePerMin), num(r.mesh.messagesPerNodePerMin)),
    line('false blocks', num(r.baseline.falseBlocks), num(r.mesh.falseBlocks)),
    line('honest members harmed by lies', num(r.baseline.honestHarmed), num(r.mesh.honestHarmed))
  ]
  if (r.mesh.blacklistPrecision != null || r.mesh.blacklistRecall != null) out.push(line('blacklisting precision / recall', '–', `${num(r.mesh.blacklistPrecision)} / ${num(r.mesh.blacklistRecall)}`))
  if (r.mesh.selfishPrecision != null || r.mesh.selfishRecall != null) out.push(line('selfish precision / recall', '–', `${num(r.mesh.selfishPrecision)} / ${num(r.mesh.selfishRecall)}`))
  return out.join('\n') + '\n'
}
