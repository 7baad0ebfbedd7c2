/**
 * detect-innate: the innate layer alone (node/innate), with no training at
 * all, on values written from the grammars and on CSIC 2010; libinjection
 * (SQLi, XSS; through libddwaf) side by side on the same decoded values.
 *
 * Design/report split (docs/detection.md, "Innate layer"): the grammars were
 * designed on the generated corpus (bench/support/innate-corpus.ts) and on
 * the FIRST half of anomalousTrafficTest (requests [0, h), h = ⌊n/2⌋ moved
 * past an adjacent GET/POST twin) with normalTrafficTraining as the normal
 * side; the headline figures are on the SECOND half [h, n) and on
 * normalTrafficTest, which were not looked at while designing.
 *
 * - tpr: share of the report half with any finding; tprStrong: with a strong one.
 * - fpr / fprNonCopies: share of normalTrafficTest (and of its requests that are
 *   not verbatim copies of a training request) with any finding.
 * - families: per CSIC attack family (labelled by content, bench/support/csic-families.ts)
 *   of the report half: count, tpr, tprStrong, libinjection's tpr.
 * - observationsPerSec: inspectHttp over the test requests, one core, CPU time, best of 3;
 *   libinjection's over the same values, measured in the same run.
 * - signals: per signal added by the issue-10 follow-up (bench/support/innate-signals.ts:
 *   the probe grammar's kinds, the weak in-value signals), requests with such a
 *   finding in the report half, the design half, normalTrafficTest and
 *   normalTrafficTraining (the last two: false positives).
 * - corpus.probes: the probe grammar on generated scanner requests and on the
 *   paths and methods of living applications (bench/support/innate-corpus.ts);
 *   corpus.techProse: technical prose that names files, schemes and statements.
 *
 *     npm run bench -- detect-innate
 */
import { existsSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { createInnateDetector, decodeViews } from '../node/innate/index.js'
import type { InnateDetector } from '../node/innate/index.js'
import type { HttpObservation } from '../node/observation.js'
import { parseRawHttpRequests } from '../node/sensors/raw-http.js'
import { CSIC_FAMILIES, createCsicLabeller } from './support/csic-families.js'
import type { CsicFamily } from './support/csic-families.js'
import { CORPUS_FAMILIES, attackCorpus, benignCorpus, probeCorpus, techProseCorpus } from './support/innate-corpus.js'
import { loadLibinjection } from './support/libinjection.js'
import type { Libinjection } from './support/libinjection.js'
import { NEW_SIGNALS, signalOf } from './support/innate-signals.js'
import { printResult, sharedDataDir } from './lib.js'

const BENCH = 'detect-innate'
const FILES = ['normalTrafficTraining.txt.gz', 'normalTrafficTest.txt.gz', 'anomalousTrafficTest.txt.gz']
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }

const innate = createInnateDetector()
const lib = loadLibinjection()
if (lib == null) process.stderr.write(`${BENCH}: @datadog/native-appsec not loadable here: libinjection columns skipped\n`)

/** The decoded values libinjection reads: what the innate layer reads (form/URL decoded once, and once more when escapes remain). */
function decodedValues (obs: Pick<HttpObservation, 'path' | 'query' | 'body' | 'headers'>, d: InnateDetector): string[] {
  const out: string[] = []
  const add = (v: string, enc: 'form' | 'url' | 'none'): void => { if (v === '') return; for (const view of decodeViews(v, enc, 2, { n: 0 })) out.push(view.text) }
  add(obs.path, 'url')
  for (const raw of [obs.query, obs.body]) {
    for (const pair of raw.split('&')) { const i = pair.indexOf('='); if (i >= 0) add(pair.slice(i + 1), 'form') }
  }
  for (const h of d.params.headers) { const v = obs.headers?.[h]; if (v != null) add(v, 'none') }
  return out
}

// ---------- 1. the generated corpus (design data) ----------
const attacks = attackCorpus(1)
const benign = benignCorpus(2, 20_000)
const corpusFamilies: Record<string, { n: number, tpr: number, tprStrong: number, libinjection?: number }> = {}
for (const family of CORPUS_FAMILIES) {
  const vs = attacks.filter((a) => a.family === family)
  let hit = 0
  let strong = 0
  let libHit = 0
  for (const v of vs) {
    const r = innate.inspect(v.raw, { location: 'query', name: 'q', encoding: 'form' })
    if (r.findings.length > 0) hit++
    if (r.findings.some((f) => f.strength === 'strong')) strong++
    if (lib != null) { const l = lib.check(decodeViews(v.raw, 'form', 3, { n: 0 }).map((x) => x.text)); if (l.sqli || l.xss) libHit++ }
  }
  corpusFamilies[family] = { n: vs.length, tpr: r4(hit / vs.length), tprStrong: r4(strong / vs.length), ...(lib != null ? { libinjection: r4(libHit / vs.length) } : {}) }
}
let benignFp = 0
let benignFpStrong = 0
let benignLib = 0
const benignExamples: string[] = []
for (const v of benign) {
  const r = innate.inspect(v.raw, { location: 'query', name: 'q', encoding: 'form' })
  if (r.findings.length > 0) { benignFp++; if (benignExamples.length < 8 && !benignExamples.includes(r.findings[0].explanation)) benignExamples.push(r.findings[0].explanation) }
  if (r.findings.some((f) => f.strength === 'strong')) benignFpStrong++
  if (lib != null) { const l = lib.check(decodeViews(v.raw, 'form', 3, { n: 0 }).map((x) => x.text)); if (l.sqli || l.xss) benignLib++ }
}
process.stderr.write(`${BENCH}: corpus: ${attacks.length} attack values, ${benign.length} benign values; benign findings: ${JSON.stringify(benignExamples)}\n`)
// probes (grammars/probe.ts): request paths and methods, scanners' and living applications'
const probes = probeCorpus(3, 2_000)
const probeHit = (p: { method: string, path: string }): { any: boolean, strong: boolean, explanation: string } => {
  const r = innate.inspectHttp({ method: p.method, path: p.path, query: '', body: '', headers: {} })
  return { any: r.findings.length > 0, strong: r.findings.some((f) => f.strength === 'strong'), explanation: r.findings[0]?.explanation ?? '' }
}
let probeTp = 0
let probeTpStrong = 0
const probeMisses: string[] = []
for (const p of probes.attacks) { const h = probeHit(p); if (h.any) probeTp++; else if (probeMisses.length < 5) probeMisses.push(`${p.method} ${p.path}`); if (h.strong) probeTpStrong++ }
let probeFp = 0
let probeFpStrong = 0
const probeFpExamples: string[] = []
for (const p of probes.benign) { const h = probeHit(p); if (h.any) { probeFp++; if (probeFpExamples.length < 5) probeFpExamples.push(`${p.method} ${p.path}: ${h.explanation}`) } if (h.strong) probeFpStrong++ }
if (probeMisses.length + probeFpExamples.length > 0) process.stderr.write(`${BENCH}: probe corpus misses ${JSON.stringify(probeMisses)}, benign findings ${JSON.stringify(probeFpExamples)}\n`)
const prose = techProseCorpus()
const proseFindings = prose.map((v) => ({ v: v.text, f: innate.inspect(v.raw, { location: 'query', name: 'q', encoding: 'form' }).findings }))
const corpus = {
  techProse: { n: prose.length, fpr: r4(proseFindings.filter((x) => x.f.length > 0).length / prose.length), fprStrong: r4(proseFindings.filter((x) => x.f.some((f) => f.strength === 'strong')).length / prose.length), flagged: proseFindings.filter((x) => x.f.length > 0).map((x) => `${x.v} → ${x.f[0].grammar} ${x.f[0].strength}`) },
  probes: { attacks: probes.attacks.length, tpr: r4(probeTp / probes.attacks.length), tprStrong: r4(probeTpStrong / probes.attacks.length), benign: probes.benign.length, benignFpr: r4(probeFp / probes.benign.length), benignFprStrong: r4(probeFpStrong / probes.benign.length) },
  attacks: attacks.length,
  benign: benign.length,
  families: corpusFamilies,
  benignFpr: r4(benignFp / benign.length),
  benignFprStrong: r4(benignFpStrong / benign.length),
  ...(lib != null ? { benignFprLibinjection: r4(benignLib / benign.length) } : {})
}

// ---------- 2. CSIC 2010 ----------
const data = sharedDataDir()
const dir = data == null ? null : join(data, 'csic2010')
if (dir == null || !FILES.every((f) => existsSync(join(dir, f)))) {
  process.stderr.write(`${BENCH}: csic2010 not found (../shared/data/csic2010): only the corpus figures\n`)
  printResult({ bench: BENCH, skipped: 'csic2010 not found', corpus, loadAvg: loadavg().map((x) => Math.round(x * 100) / 100) })
  process.exit(0)
}
const load = (f: string): HttpObservation[] => parseRawHttpRequests(gunzipSync(readFileSync(join(dir, f))).toString('latin1'), { time: 0 })
const train = load(FILES[0])
const normal = load(FILES[1])
const anomalous = load(FILES[2])
const same = (a: HttpObservation, b: HttpObservation): boolean => a.query === b.query && a.body === b.body && a.path === b.path
let h = Math.floor(anomalous.length / 2)
while (h < anomalous.length && same(anomalous[h], anomalous[h - 1])) h++
const design = anomalous.slice(0, h)
const report = anomalous.slice(h)
process.stderr.write(`${BENCH}: CSIC: ${train.length} training, ${normal.length} normal test, ${anomalous.length} anomalous (design half [0, ${h}), report half [${h}, ${anomalous.length}))\n`)

const labeller = createCsicLabeller(train)
interface Flags { any: boolean, strong: boolean, lib: boolean }
function flags (obs: HttpObservation): Flags {
  const r = innate.inspectHttp(obs)
  const l = lib?.check(decodedValues(obs, innate))
  return { any: r.findings.length > 0, strong: r.findings.some((f) => f.strength === 'strong'), lib: l != null && (l.sqli || l.xss) }
}

function anomalyRates (set: readonly HttpObservation[]): { n: number, tpr: number, tprStrong: number, libinjection?: number, families: Record<string, { n: number, tpr: number, tprStrong: number, libinjection?: number }> } {
  const fam = new Map<CsicFamily, { n: number, any: number, strong: number, lib: number }>()
  let any = 0
  let strong = 0
  let libHit = 0
  for (const o of set) {
    const f = flags(o)
    const family = labeller.family(o)
    let e = fam.get(family)
    if (e == null) { e = { n: 0, any: 0, strong: 0, lib: 0 }; fam.set(family, e) }
    e.n++
    if (f.any) { any++; e.any++ }
    if (f.strong) { strong++; e.strong++ }
    if (f.lib) { libHit++; e.lib++ }
  }
  const families: Record<string, { n: number, tpr: number, tprStrong: number, libinjection?: number }> = {}
  for (const family of CSIC_FAMILIES) {
    const e = fam.get(family)
    if (e == null) continue
    families[family] = { n: e.n, tpr: r4(e.any / e.n), tprStrong: r4(e.strong / e.n), ...(lib != null ? { libinjection: r4(e.lib / e.n) } : {}) }
  }
  return { n: set.length, tpr: r4(any / set.length), tprStrong: r4(strong / set.length), ...(lib != null ? { libinjection: r4(libHit / set.length) } : {}), families }
}

const key = (o: HttpObservation): string => `${o.method} ${o.path}?${o.query}\n${o.body}`
const trainKeys = new Set(train.map(key))
function normalRates (set: readonly HttpObservation[], withCopies: boolean): { n: number, fpr: number, fprStrong: number, nonCopies?: number, fprNonCopies?: number, fprNonCopiesStrong?: number, libinjection?: number, examples: string[] } {
  let fp = 0
  let fpS = 0
  let fpNc = 0
  let fpNcS = 0
  let nc = 0
  let libFp = 0
  const examples: string[] = []
  for (const o of set) {
    const r = innate.inspectHttp(o)
    const copy = withCopies && trainKeys.has(key(o))
    if (!copy) nc++
    const s = r.findings.some((f) => f.strength === 'strong')
    if (r.findings.length > 0) { fp++; if (!copy) fpNc++; if (examples.length < 5) examples.push(r.findings[0].explanation) }
    if (s) { fpS++; if (!copy) fpNcS++ }
    if (lib != null) { const l = lib.check(decodedValues(o, innate)); if (l.sqli || l.xss) libFp++ }
  }
  return {
    n: set.length,
    fpr: r4(fp / set.length),
    fprStrong: r4(fpS / set.length),
    ...(withCopies ? { nonCopies: nc, fprNonCopies: r4(fpNc / nc), fprNonCopiesStrong: r4(fpNcS / nc) } : {}),
    ...(lib != null ? { libinjection: r4(libFp / set.length) } : {}),
    examples
  }
}

/** Requests with a finding of each new signal. */
function signalCounts (set: readonly HttpObservation[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(NEW_SIGNALS.map((x) => [x, 0]))
  for (const o of set) {
    const seen = new Set(innate.inspectHttp(o).findings.map((f) => signalOf(f)))
    for (const x of seen) if (x in out) out[x]++
  }
  return out
}
const signals = { reportHalf: signalCounts(report), designHalf: signalCounts(design), normalTest: signalCounts(normal), normalTraining: signalCounts(train) }

const reportRates = anomalyRates(report)
const designRates = anomalyRates(design)
const allRates = anomalyRates(anomalous)
const testNormal = normalRates(normal, true)
const trainNormal = normalRates(train, false)
if (testNormal.examples.length > 0) process.stderr.write(`${BENCH}: findings on normalTrafficTest: ${JSON.stringify(testNormal.examples)}\n`)

// ---------- 3. speed: the same test requests, innate vs libinjection ----------
const test = [...normal, ...anomalous]
const valuesOf = test.map((o) => decodedValues(o, innate))
function timed (fn: () => void): number {
  fn() // warm-up
  let best = Infinity
  for (let pass = 0; pass < 3; pass++) { const c0 = cpuMs(); fn(); best = Math.min(best, cpuMs() - c0) }
  return best
}
let sink = 0
const innateMs = timed(() => { for (const o of test) sink += innate.inspectHttp(o).findings.length })
const libMs = lib != null ? timed(() => { for (const vs of valuesOf) { const l = (lib as Libinjection).check(vs); if (l.sqli) sink++ } }) : null
if (sink < 0) process.stderr.write('')

printResult({
  bench: BENCH,
  tpr: reportRates.tpr,
  fpr: testNormal.fpr,
  fprNonCopies: testNormal.fprNonCopies,
  families: reportRates.families,
  tprStrong: reportRates.tprStrong,
  fprStrong: testNormal.fprStrong,
  fprNonCopiesStrong: testNormal.fprNonCopiesStrong,
  split: { designedOn: `anomalousTrafficTest[0, ${h}) + normalTrafficTraining + generated corpus`, reportedOn: `anomalousTrafficTest[${h}, ${anomalous.length}) + normalTrafficTest` },
  reportHalf: { n: reportRates.n, tpr: reportRates.tpr, tprStrong: reportRates.tprStrong, ...(lib != null ? { libinjection: reportRates.libinjection } : {}) },
  designHalf: { n: designRates.n, tpr: designRates.tpr, tprStrong: designRates.tprStrong, ...(lib != null ? { libinjection: designRates.libinjection } : {}), families: designRates.families },
  allAnomalies: { n: allRates.n, tpr: allRates.tpr, tprStrong: allRates.tprStrong, ...(lib != null ? { libinjection: allRates.libinjection } : {}) },
  normalTest: { n: testNormal.n, nonCopies: testNormal.nonCopies, fpr: testNormal.fpr, fprNonCopies: testNormal.fprNonCopies, ...(lib != null ? { libinjection: testNormal.libinjection } : {}) },
  normalTraining: { n: trainNormal.n, fpr: trainNormal.fpr, ...(lib != null ? { libinjection: trainNormal.libinjection } : {}) },
  signals,
  corpus,
  observationsPerSec: Math.round(test.length / (innateMs / 1000)),
  ...(libMs != null ? { libinjectionObservationsPerSec: Math.round(test.length / (libMs / 1000)), libinjection: lib?.version } : {}),
  anchor: { modsecurityCrs334Pl1: { tpr: 0.316, fpr: 0, source: 'issue 10 (measured by the issue author on CSIC, all anomalies)' } },
  loadAvg: loadavg().map((x) => Math.round(x * 100) / 100)
})
