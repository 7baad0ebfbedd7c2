/**
 * One brain, two bodies (DESIGN.md invariant 5, issue 12): the same sequence
 * of dangers and alerts through the daemon's body (the real pipeline with a
 * trained detector, the collaboration's intake, the response system with its
 * level-backed decision manager and responders) and through the simulator's
 * body (a simulated host's HostBrain with its own intake), on the same manual
 * clock. Each body reacts through node/brain; the test asserts that they take
 * the same decisions, hold the same deny list, raise the same threat level and
 * sensitivity, and let the same blocks end.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock, createPrng } from '../../../core/index.js'
import type { ManualClock } from '../../../core/index.js'
import type { Danger, Reaction } from '../../../node/brain/index.js'
import { validateConfig } from '../../../node/config/index.js'
import { createCollaboration } from '../../../node/daemon/collaboration.js'
import type { Collaboration } from '../../../node/daemon/collaboration.js'
import { createDetection } from '../../../node/daemon/detection.js'
import type { CellRef } from '../../../node/daemon/detection-types.js'
import { createLogger } from '../../../node/daemon/logger.js'
import { createPipeline } from '../../../node/daemon/pipeline.js'
import type { Pipeline } from '../../../node/daemon/pipeline.js'
import { createResponseSystem } from '../../../node/daemon/response-system.js'
import type { ResponseSystem } from '../../../node/daemon/response-system.js'
import { createAlertIntakeParams, createAlertPublisherParams } from '../../../node/intake/index.js'
import type { HttpObservation } from '../../../node/observation.js'
import type { Decision } from '../../../node/respond/index.js'
import { createSignatureMatcher, makeSignature } from '../../../node/signatures/index.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import { createReputationParams } from '../../../protocol/reputation/index.js'
import { HostBrain } from '../../../sim/host/index.js'
import type { BrainWorld } from '../../../sim/host/index.js'
import { createFakeMesh, makeAlert } from '../intake/fake-mesh.js'

const COMMUNITY = 'shop'
const CELL: CellRef = { name: 'ingest', community: COMMUNITY }
const logger = createLogger({ level: 'silent', format: 'json' })
const ALICE = '12D3KooWAlice'
const BOB = '12D3KooWBob'

let dir: string
let clock: ManualClock
let store: Store
let respond: ResponseSystem
let collab: Collaboration
let stopDetection: () => Promise<void>
let pipeline: Pipeline
/** What the daemon's body handed its brain, in order. */
let dangers: Danger[]
/** What the daemon's body handed its brain, in order: dangers and normal requests (the scanner rule's denominator). */
let inputs: Array<{ danger: Danger } | { source: string, atMs: number }>
let daemonReactions: Reaction[]

const item = (q: string, source: string): HttpObservation => ({ kind: 'http', time: clock.now(), method: 'GET', path: '/item', query: q, body: '', headers: {}, source })

/** The simulator's body: a simulated host's brain on the same clock (its world only counts). */
function simHost (): { host: HostBrain, remoteBlocks: string[] } {
  const remoteBlocks: string[] = []
  const world: BrainWorld = {
    clock,
    vet: () => ({ adopted: true, reason: 'matched no normal observation', normalMatches: 0 }),
    adopt: () => {},
    remoteBlock: (_h, address) => { remoteBlocks.push(address) },
    remoteUnblock: () => {},
    subscribers: () => [],
    negativeEvidence: () => {}
  }
  const host = new HostBrain(world, 0, '12D3KooWSimHost', {
    intake: createAlertIntakeParams({}),
    reputation: createReputationParams({}),
    publisher: createAlertPublisherParams({}),
    brain: respond.brain.params,
    policy: respond.brain.policy
  }, COMMUNITY)
  return { host, remoteBlocks }
}

const shape = (d: Decision): unknown => ({ id: d.id, action: d.action, target: d.target, level: d.level, origin: d.origin, expiresAtMs: d.expiresAtMs, dryRun: d.dryRun, params: d.params, reason: d.reason })

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immune-two-bodies-'))
  clock = createManualClock()
  store = createStore({ dataDir: dir })
  await store.open()
  const config = validateConfig({ dataDir: dir, cells: [], ingest: { community: COMMUNITY }, learning: { minObservations: 200, minDurationSec: 0 }, policy: { nftables: 'off' } })
  respond = createResponseSystem({ clock, store }, { config })
  await respond.start()
  dangers = []
  inputs = []
  daemonReactions = []
  const brain = respond.brain
  const onDanger = brain.onDanger.bind(brain)
  brain.onDanger = (d: Danger): Reaction => { dangers.push(structuredClone(d)); inputs.push({ danger: structuredClone(d) }); const r = onDanger(d); daemonReactions.push(r); return r }
  const onRequest = brain.onRequest.bind(brain)
  brain.onRequest = (source: string, atMs?: number): void => { inputs.push({ source, atMs: atMs ?? clock.now() }); onRequest(source, atMs) }
  const detection = createDetection({ clock, store, logger, sensitivity: (c) => brain.sensitivity(c) }, { config, snapshotIntervalMs: 3_600_000 })
  await detection.start()
  stopDetection = async () => { await detection.stop() }
  const mesh = createFakeMesh('12D3KooWDaemon', () => clock.now())
  collab = createCollaboration({ clock, store, logger, mesh: mesh as never, respond, detection })
  await collab.start()
  pipeline = createPipeline({
    clock, logger, detection, respond,
    reservoir: collab.reservoir, signatures: collab.signatures, clonal: collab.clonal, intake: collab.intake, publisher: collab.publisher
  }, (sigs) => createSignatureMatcher(sigs))
  const prng = createPrng('two-bodies')
  for (let i = 0; i < 300; i++) {
    await pipeline.observeHttp(CELL, item(`id=${1 + prng.nextInt(300)}`, `192.0.2.${1 + prng.nextInt(50)}`))
    clock.advance(100)
  }
})

afterEach(async () => {
  await collab.stop()
  await stopDetection()
  await respond.stop()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('one brain, two bodies', () => {
  it('the daemon and a simulated host take the same decisions on the same dangers and alerts', async () => {
    const { host, remoteBlocks } = simHost()
    const simReactions: Reaction[] = []
    let replayed = 0
    /** Hand the simulated host what the daemon's body handed its brain since the last call (the training's normal requests too). */
    const replay = (): void => {
      for (; replayed < inputs.length; replayed++) {
        const x = inputs[replayed]
        if ('danger' in x) simReactions.push(host.node.onDanger(x.danger))
        else host.node.onRequest(x.source, x.atMs)
      }
    }
    replay()

    // 1. an attack the profile finds (level 2): the request is blocked, the source is not (one offence is not strong evidence)
    const attacker = '203.0.113.9'
    const a1 = await pipeline.observeHttp(CELL, item("id=1'+union+select+password+from+users--", attacker))
    replay()
    expect(a1.verdict).toBe('block')
    expect(respond.denyList.isDenied(attacker)).toBe(false)
    expect(host.isDenied(attacker, clock.now())).toBe(false)
    // ...it goes on: the repeated offences (or the signature clonal selection made of the first) block the source in both bodies
    for (let i = 0; i < 2 && !respond.denyList.isDenied(attacker); i++) {
      clock.advance(1000)
      expect((await pipeline.observeHttp(CELL, item("id=1'+union+select+password+from+users--", attacker))).verdict).toBe('block')
      replay()
    }
    expect(respond.denyList.isDenied(attacker)).toBe(true)
    expect(host.isDenied(attacker, clock.now())).toBe(true)
    const attackerDangers = dangers.length
    clock.advance(1000)
    // 2. an adopted peer signature hits (a signature hit, from another source)
    const sig = makeSignature({ context: 'get /item', parameter: 'id', tokens: ['etc', 'passwd'], generator: 'clonal-token-set/1', sampleCount: 1 })
    await collab.signatures.record(sig, ALICE, { adopted: true, code: 'adopted', reason: 'vetted', normalMatches: 0, normalChecked: 100, sample: [] })
    const a2 = await pipeline.observeHttp(CELL, item('id=../../etc/passwd', '203.0.113.10'))
    replay()
    expect(a2.verdict).toBe('block')
    expect(dangers.map(d => d.signature != null ? 'signature' : `profile ${d.profile?.level}`).slice(0, 1)).toEqual(['profile 2'])
    expect(dangers[attackerDangers].signature?.indicator.id).toBe(sig.id)
    // a signature hit is strong evidence: its source is blocked at once
    expect(respond.denyList.isDenied('203.0.113.10')).toBe(true)

    // 3. the deny list now holds both sources in both bodies: the next request from them is blocked without scoring
    expect((await pipeline.observeHttp(CELL, item('id=5', attacker))).verdict).toBe('block')
    expect(host.isDenied(attacker, clock.now())).toBe(true)
    replay()
    expect(dangers).toHaveLength(attackerDangers + 1)

    // 4. peers' alerts about a third source, through each body's own intake: a reputation-weighted quorum blocks it
    const named = '198.51.100.77'
    for (const table of [collab.reputation, host.reputation]) for (const p of [ALICE, BOB]) table.record(p, 'R1', 20, clock.now(), 'history')
    for (const origin of [ALICE, BOB]) {
      const alert = makeAlert({ origin, community: COMMUNITY, context: 'get /item', sources: [{ address: named, ttlSec: 3600 }], issuedAtMs: clock.now() })
      await collab.intake.handleAlert({ alert, envelope: new Uint8Array(0), from: origin, receivedAtMs: clock.now() })
      host.intake.handleAlert({ alert, envelope: new Uint8Array(0), from: origin, receivedAtMs: clock.now() })
    }
    await respond.decisions.list() // let the decision manager's writes land
    expect(remoteBlocks).toEqual([named])

    // same reactions, same decisions (ids included: same time, same escalation state)
    expect(daemonReactions).toHaveLength(attackerDangers + 1)
    expect(daemonReactions[0].breakdown?.decisions.map(d => d.action)).toEqual(['log', 'raise-threat'])
    expect(daemonReactions.flatMap(r => r.breakdown?.decisions.filter(d => d.action === 'block-source').map(d => (d.target as { address: string }).address) ?? [])).toEqual([attacker, '203.0.113.10'])
    expect(simReactions.map(r => r.verdict)).toEqual(daemonReactions.map(r => r.verdict))
    expect(simReactions.map(r => r.signals)).toEqual(daemonReactions.map(r => r.signals))
    expect(simReactions.map(r => r.breakdown?.decisions.map(shape))).toEqual(daemonReactions.map(r => r.breakdown?.decisions.map(shape)))
    expect(simReactions.map(r => r.corroboration)).toEqual(daemonReactions.map(r => r.corroboration))
    expect(simReactions.map(r => r.publication?.danger)).toEqual(daemonReactions.map(r => r.publication?.danger))
    // the daemon's decision manager applied every one of them (responders, store) and they are the brain's
    const applied = (await respond.decisions.list()).map(x => x.decision.id).sort()
    const decided = [...daemonReactions.flatMap(r => r.breakdown?.decisions ?? [])].map(d => d.id)
    expect(applied).toEqual(expect.arrayContaining(decided))
    const deny = (b: { list: (now?: number) => Array<{ address: string, expiresAtMs: number }> }): unknown => b.list(clock.now()).map(e => [e.address, e.expiresAtMs]).sort()
    expect(deny(host.node.denyList)).toEqual(deny(respond.denyList))
    expect(respond.denyList.isDenied(named)).toBe(true)
    expect(host.node.threat.level()).toBe(respond.threat.level())
    expect(respond.threat.level()).toBe(2)
    // peer warnings raised the same sensitivity in both (the daemon's detectors read this table)
    expect(host.sensitivityFor('get /item', clock.now())).toBe(respond.brain.sensitivityFactor(COMMUNITY, 'get /item'))
    expect(host.sensitivityFor('get /item', clock.now())).toBeGreaterThan(1)

    // 5. our own evidence refutes the named source: both bodies lift the remote block
    collab.intake.refute({ reason: `${named} is a normal client here`, source: named })
    host.intake.refute({ reason: `${named} is a normal client here`, source: named }, clock.now())
    await respond.decisions.list()
    await new Promise<void>((resolve) => { setImmediate(resolve) })
    expect(respond.denyList.isDenied(named)).toBe(false)
    expect(host.isDenied(named, clock.now())).toBe(false)

    // 6. an hour later the local blocks end in both: the daemon's decision manager undoes them, the simulator's deny list expires
    clock.advance(3_600_000 + 1000)
    await respond.decisions.list()
    expect(respond.denyList.isDenied(attacker)).toBe(false)
    expect(host.isDenied(attacker, clock.now())).toBe(false)
    expect(deny(host.node.denyList)).toEqual(deny(respond.denyList))
  })
})
