/**
 * A one-line progress bar on stderr, only when stderr is a terminal
 * (quiet otherwise: CI logs and pipes stay clean). Redraws at most every
 * 1% and never reads time, so it cannot change the results.
 */
export interface Progress {
  update: (label: string, fraction: number) => void
  done: () => void
}

export function createProgress (stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY !== true) return { update: () => {}, done: () => {} }
  let last = ''
  const width = 30
  return {
    update (label, fraction) {
      const f = Math.max(0, Math.min(1, fraction))
      const filled = Math.round(f * width)
      const line = `${label.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(f * 100).toString().padStart(3)}%`
      if (line === last) return
      last = line
      stream.write(`\r${line}`)
    },
    done () {
      if (last !== '') stream.write('\r' + ' '.repeat(last.length) + '\r')
      last = ''
    }
  }
}
