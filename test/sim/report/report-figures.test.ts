import { describe, expect, it } from 'vitest'
import type { AttackMetrics, RunMetrics } from '../../../sim/run/metrics.js'
import type { ScenarioResults } from '../../../sim/run/run-scenario.js'
import { attackNote, figureNotes, immunityAfterStart, lineChart, primaryAttack, SERIES_STYLE } from '../../../sim/report/index.js'
import { reportHtml, summaryText } from '../../../sim/report/reports.js'
import { pct } from '../../../sim/report/format.js'

const attack = (over: Partial<AttackMetrics> = {}): AttackMetrics => ({
  name: 'exploit', kind: 'targeted', context: 'GET /x', startS: 600, infectedFraction: 0.001, immuneFraction: 0.999,
  timeToImmune50S: 612, timeToImmune90S: 615, timeToImmune99S: 640, detections: 3, blockedAttempts: 10, ...over
})

const run = (over: Partial<RunMetrics> = {}): RunMetrics => ({
  infectedFraction: 0.0002, infectedFractionAt600s: 0.0002, peakInfectedFraction: 0.0002, everInfectedFraction: 0.0002,
  immuneFraction: 0.999, timeToImmune50S: 612, timeToImmune90S: 615, timeToImmune99S: 640,
  messagesPerNodePerMin: 5, bytesPerNodePerMin: 1300, alertsPublished: 2, alertLatencyP50Ms: 120, alertLatencyP90Ms: 140, alertLatencyP99Ms: 150,
  deliveryRatio: 1, falseBlocks: 0, honestHarmed: 0, blacklistPrecision: null, blacklistRecall: null, selfishPrecision: null, selfishRecall: null,
  attempts: 100, blockedAttempts: 90, detections: 5, remoteBlocks: 0, poisonedAdopted: 0, renewalsCleaned: 0, events: 1000, network: null,
  attacks: [attack()], ...over
})

const results = (mesh: Partial<RunMetrics>, baseline: Partial<RunMetrics> = {}): ScenarioResults => ({
  scenario: 'test', nodes: 1000, seed: 1, durationS: 3600, description: 'a test', sybils: 0, vulnerable: 1000, detectors: 100,
  detection: { tpr: 0.95, fpr: 0.003, source: 'assumed' },
  baseline: run({ infectedFraction: 0.3, falseBlocks: 10, alertsPublished: 0, ...baseline }),
  mesh: run(mesh),
  parameters: {} as ScenarioResults['parameters']
})

describe('report figures', () => {
  it('time to immunity counts from the attack\'s own start', () => {
    expect(immunityAfterStart(attack())).toEqual({ after50S: 12, after90S: 15, after99S: 40 })
    expect(immunityAfterStart(attack({ timeToImmune99S: null }))).toMatchObject({ after99S: null })
    expect(primaryAttack([attack({ name: 'a', immuneFraction: null }), attack({ name: 'b' })])?.name).toBe('b')
  })

  it('a healthy run has no notes; each alarming figure gets one that names its value', () => {
    expect(figureNotes(results({}))).toEqual({})
    const notes = figureNotes(results({
      infectedFraction: 0.05, immuneFraction: 0.9, timeToImmune99S: null, alertLatencyP99Ms: 1500, deliveryRatio: 0.95,
      messagesPerNodePerMin: 400, falseBlocks: 1593, poisonedAdopted: 4919, honestHarmed: 500, blacklistPrecision: 0.9, blacklistRecall: 0.707,
      selfishPrecision: 0.5, selfishRecall: 0.5
    }))
    expect(Object.keys(notes).sort()).toEqual(['alertLatencyP99Ms', 'blacklistPrecision', 'blacklistRecall', 'deliveryRatio', 'falseBlocks', 'honestHarmed',
      'immuneFraction', 'infectedFraction', 'messagesPerNodePerMin', 'selfishPrecision', 'selfishRecall', 'timeToImmune99S'])
    expect(notes.infectedFraction).toContain('5.0% of the vulnerable members')
    expect(notes.falseBlocks).toContain('1,583 more than without the mesh (10')
    expect(notes.honestHarmed).toContain('500 honest members (50.0%)')
    expect(notes.blacklistRecall).toContain('29.3% of the (honest member, liar) pairs')
    expect(notes.alertLatencyP99Ms).toContain('1.5 s')
    // false blocks no higher than without the mesh: still explained, as the detector's own
    expect(figureNotes(results({ falseBlocks: 5 })).falseBlocks).toContain('no more than without the mesh')
    // attacks with no signature at all
    expect(figureNotes(results({ infectedFraction: 0.2, immuneFraction: null, attacks: [attack({ immuneFraction: null })] })).infectedFraction).toContain('no attack here produces a signature')
  })

  it('an attack note says what went wrong with it', () => {
    expect(attackNote(attack())).toBeNull()
    expect(attackNote(attack({ infectedFraction: 0.02 }))).toContain('2.0% fell to it before its signature reached them (90% immune 15 s after it began)')
    expect(attackNote(attack({ timeToImmune90S: null, timeToImmune99S: null, immuneFraction: 0.6 }))).toContain('90% immunity never reached (60.0% at the end)')
    expect(attackNote(attack({ immuneFraction: null, infectedFraction: 0.2 }))).toContain('no signature')
    // an attack the run never reached is not a failure
    expect(attackNote(attack({ startS: 3000, timeToImmune90S: null, immuneFraction: 0 }), 1500)).toBeNull()
  })

  it('the HTML shows shares as percentages like the CLI summary, alarming rows marked with their note', () => {
    const r = results({ infectedFraction: 0.00012, honestHarmed: 7 })
    const html = reportHtml({ results: r, series: { baseline: [], mesh: [] } })
    expect(pct(0.00012)).toBe('0.012%')
    expect(html).toContain('<td class="value-mesh">0.012%</td>')
    expect(summaryText({ results: r, series: { baseline: [], mesh: [] } })).toContain('0.012%')
    expect(html).toMatch(/<tr class="alarm"><td>honest members harmed by lies<\/td><td>0<\/td><td class="value-mesh">⚠ 7<\/td><td class="note">7 honest members/)
    // time to 90% immune from the primary attack's start (615 − 600), in the table and in the summary
    expect(html).toContain('<td>time to 90% immune (from its start)</td><td>15 s</td><td class="value-mesh">15 s</td>')
    expect(summaryText({ results: r, series: { baseline: [], mesh: [] } })).toMatch(/time to 90% immune \(from its start\) +15 s +15 s/)
    expect(html).toContain("content=\"default-src 'none'; style-src 'unsafe-inline'\"")
  })
})

describe('svg line chart', () => {
  it('log scale: decades from yMin, 0 on its own line below them, small values visible above it', () => {
    const svg = lineChart([{ label: 'a', color: '#123456', points: [[0, 0], [10, 0.0001], [20, 0.5]] }],
      { title: 't', xLabel: 'x', yLabel: 'y', yScale: 'log', yMin: 1e-5, yMax: 1, height: 300 })
    const ticks = [...svg.matchAll(/<text x="58" y="([\d.]+)"[^>]*>([^<]+)<\/text>/g)].map(m => [m[2], Number(m[1])] as const)
    expect(ticks.map(t => t[0])).toEqual(['0', '0.00001', '0.0001', '0.001', '0.01', '0.1', '1'])
    const y = Object.fromEntries(ticks)
    // equal spacing per decade, half a decade for the 0 line
    expect(y['0.0001'] - y['0.001']).toBeCloseTo(y['0.01'] - y['0.1'], 0)
    expect(y['0'] - y['0.00001']).toBeCloseTo((y['0.00001'] - y['0.0001']) / 2, 0)
    const pts = /points="([^"]+)"/.exec(svg)![1].split(' ').map(p => Number(p.split(',')[1]))
    expect(pts[0]).toBeCloseTo(y['0'], 0)
    expect(pts[1]).toBeCloseTo(y['0.0001'], 0)
    expect(svg).toContain('y (log scale)')
  })

  it('draws one dotted marker per attack start (close ones share a line) and connects sparse series across gaps', () => {
    const svg = lineChart([{ label: 'a', color: '#123456', points: [[0, 1], [1, null], [2, 2], [3, null], [4, 3]], connectGaps: true }],
      { title: 't', xLabel: 'x', yLabel: 'y', markers: [{ x: 1, label: '1' }, { x: 1.01, label: '2' }, { x: 3, label: '3' }], markerLegend: 'attacks' })
    expect(svg.match(/stroke-dasharray="2 3"\/>/g)?.length).toBe(2 + 1) // two marker lines + the legend's
    expect(svg).toContain('>1,2</text>')
    expect(svg.match(/<polyline/g)?.length).toBe(1)
    const broken = lineChart([{ label: 'a', color: '#123456', points: [[0, 1], [1, null], [2, 2], [3, 4]] }], { title: 't', xLabel: 'x', yLabel: 'y' })
    expect(broken.match(/<circle/g)?.length).toBe(1)
    expect(broken.match(/<polyline/g)?.length).toBe(1)
  })

  it('every series has one colour, and the runs differ in dash too', () => {
    const colors = Object.values(SERIES_STYLE).map(s => s.color)
    expect(new Set(colors).size).toBe(colors.length)
    expect(SERIES_STYLE.baseline.dashed).toBe(true)
    expect(SERIES_STYLE.mesh.dashed).toBe(false)
  })
})
