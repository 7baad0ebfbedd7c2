/**
 * The host model: what an attack attempt or a normal request does on one
 * simulated host, and what the host then tells its community.
 *
 * An attempt on a host: dropped if its source is blocked (remote quorum or a
 * local block-source decision); blocked if the host holds the attack's
 * signature and the policy blocks local level-2 danger; else detected with
 * the attack's TPR (raised by peer sensitivity: 1 − (1 − p)^factor) if the
 * host has an armed detector; else an infection if the host is vulnerable.
 * A detection counts samples for clonal selection (a signature after
 * `samplesForSignature` detections and `signatureDelayS`) and is published
 * through the real AlertPublisher. Every local meeting with an attack
 * corroborates the peers that warned (R1).
 */
import type { Danger, Reaction } from '../../node/brain/index.js'
import type { CorroborationEvent, LocalDanger } from '../../node/intake/index.js'
import type { AlertDraft } from '../../protocol/alert/index.js'
import { createAlert } from '../../protocol/alert/index.js'
import { NO_SOURCE } from '../attacks/index.js'
import { clientAddress } from '../host/index.js'
import { FLAG_DETECTOR, FLAG_OFFLINE, FLAG_VULNERABLE, ROLE_HONEST } from '../world/index.js'
import type { AttackState, Simulation } from './simulation.js'

/** The simulated hosts' one cell: a supervised workload (policy rules of `type:supervised` apply). */
export const CELL = 'svc'
/** A detection, as the profile reports it: level 2 (the scenario's TPR/FPR are level-2 figures). */
const DETECTED: Danger['profile'] = { level: 2, score: 1 }
/** Normal pages a false positive can hit. */
export const NORMAL_CONTEXTS = 16
/** Normal client addresses. */
const CLIENTS = 65_536
/** Mean delay until a host sees a normal request from a client named by an alert (it then refutes). */
export const REFUTE_MEAN_MS = 60_000

export class HostModel {
  readonly samples = new Map<number, number>()
  readonly pendingSignature = new Map<number, number>()
  private fpVersion = 0
  private readonly kFalsePositive: number
  private readonly kSignatureReady: number
  seq = 0

  constructor (private readonly sim: Simulation) {
    this.kFalsePositive = sim.event((version) => { this.onFalsePositive(version) })
    this.kSignatureReady = sim.event((h, k) => { this.onSignatureReady(h, k) })
  }

  armed (h: number): boolean {
    const sim = this.sim
    if ((sim.pop.flags[h] & FLAG_DETECTOR) === 0) return false
    const l = sim.pop.learningEndMs
    return l == null || l[h] <= sim.engine.now
  }

  /** One attack attempt on host t from source src (a host, or −(1 + k·4096 + j) for an outside attacker). */
  attempt (t: number, k: number, src: number): void {
    const sim = this.sim
    const flags = sim.pop.flags[t]
    if ((flags & FLAG_OFFLINE) !== 0) return
    const at = sim.attacks[k]
    const bit = at.bit
    if ((sim.infected[t] & bit) !== 0) return
    sim.counters.attempts++
    const existing = sim.brains[t]
    // the deny list: blocked without scoring (as the daemon's pipeline does)
    if (existing !== undefined && src !== NO_SOURCE && existing.node.hasDenyList && existing.isDenied(sim.truth.sourceAddress(src), sim.epochNow())) {
      sim.counters.blockedAttempts++
      at.blocked++
      return
    }
    if ((sim.immune[t] & bit) !== 0) {
      // the matcher hits the signature: the brain judges a signature hit
      const source = src === NO_SOURCE ? undefined : sim.truth.sourceAddress(src)
      const r = this.react(t, at.spec.context, source, null, { indicator: at.signature!, origin: (sim.ownSignature[t] & bit) !== 0 ? 'local' : 'peer', type: 2 }, `matches adopted signature ${at.signature!.id}`)
      sim.met[t] |= bit
      this.corroborate(t, r.corroboration)
      if (sim.s.population.publishSignatureHits && r.publication != null && this.canPublish(t)) this.publishDanger(t, r.publication.danger)
      if (r.verdict === 'block') { sim.counters.blockedAttempts++; at.blocked++; return }
    } else if (this.armed(t)) {
      let p = at.tpr
      if (existing !== undefined) {
        const f = existing.sensitivityFor(at.spec.context, sim.epochNow())
        if (f > 1) p = 1 - Math.pow(1 - p, f)
      }
      if (sim.rng.next() < p) {
        sim.counters.detections++
        at.detections++
        sim.met[t] |= bit
        const source = src === NO_SOURCE ? undefined : sim.truth.sourceAddress(src)
        const r = this.react(t, at.spec.context, source, DETECTED, undefined, `simulated level-2 detection of ${at.spec.name}`)
        this.onDetected(t, k, src, r)
        if (r.verdict === 'block') { sim.counters.blockedAttempts++; at.blocked++; return }
      }
    }
    if ((flags & FLAG_VULNERABLE) !== 0) this.infect(t, k)
  }

  /** Local evidence on host h → the node brain's reaction (policy decisions, deny list, threat level). */
  private react (h: number, context: string, source: string | undefined, profile: Danger['profile'], signature: Danger['signature'], explanation: string): Reaction {
    return this.sim.brain(h).node.onDanger({
      cell: CELL,
      community: this.sim.s.community,
      observation: 'http',
      context,
      parameter: '',
      ...(source !== undefined ? { source } : {}),
      profile,
      ...(signature !== undefined ? { signature } : {}),
      explanation
    })
  }

  /**
   * The brain's corroboration goes to the intake, as in the daemon. Skipped
   * when it cannot change anything: no intake yet (no alert received, so no
   * warning to credit and no episode to confirm), or no new alert since the
   * host last corroborated this context.
   */
  private corroborate (h: number, event: CorroborationEvent | null): void {
    const sim = this.sim
    const brain = sim.brains[h]
    if (event == null || brain === undefined || !sim.useMesh || !brain.hasIntake) return
    const key = event.context ?? `source ${event.source ?? ''}`
    brain.corroboratedAt ??= new Map()
    if ((brain.corroboratedAt.get(key) ?? -1) >= brain.alertsReceived) return
    brain.corroboratedAt.set(key, brain.alertsReceived)
    brain.intake.corroborate(event, sim.epochNow())
    brain.lastActivityMs = sim.engine.now
    sim.ensureTick(brain)
  }

  private onDetected (h: number, k: number, src: number, r: Reaction): void {
    const sim = this.sim
    const at = sim.attacks[k]
    this.corroborate(h, r.corroboration)
    // clonal selection, modelled: a signature after samplesForSignature detections and signatureDelayS
    const key = h * 32 + k
    if (at.signature != null && (sim.immune[h] & at.bit) === 0 && !this.pendingSignature.has(key)) {
      const n = (this.samples.get(key) ?? 0) + 1
      if (n >= at.spec.samplesForSignature) {
        this.samples.delete(key)
        this.pendingSignature.set(key, src)
        sim.engine.after(at.spec.signatureDelayS * 1000, this.kSignatureReady, h, k)
      } else {
        this.samples.set(key, n)
      }
    }
    // the brain's publication (a source or anomaly alert now; the signature alert when clonal selection is done)
    if (r.publication != null && this.canPublish(h)) this.publishDanger(h, r.publication.danger)
  }

  private onSignatureReady (h: number, k: number): void {
    const sim = this.sim
    const key = h * 32 + k
    const src = this.pendingSignature.get(key)
    this.pendingSignature.delete(key)
    const at = sim.attacks[k]
    this.giveSignature(h, k)
    sim.ownSignature[h] |= at.bit
    if (src !== undefined && at.signature != null && this.canPublish(h) && (sim.pop.flags[h] & FLAG_OFFLINE) === 0) {
      this.publishDanger(h, {
        community: sim.s.community,
        level: 2,
        context: at.spec.context,
        parameter: '',
        score: 1,
        ...(src !== NO_SOURCE ? { source: sim.truth.sourceAddress(src) } : {}),
        signature: at.signature
      })
    }
  }

  infect (h: number, k: number): void {
    const sim = this.sim
    const at = sim.attacks[k]
    const c = sim.counters
    if (sim.infected[h] === 0) {
      c.infectedAny++
      if (c.infectedAny > c.peakInfected) c.peakInfected = c.infectedAny
    }
    if (sim.everFlag[h] === 0) { sim.everFlag[h] = 1; c.everInfected++ }
    sim.infected[h] |= at.bit
    at.infectedNow++
    at.model.onInfected(h)
  }

  /** Renewal: a clean copy of the supervised cell; held signatures keep it immune. */
  cure (h: number): void {
    const sim = this.sim
    const mask = sim.infected[h]
    if (mask === 0) return
    for (let k = 0; k < sim.attacks.length; k++) {
      const at = sim.attacks[k]
      if ((mask & at.bit) === 0) continue
      at.infectedNow--
      if ((sim.immune[h] & at.bit) !== 0 && (sim.pop.flags[h] & FLAG_VULNERABLE) !== 0) this.countImmune(at)
      at.model.onCured(h)
    }
    sim.infected[h] = 0
    sim.counters.infectedAny--
  }

  /** Host h now holds attack k's signature (adopted from a peer, or its own). */
  giveSignature (h: number, k: number): void {
    const sim = this.sim
    const at = sim.attacks[k]
    if ((sim.immune[h] & at.bit) !== 0) return
    sim.immune[h] |= at.bit
    if ((sim.pop.flags[h] & FLAG_VULNERABLE) !== 0 && (sim.infected[h] & at.bit) === 0 && h < sim.pop.members) this.countImmune(at)
  }

  private countImmune (at: AttackState): void {
    at.immuneClean++
    for (let q = 0; q < 3; q++) {
      if (at.timeToImmune[q] == null && at.immuneClean >= at.thresholds[q]) at.timeToImmune[q] = this.sim.engine.now / 1000
    }
  }

  // --- false positives ------------------------------------------------------------

  private fpRatePerMs (): number {
    const sim = this.sim
    const p = sim.s.population
    return sim.pop.detectors.length * p.normalRequestsPerMin / 60_000 * sim.s.detection.fpr * sim.maxFactor
  }

  scheduleFalsePositive (): void {
    const rate = this.fpRatePerMs()
    if (rate > 0) this.sim.engine.after(this.sim.rng.nextExponential(rate), this.kFalsePositive, this.fpVersion)
  }

  private onFalsePositive (version: number): void {
    const sim = this.sim
    if (version !== this.fpVersion) return
    this.scheduleFalsePositive()
    const h = sim.pop.detectors[sim.rng.nextInt(sim.pop.detectors.length)]
    if ((sim.pop.flags[h] & FLAG_OFFLINE) !== 0 || !this.armed(h)) return
    const context = `GET /page/${sim.rng.nextInt(NORMAL_CONTEXTS)}`
    const f = sim.brains[h]?.sensitivityFor(context, sim.epochNow()) ?? 1
    // thinning: events are drawn at the highest possible sensitivity
    if (sim.rng.next() * sim.maxFactor >= f) return
    const k = sim.rng.nextInt(CLIENTS)
    const source = clientAddress(k)
    sim.truth.client(source, k)
    // to the node a false positive is a detection like any other
    const r = this.react(h, context, source, DETECTED, undefined, 'simulated level-2 false positive')
    if (r.verdict === 'block') sim.counters.falseBlocks++
    this.corroborate(h, r.corroboration)
    if (r.publication != null && this.canPublish(h)) this.publishDanger(h, r.publication.danger)
  }

  // --- publishing ------------------------------------------------------------------

  canPublish (h: number): boolean {
    const sim = this.sim
    if (!sim.useMesh) return false
    return sim.publishes(h)
  }

  private publishDanger (h: number, d: LocalDanger): void {
    const decision = this.sim.brain(h).publisher.decide(d, this.sim.epochNow())
    if (decision.draft != null) this.publishAlert(h, decision.draft)
  }

  publishAlert (h: number, draft: AlertDraft): void {
    const sim = this.sim
    const net = sim.network
    if (net == null || (sim.pop.flags[h] & FLAG_OFFLINE) !== 0) return
    const idx = sim.alerts.length
    const alert = createAlert(draft, { id: idx.toString(16).padStart(32, '0'), origin: sim.id(h), seq: BigInt(++this.seq), nowMs: sim.epochNow() })
    sim.alerts.push(alert)
    sim.alertOrigin.push(h)
    if (sim.pop.role[h] === ROLE_HONEST) sim.counters.expectedReceipts += sim.churn.liveCount - 1
    net.publish(h)
  }
}
