/**
 * A small line chart as inline SVG (no external assets, no scripts): axes
 * with round ticks, a linear or logarithmic y axis, one polyline per series
 * (null values break the line unless the series connects across them),
 * vertical markers (e.g. where attacks start), a legend. Deterministic output
 * for the same input.
 */

export interface PlotSeries {
  label: string
  color: string
  points: Array<[number, number | null]>
  dashed?: boolean
  /** Draw one line through the non-null points (a series sampled less often than the others). */
  connectGaps?: boolean
}

export interface PlotMarker {
  x: number
  /** A short label drawn at the top of the line (e.g. the attack's number). */
  label: string
}

export interface PlotOptions {
  title: string
  xLabel: string
  yLabel: string
  width?: number
  height?: number
  /** Fixed y range (default: from the data, starting at 0). With `yScale: 'log'`, yMin is the lowest decade shown (> 0). */
  yMin?: number
  yMax?: number
  /**
   * `log`: decades from yMin to yMax; values at or below 0 are drawn on a
   * line half a decade under yMin labelled "0", so "none" stays visible and
   * distinct from "a few".
   */
  yScale?: 'linear' | 'log'
  /** Tick label for a y value (default: a compact number). */
  yFormat?: (v: number) => string
  markers?: PlotMarker[]
  /** One line under the legend saying what the markers are. */
  markerLegend?: string
}

export function escapeXml (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Round tick values covering [lo, hi]. */
export function niceTicks (lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1
  const raw = (hi - lo) / count
  const mag = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) ?? 10 * mag
  const out: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

/** Powers of ten from lo to hi (both > 0). */
export function decadeTicks (lo: number, hi: number): number[] {
  const out: number[] = []
  for (let e = Math.floor(Math.log10(lo) + 1e-9); e <= Math.ceil(Math.log10(hi) - 1e-9); e++) out.push(Number(Math.pow(10, e).toPrecision(12)))
  return out
}

export const compactNumber = (v: number): string => {
  const a = Math.abs(v)
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`
  return String(Number(v.toPrecision(4)))
}

export function lineChart (series: PlotSeries[], o: PlotOptions): string {
  const W = o.width ?? 640
  const H = o.height ?? 300
  const legendRows = o.markerLegend != null ? 2 : 1
  const m = { l: 64, r: 16, t: 34 + 14 * legendRows + ((o.markers?.length ?? 0) > 0 ? 8 : 0), b: 48 }
  const pw = W - m.l - m.r
  const ph = H - m.t - m.b
  const log = o.yScale === 'log'
  const yFormat = o.yFormat ?? compactNumber
  let xMax = 0
  let yLo = o.yMin ?? 0
  let yHi = o.yMax ?? -Infinity
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (x > xMax) xMax = x
      if (y != null && o.yMax == null && y > yHi) yHi = y
      if (y != null && o.yMin == null && !log && y < yLo) yLo = y
    }
  }
  for (const mk of o.markers ?? []) if (mk.x > xMax) xMax = mk.x
  if (log) {
    if (!(yLo > 0)) yLo = 1e-6
    yLo = Math.pow(10, Math.floor(Math.log10(yLo) + 1e-9))
    yHi = Math.pow(10, Math.ceil(Math.log10(Math.max(yHi, yLo * 10)) - 1e-9))
  }
  if (!(yHi > yLo)) yHi = yLo + 1
  if (!(xMax > 0)) xMax = 1
  const xs = (x: number): number => m.l + (x / xMax) * pw
  // log: the decades take the plot height above half a decade reserved for 0
  const logLo = Math.log10(yLo) - 0.5
  const logHi = Math.log10(yHi)
  const ys = log
    ? (y: number): number => m.t + ph - ((y > 0 ? Math.max(Math.log10(y), logLo) : logLo) - logLo) / (logHi - logLo) * ph
    : (y: number): number => m.t + ph - ((y - yLo) / (yHi - yLo)) * ph
  const text = (x: number | string, y: number | string, s: string, attrs = ''): string =>
    `<text x="${x}" y="${y}" font-size="11" font-family="sans-serif"${attrs}>${escapeXml(s)}</text>`
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(o.title)}">`)
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`)
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-family="sans-serif">${escapeXml(o.title)}</text>`)
  const yTicks: Array<[number, string]> = log
    ? [[0, '0'], ...decadeTicks(yLo, yHi).map((t): [number, string] => [t, yFormat(t)])]
    : niceTicks(yLo, yHi).map((t): [number, string] => [t, yFormat(t)])
  for (const [t, label] of yTicks) {
    const y = ys(t).toFixed(1)
    parts.push(`<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="#e5e5e5"/>`)
    parts.push(text(m.l - 6, y, label, ' text-anchor="end" dominant-baseline="middle"'))
  }
  for (const t of niceTicks(0, xMax)) {
    const x = xs(t).toFixed(1)
    parts.push(`<line x1="${x}" y1="${m.t + ph}" x2="${x}" y2="${m.t + ph + 4}" stroke="#333"/>`)
    parts.push(text(x, m.t + ph + 16, compactNumber(t), ' text-anchor="middle"'))
  }
  parts.push(`<line x1="${m.l}" y1="${m.t + ph}" x2="${m.l + pw}" y2="${m.t + ph}" stroke="#333"/>`)
  parts.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + ph}" stroke="#333"/>`)
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle" font-size="12" font-family="sans-serif">${escapeXml(o.xLabel)}</text>`)
  parts.push(`<text x="14" y="${m.t + ph / 2}" text-anchor="middle" font-size="12" font-family="sans-serif" transform="rotate(-90 14 ${m.t + ph / 2})">${escapeXml(o.yLabel + (log ? ' (log scale)' : ''))}</text>`)
  // markers: merge labels that would overlap (closer than 14 px)
  const marks: Array<{ x: number, labels: string[] }> = []
  for (const mk of [...(o.markers ?? [])].sort((a, b) => a.x - b.x)) {
    const x = xs(mk.x)
    const last = marks.at(-1)
    if (last != null && x - last.x < 14) last.labels.push(mk.label)
    else marks.push({ x, labels: [mk.label] })
  }
  for (const mk of marks) {
    const x = mk.x.toFixed(1)
    parts.push(`<line class="marker" x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="#555" stroke-width="1" stroke-dasharray="2 3"/>`)
    parts.push(`<line class="marker" x1="${x}" y1="${m.t - 4}" x2="${x}" y2="${m.t}" stroke="#555" stroke-width="1"/>`)
    parts.push(text(Number(x) + 2, m.t - 3, mk.labels.join(','), ' class="marker-label" fill="#555" font-size="10"'))
  }
  for (const s of series) {
    let run: string[] = []
    const flush = (): void => {
      if (run.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${run.join(' ')}"/>`)
      else if (run.length === 1) parts.push(`<circle cx="${run[0].split(',')[0]}" cy="${run[0].split(',')[1]}" r="2" fill="${s.color}"/>`)
      run = []
    }
    for (const [x, y] of s.points) {
      if (y == null) { if (s.connectGaps !== true) flush(); continue }
      run.push(`${xs(x).toFixed(1)},${ys(y).toFixed(1)}`)
    }
    flush()
  }
  // legend in the top margin, under the title; the markers' meaning on the next row
  series.forEach((s, i) => {
    const x = m.l + i * 150
    const y = 34
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 20}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`)
    parts.push(text(x + 24, y, s.label, ' dominant-baseline="middle"'))
  })
  if (o.markerLegend != null) {
    parts.push(`<line x1="${m.l}" y1="${48 - 6}" x2="${m.l}" y2="${48 + 6}" stroke="#555" stroke-dasharray="2 3"/>`)
    parts.push(text(m.l + 8, 48, o.markerLegend, ' dominant-baseline="middle" fill="#555"'))
  }
  parts.push('</svg>')
  return parts.join('')
}
