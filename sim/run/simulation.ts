/**
 * One run of a scenario on virtual time: the baseline (every host alone:
 * local detection only) or the mesh (alerts over the simulated gossipsub
 * overlay into each host's real brain).
 *
 * This file holds the run's state and wires its parts; each concern has its
 * own module:
 *   - attack models: sim/attacks/ (worm, targeted; AttackModel);
 *   - adversaries: sim/adversaries/ (liars, sybils, who publishes);
 *   - the host model (attempts, detection, false positives, publishing): ./host-model.ts;
 *   - the network and brain adapters: ./adapters.ts;
 *   - churn and renewal: ./churn.ts;
 *   - measurement (time series, end figures): ./measurement.ts;
 *   - population and ground truths: sim/world/.
 * Per-host state is struct-of-arrays (bitmasks per attack); brains
 * (sim/host/host-brain.ts) are created on first use. Event kinds are
 * allocated by `event()` as the parts register their handlers.
 */
import { createPrng, deriveSeed } from '../../core/index.js'
import type { Clock, Prng } from '../../core/index.js'
import { createAlertIntakeParams, createAlertPublisherParams } from '../../node/intake/index.js'
import { createBrainParams } from '../../node/brain/index.js'
import { createPolicy } from '../../node/respond/index.js'
import type { Policy } from '../../node/respond/index.js'
import { makeSignature } from '../../node/signatures/index.js'
import type { Alert, SignatureIndicator } from '../../protocol/alert/index.js'
import { createReputationParams } from '../../protocol/reputation/index.js'
import { Liars, publishes, Sybils } from '../adversaries/index.js'
import type { AdversaryContext } from '../adversaries/index.js'
import { attackKind } from '../attacks/index.js'
import type { AttackContext, AttackModel } from '../attacks/index.js'
import { SimScenarioError } from '../errors.js'
import { Engine } from '../engine/index.js'
import type { EventHandler } from '../engine/index.js'
import { hostAddress } from '../host/index.js'
import { HostBrain } from '../host/index.js'
import type { BrainParams } from '../host/index.js'
import { GossipNetwork, Overlay } from '../network/index.js'
import type { Scenario, ScenarioAttack } from '../scenario/index.js'
import { buildPopulation, FLAG_DISTRUST, FLAG_OFFLINE, FLAG_VULNERABLE, ROLE_HONEST } from '../world/index.js'
import { GroundTruth } from '../world/index.js'
import type { Population } from '../world/index.js'
import { BrainAdapter, NetworkAdapter } from './adapters.js'
import { Churn, Renewal } from './churn.js'
import { CELL, HostModel, NORMAL_CONTEXTS } from './host-model.js'
import { Measurement } from './measurement.js'
import type { RunMetrics, SeriesRow } from './metrics.js'

export type RunMode = 'baseline' | 'mesh'

export interface SimulationOptions {
  onProgress?: (fraction: number) => void
}

/** Per attack: the model and what the run measures of it. */
export interface AttackState {
  spec: ScenarioAttack
  model: AttackModel
  bit: number
  signature: SignatureIndicator | null
  tpr: number
  infectedNow: number
  immuneClean: number
  thresholds: number[]
  timeToImmune: Array<number | null>
  detections: number
  blocked: number
}

/** The run's counters (end figures). */
export interface RunCounters {
  infectedAny: number
  everInfected: number
  peakInfected: number
  attempts: number
  blockedAttempts: number
  detections: number
  falseBlocks: number
  honestHarmed: number
  remoteBlocks: number
  poisonedAdopted: number
  honestReceipts: number
  expectedReceipts: number
}

export class Simulation implements EventHandler, AttackContext, AdversaryContext {
  readonly engine: Engine
  readonly clock: Clock
  readonly pop: Population
  readonly useMesh: boolean
  readonly overlay: Overlay | null
  readonly network: GossipNetwork | null
  readonly s: Scenario
  readonly durationMs: number
  readonly rng: Prng
  readonly brainParams: BrainParams
  readonly policy: Policy
  readonly brains: Array<HostBrain | undefined>
  private readonly ids: Array<string | undefined>
  readonly infected: Uint32Array
  readonly immune: Uint32Array
  readonly met: Uint32Array
  /** Per host: the attacks whose signature it made itself (its signature hits are of local origin). */
  readonly ownSignature: Uint32Array
  readonly harmed: Uint8Array
  readonly everFlag: Uint8Array
  readonly lied: Uint8Array
  readonly attacks: AttackState[]
  readonly alerts: Alert[] = []
  readonly alertOrigin: number[] = []
  readonly truth: GroundTruth
  readonly counters: RunCounters = {
    infectedAny: 0, everInfected: 0, peakInfected: 0, attempts: 0, blockedAttempts: 0, detections: 0,
    falseBlocks: 0, honestHarmed: 0, remoteBlocks: 0, poisonedAdopted: 0, honestReceipts: 0, expectedReceipts: 0
  }

  readonly host: HostModel
  readonly churn: Churn
  readonly renewal: Renewal
  readonly measurement: Measurement
  readonly liars: Liars | null
  readonly sybils: Sybils | null
  private readonly networkAdapter: NetworkAdapter
  private readonly brainAdapter: BrainAdapter

  private readonly handlers: Array<(a: number, b: number, c: number) => void> = []
  private readonly repairQueue: number[] = []
  private readonly inRepair: Uint8Array
  private readonly housekeepingMs: number
  private readonly quietMs: number
  readonly maxFactor: number
  readonly onProgress?: (fraction: number) => void
  private poisonCount = 0
  private readonly live: (j: number) => boolean
  private readonly banned: (i: number, j: number) => boolean
  readonly touch: (j: number) => void
  private readonly kHeartbeat: number
  private readonly kTick: number
  private readonly kAttackStart: number

  constructor (scenario: Scenario, mode: RunMode, options: SimulationOptions = {}) {
    this.s = scenario
    this.useMesh = mode === 'mesh'
    this.onProgress = options.onProgress
    this.durationMs = scenario.durationS * 1000
    this.engine = new Engine()
    this.clock = this.engine.clock
    this.pop = buildPopulation(scenario, this.useMesh)
    const total = this.pop.total
    this.rng = createPrng(deriveSeed(scenario.seed, 'run'))
    const intake = createAlertIntakeParams({
      maxDecisions: 0, maxRecentAlertIds: 0, maxSignatureCache: 0, wireApplicationScore: false, ...scenario.brain.intake
    })
    this.brainParams = {
      intake,
      reputation: createReputationParams({ maxEventsPerPeer: 0, ...scenario.brain.reputation }),
      publisher: createAlertPublisherParams(scenario.brain.publisher),
      brain: createBrainParams({}),
      policy: createPolicy(scenario.brain.policy, [{ name: CELL, type: 'supervised' }])
    }
    this.housekeepingMs = intake.housekeepingIntervalMs
    this.quietMs = intake.selfish.episodeQuietMs
    this.maxFactor = Math.max(1, intake.maxSensitivityFactor)
    this.policy = this.brainParams.policy
    this.brains = new Array<HostBrain | undefined>(total)
    this.ids = new Array<string | undefined>(total)
    this.infected = new Uint32Array(total)
    this.immune = new Uint32Array(total)
    this.met = new Uint32Array(total)
    this.ownSignature = new Uint32Array(total)
    this.harmed = new Uint8Array(total)
    this.everFlag = new Uint8Array(total)
    this.lied = new Uint8Array(total)
    this.inRepair = new Uint8Array(total)
    this.truth = new GroundTruth(scenario, this.pop, this.infected)
    this.live = (j) => (this.pop.flags[j] & FLAG_OFFLINE) === 0
    this.banned = (i, j) => (this.pop.flags[i] & FLAG_DISTRUST) !== 0 && this.brains[i] !== undefined &&
      this.brains[i]!.reputation.isBlacklisted(this.id(j), this.clock.now())
    this.touch = (j) => { this.markRepair(j) }

    // event kinds: the network's first (its constructor takes them), then every part's own
    const kDeliver = this.event((a, b, c) => { this.network!.onDeliver(a, b, c) })
    const kIhave = this.event((a, b, c) => { this.network!.onIhave(a, b, c) })
    this.kHeartbeat = this.event(() => { this.onHeartbeat() })
    this.kTick = this.event((h) => { this.onTick(h) })
    this.kAttackStart = this.event((k) => { this.attacks[k].model.start() })
    this.networkAdapter = new NetworkAdapter(this)
    this.brainAdapter = new BrainAdapter(this)
    this.host = new HostModel(this)
    this.churn = new Churn(this)
    this.renewal = new Renewal(this)
    this.measurement = new Measurement(this)
    this.liars = this.useMesh && scenario.liars != null ? new Liars(this, scenario.liars) : null
    this.sybils = this.useMesh && scenario.sybil != null ? new Sybils(this, scenario.sybil) : null

    if (this.useMesh) {
      const netRng = createPrng(deriveSeed(scenario.seed, 'overlay'))
      this.overlay = Overlay.random(total, scenario.network, netRng, deriveSeed(scenario.seed, 'latency'))
      this.network = new GossipNetwork(this.engine, this.overlay, scenario.network, createPrng(deriveSeed(scenario.seed, 'network')), this.networkAdapter, { deliver: kDeliver, ihave: kIhave })
    } else {
      this.overlay = null
      this.network = null
    }
    this.attacks = scenario.attacks.map((spec, k) => this.initAttack(spec, k))
    this.schedule()
  }

  // --- identities, events --------------------------------------------------------

  id (h: number): string {
    let v = this.ids[h]
    if (v === undefined) { v = `p${h}`; this.ids[h] = v }
    return v
  }

  hostOfId (id: string): number {
    const h = Number(id.slice(1))
    return Number.isInteger(h) && h >= 0 && h < this.pop.total ? h : -1
  }

  epochNow (): number { return this.engine.epochMs + this.engine.now }

  event (handler: (a: number, b: number, c: number) => void): number {
    this.handlers.push(handler)
    // kind 0 fires Clock timers (sim/engine)
    return this.handlers.length
  }

  handle (kind: number, a: number, b: number, c: number): void {
    const h = this.handlers[kind - 1]
    if (h !== undefined) h(a, b, c)
  }

  // --- AttackContext / AdversaryContext -------------------------------------------

  get members (): number { return this.pop.members }
  get total (): number { return this.pop.total }
  get vulnerable (): number { return this.pop.vulnerable }
  isVulnerable (h: number): boolean { return (this.pop.flags[h] & FLAG_VULNERABLE) !== 0 }
  isOffline (h: number): boolean { return (this.pop.flags[h] & FLAG_OFFLINE) !== 0 }
  isInfected (h: number, k: number): boolean { return (this.infected[h] & this.attacks[k].bit) !== 0 }
  attempt (t: number, k: number, src: number): void { this.host.attempt(t, k, src) }
  infect (h: number, k: number): void { this.host.infect(h, k) }

  randomHonest (not: number): number {
    for (let tries = 0; tries < 1000; tries++) {
      const v = this.rng.nextInt(this.pop.members)
      if (v !== not && this.pop.role[v] === ROLE_HONEST) return v
    }
    return (not + 1) % this.pop.members
  }

  lieContext (): string {
    const n = this.attacks.length
    return n > 0 && this.rng.next() < 0.5 ? this.attacks[this.rng.nextInt(n)].spec.context : `GET /page/${this.rng.nextInt(NORMAL_CONTEXTS)}`
  }

  newPoisonedSignature (context: string): SignatureIndicator {
    const n = ++this.poisonCount
    const sig = makeSignature({ context, parameter: 'q', tokens: ['select', `normal-token-${n}`], generator: 'clonal-token-set/1', sampleCount: 1 })
    this.truth.signature(sig, -1, true)
    return sig
  }

  publishLie (h: number, victim: number, sig: SignatureIndicator | null): void {
    if ((this.pop.flags[h] & FLAG_OFFLINE) !== 0) return
    const address = this.truth.sourceAddress(victim)
    const context = sig?.context ?? this.lieContext()
    this.lied[h] = 1
    this.host.publishAlert(h, {
      community: this.s.community,
      danger: 2,
      kind: sig != null ? 'signature' : 'source',
      seen: { context, parameter: sig?.parameter ?? '', score: 1, explanation: 'attack seen (false)' },
      sources: [{ address, ttlSec: 3600 }],
      signatures: sig != null ? [sig] : [],
      ttlSec: 600
    })
  }

  /** Does member h report what it sees (honest; an on-off liar in its honest phase)? */
  publishes (h: number): boolean {
    return publishes(this.pop.role[h], this.pop.liarStrategy[h], this.liars?.lyingPhase(this.engine.now) ?? false)
  }

  // --- setup -------------------------------------------------------------------

  private initAttack (spec: ScenarioAttack, k: number): AttackState {
    const kind = attackKind(spec.kind)
    if (kind == null) throw new SimScenarioError(`attacks[${k}].kind`, spec.kind, 'a registered attack kind (sim/attacks)')
    const V = this.pop.vulnerable
    const state: AttackState = {
      spec,
      model: kind.create(this, spec, k),
      bit: (1 << k) >>> 0,
      signature: spec.signature
        ? makeSignature({ context: spec.context, parameter: '', tokens: [`exploit-${k}`, spec.name.toLowerCase().replace(/[^a-z0-9]/g, '') || 'x'], generator: 'clonal-token-set/1', sampleCount: spec.samplesForSignature })
        : null,
      tpr: spec.tpr ?? this.s.detection.tpr,
      infectedNow: 0,
      immuneClean: 0,
      thresholds: [0.5, 0.9, 0.99].map(q => Math.max(1, Math.ceil(q * V))),
      timeToImmune: [null, null, null],
      detections: 0,
      blocked: 0
    }
    if (state.signature != null) this.truth.signature(state.signature, k, false)
    return state
  }

  private schedule (): void {
    const e = this.engine
    const s = this.s
    this.measurement.schedule()
    this.attacks.forEach((a, k) => { if (a.spec.startS * 1000 <= this.durationMs) e.at(a.spec.startS * 1000, this.kAttackStart, k) })
    if (this.useMesh) e.at(s.network.heartbeatMs, this.kHeartbeat)
    this.host.scheduleFalsePositive()
    if (s.churn != null) this.churn.scheduleLeave()
    if (s.renewal != null) this.renewal.schedule()
    this.liars?.schedule()
    this.sybils?.schedule()
  }

  // --- the run -----------------------------------------------------------------

  run (): RunMetrics {
    this.engine.runUntil(this.durationMs, this)
    return this.measurement.metrics()
  }

  get series (): SeriesRow[] { return this.measurement.series }

  // --- brains and housekeeping ----------------------------------------------------

  brain (h: number): HostBrain {
    let b = this.brains[h]
    if (b === undefined) {
      b = new HostBrain(this.brainAdapter, h, this.id(h), this.brainParams, this.s.community)
      this.brains[h] = b
    }
    return b
  }

  private alignUp (t: number): number { return Math.ceil(t / this.housekeepingMs) * this.housekeepingMs }

  ensureTick (brain: HostBrain): void {
    if (brain.tickScheduled) return
    brain.tickScheduled = true
    this.engine.at(this.alignUp(this.engine.now + this.quietMs + 1), this.kTick, brain.host)
  }

  private onTick (h: number): void {
    const brain = this.brains[h]
    if (brain === undefined) return
    brain.intake.tick(this.epochNow())
    if (brain.lastActivityMs + this.quietMs >= this.engine.now) {
      this.engine.at(this.alignUp(Math.max(this.engine.now + this.housekeepingMs, brain.lastActivityMs + this.quietMs + 1)), this.kTick, h)
    } else {
      brain.tickScheduled = false
    }
  }

  markRepair (h: number): void {
    if (this.overlay == null || this.inRepair[h] === 1) return
    this.inRepair[h] = 1
    this.repairQueue.push(h)
  }

  private onHeartbeat (): void {
    const net = this.network!
    net.heartbeat()
    const q = this.repairQueue.splice(0)
    for (const h of q) {
      this.inRepair[h] = 0
      if ((this.pop.flags[h] & FLAG_OFFLINE) !== 0) continue
      this.overlay!.repair(h, this.rng, this.live, this.banned, this.touch)
    }
    this.engine.after(this.s.network.heartbeatMs, this.kHeartbeat)
  }

  // --- read access for tests and memory figures -------------------------------------

  /** Members with a brain. */
  brainCount (): number {
    let n = 0
    for (const b of this.brains) if (b !== undefined) n++
    return n
  }

  /** The brain of host h, if it has one. */
  brainOf (h: number): HostBrain | undefined { return this.brains[h] }

  /** The address of host h (as alerts name it). */
  addressOf (h: number): string { return hostAddress(h) }
}
