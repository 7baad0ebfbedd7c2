/**
 * The outputs of `immune-sim run`: results.json, timeseries.csv and a
 * self-contained report.html (inline SVG plots, inline CSS, no scripts, no
 * external assets, a Content-Security-Policy that allows nothing else), plus
 * the short human summary. The report and the summary format numbers alike
 * (format.ts), colour each series alike in every plot (series-style.ts) and
 * explain alarming figures (notes.ts). All deterministic: the same
 * scenario and seed give byte-identical files (no wall-clock figures inside).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SERIES_COLUMNS } from '../run/index.js'
import type { RunMetrics, SeriesRow } from '../run/index.js'
import type { ScenarioRun } from '../run/index.js'
import { immunityAfterStart, primaryAttack } from './attack-figures.js'
import { bytes, count, num, pct, pctTick } from './format.js'
import { attackNote, figureNotes, startsAfterRun } from './notes.js'
import { SERIES_STYLE } from './series-style.js'
import type { SeriesName } from './series-style.js'
import { escapeXml, lineChart } from './svg-plot.js'
import type { PlotMarker, PlotSeries } from './svg-plot.js'

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

const styled = (name: SeriesName, pts: Array<[number, number | null]>, extra: Partial<PlotSeries> = {}): PlotSeries =>
  ({ ...SERIES_STYLE[name], points: pts, ...extra })

type Format = 'pct' | 'num' | 'count' | 's' | 'ms' | 'bytes'

const FORMAT: Record<Format, (v: number | null | undefined) => string> = {
  pct,
  num: (v) => num(v),
  count,
  s: (v) => num(v, ' s'),
  ms: (v) => num(v, ' ms'),
  bytes
}

type Row = [keyof RunMetrics, string, Format]

const ROWS: Row[] = [
  ['infectedFraction', 'infected (share of vulnerable members, end)', 'pct'],
  ['infectedFractionAt600s', 'infected at 600 s', 'pct'],
  ['peakInfectedFraction', 'peak infected', 'pct'],
  ['everInfectedFraction', 'ever infected', 'pct'],
  ['immuneFraction', 'immune to the primary attack (end)', 'pct'],
  ['timeToImmune50S', 'time to 50% immune (from its start)', 's'],
  ['timeToImmune90S', 'time to 90% immune (from its start)', 's'],
  ['timeToImmune99S', 'time to 99% immune (from its start)', 's'],
  ['alertsPublished', 'alerts published', 'count'],
  ['alertLatencyP50Ms', 'alert delivery p50', 'ms'],
  ['alertLatencyP99Ms', 'alert delivery p99', 'ms'],
  ['deliveryRatio', 'delivery ratio (honest alerts)', 'pct'],
  ['messagesPerNodePerMin', 'messages per member per minute', 'num'],
  ['bytesPerNodePerMin', 'bytes per member per minute', 'bytes'],
  ['falseBlocks', 'false blocks of normal traffic', 'count'],
  ['honestHarmed', 'honest members harmed by lies', 'count'],
  ['blacklistPrecision', 'blacklisting precision', 'num'],
  ['blacklistRecall', 'blacklisting recall', 'num'],
  ['selfishPrecision', 'selfish detection precision', 'num'],
  ['selfishRecall', 'selfish detection recall', 'num'],
  ['renewalsCleaned', 'renewals that cleaned an infection', 'count'],
  ['events', 'events processed', 'count']
]

/** The value a row shows: time-to-immunity rows count from the primary attack's start, the others are the run's figures. */
function rowValue (run: RunMetrics, key: keyof RunMetrics): number | null {
  const after = key === 'timeToImmune50S' ? 'after50S' : key === 'timeToImmune90S' ? 'after90S' : key === 'timeToImmune99S' ? 'after99S' : null
  if (after != null) {
    const p = primaryAttack(run.attacks)
    return p == null || run[key] == null ? null : immunityAfterStart(p)[after]
  }
  const v = run[key]
  return typeof v === 'number' ? v : null
}

const CSS = [
  'body{font-family:sans-serif;max-width:64rem;margin:1rem auto;padding:0 1rem;color:#222;line-height:1.4}',
  'table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right;vertical-align:top}',
  'td{white-space:nowrap}td:first-child,th:first-child{text-align:left}th{background:#f6f6f6}',
  'td.note,th.note{text-align:left;white-space:normal;font-size:.85rem;color:#444;min-width:10rem}',
  // a wide table scrolls inside its own box (fonts differ between browsers): the page never goes sideways
  'div.wide{max-width:100%;overflow-x:auto}',
  'table.figures td:first-child{white-space:normal;min-width:15rem}',
  'tr.not-run td{color:#888}tr.alarm td{background:#fff4e0}tr.alarm td.value-mesh{font-weight:bold;color:#8a3b00}',
  'svg{display:block;margin:1rem 0;max-width:100%;height:auto}code{background:#f4f4f4;padding:0 .2rem}',
  'ul.glance li{margin:.2rem 0}p.plot-note{font-size:.85rem;color:#555;margin:-.5rem 0 1.5rem}'
].join('')

export function reportHtml (run: ScenarioRun): string {
  const r = run.results
  const b = run.series.baseline
  const m = run.series.mesh
  const notes = figureNotes(r)
  const attacksList = r.mesh.attacks
  const markers: PlotMarker[] = attacksList.flatMap((a, i) => startsAfterRun(a, r.durationS) ? [] : [{ x: a.startS, label: String(i + 1) }])
  const markerLegend = markers.length > 0 ? `dotted: where attack${attacksList.length > 1 ? 's start (numbers as in the Attacks table)' : ' 1 starts'}` : undefined
  const timeAxis = { xLabel: 'time (s)', width: 720, markers, ...(markerLegend != null ? { markerLegend } : {}) }

  const plots: string[] = []
  // infections on a log axis: with the mesh they are often a few members in 100,000, invisible on a linear one
  const floor = Math.pow(10, Math.floor(Math.log10(1 / Math.max(1, r.vulnerable))))
  plots.push(lineChart([
    styled('baseline', points(b, 'infected_fraction')),
    styled('mesh', points(m, 'infected_fraction'))
  ], { ...timeAxis, title: 'Infected share of the vulnerable members', yLabel: 'infected', yScale: 'log', yMin: floor, yMax: 1, yFormat: pctTick }))
  plots.push(`<p class="plot-note">Log scale: each grid line is ten times the one below; the bottom line is 0 (no member infected); one member is ${pct(1 / Math.max(1, r.vulnerable))}.</p>`)
  const immune: PlotSeries[] = [styled('baseline', points(b, 'immune_fraction')), styled('mesh', points(m, 'immune_fraction'))]
  if (immune.some(s => s.points.some(p => p[1] != null))) {
    const p = primaryAttack(attacksList)
    plots.push(lineChart(immune, { ...timeAxis, title: `Immunity to ${p?.name ?? 'the primary attack'}: share of the vulnerable members holding its signature`, yLabel: 'immune', yMin: 0, yMax: 1, yFormat: pctTick }))
  }
  const rep: PlotSeries[] = [
    styled('honest', points(m, 'rep_honest'), { connectGaps: true }),
    styled('liars', points(m, 'rep_liars'), { connectGaps: true }),
    styled('sybils', points(m, 'rep_sybils'), { connectGaps: true })
  ].filter(s => s.points.some(p => p[1] != null))
  if (rep.length > 0) {
    plots.push(lineChart(rep, { ...timeAxis, title: 'Reputation E of peers as honest members see them (mean, with the mesh)', yLabel: 'E', yMin: 0, yMax: 1 }))
  }
  const t = col('t_s')
  const msg = col('messages')
  const rate: Array<[number, number | null]> = m.map((row, i) => {
    if (i === 0) return [row[t] ?? 0, null]
    const dt = ((row[t] ?? 0) - (m[i - 1][t] ?? 0)) / 60
    return [row[t] ?? 0, dt > 0 ? ((row[msg] ?? 0) - (m[i - 1][msg] ?? 0)) / r.nodes / dt : null]
  })
  plots.push(lineChart([styled('mesh', rate)], { ...timeAxis, title: 'Messages per member per minute', yLabel: 'messages/min' }))

  const alarms = Object.keys(notes).length
  const noteCell = (note: string | null | undefined): string => alarms > 0 || note != null ? `<td class="note">${note != null ? escapeXml(note) : ''}</td>` : ''
  const rows = ROWS.map(([k, label, f]) => {
    const bv = rowValue(r.baseline, k)
    const mv = rowValue(r.mesh, k)
    const note = notes[k]
    if (bv == null && mv == null && note == null) return ''
    return `<tr${note != null ? ' class="alarm"' : ''}><td>${escapeXml(label)}</td><td>${FORMAT[f](bv)}</td><td class="value-mesh">${note != null ? '⚠ ' : ''}${FORMAT[f](mv)}</td>${noteCell(note)}</tr>`
  }).filter(x => x !== '').join('\n')
  const attackNotes = attacksList.map(a => attackNote(a, r.durationS))
  const anyAttackNote = attackNotes.some(n => n != null) || attacksList.some(a => startsAfterRun(a, r.durationS))
  const attacks = attacksList.map((a, i) => {
    if (startsAfterRun(a, r.durationS)) {
      return `<tr class="not-run"><td>${i + 1}</td><td>${escapeXml(a.name)}</td><td>${escapeXml(a.kind)}</td><td>${num(a.startS, ' s')}</td><td colspan="6">–</td>${anyAttackNote ? `<td class="note">starts after the run ends (${count(r.durationS)} s): not simulated</td>` : ''}</tr>`
    }
    const ba = r.baseline.attacks[i]
    const after = immunityAfterStart(a)
    const note = attackNotes[i]
    return `<tr${note != null ? ' class="alarm"' : ''}><td>${i + 1}</td><td>${escapeXml(a.name)}</td><td>${escapeXml(a.kind)}</td><td>${num(a.startS, ' s')}</td><td>${pct(ba?.infectedFraction)}</td><td class="value-mesh">${note != null ? '⚠ ' : ''}${pct(a.infectedFraction)}</td><td>${pct(a.immuneFraction)}</td>` +
      `<td>${num(after.after50S, ' s')}</td><td>${num(after.after90S, ' s')}</td><td>${num(after.after99S, ' s')}</td>${anyAttackNote ? `<td class="note">${note != null ? escapeXml(note) : ''}</td>` : ''}</tr>`
  }).join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>immune-sim: ${escapeXml(r.scenario)}</title>
<style>${CSS}</style>
</head><body>
<h1>immune-sim: ${escapeXml(r.scenario)}</h1>
<p>${escapeXml(r.description)}</p>
<p>${count(r.nodes)} members (${count(r.vulnerable)} vulnerable, ${count(r.detectors)} with a detector${r.sybils > 0 ? `, plus ${count(r.sybils)} sybils` : ''}), ${count(r.durationS)} s of virtual time, seed ${r.seed}.
Detection: TPR ${r.detection.tpr}, FPR ${r.detection.fpr} (${escapeXml(r.detection.source)}).</p>
<h2>At a glance</h2>
<ul class="glance">
${glance(r, alarms).map(x => `<li>${x}</li>`).join('\n')}
</ul>
<h2>Figures</h2>
<div class="wide"><table class="figures"><thead><tr><th>figure</th><th>without the mesh</th><th>with the mesh</th>${alarms > 0 ? '<th class="note">what the alarming figures mean</th>' : ''}</tr></thead><tbody>
${rows}
</tbody></table></div>
<h2>Over time</h2>
${plots.join('\n')}
<h2>Attacks</h2>
<div class="wide"><table class="attacks"><thead>
<tr><th rowspan="2">#</th><th rowspan="2">attack</th><th rowspan="2">kind</th><th rowspan="2">starts at</th><th colspan="2">infected (end)</th><th rowspan="2">immune with<br>the mesh</th><th colspan="3">immune with the mesh, after its start</th>${anyAttackNote ? '<th rowspan="2" class="note">note</th>' : ''}</tr>
<tr><th>without</th><th>with</th><th>50%</th><th>90%</th><th>99%</th></tr>
</thead><tbody>
${attacks}
</tbody></table></div>
<p>Shares of members are of the vulnerable members; immunity counts members that hold the attack's signature and are not infected. Files: <code>${RESULTS_FILE}</code> (all figures and the resolved scenario), <code>${SERIES_FILE}</code> (time series). Model and limits: docs/simulator.md.</p>
</body></html>
`
}

/** The few sentences a person reads first. */
function glance (r: ScenarioRun['results'], alarms: number): string[] {
  const out = [`Infected at the end: <b>${pct(r.baseline.infectedFraction)}</b> of the vulnerable members without the mesh, <b>${pct(r.mesh.infectedFraction)}</b> with it (peak ${pct(r.baseline.peakInfectedFraction)} / ${pct(r.mesh.peakInfectedFraction)}).`]
  const p = primaryAttack(r.mesh.attacks)
  if (p != null && p.immuneFraction != null) {
    const t = immunityAfterStart(p)
    out.push(t.after90S != null
      ? `With the mesh, 90% of the vulnerable members held the signature of ${escapeXml(p.name)} <b>${num(t.after90S, ' s')}</b> after it started (50%: ${num(t.after50S, ' s')}, 99%: ${t.after99S == null ? 'never reached' : num(t.after99S, ' s')}).`
      : `With the mesh, 90% immunity to ${escapeXml(p.name)} was never reached (${pct(p.immuneFraction)} at the end).`)
  }
  out.push(`Cost: ${num(r.mesh.messagesPerNodePerMin)} messages (${bytes(r.mesh.bytesPerNodePerMin)}) per member per minute; ${count(r.mesh.alertsPublished)} alerts published.`)
  out.push(alarms > 0 ? `<b>${alarms} figure${alarms > 1 ? 's' : ''} to look at</b>, marked ⚠ in the table below, each with what it means.` : 'No figure beyond the alarm thresholds.')
  return out
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

/** A few lines for a person. */
export function summaryText (run: ScenarioRun): string {
  const r = run.results
  const line = (label: string, b: string, m: string): string => `  ${label.padEnd(36)} ${b.padStart(14)} ${m.padStart(14)}`
  const out = [
    `${r.scenario}: ${r.nodes.toLocaleString('en-US')} members, ${r.durationS} s, seed ${r.seed}`,
    line('', 'without mesh', 'with mesh'),
    line('infected (end)', pct(r.baseline.infectedFraction), pct(r.mesh.infectedFraction)),
    line('infected at 600 s', pct(r.baseline.infectedFractionAt600s), pct(r.mesh.infectedFractionAt600s)),
    line('immune (end)', pct(r.baseline.immuneFraction), pct(r.mesh.immuneFraction)),
    line('time to 90% immune (from its start)', num(rowValue(r.baseline, 'timeToImmune90S'), ' s'), num(rowValue(r.mesh, 'timeToImmune90S'), ' s')),
    line('alert delivery p99', num(r.baseline.alertLatencyP99Ms, ' ms'), num(r.mesh.alertLatencyP99Ms, ' ms')),
    line('messages per member per minute', num(r.baseline.messagesPerNodePerMin), num(r.mesh.messagesPerNodePerMin)),
    line('false blocks', count(r.baseline.falseBlocks), count(r.mesh.falseBlocks)),
    line('honest members harmed by lies', count(r.baseline.honestHarmed), count(r.mesh.honestHarmed))
  ]
  if (r.mesh.blacklistPrecision != null || r.mesh.blacklistRecall != null) out.push(line('blacklisting precision / recall', '–', `${num(r.mesh.blacklistPrecision)} / ${num(r.mesh.blacklistRecall)}`))
  if (r.mesh.selfishPrecision != null || r.mesh.selfishRecall != null) out.push(line('selfish precision / recall', '–', `${num(r.mesh.selfishPrecision)} / ${num(r.mesh.selfishRecall)}`))
  return out.join('\n') + '\n'
}
