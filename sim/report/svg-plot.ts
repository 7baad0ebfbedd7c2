/**
 * A small line chart as inline SVG (no external assets, no scripts): axes
 * with round ticks, one polyline per series (null values break the line),
 * a legend. Deterministic output for the same input.
 */

export interface PlotSeries {
  label: string
  color: string
  points: Array<[number, number | null]>
  dashed?: boolean
}

export interface PlotOptions {
  title: string
  xLabel: string
  yLabel: string
  width?: number
  height?: number
  /** Fixed y range (default: from the data, starting at 0). */
  yMin?: number
  yMax?: number
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

const fmt = (v: number): string => {
  const a = Math.abs(v)
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`
  return String(Number(v.toPrecision(4)))
}

export function lineChart (series: PlotSeries[], o: PlotOptions): string {
  const W = o.width ?? 640
  const H = o.height ?? 300
  const m = { l: 64, r: 16, t: 46, b: 48 }
  const pw = W - m.l - m.r
  const ph = H - m.t - m.b
  let xMax = 0
  let yLo = o.yMin ?? 0
  let yHi = o.yMax ?? -Infinity
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (x > xMax) xMax = x
      if (y != null && o.yMax == null && y > yHi) yHi = y
      if (y != null && o.yMin == null && y < yLo) yLo = y
    }
  }
  if (!(yHi > yLo)) yHi = yLo + 1
  if (!(xMax > 0)) xMax = 1
  const xs = (x: number): number => m.l + (x / xMax) * pw
  const ys = (y: number): number => m.t + ph - ((y - yLo) / (yHi - yLo)) * ph
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(o.title)}">`)
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`)
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-family="sans-serif">${escapeXml(o.title)}</text>`)
  for (const t of niceTicks(yLo, yHi)) {
    const y = ys(t).toFixed(1)
    parts.push(`<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="#e5e5e5"/>`)
    parts.push(`<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11" font-family="sans-serif">${fmt(t)}</text>`)
  }
  for (const t of niceTicks(0, xMax)) {
    const x = xs(t).toFixed(1)
    parts.push(`<line x1="${x}" y1="${m.t + ph}" x2="${x}" y2="${m.t + ph + 4}" stroke="#333"/>`)
    parts.push(`<text x="${x}" y="${m.t + ph + 16}" text-anchor="middle" font-size="11" font-family="sans-serif">${fmt(t)}</text>`)
  }
  parts.push(`<line x1="${m.l}" y1="${m.t + ph}" x2="${m.l + pw}" y2="${m.t + ph}" stroke="#333"/>`)
  parts.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + ph}" stroke="#333"/>`)
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle" font-size="12" font-family="sans-serif">${escapeXml(o.xLabel)}</text>`)
  parts.push(`<text x="14" y="${m.t + ph / 2}" text-anchor="middle" font-size="12" font-family="sans-serif" transform="rotate(-90 14 ${m.t + ph / 2})">${escapeXml(o.yLabel)}</text>`)
  for (const s of series) {
    let run: string[] = []
    const flush = (): void => {
      if (run.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${run.join(' ')}"/>`)
      else if (run.length === 1) parts.push(`<circle cx="${run[0].split(',')[0]}" cy="${run[0].split(',')[1]}" r="2" fill="${s.color}"/>`)
      run = []
    }
    for (const [x, y] of s.points) {
      if (y == null) { flush(); continue }
      run.push(`${xs(x).toFixed(1)},${ys(y).toFixed(1)}`)
    }
    flush()
  }
  // legend in the top margin, under the title
  series.forEach((s, i) => {
    const x = m.l + i * 150
    const y = 34
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 20}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`)
    parts.push(`<text x="${x + 24}" y="${y}" dominant-baseline="middle" font-size="11" font-family="sans-serif">${escapeXml(s.label)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('')
}
