/**
 * The daemon's pipeline (node/daemon/pipeline.ts) with real parts: a real level
 * store, the real detector, signature store, reservoir, intake and response
 * system; only the mesh is an in-memory fake and time a ManualClock.
 *
 * Covers the signature self-check: a signature that keeps matching requests
 * the guarding profile judges normal (e.g. one made from a false positive) is
 * retired after 3 such matches from 2 sources, no longer blocks, is never
 * adopted again, and a peer that sent it is refuted (R3).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import type { ManualClock } from '../../../core/clock.js'
import { validateConfig } from '../../../node/config/index.js'
import { createCollaboration } from '../../../node/daemon/collaboration.js'
import type { Collaboration } from '../../../node/daemon/collaboration.js'
import { createDetection } from '../../../node/daemon/detection.js'
import type { CellRef } from '../../../node/daemon/detection-types.js'
import { createLogger } from '../../../node/daemon/logger.js'
import { createPipeline } from '../../../node/daemon/pipeline.js'
import type { Pipeline } from '../../../node/daemon/pipeline.js'
import type { HttpObservation } from '../../../node/observation.js'
import { createPrng } from '../../../core/prng.js'
import { createResponseSystem } from '../../../node/daemon/response-system.js'
import type { ResponseSystem } from '../../../node/daemon/response-system.js'
import { createSignatureMatcher, makeSignature } from '../../../node/signatures/index.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import { createFakeMesh } from '../intake/fake-mesh.js'

const CELL: CellRef = { name: 'ingest', community: 'default' }
const PEER = '12D3KooWPeerThatSentTheSignature'
const logger = createLogger({ level: 'silent', format: 'json' })

let dir: string
let clock: ManualClock
let store: Store
let respond: ResponseSystem
let collab: Collaboration
let stopDetection: () => Promise<void>
let pipeline: Pipeline

function product (id: number, source: string): HttpObservation {
  return { kind: 'http', time: clock.now(), method: 'GET', path: '/product', query: `id=${id}`, body: '', headers: {}, source }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immune-pipeline-'))
  clock = createManualClock()
  store = createStore({ dataDir: dir })
  await store.open()
  const config = validateConfig({ dataDir: dir, cells: [], learning: { minObservations: 200, minDurationSec: 0 } })
  respond = createResponseSystem({ clock, store }, { config })
  await respond.start()
  const detection = createDetection({ clock, store, logger }, { config, snapshotIntervalMs: 3_600_000 })
  await detection.start()
  stopDetection = async () => { await detection.stop() }
  const mesh = createFakeMesh('12D3KooWSelf', () => clock.now())
  collab = createCollaboration({ clock, store, logger, mesh: mesh as never, respond, detection })
  await collab.start()
  pipeline = createPipeline({
    clock, logger, detection, respond,
    reservoir: collab.reservoir, signatures: collab.signatures, clonal: collab.clonal, intake: collab.intake, publisher: collab.publisher
  }, (sigs) => createSignatureMatcher(sigs))
  // learn normal product pages: ids 1..400 except the ones the test keeps back
  const prng = createPrng('pipeline-test')
  for (let i = 0; i < 400; i++) {
    let id = 1 + prng.nextInt(400)
    if (id === 417 || id === 418) id = 7
    const a = await pipeline.observeHttp(CELL, product(id, `192.0.2.${1 + prng.nextInt(50)}`))
    expect(a.verdict).toBe('allow')
    clock.advance(100)
  }
  expect((await pipeline.observeHttp(CELL, product(12, '192.0.2.9'))).phase).toBe('guarding')
})

afterEach(async () => {
  await collab.stop()
  await stopDetection()
  await respond.stop()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('pipeline: signature self-check', () => {
  it('a local signature that matches requests the profile judges normal is retired after 3 matches from 2 sources', async () => {
    const sig = makeSignature({ context: 'get /product', parameter: 'id', tokens: ['417'], generator: 'clonal-token-set/1', sampleCount: 1 })
    await collab.signatures.addLocal(sig, 'made from a false positive')
    // the profile itself finds id=417 normal
    expect(collab.signatures.adopted().map((s) => s.id)).toContain(sig.id)

    const verdicts = []
    for (const source of ['192.0.2.20', '192.0.2.21', '192.0.2.22']) verdicts.push((await pipeline.observeHttp(CELL, product(417, source))).verdict)
    // the first two are still blocked by the signature; the third retires it and is judged by the profile alone
    expect(verdicts).toEqual(['block', 'block', 'allow'])
    const rec = collab.signatures.get(sig.id)
    expect(rec?.status).toBe('rejected')
    expect(rec?.code).toBe('retired')
    expect(rec?.reason).toMatch(/judged normal/)
    expect((await pipeline.observeHttp(CELL, product(417, '192.0.2.23'))).verdict).toBe('allow')
    // never adopted again, whether made locally again or sent by a peer
    await collab.signatures.addLocal(sig)
    expect(collab.signatures.get(sig.id)?.status).toBe('rejected')
    await collab.signatures.record(sig, PEER, { adopted: true, code: 'adopted', reason: 'vetted', normalMatches: 0, normalChecked: 100, sample: [] })
    expect(collab.signatures.get(sig.id)?.status).toBe('rejected')
  })

  it('one client alone cannot retire a signature, and an attack the profile flags never counts against it', async () => {
    const sig = makeSignature({ context: 'get /product', parameter: 'id', tokens: ['418'], generator: 'clonal-token-set/1', sampleCount: 1 })
    await collab.signatures.addLocal(sig)
    for (let i = 0; i < 5; i++) expect((await pipeline.observeHttp(CELL, product(418, '203.0.113.5'))).verdict).toBe('block')
    const attack = makeSignature({ context: 'get /product', parameter: 'id', tokens: ["' or", "'='"], generator: 'clonal-token-set/1', sampleCount: 1 })
    await collab.signatures.addLocal(attack)
    for (const source of ['203.0.113.6', '203.0.113.7', '203.0.113.8', '203.0.113.9']) {
      const a = await pipeline.observeHttp(CELL, { ...product(1, source), query: "id=1'+or+'1'%3D'1" })
      expect(a.verdict).toBe('block')
    }
    expect(collab.signatures.get(sig.id)?.status).toBe('adopted')
    expect(collab.signatures.get(attack.id)?.status).toBe('adopted')
  })

  it('a peer whose signature is retired is refuted (R3)', async () => {
    const sig = makeSignature({ context: 'get /product', parameter: 'id', tokens: ['417'], generator: 'clonal-token-set/1', sampleCount: 2 })
    await collab.signatures.record(sig, PEER, { adopted: true, code: 'adopted', reason: 'vetted', normalMatches: 0, normalChecked: 100, sample: [] })
    for (const source of ['192.0.2.30', '192.0.2.31', '192.0.2.32']) await pipeline.observeHttp(CELL, product(417, source))
    expect(collab.signatures.get(sig.id)?.code).toBe('retired')
    const rep = collab.reputation.get(PEER, clock.now())
    expect(rep.breakdown.R3).toBeLessThan(0)
    expect(collab.intake.explainPeer(PEER).events.some((e) => /retired/.test(e.note ?? ''))).toBe(true)
  })
})

describe('pipeline: response status (issue 9)', () => {
  it('a source whose requests keep causing 500s is a level-1 signal; its suspicious requests are then dangerous', async () => {
    // normal responses teach the baseline (access-log observations carry their status)
    for (let i = 0; i < 200; i++) {
      await pipeline.observeHttp(CELL, { ...product(1 + (i % 300), `192.0.2.${1 + (i % 50)}`), status: 200 })
      clock.advance(100)
    }
    const attacker = '203.0.113.66'
    for (let i = 0; i < 12; i++) {
      const a = await pipeline.observeStatus(CELL, { kind: 'http-status', time: clock.now(), method: 'GET', path: '/product', status: 500, source: attacker })
      expect(a.verdict).toBe('allow')
      clock.advance(200)
    }
    const records = await respond.decisions.list()
    expect(records.some((r) => r.decision.level === 1 && r.decision.context === 'get /product' && /server-error-storm/.test(r.decision.explanation ?? ''))).toBe(true)
    // a request that is only suspicious (an unknown parameter) from the storming source is now blocked
    const a = await pipeline.observeHttp(CELL, { ...product(5, attacker), query: 'id=5&debug=1' })
    expect(a.danger).toBe(2)
    expect(a.verdict).toBe('block')
    expect(a.reasons[0].feature).toBe('server-error-storm')
    // the same request from another client is only suspicious
    expect((await pipeline.observeHttp(CELL, { ...product(5, '192.0.2.77'), query: 'id=5&debug=1' })).verdict).toBe('allow')
  })
})

describe('pipeline: signature types 1 and 2 (KIS, issue 13)', () => {
  const vetted = { adopted: true, code: 'adopted' as const, reason: 'vetted', normalMatches: 0, normalChecked: 100, sample: [] }
  /** The decision manager persists after the verdict: wait (bounded) for the decision a signature took. */
  const decisionFor = async (id: string): Promise<Awaited<ReturnType<typeof respond.decisions.list>>[number] | undefined> => {
    for (let i = 0; i < 200; i++) {
      const d = (await respond.decisions.list({ limit: 50 })).find((r) => r.decision.refs?.signature === id)
      if (d != null) return d
      await new Promise((resolve) => setImmediate(resolve))
    }
    return undefined
  }
  const sqli = (source: string): HttpObservation => ({ ...product(1, source), query: `id=${encodeURIComponent("1' union select password from users --")}` })

  it('a peer\'s signature is type 1 at a guarding member: it blocks what the profile also scores >= 1, and the decision names signature, type, origin and local score', async () => {
    const sig = makeSignature({ context: 'get /product', parameter: 'id', tokens: ['union select', 'password'], generator: 'clonal-token-set/1', sampleCount: 1 })
    await collab.signatures.record(sig, PEER, vetted)
    expect(collab.signatures.get(sig.id)?.type).toBe(1)
    const a = await pipeline.observeHttp(CELL, sqli('203.0.113.40'))
    expect(a.verdict).toBe('block')
    expect(a.reasons[0]).toMatchObject({ feature: 'signature' })
    const d = await decisionFor(sig.id)
    expect(d?.decision.refs).toMatchObject({ signature: sig.id, signatureOrigin: PEER })
    expect([1, 2]).toContain(d?.decision.refs?.signatureType)
    expect(typeof d?.decision.refs?.score).toBe('number')
    expect(d?.decision.refs?.score).toBeGreaterThan(0)
  })

  it('a poisoned type-1 signature that matches normal requests blocks none of them, is retired and its origin refuted', async () => {
    const poison = makeSignature({ context: 'get /product', parameter: 'id', tokens: ['12'], generator: 'clonal-token-set/1', sampleCount: 1 })
    await collab.signatures.record(poison, PEER, vetted)
    const verdicts = []
    for (const source of ['192.0.2.40', '192.0.2.41', '192.0.2.42', '192.0.2.43']) verdicts.push((await pipeline.observeHttp(CELL, product(12, source))).verdict)
    expect(verdicts).toEqual(['allow', 'allow', 'allow', 'allow'])
    expect(collab.signatures.get(poison.id)?.code).toBe('retired')
    expect(collab.reputation.get(PEER, clock.now()).breakdown.R3).toBeLessThan(0)
  })

  it('becomes type 2 on this member\'s own evidence only: its detector scores a matching request danger 2', async () => {
    const sig = makeSignature({ context: 'get /product', parameter: 'id', tokens: ['union select'], generator: 'clonal-token-set/1', sampleCount: 1 })
    await collab.signatures.record(sig, PEER, vetted)
    // many reputable origins sending it change nothing
    for (let i = 0; i < 5; i++) await collab.signatures.record(sig, `12D3KooWOther${i}`, vetted)
    expect(collab.signatures.get(sig.id)?.type).toBe(1)
    const a = await pipeline.observeHttp(CELL, sqli('203.0.113.41'))
    expect(a.verdict).toBe('block')
    // the profile scored it 2 (an injection in a numeric id): promoted, with the reason
    const rec = collab.signatures.get(sig.id)
    expect(rec?.type).toBe(2)
    expect(rec?.promotedReason).toMatch(/own detector/)
  })

  it('at a member still learning: held back (allowed, not learned) below the vetting floor, blocks alone above it, lets a known normal client through and retires on three of them', async () => {
    // another cell of the node: its detector has learned nothing yet (a member still learning)
    const LEARNER: CellRef = { name: 'learner', community: 'default' }
    const search = (q: string, source: string): HttpObservation => ({ kind: 'http', time: clock.now(), method: 'GET', path: '/search', query: `q=${encodeURIComponent(q)}`, body: '', headers: {}, source })
    const sig = makeSignature({ context: 'get /search', parameter: 'q', tokens: ['zzkw'], generator: 'clonal-token-set/1', sampleCount: 1 })
    await collab.signatures.record(sig, PEER, vetted)
    // below the floor (no normal traffic of the context yet): held back, not learned
    const first = await pipeline.observeHttp(LEARNER, search('shoes zzkw', '203.0.113.50'))
    expect(first).toMatchObject({ verdict: 'allow', phase: 'learning' })
    expect(first.reasons[0].feature).toBe('signature-held')
    expect(collab.reservoir.values('get /search').length).toBe(0)
    // 90 normal searches from 30 clients over 3 minutes: the context is still learning (minObservations 200)
    for (let i = 0; i < 90; i++) {
      await pipeline.observeHttp(LEARNER, search(`word${i % 7} shoes`, `192.0.2.${100 + (i % 30)}`))
      clock.advance(2_000)
    }
    expect(collab.reservoir.values('get /search').length).toBe(90)
    const second = await pipeline.observeHttp(LEARNER, search('shoes zzkw', '203.0.113.51'))
    expect(second.verdict).toBe('block')
    const d = await decisionFor(sig.id)
    expect(d?.decision.refs).toMatchObject({ signatureType: 1, signatureOrigin: PEER, score: -1, phase: 'learning' })
    // a known normal client's match looks like the normal population: allowed; three of them retire it
    const verdicts = []
    for (const source of ['192.0.2.100', '192.0.2.101', '192.0.2.102']) verdicts.push((await pipeline.observeHttp(LEARNER, search('zzkw boots', source))).verdict)
    expect(verdicts).toEqual(['allow', 'allow', 'allow'])
    expect(collab.signatures.get(sig.id)?.code).toBe('retired')
    expect(collab.reputation.get(PEER, clock.now()).breakdown.R3).toBeLessThan(0)
  })
})
