/**
 * Ingest API fuzz (issue 15: ≥ 10⁵ seeded inputs). 100,000 inputs from a
 * seeded PRNG, mutated from valid observations (fields replaced by other
 * JSON values, huge and non-finite numbers, lone surrogates, NUL, unknown
 * fields, deep nesting, oversized strings, batches past the limit) or made
 * of random bytes and truncated JSON, go through parseObserveBody. Each one
 * either gives observations within the limits or an IngestError with a
 * known code and status (and, when INVALID, the field); nothing else may
 * escape. Every accepted input among every 50th also goes through the real detection
 * pipeline (real level store, detector, innate layer, brain, decision
 * manager): each answer is well formed. A failure names the input's index.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { createPrng } from '../../../core/prng.js'
import type { Prng } from '../../../core/prng.js'
import { validateConfig } from '../../../node/config/index.js'
import { createCollaboration } from '../../../node/daemon/collaboration.js'
import type { Collaboration } from '../../../node/daemon/collaboration.js'
import { createDetection } from '../../../node/daemon/detection.js'
import { createLogger } from '../../../node/daemon/logger.js'
import { createPipeline } from '../../../node/daemon/pipeline.js'
import type { Pipeline } from '../../../node/daemon/pipeline.js'
import { createResponseSystem } from '../../../node/daemon/response-system.js'
import type { ResponseSystem } from '../../../node/daemon/response-system.js'
import { IngestError } from '../../../node/errors.js'
import type { HttpObservation } from '../../../node/observation.js'
import { defaultIngestLimits, parseObserveBody } from '../../../node/sensors/ingest.js'
import { createSignatureMatcher } from '../../../node/signatures/index.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import { createFakeMesh } from '../intake/fake-mesh.js'

const INPUTS = 100_000
const CODES = new Set([IngestError.JSON, IngestError.INVALID, IngestError.TOO_LARGE, IngestError.BATCH_TOO_LARGE])
const limits = { ...defaultIngestLimits, maxBatch: 50 }

const VALID = [
  { kind: 'http', method: 'GET', path: '/search', query: 'q=red+shoe&page=2', source: '203.0.113.7' },
  { kind: 'http', method: 'POST', path: '/login', body: 'user=alice&pass=x', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'sid=1' }, source: '2001:db8::7' },
  { kind: 'http-status', method: 'GET', path: '/item', status: 500, source: '198.51.100.3' },
  { kind: 'http', method: 'PUT', path: '/api/v1/items/7', body: '{"a":[1,{"b":"c"}]}', headers: { 'content-type': 'application/json' } }
]

function weirdString (rng: Prng): string {
  switch (rng.nextInt(9)) {
    case 0: return ''
    case 1: return '\u0000'.repeat(1 + rng.nextInt(4))
    case 2: return '\ud800' + 'x' + '\udfff'
    case 3: return 'x'.repeat(rng.nextInt(2) === 0 ? 8193 : 70_000)
    case 4: return "' OR 1=1--"
    case 5: return '%ZZ%e0%80%80'
    case 6: return String.fromCharCode(...Array.from({ length: 1 + rng.nextInt(30) }, () => rng.nextInt(0x10000)))
    case 7: return '/../../etc/passwd'
    default: return 'GET'
  }
}

function weirdValue (rng: Prng, depth = 0): unknown {
  switch (rng.nextInt(12)) {
    case 0: return null
    case 1: return rng.nextInt(2) === 0
    case 2: return [-1, 0, 1.5, 2 ** 53, -(2 ** 60), 1e308][rng.nextInt(6)]
    case 3: return weirdString(rng)
    case 4: return depth < 3 ? [weirdValue(rng, depth + 1), weirdValue(rng, depth + 1)] : []
    case 5: return depth < 3 ? { [weirdString(rng).slice(0, 20)]: weirdValue(rng, depth + 1) } : {}
    case 6: return Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`h${i}`, 'v']))
    case 7: return 99_999
    default: return weirdString(rng)
  }
}

const FIELDS = ['kind', 'method', 'path', 'query', 'body', 'headers', 'source', 'cell', 'status', 'time', 'extra', '__proto__', 'constructor']

/** One fuzzed request body (text). */
function fuzzInput (rng: Prng): string {
  const r = rng.nextInt(100)
  if (r < 8) {
    // random bytes as text
    return String.fromCharCode(...Array.from({ length: rng.nextInt(200) }, () => rng.nextInt(256)))
  }
  const base = (): Record<string, unknown> => {
    const o: Record<string, unknown> = structuredClone(VALID[rng.nextInt(VALID.length)])
    const n = rng.nextInt(4)
    for (let i = 0; i < n; i++) {
      const f = FIELDS[rng.nextInt(FIELDS.length)]
      if (rng.nextInt(5) === 0) delete o[f]
      else o[f] = weirdValue(rng)
    }
    return o
  }
  let text: string
  if (r < 20) {
    const n = rng.nextInt(3) === 0 ? limits.maxBatch + 1 + rng.nextInt(5) : rng.nextInt(6)
    text = JSON.stringify(Array.from({ length: n }, base))
  } else if (r < 25) {
    // deep nesting
    const d = 1 + rng.nextInt(5000)
    text = '['.repeat(d) + ']'.repeat(d)
  } else {
    text = JSON.stringify(base())
  }
  if (rng.nextInt(15) === 0) text = text.slice(0, rng.nextInt(text.length + 1))
  return text
}

function checkItem (x: unknown, where: string): void {
  const o = x as Record<string, unknown>
  expect(['http', 'http-status'], where).toContain(o.kind)
  expect(typeof o.method === 'string' && o.method.length >= 1 && o.method.length <= limits.maxMethodLength, where).toBe(true)
  expect(typeof o.path === 'string' && o.path.length <= limits.maxPathLength, where).toBe(true)
  if (o.kind === 'http') {
    expect(typeof o.query === 'string' && o.query.length <= limits.maxQueryLength, where).toBe(true)
    expect(typeof o.body === 'string' && o.body.length <= limits.maxFormBodyLength, where).toBe(true)
    expect(Object.keys(o.headers as object).length <= limits.maxHeaders, where).toBe(true)
  }
  expect(Number.isFinite(o.time), where).toBe(true)
}

let dir: string
let store: Store
let respond: ResponseSystem
let collab: Collaboration
let stopDetection: () => Promise<void>
let pipeline: Pipeline
const clock = createManualClock(1_700_000_000_000)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immune-ingest-fuzz-'))
  store = createStore({ dataDir: dir })
  await store.open()
  const config = validateConfig({ dataDir: dir, cells: [], learning: { minObservations: 50, minDurationSec: 0 } })
  const logger = createLogger({ level: 'silent', format: 'json' })
  respond = createResponseSystem({ clock, store }, { config })
  await respond.start()
  const detection = createDetection({ clock, store, logger }, { config, snapshotIntervalMs: 3_600_000 })
  await detection.start()
  stopDetection = async () => { await detection.stop() }
  collab = createCollaboration({ clock, store, logger, mesh: createFakeMesh('12D3KooWSelf', () => clock.now()) as never, respond, detection })
  await collab.start()
  pipeline = createPipeline({
    clock, logger, detection, respond, reservoir: collab.reservoir, signatures: collab.signatures, clonal: collab.clonal, intake: collab.intake, publisher: collab.publisher
  }, (sigs) => createSignatureMatcher(sigs))
})

afterAll(async () => {
  await collab?.stop()
  await stopDetection?.()
  await respond?.stop()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('ingest API fuzz', () => {
  it(`${INPUTS} seeded inputs: observations within the limits or a named IngestError, nothing else; accepted ones score through the real pipeline`, async () => {
    const rng = createPrng('ingest-fuzz-1')
    const seen = { accepted: 0, rejected: 0, scored: 0 }
    const byCode: Record<string, number> = {}
    for (let i = 0; i < INPUTS; i++) {
      const input = fuzzInput(rng)
      let items: ReturnType<typeof parseObserveBody>
      try {
        items = parseObserveBody(input, limits, clock.now())
      } catch (err) {
        const e = err as IngestError
        if (!(e instanceof IngestError) || !CODES.has(e.code)) throw new Error(`input #${i}: unexpected ${String(e?.stack ?? e)} for ${JSON.stringify(input.slice(0, 200))}`)
        expect([400, 413], `#${i}`).toContain(e.status)
        if (e.code === IngestError.INVALID) expect(typeof e.details?.field, `#${i} names the field`).toBe('string')
        seen.rejected++
        byCode[e.code] = (byCode[e.code] ?? 0) + 1
        continue
      }
      seen.accepted++
      for (const x of items) checkItem(x, `#${i}`)
      if (i % 50 === 0) {
        for (const x of items.filter((o): o is HttpObservation => o.kind === 'http' && (o.cell == null || o.cell === 'ingest'))) {
          const a = await pipeline.observeHttp({ name: 'ingest', community: 'default' }, x)
          expect(['allow', 'block'], `#${i}`).toContain(a.verdict)
          expect([0, 1, 2], `#${i}`).toContain(a.danger)
          expect(Number.isFinite(a.score), `#${i}`).toBe(true)
          seen.scored++
        }
        clock.advance(50)
      }
    }
    // the generator reaches both sides and every refusal kind
    expect(seen.accepted).toBeGreaterThan(INPUTS / 10)
    expect(seen.rejected).toBeGreaterThan(INPUTS / 10)
    expect(seen.scored).toBeGreaterThan(200)
    // (TOO_LARGE is the handler's body-size cap, before parsing: test/node/sensors/ingest.test.ts)
    for (const c of [IngestError.JSON, IngestError.INVALID, IngestError.BATCH_TOO_LARGE]) expect(byCode[c] ?? 0, c).toBeGreaterThan(0)
  }, 600_000)
})
