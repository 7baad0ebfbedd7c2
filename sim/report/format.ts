/** Number formats shared by the CLI summary and the HTML report, so both say the same thing the same way. */

/** A share as a percentage: one decimal, three below 0.1% so that a few members out of 100,000 do not read as 0. */
export const pct = (v: number | null | undefined): string => v == null ? '–' : `${(100 * v).toFixed(v < 0.001 && v > 0 ? 3 : 1)}%`

/** Four significant digits with thousands separators, and an optional unit. */
export const num = (v: number | null | undefined, unit = ''): string => v == null ? '–' : `${Number(v.toPrecision(4)).toLocaleString('en-US')}${unit}`

/** A count (integer) with thousands separators. */
export const count = (v: number | null | undefined): string => v == null ? '–' : v.toLocaleString('en-US')

/** Bytes as B, kB, MB (decimal). */
export const bytes = (v: number | null | undefined): string => {
  if (v == null) return '–'
  if (v >= 1e6) return `${num(v / 1e6)} MB`
  if (v >= 1e3) return `${num(v / 1e3)} kB`
  return `${num(v)} B`
}

/** Tick labels of a share axis: 0.001%, 0.01%, …, 100%. */
export const pctTick = (v: number): string => `${Number((100 * v).toPrecision(3))}%`
