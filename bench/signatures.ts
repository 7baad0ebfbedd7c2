/**
 * Signatures on CSIC 2010: clonal selection from attacks, vetting against the
 * normal sample, and the matcher's throughput with ~100 adopted signatures.
 *
 *   npm run bench -- signatures [signatures=100] [matchRequests=30000]
 *
 * 1. The reservoir (2,000 per context) learns normalTrafficTraining.
 * 2. Anomalous requests are taken in order; for each, the parameter with the
 *    most rare candidate tokens stands in for the detector's reason, clonal
 *    selection makes a signature, and vetting (as a peer would) adopts it,
 *    until `signatures` are adopted.
 * 3. The matcher (one Aho–Corasick automaton) runs over normalTrafficTest and
 *    the anomalous requests not used in step 2, each a fresh object (the
 *    decode into canonical documents is included in matchPerSec;
 *    scanPerSec is the scan alone on prebuilt documents).
 * Prints one JSON object; the quality figures (normalHitRate on the test
 * normal requests, anomalyHitRate on the held-out anomalies) say what the
 * signatures alone catch, not the detector.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { createManualClock } from '../core/index.js'
import type { HttpObservation } from '../node/observation.js'
import { parseRawHttpRequests } from '../node/sensors/raw-http.js'
import {
  buildObservationDocs, createClonalSelection, createClonalSelectionParams, createReservoir, createSignatureMatcher,
  createSignatureVetter, observationDocs, parameterValues, selectTokens
} from '../node/signatures/index.js'
import type { SignatureIndicator } from '../protocol/alert/types.js'
import { createStore } from '../node/store/store.js'
import { printResult, sharedDataDir, skipWithoutData } from './lib.js'

const wanted = Number(process.argv[2] ?? 100)
const matchRequests = Number(process.argv[3] ?? 30_000)

const data = sharedDataDir()
if (data == null) skipWithoutData('signatures', 'csic2010 data')
const load = (name: string): HttpObservation[] => {
  const file = join(data, 'csic2010', name)
  return parseRawHttpRequests(gunzipSync(readFileSync(file)).toString('latin1'))
}
const contextOf = (o: HttpObservation): string => `${o.method} ${o.path}`

const training = load('normalTrafficTraining.txt.gz')
const testNormal = load('normalTrafficTest.txt.gz')
const anomalous = load('anomalousTrafficTest.txt.gz')

const dir = mkdtempSync(join(tmpdir(), 'bench-signatures-'))
const store = createStore({ dataDir: dir })
await store.open()
const clock = createManualClock()
const reservoir = createReservoir({ store, clock })
await reservoir.start()
for (const o of training) reservoir.add(contextOf(o), o)

// 2. generate and vet
const params = createClonalSelectionParams()
const cs = createClonalSelection({ reservoir, clock }, params)
const vetter = createSignatureVetter({ reservoir })
const adopted = new Map<string, SignatureIndicator>()
let generated = 0
let vetRejected = 0
let used = 0
let genMs = 0
let vetMs = 0
for (const o of anomalous) {
  if (adopted.size >= wanted) break
  used++
  const ctx = contextOf(o)
  const normal = reservoir.values(ctx)
  if (normal.length === 0) continue
  // stand-in for the detector's reason: the parameter with the most rare candidate tokens
  const docs = observationDocs(o)
  const contextDocs = normal.map((n) => observationDocs(n).whole)
  let best: { name: string, rare: number } | null = null
  for (const name of new Set(docs.spans.map((s) => s.name))) {
    const normalDocs = normal.flatMap((n) => parameterValues(observationDocs(n), name))
    for (const value of parameterValues(docs, name)) {
      const sel = selectTokens({ value, cluster: [], normalDocs, contextDocs }, params)
      if (sel.tokens.length > 0 && (best == null || sel.rare > best.rare)) best = { name, rare: sel.rare }
    }
  }
  const t0 = performance.now()
  const result = cs.generate(ctx, o, best == null ? [] : [best.name])
  genMs += performance.now() - t0
  for (const sig of result.signatures) {
    generated++
    const t1 = performance.now()
    const verdict = vetter.vet(sig)
    vetMs += performance.now() - t1
    if (verdict.adopted) adopted.set(sig.id, sig)
    else vetRejected++
  }
  clock.advance(1000)
}

// 3. match
const matcher = createSignatureMatcher(adopted.values())
const heldOut = anomalous.slice(used)
const pool: Array<{ obs: HttpObservation, normal: boolean }> = [
  ...testNormal.map((obs) => ({ obs, normal: true })),
  ...heldOut.map((obs) => ({ obs, normal: false }))
]
const n = Math.min(matchRequests, pool.length)
// spread over both sets: every k-th request
const step = pool.length / n
const sample = Array.from({ length: n }, (_, i) => pool[Math.floor(i * step)])
// fresh copies so that no document cache helps; a warm-up pass first (JIT)
for (const s of sample.slice(0, 3000)) matcher.match(contextOf(s.obs), { ...s.obs })
const fresh = sample.map((s) => ({ ...s, obs: { ...s.obs } }))
let normalHits = 0
let normalCount = 0
let anomalyHits = 0
let anomalyCount = 0
const m0 = performance.now()
for (const s of fresh) {
  const hits = matcher.match(contextOf(s.obs), s.obs)
  if (s.normal) { normalCount++; if (hits.length > 0) normalHits++ } else { anomalyCount++; if (hits.length > 0) anomalyHits++ }
}
const matchMs = performance.now() - m0
const prebuilt = sample.map((s) => ({ ctx: contextOf(s.obs), docs: buildObservationDocs(s.obs) }))
const s0 = performance.now()
let scanHits = 0
for (const p of prebuilt) scanHits += matcher.matchDocs(p.ctx, p.docs).length
const scanMs = performance.now() - s0

await reservoir.stop()
await store.close()
rmSync(dir, { recursive: true, force: true })

const tokens = [...adopted.values()].map((s) => s.tokens.length)
printResult({
  bench: 'signatures',
  trainingRequests: training.length,
  reservoirSize: reservoir.size,
  anomaliesUsedForGeneration: used,
  generated,
  adopted: adopted.size,
  vetRejected,
  meanTokensPerSignature: Number((tokens.reduce((a, b) => a + b, 0) / Math.max(1, tokens.length)).toFixed(2)),
  generalised: [...adopted.values()].filter((s) => s.sampleCount > 1).length,
  generateMsPerRequest: Number((genMs / Math.max(1, used)).toFixed(2)),
  vetMsPerSignature: Number((vetMs / Math.max(1, generated)).toFixed(2)),
  matcherTokens: matcher.tokenCount,
  matchRequests: n,
  matchPerSec: Math.round(n / (matchMs / 1000)),
  scanPerSec: Math.round(n / (scanMs / 1000)),
  scanHits,
  normalHitRate: Number((normalHits / Math.max(1, normalCount)).toFixed(5)),
  normalRequests: normalCount,
  anomalyHitRate: Number((anomalyHits / Math.max(1, anomalyCount)).toFixed(4)),
  heldOutAnomalies: anomalyCount,
  exampleSignatures: [...adopted.values()].slice(0, 5).map((s) => ({ context: s.context, parameter: s.parameter, tokens: s.tokens, sampleCount: s.sampleCount }))
})
