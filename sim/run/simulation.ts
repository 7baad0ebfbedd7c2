/**
 * One run of a scenario on virtual time: the baseline (every host alone:
 * local detection only) or the mesh (alerts over the simulated gossipsub
 * overlay into each host's real brain).
 *
 * Per-host state is struct-of-arrays (population.ts, bitmasks per attack);
 * brains (host-brain.ts) are created on first use. Attacks:
 *   - worm: random scanning; the infected hosts together make one Poisson
 *     stream of attempts at rate β·I (β = ln 2 / doubling time, spread over
 *     all members so that the vulnerable ones are hit at the doubling rate);
 *     each attempt hits a uniformly random member from a random infected host;
 *   - targeted: an outside attacker tries a fixed set of members (Poisson).
 * An attempt on a host: dropped if the source is blocked on remote quorum;
 * blocked if the host holds the attack's signature (adopted or its own) and
 * the policy blocks local level-2 danger; else detected with the attack's
 * TPR (raised by peer sensitivity: 1 − (1 − p)^factor) if the host has an
 * armed detector; else an infection if the host is vulnerable. A detection
 * goes through the real policy `decide()`, counts samples for clonal
 * selection (a signature after `samplesForSignature` detections and
 * `signatureDelayS`), and is published through the real AlertPublisher.
 * Every local meeting with an attack corroborates the peers that warned (R1).
 */
import { createAlert } from '../../protocol/alert/envelope.js'
import type { Alert, AlertDraft, SignatureIndicator } from '../../protocol/alert/types.js'
import type { Clock } from '../../core/index.js'
import type { VetResult } from '../../node/intake/alert-intake.js'
import type { AlertDecisionRecord } from '../../node/intake/decision-records.js'
import { createAlertIntakeParams } from '../../node/intake/intake-params.js'
import { createAlertPublisherParams } from '../../node/intake/alert-publisher.js'
import type { LocalDanger } from '../../node/intake/alert-publisher.js'
import { createPolicy, decideWithBreakdown, emptyPolicyState, recordOffence } from '../../node/respond/policy.js'
import type { Policy } from '../../node/respond/policy.js'
import type { ActionType, DangerEvent } from '../../node/respond/policy-types.js'
import { createPrng, deriveSeed } from '../../core/index.js'
import type { Prng } from '../../core/index.js'
import { makeSignature } from '../../node/signatures/signature.js'
import { createReputationParams } from '../../protocol/reputation/reputation-params.js'
import { Engine } from '../engine/engine.js'
import type { EventHandler } from '../engine/engine.js'
import { hash01 } from '../engine/hash.js'
import { LogHistogram } from '../engine/log-histogram.js'
import { attackerAddress, clientAddress, hostAddress } from '../host/addresses.js'
import { HostBrain } from '../host/host-brain.js'
import type { BrainParams, BrainWorld } from '../host/host-brain.js'
import { GossipNetwork } from '../network/gossip-network.js'
import type { NetworkHost } from '../network/gossip-network.js'
import { Overlay } from '../network/overlay.js'
import type { Scenario, ScenarioAttack } from '../scenario/scenario-types.js'
import { ratio, r6 } from './metrics.js'
import type { AttackMetrics, RunMetrics, SeriesRow } from './metrics.js'
import {
  buildPopulation, FLAG_DETECTOR, FLAG_DISTRUST, FLAG_OFFLINE, FLAG_VULNERABLE, LIAR_COORDINATED, LIAR_ON_OFF,
  ROLE_HONEST, ROLE_LIAR, ROLE_SELFISH, ROLE_SYBIL
} from './population.js'
import type { Population } from './population.js'

export type RunMode = 'baseline' | 'mesh'

const K_DELIVER = 1
const K_IHAVE = 2
const K_HEARTBEAT = 3
const K_SCAN = 4
const K_TARGETED = 5
const K_FALSE_POSITIVE = 6
const K_SIGNATURE_READY = 7
const K_LIE = 8
const K_LIAR_WAVE = 9
const K_LIAR_PUBLISH = 10
const K_SYBIL_WAVE = 11
const K_SYBIL_PUBLISH = 12
const K_LEAVE = 13
const K_JOIN = 14
const K_RENEW = 15
const K_SAMPLE = 16
const K_REFUTE = 17
const K_ATTACK_START = 18
const K_TICK = 19
const K_MARK_600 = 20

const BLOCKING_ACTIONS: ReadonlySet<ActionType> = new Set<ActionType>(['block-source', 'quarantine', 'terminate-and-renew'])
const NORMAL_CONTEXTS = 16
const CLIENTS = 65_536
const EMPTY = new Uint8Array(0)
/** Mean delay until a host sees a normal request from a client named by an alert (it then refutes). */
const REFUTE_MEAN_MS = 60_000
const REPUTATION_OBSERVERS = 40
const BLACKLIST_OBSERVERS = 2000
const SALT_VET = 0x5e77
const SALT_CLIENT = 0xc11e

/** The source of an attempt is not visible. */
const NO_SOURCE = -0x40000000

/** Ground truth of an address named in an alert. */
const TRUTH_ATTACKER = -1
const clientCode = (k: number): number => -2 - k

export interface SimulationOptions {
  onProgress?: (fraction: number) => void
}

interface AttackState {
  spec: ScenarioAttack
  bit: number
  startMs: number
  endMs: number
  worm: boolean
  /** worm: attempts per ms per infected host, over all members. */
  betaPerMs: number
  /** worm: live infected hosts (the scanners) and their positions. */
  scanners: Int32Array
  scannerPos: Int32Array | null
  scanning: number
  version: number
  targets: Int32Array
  signature: SignatureIndicator | null
  tpr: number
  infectedNow: number
  immuneClean: number
  thresholds: number[]
  timeToImmune: Array<number | null>
  detections: number
  blocked: number
}

export class Simulation implements EventHandler, NetworkHost, BrainWorld {
  readonly engine: Engine
  readonly clock: Clock
  readonly pop: Population
  readonly useMesh: boolean
  readonly overlay: Overlay | null
  readonly network: GossipNetwork | null
  readonly series: SeriesRow[] = []
  private readonly s: Scenario
  private readonly durationMs: number
  private readonly rng: Prng
  private readonly brainParams: BrainParams
  private readonly policy: Policy
  private readonly sigHitBlocks: boolean
  private readonly brains: Array<HostBrain | undefined>
  private readonly ids: Array<string | undefined>
  private readonly infected: Uint32Array
  private readonly immune: Uint32Array
  private readonly met: Uint32Array
  private readonly attacks: AttackState[]
  private readonly samples = new Map<number, number>()
  private readonly pendingSignature = new Map<number, number>()
  private readonly policyStates = new Map<number, ReturnType<typeof emptyPolicyState>>()
  private readonly alerts: Alert[] = []
  private readonly alertOrigin: number[] = []
  private readonly sigTruth = new Map<string, { attack: number, poisoned: boolean }>()
  private readonly addressTruth = new Map<string, number>()
  private readonly harmed: Uint8Array
  private readonly everFlag: Uint8Array
  private readonly lied: Uint8Array
  private readonly latency = new LogHistogram()
  private readonly liveList: Int32Array
  private readonly livePos: Int32Array
  private liveCount: number
  private leaveVersion = 0
  private readonly repairQueue: number[] = []
  private readonly inRepair: Uint8Array
  private readonly waveVictim: number[] = []
  private readonly waveSignature: Array<SignatureIndicator | null> = []
  private readonly housekeepingMs: number
  private readonly quietMs: number
  private readonly maxFactor: number
  private readonly onProgress?: (fraction: number) => void
  private readonly vetSeed: number
  private readonly clientSeed: number
  private seq = 0
  private poisonCount = 0
  private infectedAny = 0
  private everInfected = 0
  private peakInfected = 0
  private infectedAt600: number | null = null
  private attemptsTotal = 0
  private blockedAttempts = 0
  private detections = 0
  private falseBlocks = 0
  private honestHarmed = 0
  private remoteBlocks = 0
  private poisonedAdopted = 0
  private honestReceipts = 0
  private renewalsCleaned = 0
  private expectedReceipts = 0
  private fpVersion = 0
  private readonly live: (j: number) => boolean
  private readonly banned: (i: number, j: number) => boolean
  private readonly touch: (j: number) => void

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
    this.vetSeed = deriveSeed(scenario.seed, 'vet') ^ SALT_VET
    this.clientSeed = deriveSeed(scenario.seed, 'client') ^ SALT_CLIENT
    const intake = createAlertIntakeParams({
      maxDecisions: 0, maxRecentAlertIds: 0, maxSignatureCache: 0, wireApplicationScore: false, ...scenario.brain.intake
    })
    this.brainParams = {
      intake,
      reputation: createReputationParams({ maxEventsPerPeer: 0, ...scenario.brain.reputation }),
      publisher: createAlertPublisherParams(scenario.brain.publisher)
    }
    this.housekeepingMs = intake.housekeepingIntervalMs
    this.quietMs = intake.selfish.episodeQuietMs
    this.maxFactor = Math.max(1, intake.maxSensitivityFactor)
    this.policy = createPolicy(scenario.brain.policy, [{ name: 'svc', type: 'supervised' }])
    this.sigHitBlocks = this.probePolicy()
    this.brains = new Array<HostBrain | undefined>(total)
    this.ids = new Array<string | undefined>(total)
    this.infected = new Uint32Array(total)
    this.immune = new Uint32Array(total)
    this.met = new Uint32Array(total)
    this.harmed = new Uint8Array(total)
    this.everFlag = new Uint8Array(total)
    this.lied = new Uint8Array(total)
    this.inRepair = new Uint8Array(total)
    this.liveList = new Int32Array(this.pop.members)
    this.livePos = new Int32Array(this.pop.members)
    for (let i = 0; i < this.pop.members; i++) { this.liveList[i] = i; this.livePos[i] = i }
    this.liveCount = this.pop.members
    this.live = (j) => (this.pop.flags[j] & FLAG_OFFLINE) === 0
    this.banned = (i, j) => (this.pop.flags[i] & FLAG_DISTRUST) !== 0 && this.brains[i] !== undefined &&
      this.brains[i]!.reputation.isBlacklisted(this.id(j), this.clock.now())
    this.touch = (j) => { this.markRepair(j) }

    if (this.useMesh) {
      const netRng = createPrng(deriveSeed(scenario.seed, 'overlay'))
      this.overlay = Overlay.random(total, scenario.network, netRng, deriveSeed(scenario.seed, 'latency'))
      this.network = new GossipNetwork(this.engine, this.overlay, scenario.network, createPrng(deriveSeed(scenario.seed, 'network')), this, { deliver: K_DELIVER, ihave: K_IHAVE })
    } else {
      this.overlay = null
      this.network = null
    }
    this.attacks = scenario.attacks.map((spec, k) => this.initAttack(spec, k))
    this.schedule()
  }

  // --- identities and truths ---------------------------------------------------

  id (h: number): string {
    let v = this.ids[h]
    if (v === undefined) { v = `p${h}`; this.ids[h] = v }
    return v
  }

  private hostOfId (id: string): number {
    const h = Number(id.slice(1))
    return Number.isInteger(h) && h >= 0 && h < this.pop.total ? h : -1
  }

  private epochNow (): number { return this.engine.epochMs + this.engine.now }

  /** The address of an attempt's source (host ≥ 0, or −(1 + k·4096 + j) for attack k's outside attacker j), registered as ground truth. */
  private sourceAddress (src: number): string {
    const address = src >= 0 ? hostAddress(src) : attackerAddress((-src - 1) >>> 12, (-src - 1) & 4095)
    if (!this.addressTruth.has(address)) this.addressTruth.set(address, src >= 0 ? src : TRUTH_ATTACKER)
    return address
  }

  private malicious (address: string): boolean {
    const code = this.addressTruth.get(address)
    if (code === undefined) return false
    if (code === TRUTH_ATTACKER) return true
    if (code >= 0) return this.infected[code] !== 0 || this.pop.role[code] === ROLE_SYBIL
    return false
  }

  private isClientOf (h: number, address: string): boolean {
    const code = this.addressTruth.get(address)
    if (code === undefined || code === TRUTH_ATTACKER) return false
    return hash01(this.clientSeed, h, code) < this.s.population.clientShare
  }

  private probePolicy (): boolean {
    const ev: DangerEvent = { cell: 'svc', level: 2, source: hostAddress(0), context: 'probe', explanation: 'probe', origin: 'local' }
    return decideWithBreakdown(ev, emptyPolicyState(), this.policy, 0).decisions.some(d => !d.dryRun && BLOCKING_ACTIONS.has(d.action))
  }

  // --- setup -------------------------------------------------------------------

  private initAttack (spec: ScenarioAttack, k: number): AttackState {
    const members = this.pop.members
    const worm = spec.kind === 'worm'
    const V = this.pop.vulnerable
    const state: AttackState = {
      spec,
      bit: (1 << k) >>> 0,
      startMs: spec.startS * 1000,
      endMs: worm ? Infinity : (spec.startS + spec.durationS) * 1000,
      worm,
      betaPerMs: worm ? Math.LN2 / (spec.doublingTimeS * 1000) / (V / members) : 0,
      scanners: new Int32Array(worm ? 64 : 0),
      scannerPos: worm ? new Int32Array(this.pop.total).fill(-1) : null,
      scanning: 0,
      version: 0,
      targets: new Int32Array(0),
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
    if (state.signature != null) this.sigTruth.set(state.signature.id, { attack: k, poisoned: false })
    return state
  }

  private schedule (): void {
    const e = this.engine
    const s = this.s
    if (this.durationMs >= 600_000) e.at(600_000, K_MARK_600)
    const step = s.sampleIntervalS * 1000
    for (let t = 0; t <= this.durationMs; t += step) e.at(t, K_SAMPLE)
    if (this.durationMs % step !== 0) e.at(this.durationMs, K_SAMPLE)
    this.attacks.forEach((a, k) => { if (a.startMs <= this.durationMs) e.at(a.startMs, K_ATTACK_START, k) })
    if (this.useMesh) e.at(s.network.heartbeatMs, K_HEARTBEAT)
    this.scheduleFalsePositive()
    if (s.churn != null) this.scheduleLeave()
    if (s.renewal != null) {
      for (let h = 0; h < this.pop.members; h++) e.at(this.rng.next() * s.renewal.intervalS * 1000, K_RENEW, h)
    }
    if (this.useMesh && s.liars != null) {
      const L = s.liars
      for (let k = 0; k < this.pop.liars.length; k++) {
        const h = this.pop.liars[k]
        const st = this.pop.liarStrategy[h]
        if (st === LIAR_COORDINATED) continue
        const first = st === LIAR_ON_OFF ? L.startS * 1000 + L.honestPhaseS * 1000 : L.startS * 1000
        e.at(first + this.rng.nextExponential(L.liesPerHour / 3_600_000), K_LIE, h)
      }
      if (this.pop.liars.some(h => this.pop.liarStrategy[h] === LIAR_COORDINATED)) e.at(L.startS * 1000, K_LIAR_WAVE)
    }
    if (this.useMesh && s.sybil != null && this.pop.sybils > 0) e.at(s.sybil.startS * 1000, K_SYBIL_WAVE)
  }

  // --- the run -----------------------------------------------------------------

  run (): RunMetrics {
    this.engine.runUntil(this.durationMs, this)
    return this.metrics()
  }

  handle (kind: number, a: number, b: number, c: number): void {
    switch (kind) {
      case K_DELIVER: this.network!.onDeliver(a, b, c); break
      case K_IHAVE: this.network!.onIhave(a, b, c); break
      case K_SCAN: this.onScan(a, b); break
      case K_TARGETED: this.onTargeted(a); break
      case K_HEARTBEAT: this.onHeartbeat(); break
      case K_FALSE_POSITIVE: this.onFalsePositive(a); break
      case K_SIGNATURE_READY: this.onSignatureReady(a, b); break
      case K_TICK: this.onTick(a); break
      case K_REFUTE: this.onRefute(a, b); break
      case K_LIE: this.onLie(a); break
      case K_LIAR_WAVE: this.onLiarWave(); break
      case K_LIAR_PUBLISH: this.publishLie(a, this.waveVictim[b], this.waveSignature[b]); break
      case K_SYBIL_WAVE: this.onSybilWave(); break
      case K_SYBIL_PUBLISH: this.publishLie(a, this.waveVictim[b], null); break
      case K_LEAVE: this.onLeave(a); break
      case K_JOIN: this.goOnline(a); break
      case K_RENEW: this.onRenew(a); break
      case K_ATTACK_START: this.onAttackStart(a); break
      case K_SAMPLE: this.onSample(); break
      case K_MARK_600: this.infectedAt600 = this.pop.vulnerable > 0 ? this.infectedAny / this.pop.vulnerable : 0; break
      default: break
    }
  }

  // --- attacks -----------------------------------------------------------------

  private onAttackStart (k: number): void {
    const at = this.attacks[k]
    const members = this.pop.members
    if (at.worm) {
      let placed = 0
      for (let tries = 0; placed < at.spec.initialInfected && tries < 1000 * at.spec.initialInfected; tries++) {
        const h = this.rng.nextInt(members)
        const f = this.pop.flags[h]
        if ((f & FLAG_VULNERABLE) === 0 || (f & FLAG_OFFLINE) !== 0 || (this.infected[h] & at.bit) !== 0) continue
        this.infect(h, k)
        placed++
      }
      this.scheduleScan(k)
      return
    }
    const count = Math.min(members, at.spec.targets ?? Math.max(1, Math.round(at.spec.targetFraction * members)))
    const targets = new Int32Array(count)
    if (count * 2 >= members) {
      const perm = new Int32Array(members)
      for (let i = 0; i < members; i++) perm[i] = i
      for (let i = 0; i < count; i++) {
        const j = i + this.rng.nextInt(members - i)
        const t = perm[i]; perm[i] = perm[j]; perm[j] = t
        targets[i] = perm[i]
      }
    } else {
      const chosen = new Set<number>()
      while (chosen.size < count) chosen.add(this.rng.nextInt(members))
      let i = 0
      for (const h of chosen) targets[i++] = h
    }
    at.targets = targets
    this.scheduleTargeted(k)
  }

  private scheduleScan (k: number): void {
    const at = this.attacks[k]
    if (at.scanning === 0) return
    this.engine.after(this.rng.nextExponential(at.betaPerMs * at.scanning), K_SCAN, k, at.version)
  }

  /** The number of scanners changed outside the scan chain: redraw the next scan (memoryless). */
  private rescan (k: number): void {
    this.attacks[k].version++
    this.scheduleScan(k)
  }

  private onScan (k: number, version: number): void {
    const at = this.attacks[k]
    if (version !== at.version || at.scanning === 0) return
    const src = at.scanners[this.rng.nextInt(at.scanning)]
    this.attempt(this.rng.nextInt(this.pop.members), k, src)
    this.scheduleScan(k)
  }

  private scheduleTargeted (k: number): void {
    const at = this.attacks[k]
    const rate = at.targets.length * at.spec.attemptsPerTargetPerMin / 60_000
    const t = this.engine.now + this.rng.nextExponential(rate)
    if (t <= at.endMs && t <= this.durationMs) this.engine.at(t, K_TARGETED, k)
  }

  private onTargeted (k: number): void {
    const at = this.attacks[k]
    const j = at.spec.attackers > 1 ? this.rng.nextInt(at.spec.attackers) : 0
    this.attempt(at.targets[this.rng.nextInt(at.targets.length)], k, at.spec.sourceKnown ? -(1 + k * 4096 + j) : NO_SOURCE)
    this.scheduleTargeted(k)
  }

  private armed (h: number): boolean {
    if ((this.pop.flags[h] & FLAG_DETECTOR) === 0) return false
    const l = this.pop.learningEndMs
    return l == null || l[h] <= this.engine.now
  }

  /** One attack attempt on host t from source src (a host, or −(1 + k·4096 + j) for an outside attacker). */
  private attempt (t: number, k: number, src: number): void {
    const flags = this.pop.flags[t]
    if ((flags & FLAG_OFFLINE) !== 0) return
    const at = this.attacks[k]
    const bit = at.bit
    if ((this.infected[t] & bit) !== 0) return
    this.attemptsTotal++
    const brain = this.brains[t]
    if (brain !== undefined && src !== NO_SOURCE && brain.hasBlocks && brain.isBlocked(this.sourceAddress(src), this.epochNow())) {
      this.blockedAttempts++
      at.blocked++
      return
    }
    if ((this.immune[t] & bit) !== 0) {
      // the matcher hits the signature: local level-2 danger
      const first = (this.met[t] & bit) === 0
      const blocks = first ? this.localDecision(t, k, src) : this.sigHitBlocks
      this.met[t] |= bit
      this.corroborate(t, k, src)
      if (this.s.population.publishSignatureHits && at.signature != null && this.canPublish(t)) {
        this.publishDanger(t, {
          community: this.s.community,
          level: 2,
          context: at.spec.context,
          parameter: '',
          score: 0,
          explanation: `matches adopted signature ${at.signature.id}`,
          ...(src !== NO_SOURCE ? { source: this.sourceAddress(src) } : {}),
          signature: at.signature
        })
      }
      if (blocks) { this.blockedAttempts++; at.blocked++; return }
    } else if (this.armed(t)) {
      let p = at.tpr
      if (brain !== undefined) {
        const f = brain.sensitivityFor(at.spec.context, this.epochNow())
        if (f > 1) p = 1 - Math.pow(1 - p, f)
      }
      if (this.rng.next() < p) {
        this.detections++
        at.detections++
        this.met[t] |= bit
        const blocks = this.localDecision(t, k, src)
        this.onDetected(t, k, src)
        if (blocks) { this.blockedAttempts++; at.blocked++; return }
      }
    }
    if ((flags & FLAG_VULNERABLE) !== 0) this.infect(t, k)
  }

  /** The real policy on a local level-2 danger: does it block (block-source, quarantine, terminate-and-renew)? */
  private localDecision (h: number, k: number, src: number): boolean {
    return this.decideLocal(h, this.attacks[k].spec.context, src === NO_SOURCE ? undefined : this.sourceAddress(src))
  }

  /** decide() for a local level-2 danger; a block-source decision also drops later attempts from that source until it expires. */
  private decideLocal (h: number, context: string, source: string | undefined): boolean {
    let state = this.policyStates.get(h)
    if (state === undefined) { state = emptyPolicyState(); this.policyStates.set(h, state) }
    const now = this.epochNow()
    const ev: DangerEvent = { cell: 'svc', level: 2, context, explanation: 'simulated level-2 detection', origin: 'local', ...(source != null ? { source } : {}) }
    const b = decideWithBreakdown(ev, state, this.policy, now)
    recordOffence(state, ev, b.effectiveLevel, this.policy, now)
    let blocks = false
    for (const d of b.decisions) {
      if (d.dryRun) continue
      if (BLOCKING_ACTIONS.has(d.action)) blocks = true
      if (d.action === 'block-source' && d.target.kind === 'source' && d.expiresAtMs != null) this.brain(h).blockLocally(d.target.address, d.expiresAtMs)
      if (d.action === 'raise-threat' && this.s.renewal != null) {
        this.brain(h).threat.raise({ level: 2, durationMs: Number(d.params.durationSec ?? 0) * 1000, origin: 'local', reason: `local danger in ${context}` })
      }
    }
    return blocks
  }

  private corroborate (h: number, k: number, src: number): void {
    const brain = this.brains[h]
    if (brain === undefined || !this.useMesh) return
    brain.corroboratedAt ??= new Map()
    if ((brain.corroboratedAt.get(k) ?? -1) >= brain.alertsReceived) return
    brain.corroboratedAt.set(k, brain.alertsReceived)
    const at = this.attacks[k]
    brain.intake.corroborate({
      community: this.s.community,
      context: at.spec.context,
      ...(src !== NO_SOURCE ? { source: this.sourceAddress(src) } : {}),
      ...(at.signature != null ? { signatureId: at.signature.id } : {})
    }, this.epochNow())
    brain.lastActivityMs = this.engine.now
    this.ensureTick(brain)
  }

  private onDetected (h: number, k: number, src: number): void {
    const at = this.attacks[k]
    this.corroborate(h, k, src)
    const key = h * 32 + k
    if (at.signature != null && (this.immune[h] & at.bit) === 0 && !this.pendingSignature.has(key)) {
      const n = (this.samples.get(key) ?? 0) + 1
      if (n >= at.spec.samplesForSignature) {
        this.samples.delete(key)
        this.pendingSignature.set(key, src)
        this.engine.after(at.spec.signatureDelayS * 1000, K_SIGNATURE_READY, h, k)
      } else {
        this.samples.set(key, n)
      }
    }
    if (this.canPublish(h)) {
      this.publishDanger(h, {
        community: this.s.community,
        level: 2,
        context: at.spec.context,
        parameter: '',
        score: 1,
        explanation: `simulated level-2 detection of ${at.spec.name}`,
        ...(src !== NO_SOURCE ? { source: this.sourceAddress(src) } : {})
      })
    }
  }

  private onSignatureReady (h: number, k: number): void {
    const key = h * 32 + k
    const src = this.pendingSignature.get(key)
    this.pendingSignature.delete(key)
    const at = this.attacks[k]
    this.giveSignature(h, k)
    if (src !== undefined && at.signature != null && this.canPublish(h) && (this.pop.flags[h] & FLAG_OFFLINE) === 0) {
      this.publishDanger(h, {
        community: this.s.community,
        level: 2,
        context: at.spec.context,
        parameter: '',
        score: 1,
        explanation: `simulated level-2 detection of ${at.spec.name} (signature from clonal selection)`,
        ...(src !== NO_SOURCE ? { source: this.sourceAddress(src) } : {}),
        signature: at.signature
      })
    }
  }

  private infect (h: number, k: number): void {
    const at = this.attacks[k]
    if (this.infected[h] === 0) {
      this.infectedAny++
      if (this.infectedAny > this.peakInfected) this.peakInfected = this.infectedAny
    }
    if (this.everFlag[h] === 0) { this.everFlag[h] = 1; this.everInfected++ }
    this.infected[h] |= at.bit
    at.infectedNow++
    if (at.worm && (this.pop.flags[h] & FLAG_OFFLINE) === 0) this.addScanner(at, h)
  }

  private addScanner (at: AttackState, h: number): void {
    if (at.scannerPos![h] >= 0) return
    if (at.scanning === at.scanners.length) {
      const n = new Int32Array(at.scanners.length * 2); n.set(at.scanners); at.scanners = n
    }
    at.scannerPos![h] = at.scanning
    at.scanners[at.scanning++] = h
  }

  private removeScanner (at: AttackState, h: number): void {
    const pos = at.scannerPos![h]
    if (pos < 0) return
    const last = at.scanners[--at.scanning]
    at.scanners[pos] = last
    at.scannerPos![last] = pos
    at.scannerPos![h] = -1
  }

  /** Renewal: a clean copy of the supervised cell; held signatures keep it immune. */
  private cure (h: number): void {
    const mask = this.infected[h]
    if (mask === 0) return
    for (let k = 0; k < this.attacks.length; k++) {
      const at = this.attacks[k]
      if ((mask & at.bit) === 0) continue
      at.infectedNow--
      if ((this.immune[h] & at.bit) !== 0 && (this.pop.flags[h] & FLAG_VULNERABLE) !== 0) this.countImmune(at, k)
      if (at.worm) { this.removeScanner(at, h); this.rescan(k) }
    }
    this.infected[h] = 0
    this.infectedAny--
  }

  /** Host h now holds attack k's signature (adopted from a peer, or its own). */
  private giveSignature (h: number, k: number): void {
    const at = this.attacks[k]
    if ((this.immune[h] & at.bit) !== 0) return
    this.immune[h] |= at.bit
    if ((this.pop.flags[h] & FLAG_VULNERABLE) !== 0 && (this.infected[h] & at.bit) === 0 && h < this.pop.members) this.countImmune(at, k)
  }

  private countImmune (at: AttackState, _k: number): void {
    at.immuneClean++
    for (let q = 0; q < 3; q++) {
      if (at.timeToImmune[q] == null && at.immuneClean >= at.thresholds[q]) at.timeToImmune[q] = this.engine.now / 1000
    }
  }

  // --- false positives ------------------------------------------------------------

  private fpRatePerMs (): number {
    const p = this.s.population
    return this.pop.detectors.length * p.normalRequestsPerMin / 60_000 * this.s.detection.fpr * this.maxFactor
  }

  private scheduleFalsePositive (): void {
    const rate = this.fpRatePerMs()
    if (rate > 0) this.engine.after(this.rng.nextExponential(rate), K_FALSE_POSITIVE, this.fpVersion)
  }

  private onFalsePositive (version: number): void {
    if (version !== this.fpVersion) return
    this.scheduleFalsePositive()
    const h = this.pop.detectors[this.rng.nextInt(this.pop.detectors.length)]
    if ((this.pop.flags[h] & FLAG_OFFLINE) !== 0 || !this.armed(h)) return
    const context = `GET /page/${this.rng.nextInt(NORMAL_CONTEXTS)}`
    const f = this.brains[h]?.sensitivityFor(context, this.epochNow()) ?? 1
    // thinning: events are drawn at the highest possible sensitivity
    if (this.rng.next() * this.maxFactor >= f) return
    const k = this.rng.nextInt(CLIENTS)
    const source = clientAddress(k)
    if (!this.addressTruth.has(source)) this.addressTruth.set(source, clientCode(k))
    if (this.decideLocal(h, context, source)) this.falseBlocks++
    if (this.canPublish(h)) {
      this.publishDanger(h, { community: this.s.community, level: 2, context, parameter: '', score: 1, explanation: 'simulated level-2 false positive', source })
    }
  }

  // --- publishing ------------------------------------------------------------------

  private canPublish (h: number): boolean {
    if (!this.useMesh) return false
    const role = this.pop.role[h]
    if (role === ROLE_HONEST) return true
    if (role !== ROLE_LIAR || this.pop.liarStrategy[h] !== LIAR_ON_OFF) return false
    return !this.lyingPhase()
  }

  private lyingPhase (): boolean {
    const L = this.s.liars
    if (L == null) return false
    const t = this.engine.now / 1000 - L.startS
    if (t < 0) return false
    return (t % (L.honestPhaseS + L.liePhaseS)) >= L.honestPhaseS
  }

  private publishDanger (h: number, d: LocalDanger): void {
    const decision = this.brain(h).publisher.decide(d, this.epochNow())
    if (decision.draft != null) this.publishAlert(h, decision.draft)
  }

  private publishAlert (h: number, draft: AlertDraft): void {
    const net = this.network
    if (net == null || (this.pop.flags[h] & FLAG_OFFLINE) !== 0) return
    const idx = this.alerts.length
    const alert = createAlert(draft, { id: idx.toString(16).padStart(32, '0'), origin: this.id(h), seq: BigInt(++this.seq), nowMs: this.epochNow() })
    this.alerts.push(alert)
    this.alertOrigin.push(h)
    if (this.pop.role[h] === ROLE_HONEST) this.expectedReceipts += this.liveCount - 1
    net.publish(h)
  }

  private newPoisonedSignature (context: string): SignatureIndicator {
    const n = ++this.poisonCount
    const sig = makeSignature({ context, parameter: 'q', tokens: ['select', `normal-token-${n}`], generator: 'clonal-token-set/1', sampleCount: 1 })
    this.sigTruth.set(sig.id, { attack: -1, poisoned: true })
    return sig
  }

  private randomHonest (not: number): number {
    for (let tries = 0; tries < 1000; tries++) {
      const v = this.rng.nextInt(this.pop.members)
      if (v !== not && this.pop.role[v] === ROLE_HONEST) return v
    }
    return (not + 1) % this.pop.members
  }

  private lieContext (): string {
    const n = this.attacks.length
    return n > 0 && this.rng.next() < 0.5 ? this.attacks[this.rng.nextInt(n)].spec.context : `GET /page/${this.rng.nextInt(NORMAL_CONTEXTS)}`
  }

  /** A false alert from liar/sybil h: block the honest `victim`, with a poisoned signature when given. */
  private publishLie (h: number, victim: number, sig: SignatureIndicator | null): void {
    if ((this.pop.flags[h] & FLAG_OFFLINE) !== 0) return
    const address = this.sourceAddress(victim)
    const context = sig?.context ?? this.lieContext()
    this.lied[h] = 1
    this.publishAlert(h, {
      community: this.s.community,
      danger: 2,
      kind: sig != null ? 'signature' : 'source',
      seen: { context, parameter: sig?.parameter ?? '', score: 1, explanation: 'attack seen (false)' },
      sources: [{ address, ttlSec: 3600 }],
      signatures: sig != null ? [sig] : [],
      ttlSec: 600
    })
  }

  private onLie (h: number): void {
    const L = this.s.liars!
    const onOff = this.pop.liarStrategy[h] === LIAR_ON_OFF
    if (onOff && !this.lyingPhase()) {
      // sleep until the next lying phase starts
      const cycle = (L.honestPhaseS + L.liePhaseS) * 1000
      const t = this.engine.now - L.startS * 1000
      const next = L.startS * 1000 + Math.floor(t / cycle) * cycle + L.honestPhaseS * 1000
      this.engine.at(Math.max(next, this.engine.now) + this.rng.nextExponential(L.liesPerHour / 3_600_000), K_LIE, h)
      return
    }
    const victim = this.randomHonest(h)
    const sig = this.rng.next() < L.poisonShare ? this.newPoisonedSignature(this.lieContext()) : null
    this.publishLie(h, victim, sig)
    this.engine.after(this.rng.nextExponential(L.liesPerHour / 3_600_000), K_LIE, h)
  }

  private onLiarWave (): void {
    const L = this.s.liars!
    const w = this.waveVictim.length
    this.waveVictim.push(this.randomHonest(-1))
    this.waveSignature.push(this.rng.next() < L.poisonShare ? this.newPoisonedSignature(this.lieContext()) : null)
    for (const h of this.pop.liars) {
      if (this.pop.liarStrategy[h] === LIAR_COORDINATED) this.engine.after(this.rng.next() * 2000, K_LIAR_PUBLISH, h, w)
    }
    this.engine.after(L.waveIntervalS * 1000, K_LIAR_WAVE)
  }

  private onSybilWave (): void {
    const S = this.s.sybil!
    const w = this.waveVictim.length
    this.waveVictim.push(this.randomHonest(-1))
    this.waveSignature.push(null)
    const count = Math.max(1, Math.round(S.waveFraction * this.pop.sybils))
    for (let i = 0; i < count; i++) {
      this.engine.after(this.rng.next() * 5000, K_SYBIL_PUBLISH, this.pop.members + this.rng.nextInt(this.pop.sybils), w)
    }
    this.engine.after(S.waveIntervalS * 1000, K_SYBIL_WAVE)
  }

  // --- NetworkHost -----------------------------------------------------------------

  isLive (h: number): boolean { return (this.pop.flags[h] & FLAG_OFFLINE) === 0 }

  accepts (h: number, from: number): boolean {
    if ((this.pop.flags[h] & FLAG_DISTRUST) === 0) return true
    const brain = this.brains[h]
    return brain === undefined || !brain.reputation.isBlacklisted(this.id(from), this.epochNow())
  }

  relays (h: number, a: number): boolean {
    if (this.pop.role[h] !== ROLE_SYBIL || this.s.sybil?.dropHonest !== true) return true
    return this.pop.role[this.alertOrigin[a]] === ROLE_SYBIL
  }

  receive (h: number, a: number, from: number): void {
    if (h >= this.pop.members) return
    if (this.pop.role[this.alertOrigin[a]] === ROLE_HONEST) this.honestReceipts++
    this.latency.add(this.engine.now - this.network!.publishedAtMs(a))
    const alert = this.alerts[a]
    const brain = this.brain(h)
    brain.alertsReceived++
    brain.lastActivityMs = this.engine.now
    const rec = brain.intake.handleAlert({ alert, envelope: EMPTY, from: this.id(from), receivedAtMs: this.epochNow() }) as AlertDecisionRecord
    this.ensureTick(brain)
    if (rec.outcome === 'accepted' && alert.sources.length > 0) {
      for (const s of alert.sources) {
        if (!this.malicious(s.address) && this.isClientOf(h, s.address)) {
          this.engine.after(this.rng.nextExponential(1 / REFUTE_MEAN_MS), K_REFUTE, h, a)
          break
        }
      }
    }
  }

  private onRefute (h: number, a: number): void {
    const brain = this.brains[h]
    if (brain === undefined || (this.pop.flags[h] & FLAG_OFFLINE) !== 0) return
    for (const s of this.alerts[a].sources) {
      if (this.malicious(s.address) || !this.isClientOf(h, s.address)) continue
      brain.intake.refute({ reason: `${s.address} is a normal client here`, source: s.address }, this.epochNow())
    }
  }

  // --- BrainWorld --------------------------------------------------------------------

  brain (h: number): HostBrain {
    let b = this.brains[h]
    if (b === undefined) {
      b = new HostBrain(this, h, this.id(h), this.brainParams)
      b.wantsThreat = this.s.renewal != null
      this.brains[h] = b
    }
    return b
  }

  /**
   * Vetting by ground truth: u = hash(host, signature) decides once and for all
   * whether the signature matches this host's normal traffic (u < m, m the
   * poison or genuine match probability) and whether its normal sample shows
   * it (u < m · sampleCoverage: rejected, R2 for the origin). Between the two
   * it is adopted and blocks normal traffic; above m it is adopted and harmless.
   */
  private vetDraw (h: number, sig: SignatureIndicator): { match: number, rejected: number, u: number, poisoned: boolean, attack: number } | null {
    const truth = this.sigTruth.get(sig.id)
    if (truth == null) return null
    const m = truth.poisoned ? this.s.vetting.poisonMatchProb : this.s.vetting.genuineMatchProb
    return { match: m, rejected: m * this.s.vetting.sampleCoverage, u: hash01(this.vetSeed, h, hashId(sig.id)), poisoned: truth.poisoned, attack: truth.attack }
  }

  vet (h: number, sig: SignatureIndicator): VetResult {
    const d = this.vetDraw(h, sig)
    if (d == null || d.u >= d.rejected) return { adopted: true, reason: 'matched no normal observation', normalMatches: 0 }
    const normalMatches = 1 + Math.floor(d.u * 1e6) % 5
    return { adopted: false, reason: `matched ${normalMatches} normal observation(s)`, normalMatches }
  }

  adopt (h: number, sig: SignatureIndicator, _origin: string): void {
    const d = this.vetDraw(h, sig)
    if (d == null) return
    const blocksNormal = d.u < d.match
    if (d.poisoned) {
      this.poisonedAdopted++
      if (blocksNormal) { this.falseBlocks++; this.harm(h) }
      return
    }
    if (blocksNormal) this.falseBlocks++
    this.giveSignature(h, d.attack)
  }

  private harm (h: number): void {
    if (this.pop.role[h] === ROLE_HONEST && this.harmed[h] === 0) { this.harmed[h] = 1; this.honestHarmed++ }
  }

  remoteBlock (h: number, address: string, _untilMs: number): void {
    this.remoteBlocks++
    if (this.malicious(address)) return
    this.falseBlocks++
    const code = this.addressTruth.get(address)
    if (code !== undefined && code >= 0) this.harm(h)
  }

  remoteUnblock (_h: number, _address: string): void {}

  /** The peers h is connected to (all subscribed to the one community), lazily: the intake often stops at the first match. */
  * subscribers (h: number): Generator<string> {
    const o = this.overlay
    if (o == null) return
    const base = h * o.cap
    for (let s = base; s < base + o.degree[h]; s++) yield this.id(o.peers[s])
  }

  negativeEvidence (h: number): void {
    this.pop.flags[h] |= FLAG_DISTRUST
    this.markRepair(h)
  }

  // --- housekeeping, overlay, churn, renewal ----------------------------------------------

  private alignUp (t: number): number { return Math.ceil(t / this.housekeepingMs) * this.housekeepingMs }

  private ensureTick (brain: HostBrain): void {
    if (brain.tickScheduled) return
    brain.tickScheduled = true
    this.engine.at(this.alignUp(this.engine.now + this.quietMs + 1), K_TICK, brain.host)
  }

  private onTick (h: number): void {
    const brain = this.brains[h]
    if (brain === undefined) return
    brain.intake.tick(this.epochNow())
    if (brain.lastActivityMs + this.quietMs >= this.engine.now) {
      this.engine.at(this.alignUp(Math.max(this.engine.now + this.housekeepingMs, brain.lastActivityMs + this.quietMs + 1)), K_TICK, h)
    } else {
      brain.tickScheduled = false
    }
  }

  private markRepair (h: number): void {
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
    this.engine.after(this.s.network.heartbeatMs, K_HEARTBEAT)
  }

  private scheduleLeave (): void {
    const c = this.s.churn!
    if (this.liveCount === 0) return
    this.engine.after(this.rng.nextExponential(this.liveCount / (c.meanOnlineS * 1000)), K_LEAVE, this.leaveVersion)
  }

  private onLeave (version: number): void {
    if (version !== this.leaveVersion || this.liveCount === 0) return
    const h = this.liveList[this.rng.nextInt(this.liveCount)]
    this.goOffline(h)
    this.engine.after(this.rng.nextExponential(1 / (this.s.churn!.meanOfflineS * 1000)), K_JOIN, h)
    this.scheduleLeave()
  }

  private goOffline (h: number): void {
    this.pop.flags[h] |= FLAG_OFFLINE
    const pos = this.livePos[h]
    const last = this.liveList[--this.liveCount]
    this.liveList[pos] = last
    this.livePos[last] = pos
    this.overlay?.isolate(h, this.touch)
    if (this.infected[h] !== 0) {
      this.attacks.forEach((at, k) => {
        if (at.worm && (this.infected[h] & at.bit) !== 0) { this.removeScanner(at, h); this.rescan(k) }
      })
    }
  }

  private goOnline (h: number): void {
    this.pop.flags[h] &= ~FLAG_OFFLINE
    this.livePos[h] = this.liveCount
    this.liveList[this.liveCount++] = h
    this.markRepair(h)
    if (this.infected[h] !== 0) {
      this.attacks.forEach((at, k) => {
        if (at.worm && (this.infected[h] & at.bit) !== 0) { this.addScanner(at, h); this.rescan(k) }
      })
    }
    this.leaveVersion++
    this.scheduleLeave()
  }

  private onRenew (h: number): void {
    const r = this.s.renewal!
    const b = this.brains[h]
    const underThreat = b !== undefined && b.hasThreat && b.threat.level() > 0
    this.engine.after((underThreat ? r.underThreatIntervalS : r.intervalS) * 1000, K_RENEW, h)
    if ((this.pop.flags[h] & FLAG_OFFLINE) !== 0 || this.infected[h] === 0) return
    this.cure(h)
    this.renewalsCleaned++
  }

  // --- measurement -------------------------------------------------------------------

  private primary (): AttackState | undefined {
    return this.attacks.find(a => a.signature != null) ?? this.attacks[0]
  }

  private onSample (): void {
    const V = this.pop.vulnerable
    const net = this.network
    const p = this.primary()
    const rep = this.useMesh && this.repSampleDue() ? this.reputationSample() : null
    this.series.push([
      r6(this.engine.now / 1000),
      ratio(this.infectedAny, V),
      p?.signature != null ? ratio(p.immuneClean, V) : null,
      ratio(this.liveCount, this.pop.members),
      this.alerts.length,
      net == null ? 0 : net.counters.messages + net.counters.controlMessages + (this.overlay?.controlMessages ?? 0),
      net == null ? 0 : net.counters.bytes,
      this.falseBlocks,
      this.honestHarmed,
      rep?.honest ?? null,
      rep?.liars ?? null,
      rep?.sybils ?? null,
      rep?.blacklistedLiars ?? null
    ])
    this.onProgress?.(Math.min(1, this.engine.now / this.durationMs))
  }

  private repCount = 0
  private repSampleDue (): boolean {
    // at most ~60 reputation samples per run (each reads up to 40 observers' tables)
    const every = Math.max(1, Math.floor(this.durationMs / (this.s.sampleIntervalS * 1000) / 60))
    return this.repCount++ % every === 0
  }

  private observers (max: number): number[] {
    const out: number[] = []
    const n = this.pop.members
    const stride = Math.max(1, Math.floor(n / (max * 2)))
    for (let h = 0; h < n && out.length < max; h += stride) {
      if (this.pop.role[h] === ROLE_HONEST && this.brains[h] !== undefined) out.push(h)
    }
    return out
  }

  /** Mean E of liars, sybils and honest peers as seen by up to 40 honest observers (over the peers each knows). */
  private reputationSample (): { honest: number | null, liars: number | null, sybils: number | null, blacklistedLiars: number | null } {
    const now = this.epochNow()
    const sum = [0, 0, 0]
    const cnt = [0, 0, 0]
    let bl = 0
    let blN = 0
    for (const o of this.observers(REPUTATION_OBSERVERS)) {
      const table = this.brains[o]!.reputation
      for (const id of table.ids()) {
        const h = this.hostOfId(id)
        if (h < 0) continue
        const role = this.pop.role[h]
        const c = role === ROLE_LIAR ? 1 : role === ROLE_SYBIL ? 2 : 0
        const r = table.get(id, now)
        sum[c] += r.value
        cnt[c]++
        if (c !== 0) { blN++; if (r.blacklisted) bl++ }
      }
    }
    const mean = (c: number): number | null => cnt[c] > 0 ? r6(sum[c] / cnt[c]) : null
    return { honest: mean(0), liars: mean(1), sybils: mean(2), blacklistedLiars: blN > 0 ? r6(bl / blN) : null }
  }

  private blacklistFigures (): { precision: number | null, recall: number | null } {
    if (this.s.liars == null && this.s.sybil == null) return { precision: null, recall: null }
    const now = this.epochNow()
    const adversaries: number[] = []
    for (let h = 0; h < this.pop.total; h++) if (this.lied[h] === 1) adversaries.push(h)
    let tp = 0
    let flagged = 0
    let pairs = 0
    let found = 0
    for (const o of this.observers(BLACKLIST_OBSERVERS)) {
      const table = this.brains[o]!.reputation
      for (const id of table.blacklisted(now)) {
        const h = this.hostOfId(id)
        flagged++
        if (h >= 0 && this.lied[h] === 1) tp++
      }
      for (const h of adversaries) {
        pairs++
        if (table.isBlacklisted(this.id(h), now)) found++
      }
    }
    return { precision: ratio(tp, flagged), recall: ratio(found, pairs) }
  }

  private selfishFigures (): { precision: number | null, recall: number | null } {
    if (this.s.selfish == null) return { precision: null, recall: null }
    let tp = 0
    let flagged = 0
    let pairs = 0
    let found = 0
    for (const o of this.observers(BLACKLIST_OBSERVERS)) {
      const intake = this.brains[o]!.intake
      for (const id of intake.selfishPeers()) {
        const h = this.hostOfId(id)
        flagged++
        if (h >= 0 && this.pop.role[h] === ROLE_SELFISH) tp++
      }
      for (const h of this.pop.selfish) {
        const st = intake.explainPeer(this.id(h)).selfish
        if (st.episodes === 0) continue
        pairs++
        if (st.selfish) found++
      }
    }
    return { precision: ratio(tp, flagged), recall: ratio(found, pairs) }
  }

  private metrics (): RunMetrics {
    const V = this.pop.vulnerable
    const minutes = this.durationMs / 60_000
    const net = this.network
    const members = this.pop.members
    const msgs = net == null ? 0 : net.counters.messages + net.counters.controlMessages + (this.overlay?.controlMessages ?? 0)
    const p = this.primary()
    const bl = this.useMesh ? this.blacklistFigures() : { precision: null, recall: null }
    const sf = this.useMesh ? this.selfishFigures() : { precision: null, recall: null }
    const q = (x: number): number | null => this.latency.total > 0 ? r6(this.latency.quantile(x)) : null
    const attacks: AttackMetrics[] = this.attacks.map(at => ({
      name: at.spec.name,
      kind: at.spec.kind,
      context: at.spec.context,
      infectedFraction: ratio(at.infectedNow, V) ?? 0,
      immuneFraction: at.signature != null ? ratio(at.immuneClean, V) : null,
      timeToImmune50S: r6(at.timeToImmune[0]),
      timeToImmune90S: r6(at.timeToImmune[1]),
      timeToImmune99S: r6(at.timeToImmune[2]),
      detections: at.detections,
      blockedAttempts: at.blocked
    }))
    const ostats = this.overlay?.stats()
    return {
      infectedFraction: ratio(this.infectedAny, V) ?? 0,
      infectedFractionAt600s: this.infectedAt600 == null ? null : r6(this.infectedAt600),
      peakInfectedFraction: ratio(this.peakInfected, V) ?? 0,
      everInfectedFraction: ratio(this.everInfected, V) ?? 0,
      immuneFraction: p?.signature != null ? ratio(p.immuneClean, V) : null,
      timeToImmune50S: p?.signature != null ? r6(p.timeToImmune[0]) : null,
      timeToImmune90S: p?.signature != null ? r6(p.timeToImmune[1]) : null,
      timeToImmune99S: p?.signature != null ? r6(p.timeToImmune[2]) : null,
      messagesPerNodePerMin: r6(msgs / members / minutes) ?? 0,
      bytesPerNodePerMin: r6((net?.counters.bytes ?? 0) / members / minutes) ?? 0,
      alertsPublished: this.alerts.length,
      alertLatencyP50Ms: q(0.5),
      alertLatencyP90Ms: q(0.9),
      alertLatencyP99Ms: q(0.99),
      deliveryRatio: this.useMesh ? ratio(this.honestReceipts, this.expectedReceipts) : null,
      falseBlocks: this.falseBlocks,
      honestHarmed: this.honestHarmed,
      blacklistPrecision: bl.precision,
      blacklistRecall: bl.recall,
      selfishPrecision: sf.precision,
      selfishRecall: sf.recall,
      attempts: this.attemptsTotal,
      blockedAttempts: this.blockedAttempts,
      detections: this.detections,
      remoteBlocks: this.remoteBlocks,
      poisonedAdopted: this.poisonedAdopted,
      renewalsCleaned: this.renewalsCleaned,
      events: this.engine.events,
      network: net == null || ostats == null
        ? null
        : {
            meanMeshDegree: r6(ostats.meanMeshDegree) ?? 0,
            meanConnections: r6(ostats.meanConnections) ?? 0,
            duplicates: net.counters.duplicates,
            lost: net.counters.lost,
            gossipRecoveries: net.counters.gossipRecoveries
          },
      attacks
    }
  }

  /** Members with a brain (for tests and memory figures). */
  brainCount (): number {
    let n = 0
    for (const b of this.brains) if (b !== undefined) n++
    return n
  }

  /** Read access for tests: the brain of host h, if it has one. */
  brainOf (h: number): HostBrain | undefined { return this.brains[h] }
}

/** A 31-bit number from a signature id (hex digest), for the vetting hash. */
function hashId (id: string): number {
  let h = 0
  for (let i = 0; i < Math.min(12, id.length); i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0
  return h & 0x7fffffff
}
