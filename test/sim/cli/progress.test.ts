import { describe, expect, it } from 'vitest'
import { createProgress, formatEta, progressLine } from '../../../sim/cli/progress.js'

function tty (isTTY: boolean): { stream: NodeJS.WriteStream, written: string[] } {
  const written: string[] = []
  const stream = { isTTY, write: (s: string) => { written.push(s); return true } } as unknown as NodeJS.WriteStream
  return { stream, written }
}

describe('progress bar', () => {
  it('extrapolates the time left in the current run from its elapsed wall time', () => {
    expect(formatEta(10_000, 0.25)).toBe('30 s')
    expect(formatEta(60_000, 0.5)).toBe('1:00')
    expect(formatEta(3_700_000, 0.5)).toBe('1:01:40')
    expect(formatEta(10_000, 1)).toBe('0 s')
    // nothing to extrapolate from yet
    expect(formatEta(100, 0.5)).toBeNull()
    expect(formatEta(10_000, 0.001)).toBeNull()
    expect(formatEta(10_000, 0)).toBeNull()
  })

  it('draws the bar, the percentage and the ETA; each run (baseline, mesh) gets its own clock', () => {
    let t = 0
    const { stream, written } = tty(true)
    const p = createProgress(stream, { now: () => t, width: 10 })
    p.update('baseline', 0)
    t = 2_000
    p.update('baseline', 0.5)
    expect(written.at(-1)).toBe('\r' + progressLine('baseline', 0.5, '2 s', 10))
    expect(written.at(-1)).toContain('[#####.....]  50%  ETA 2 s')
    // the mesh run starts its own count: at 25% after 3 s of it, 9 s are left
    t = 5_000
    p.update('mesh', 0)
    t = 8_000
    p.update('mesh', 0.25)
    expect(written.at(-1)).toContain('mesh      [###.......]  25%  ETA 9 s')
    const n = written.length
    p.update('mesh', 0.25)
    expect(written.length).toBe(n) // same line: no redraw
    p.done()
    expect(written.at(-1)).toMatch(/^\r +\r$/)
  })

  it('stays silent when stderr is not a terminal', () => {
    const { stream, written } = tty(false)
    const p = createProgress(stream, { now: () => 0 })
    p.update('mesh', 0.5)
    p.done()
    expect(written).toEqual([])
  })
})
