/**
 * detect-small: false positives and detection of the HTTP detector after a
 * SHORT tolerization, as a new deployment (or a new endpoint) meets it.
 *
 * For each generated application (test/node/profile/http/traffic-generators.ts:
 * a shop, a login/search portal, a JSON API, the demo shop of npm run demo) and
 * each minObservations in --sizes (default 30,60,100,200,1000), --reps seeded
 * runs each:
 *  1. train: a fresh detector (default params, minDurationSec 0) observes the
 *     app's normal traffic until every endpoint guards;
 *  2. fresh normal traffic: --fresh more requests of the same stream go
 *     through observe() (the daemon's path, slow learning included); level-1
 *     and level-2 false-positive rates are counted;
 *  3. attacks: --attacks requests per kind (SQL injection, XSS, path
 *     traversal, overlong value, command injection), each a normal request
 *     with one parameter replaced by (or suffixed with) a payload, go through
 *     assess(); the detection rate is the share at level ≥ 1 and at level 2.
 * Rates are pooled over the runs; fpr2Upper95 is the one-sided 95 %
 * upper confidence bound of the level-2 rate (Poisson, Wilson–Hilferty).
 * The profile alone decides the fpr and tpr figures; fpr2Innate / tpr2Innate are the same
 * requests with the innate layer combined (node/innate, default policy,
 * innate-gate.ts: the fresh traffic through decide() after the same
 * training, the attacks assessed), so that the innate signals are checked
 * against these apps' benign traffic too.
 *
 *     npm run bench -- detect-small [--sizes 30,60,100,200,1000] [--reps 8] [--fresh 5000] [--attacks 40]
 */
import { createManualClock } from '../core/index.js'
import { createDetector } from '../node/detector/index.js'
import type { Detector } from '../node/detector/index.js'
import { poissonUpper } from '../node/detector/thresholds.js'
import type { HttpObservation } from '../node/observation.js'
import { createPrng } from '../core/index.js'
import { createHttpProfileSet } from '../node/profile/http/index.js'
import { APPS, ATTACK_KINDS, injectAttack, toHttpObservation } from '../test/node/profile/http/traffic-generators.js'
import type { AttackKind, TrafficApp } from '../test/node/profile/http/traffic-generators.js'
import { createInnateDetector, createInnateGate, defaultInnatePolicy } from '../node/innate/index.js'
import { loadavg } from 'node:os'
import { printResult } from './lib.js'

const BENCH = 'detect-small'
const T0 = 1_700_000_000_000
const STEP_MS = 1000

function arg (name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : dflt
}
const SIZES = arg('sizes', '30,60,100,200,1000').split(',').map(Number)
const REPS = Number(arg('reps', '8'))
const FRESH = Number(arg('fresh', '5000'))
const ATTACKS = Number(arg('attacks', '40'))
const APP_FILTER = arg('apps', APPS.map((a) => a.name).join(',')).split(',')
const VERBOSE = process.argv.includes('--verbose')

const poissonUpper95 = (k: number): number => poissonUpper(k, 0.95)
const GATE = createInnateGate({ inspector: createInnateDetector(), policy: defaultInnatePolicy })

interface Driver {
  app: TrafficApp
  clock: ReturnType<typeof createManualClock>
  det: Detector<HttpObservation>
  t: number
  src: ReturnType<typeof createPrng>
}

function obsOf (d: Driver, req: ReturnType<TrafficApp['next']>): HttpObservation {
  d.t += STEP_MS
  return toHttpObservation(req, d.t, `198.51.100.${1 + d.src.nextInt(254)}`)
}

function feed (d: Driver, o: HttpObservation): ReturnType<Detector<HttpObservation>['observe']> {
  if (o.time > d.clock.now()) d.clock.set(o.time)
  return d.det.observe(o)
}

interface Cell {
  app: string
  minObservations: number
  trained: number
  fresh: number
  fp1: number
  fp2: number
  attacks: number
  tp1: number
  tp2: number
  byKind: Record<string, { n: number, tp1: number, tp2: number }>
  fp2Features: Record<string, number>
  fp1Features: Record<string, number>
  /** With the innate layer combined. */
  fp2Innate: number
  tp2Innate: number
  fp2InnateFeatures: Record<string, number>
  thresholdMethods: Record<string, number>
  examples: string[]
}

function runCell (appName: string, create: (seed: number) => TrafficApp, N: number): Cell {
  const cell: Cell = { app: appName, minObservations: N, trained: 0, fresh: 0, fp1: 0, fp2: 0, attacks: 0, tp1: 0, tp2: 0, byKind: {}, fp2Features: {}, fp1Features: {}, fp2Innate: 0, tp2Innate: 0, fp2InnateFeatures: {}, thresholdMethods: {}, examples: [] }
  for (const k of ATTACK_KINDS) cell.byKind[k] = { n: 0, tp1: 0, tp2: 0 }
  for (let rep = 0; rep < REPS; rep++) {
    const clock = createManualClock(T0)
    const d: Driver = {
      app: create(rep + 1),
      clock,
      det: createDetector({ clock, profiles: createHttpProfileSet() }, { minObservations: N, minDurationSec: 0 }),
      t: T0,
      src: createPrng(`src:${rep}`)
    }
    // 1. train until every endpoint guards (bounded)
    const maxTrain = N * 200 + 1000
    let i = 0
    for (; i < maxTrain; i++) {
      feed(d, obsOf(d, d.app.next()))
      if (i % 50 === 49 && d.det.statuses().every((s) => s.phase === 'guarding')) break
    }
    cell.trained += i + 1
    for (const s of d.det.statuses()) {
      for (const t of s.thresholds?.terms ?? []) {
        const key = `${t.alpha}:${t.method}`
        cell.thresholdMethods[key] = (cell.thresholdMethods[key] ?? 0) + 1
      }
    }
    // 2. fresh normal traffic through observe() (inside the innate gate: every context guards, so it observes as before)
    for (let j = 0; j < FRESH; j++) {
      const o = obsOf(d, d.app.next())
      if (o.time > d.clock.now()) d.clock.set(o.time)
      const g = GATE.decide(d.det, o, true)
      const r = { ...g.result, danger: g.profileDanger }
      if (r.phase !== 'guarding') continue
      if (g.result.danger === 2) {
        cell.fp2Innate++
        const top = g.result.score.reasons[0]
        const f = top == null ? 'none' : `${top.parameter ?? ''}:${top.feature}`
        cell.fp2InnateFeatures[f] = (cell.fp2InnateFeatures[f] ?? 0) + 1
      }
      cell.fresh++
      const top = r.score.reasons[0]
      const f = top == null ? 'none' : `${top.parameter ?? ''}:${top.feature}`
      if (r.danger >= 1) { cell.fp1++; cell.fp1Features[f] = (cell.fp1Features[f] ?? 0) + 1 }
      if (r.danger === 2) {
        cell.fp2++
        cell.fp2Features[f] = (cell.fp2Features[f] ?? 0) + 1
        if (VERBOSE && cell.examples.length < 6) {
          cell.examples.push(`${r.context} ${r.score.value} > ${r.thresholds?.dangerous}: ${JSON.stringify(r.score.reasons.slice(0, 3))}`)
        }
      }
    }
    // 3. attacks (assess: not learned)
    const ar = createPrng(`attack:${rep}`)
    for (const kind of ATTACK_KINDS as AttackKind[]) {
      let made = 0
      for (let tries = 0; made < ATTACKS && tries < ATTACKS * 20; tries++) {
        const req = injectAttack(d.app.next(), kind, ar)
        if (req == null) continue
        const o = obsOf(d, req)
        if (o.time > clock.now()) clock.set(o.time)
        const g = GATE.decide(d.det, o, false)
        const r = { ...g.result, danger: g.profileDanger }
        if (r.phase !== 'guarding') continue
        if (g.result.danger === 2) cell.tp2Innate++
        made++
        const b = cell.byKind[kind]
        b.n++
        cell.attacks++
        if (r.danger >= 1) { b.tp1++; cell.tp1++ }
        if (r.danger === 2) { b.tp2++; cell.tp2++ }
      }
    }
  }
  return cell
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4
const r5 = (x: number): number => Math.round(x * 1e5) / 1e5
const topN = (o: Record<string, number>, n: number): Record<string, number> => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]).slice(0, n))

const cells: Cell[] = []
const t0 = performance.now()
for (const a of APPS) {
  if (!APP_FILTER.includes(a.name)) continue
  for (const N of SIZES) {
    const c = runCell(a.name, a.create, N)
    cells.push(c)
    process.stderr.write(`${BENCH}: ${a.name} minObs ${N}: fpr1 ${(100 * c.fp1 / c.fresh).toFixed(3)} % fpr2 ${(100 * c.fp2 / c.fresh).toFixed(3)} % (${c.fp2}/${c.fresh}) ` +
      `tpr1 ${(c.tp1 / c.attacks).toFixed(3)} tpr2 ${(c.tp2 / c.attacks).toFixed(3)} fp2 ${JSON.stringify(topN(c.fp2Features, 4))} fp1 ${JSON.stringify(topN(c.fp1Features, 4))} th ${JSON.stringify(c.thresholdMethods)}\n`)
    for (const e of c.examples) process.stderr.write(`    ${e}\n`)
  }
}

const byApp = cells.map((c) => ({
  app: c.app,
  minObservations: c.minObservations,
  fresh: c.fresh,
  fpr1: r5(c.fp1 / c.fresh),
  fpr2: r5(c.fp2 / c.fresh),
  fpr2Upper95: r5(poissonUpper95(c.fp2) / c.fresh),
  tpr1: r4(c.tp1 / c.attacks),
  tpr2: r4(c.tp2 / c.attacks),
  tpr1ByKind: Object.fromEntries(Object.entries(c.byKind).map(([k, b]) => [k, r4(b.tp1 / b.n)])),
  tpr2ByKind: Object.fromEntries(Object.entries(c.byKind).map(([k, b]) => [k, r4(b.tp2 / b.n)])),
  fp2TopReasons: topN(c.fp2Features, 3),
  fpr2Innate: r5(c.fp2Innate / c.fresh),
  tpr2Innate: r4(c.tp2Innate / c.attacks),
  fp2InnateTopReasons: topN(c.fp2InnateFeatures, 3)
}))

const bySize = SIZES.map((N) => {
  const cs = cells.filter((c) => c.minObservations === N)
  const sum = (f: (c: Cell) => number): number => cs.reduce((a, c) => a + f(c), 0)
  const fresh = sum((c) => c.fresh)
  const attacks = sum((c) => c.attacks)
  return {
    minObservations: N,
    fpr1: r5(sum((c) => c.fp1) / fresh),
    fpr2: r5(sum((c) => c.fp2) / fresh),
    fpr1Max: r5(Math.max(...cs.map((c) => c.fp1 / c.fresh))),
    fpr2Max: r5(Math.max(...cs.map((c) => c.fp2 / c.fresh))),
    fpr2Upper95: r5(poissonUpper95(sum((c) => c.fp2)) / fresh),
    tpr1: r4(sum((c) => c.tp1) / attacks),
    tpr2: r4(sum((c) => c.tp2) / attacks),
    fpr2Innate: r5(sum((c) => c.fp2Innate) / fresh),
    fpr2InnateUpper95: r5(poissonUpper95(sum((c) => c.fp2Innate)) / fresh),
    tpr2Innate: r4(sum((c) => c.tp2Innate) / attacks)
  }
})

printResult({
  bench: BENCH,
  targets: { fpr1: 0.01, fpr2: 0.001 },
  reps: REPS,
  freshPerRun: FRESH,
  attacksPerKindPerRun: ATTACKS,
  bySize,
  byApp,
  seconds: Math.round((performance.now() - t0) / 100) / 10,
  loadAvg: loadavg().map((x) => Math.round(x * 100) / 100)
})
