/**
 * report.html as a person sees it: a real simulation (liars: lies, six
 * attacks, alarming figures) written with writeReports, opened from disk in
 * headless Chromium (Debian's, driven by playwright-core), read through the
 * DOM and checked on a full-page screenshot (decoded, not trusted).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { immunityAfterStart } from '../../../sim/report/attack-figures.js'
import { num, pct } from '../../../sim/report/format.js'
import { figureNotes } from '../../../sim/report/notes.js'
import { writeReports } from '../../../sim/report/reports.js'
import { SERIES_STYLE } from '../../../sim/report/series-style.js'
import { runScenario } from '../../../sim/run/run-scenario.js'
import type { ScenarioRun } from '../../../sim/run/run-scenario.js'
import { builtinScenario } from '../../../sim/scenario/builtins.js'
import { withOverrides } from '../../../sim/scenario/scenario-schema.js'
import { chromiumSkipReason, launchChromium, pixelStats } from '../../e2e/support/chromium.js'
import type { Browser } from '../../e2e/support/chromium.js'

// evaluated in the page (the project compiles without the DOM library)
declare const document: any

const skip = chromiumSkipReason()

describe.skipIf(skip != null)(`report.html in headless Chromium${skip != null ? ` (${skip})` : ''}`, () => {
  let dir: string
  let run: ScenarioRun
  let browser: Browser
  const requests: string[] = []
  const errors: string[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'immune-report-'))
    run = runScenario(withOverrides(builtinScenario('liars')!, { nodes: 300, durationS: 1500 }))
    writeReports(dir, run)
    browser = await launchChromium({ width: 1000, height: 800 })
    browser.page.on('request', (r) => { requests.push(r.url()) })
    browser.page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
    browser.page.on('pageerror', (e) => { errors.push(String(e)) })
    await browser.page.goto(pathToFileURL(join(dir, 'report.html')).href)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    if (dir != null) rmSync(dir, { recursive: true, force: true })
  })

  it('loads nothing but itself and raises no error', () => {
    expect(requests).toEqual([pathToFileURL(join(dir, 'report.html')).href])
    expect(errors).toEqual([])
  })

  it('shows shares as percentages, and a visible note beside every alarming figure', async () => {
    const r = run.results
    const notes = figureNotes(r)
    expect(Object.keys(notes).length).toBeGreaterThan(0)
    const page = browser.page
    expect(await page.title()).toBe('immune-sim: liars')
    const alarmRows = page.locator('table.figures tr.alarm')
    expect(await alarmRows.count()).toBe(Object.keys(notes).length)
    for (const note of Object.values(notes)) {
      const cell = page.locator('table.figures td.note', { hasText: note.slice(0, 40) })
      expect(await cell.isVisible()).toBe(true)
    }
    const infected = page.locator('table.figures tr', { hasText: 'infected (share of vulnerable members, end)' })
    expect((await infected.locator('td').nth(1).innerText()).trim()).toBe(pct(r.baseline.infectedFraction))
    expect((await infected.locator('td').nth(2).innerText()).replace('⚠', '').trim()).toBe(pct(r.mesh.infectedFraction))
    // the page fits its width: no table or plot pushes it sideways
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1000)
  })

  it('every attack has its start and its time to immunity counted from it; every time plot marks the starts', async () => {
    const page = browser.page
    const attacks = run.results.mesh.attacks
    const rows = page.locator('table.attacks tbody tr')
    expect(await rows.count()).toBe(attacks.length)
    const ran = attacks.filter((a) => a.startS < run.results.durationS)
    expect(ran.length).toBeGreaterThanOrEqual(2)
    expect(ran.length).toBeLessThan(attacks.length) // the run ends before the last attacks: they are shown as not simulated
    for (let i = 0; i < attacks.length; i++) {
      const cells = await rows.nth(i).locator('td').allInnerTexts()
      expect(cells[3]).toBe(num(attacks[i].startS, ' s'))
      if (i < ran.length) expect(cells[8]).toBe(num(immunityAfterStart(attacks[i]).after90S, ' s'))
      else expect(cells.at(-1)).toContain('not simulated')
    }
    const plots: Array<{ title: string, texts: string[], markerLabels: string[], strokes: Array<{ color: string | null, dashed: boolean }> }> = await page.evaluate(() => {
      const all = (root: any, sel: string): any[] => Array.from(root.querySelectorAll(sel))
      return all(document, 'svg').map((svg) => ({
        title: svg.querySelector('text')?.textContent ?? '',
        texts: all(svg, 'text').map((t) => t.textContent ?? ''),
        markerLabels: all(svg, 'text.marker-label').map((t) => t.textContent ?? ''),
        strokes: all(svg, 'polyline').map((p) => ({ color: p.getAttribute('stroke'), dashed: p.hasAttribute('stroke-dasharray') }))
      }))
    })
    expect(plots.length).toBeGreaterThanOrEqual(4)
    const labels = ran.map((_, i) => String(i + 1))
    for (const p of plots) expect(p.markerLabels.join(',').split(',').sort(), p.title).toEqual(labels.sort())
    // small fractions are readable: the infection plot is logarithmic, with a 0 line
    const infectedPlot = plots.find((p) => p.title.startsWith('Infected share'))!
    expect(infectedPlot.texts).toEqual(expect.arrayContaining(['0', '0.1%', '1%', '10%', '100%', 'infected (log scale)']))
    // one colour (and dash) per series, the same in every plot
    const allowed = new Set(Object.values(SERIES_STYLE).map((s) => `${s.color}/${String(s.dashed)}`))
    for (const p of plots) for (const s of p.strokes) expect(allowed, p.title).toContain(`${s.color ?? ''}/${String(s.dashed)}`)
    for (const p of plots.filter((q) => q.texts.includes(SERIES_STYLE.mesh.label))) {
      expect(p.strokes.some((s) => s.color === SERIES_STYLE.mesh.color), p.title).toBe(true)
    }
  })

  it('paints a page that is not blank, with both runs\' colours on it (full-page screenshot)', async () => {
    const png = await browser.page.screenshot({ fullPage: true })
    writeFileSync(join(dir, 'report.png'), png)
    const stats = await pixelStats(browser.context, png, [SERIES_STYLE.mesh.color, SERIES_STYLE.baseline.color, '#fff4e0'])
    expect(stats.width).toBe(1000)
    expect(stats.height).toBeGreaterThan(2000)
    expect(stats.nonWhite).toBeGreaterThan(0.03)
    expect(stats.colors[SERIES_STYLE.mesh.color]).toBeGreaterThan(200)
    expect(stats.colors[SERIES_STYLE.baseline.color]).toBeGreaterThan(200)
    // the alarm rows' background
    expect(stats.colors['#fff4e0']).toBeGreaterThan(1000)
  }, 60_000)
})
