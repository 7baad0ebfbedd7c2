/**
 * A one-line progress bar on stderr, only when stderr is a terminal (quiet
 * otherwise: CI logs and pipes stay clean), with the time left in the current
 * run: elapsed × (1 − f) / f, from the wall time since that run's first
 * update. Wall time is read through an injected `now` (the system clock by
 * default) and only ever printed to stderr, so it cannot change the results.
 * Redraws only when the line changes (at most every 1% or every second of ETA).
 */
import { createSystemClock } from '../../core/index.js'

export interface Progress {
  update: (label: string, fraction: number) => void
  done: () => void
}

export interface ProgressOptions {
  /** Wall-clock milliseconds (default: the system clock). */
  now?: () => number
  /** Bar width in characters (default 30). */
  width?: number
}

/** "12 s", "3:05", "1:02:09"; null before there is anything to extrapolate from. */
export function formatEta (elapsedMs: number, fraction: number): string | null {
  if (fraction >= 1) return '0 s'
  if (!(fraction >= 0.01) || elapsedMs < 500) return null
  const s = Math.round(elapsedMs * (1 - fraction) / fraction / 1000)
  if (s < 60) return `${s} s`
  const h = Math.floor(s / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`
}

export function progressLine (label: string, fraction: number, eta: string | null, width = 30): string {
  const f = Math.max(0, Math.min(1, fraction))
  const filled = Math.round(f * width)
  return `${label.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(f * 100).toString().padStart(3)}%  ${eta == null ? 'ETA …' : `ETA ${eta}`}`
}

export function createProgress (stream: NodeJS.WriteStream = process.stderr, options: ProgressOptions = {}): Progress {
  if (stream.isTTY !== true) return { update: () => {}, done: () => {} }
  const now = options.now ?? createSystemClock().now
  let last = ''
  let runLabel = ''
  let runStart = 0
  return {
    update (label, fraction) {
      const t = now()
      if (label !== runLabel) { runLabel = label; runStart = t }
      const line = progressLine(label, fraction, formatEta(t - runStart, fraction), options.width)
      if (line === last) return
      // pad over the end of a longer previous line
      stream.write(`\r${line}${' '.repeat(Math.max(0, last.length - line.length))}`)
      last = line
    },
    done () {
      if (last !== '') stream.write('\r' + ' '.repeat(last.length) + '\r')
      last = ''
      runLabel = ''
    }
  }
}
