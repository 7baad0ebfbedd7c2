/**
 * The two adapters between the run and the node code it hosts:
 *   - NetworkAdapter: what the simulated gossipsub network asks of hosts
 *     (liveness, P5 graylisting, sybils' dropping, delivery into the brain);
 *   - BrainAdapter: what each host's brain asks of the world (vetting by
 *     ground truth, adoption, remote blocks, subscribers, negative evidence).
 */
import type { VetResult } from '../../node/intake/index.js'
import type { AlertDecisionRecord } from '../../node/intake/index.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import type { BrainWorld } from '../host/index.js'
import type { NetworkHost } from '../network/index.js'
import { FLAG_DISTRUST, FLAG_OFFLINE, ROLE_HONEST } from '../world/index.js'
import { REFUTE_MEAN_MS } from './host-model.js'
import type { Simulation } from './simulation.js'

const EMPTY = new Uint8Array(0)

export class NetworkAdapter implements NetworkHost {
  private readonly kRefute: number

  constructor (private readonly sim: Simulation) {
    this.kRefute = sim.event((h, a) => { this.onRefute(h, a) })
  }

  isLive (h: number): boolean { return (this.sim.pop.flags[h] & FLAG_OFFLINE) === 0 }

  accepts (h: number, from: number): boolean {
    const sim = this.sim
    if ((sim.pop.flags[h] & FLAG_DISTRUST) === 0) return true
    const brain = sim.brains[h]
    return brain === undefined || !brain.reputation.isBlacklisted(sim.id(from), sim.epochNow())
  }

  relays (h: number, a: number): boolean {
    const sim = this.sim
    return sim.sybils?.relays(h, sim.pop.role[sim.alertOrigin[a]]) ?? true
  }

  receive (h: number, a: number, from: number): void {
    const sim = this.sim
    if (h >= sim.pop.members) return
    if (sim.pop.role[sim.alertOrigin[a]] === ROLE_HONEST) sim.counters.honestReceipts++
    sim.measurement.latency.add(sim.engine.now - sim.network!.publishedAtMs(a))
    const alert = sim.alerts[a]
    const brain = sim.brain(h)
    brain.alertsReceived++
    brain.lastActivityMs = sim.engine.now
    const rec = brain.intake.handleAlert({ alert, envelope: EMPTY, from: sim.id(from), receivedAtMs: sim.epochNow() }) as AlertDecisionRecord
    sim.ensureTick(brain)
    if (rec.outcome === 'accepted' && alert.sources.length > 0) {
      for (const s of alert.sources) {
        if (!sim.truth.malicious(s.address) && sim.truth.isClientOf(h, s.address)) {
          sim.engine.after(sim.rng.nextExponential(1 / REFUTE_MEAN_MS), this.kRefute, h, a)
          break
        }
      }
    }
  }

  private onRefute (h: number, a: number): void {
    const sim = this.sim
    const brain = sim.brains[h]
    if (brain === undefined || (sim.pop.flags[h] & FLAG_OFFLINE) !== 0) return
    for (const s of sim.alerts[a].sources) {
      if (sim.truth.malicious(s.address) || !sim.truth.isClientOf(h, s.address)) continue
      brain.intake.refute({ reason: `${s.address} is a normal client here`, source: s.address }, sim.epochNow())
    }
  }
}

export class BrainAdapter implements BrainWorld {
  constructor (private readonly sim: Simulation) {}

  get clock (): Simulation['clock'] { return this.sim.clock }

  vet (h: number, sig: SignatureIndicator): VetResult {
    const d = this.sim.truth.vetDraw(h, sig)
    if (d == null || d.u >= d.rejected) return { adopted: true, reason: 'matched no normal observation', normalMatches: 0 }
    const normalMatches = 1 + Math.floor(d.u * 1e6) % 5
    return { adopted: false, reason: `matched ${normalMatches} normal observation(s)`, normalMatches }
  }

  adopt (h: number, sig: SignatureIndicator, _origin: string): void {
    const sim = this.sim
    const d = sim.truth.vetDraw(h, sig)
    if (d == null) return
    const blocksNormal = d.u < d.match
    if (d.poisoned) {
      sim.counters.poisonedAdopted++
      if (blocksNormal) { sim.counters.falseBlocks++; this.harm(h) }
      return
    }
    if (blocksNormal) sim.counters.falseBlocks++
    sim.host.giveSignature(h, d.attack)
  }

  private harm (h: number): void {
    const sim = this.sim
    if (sim.pop.role[h] === ROLE_HONEST && sim.harmed[h] === 0) { sim.harmed[h] = 1; sim.counters.honestHarmed++ }
  }

  remoteBlock (h: number, address: string, _untilMs: number): void {
    const sim = this.sim
    sim.counters.remoteBlocks++
    if (sim.truth.malicious(address)) return
    sim.counters.falseBlocks++
    if (sim.truth.hostOf(address) >= 0) this.harm(h)
  }

  remoteUnblock (_h: number, _address: string): void {}

  /** The peers h is connected to (all subscribed to the one community), lazily: the intake often stops at the first match. */
  * subscribers (h: number): Generator<string> {
    const sim = this.sim
    const o = sim.overlay
    if (o == null) return
    const base = h * o.cap
    for (let s = base; s < base + o.degree[h]; s++) yield sim.id(o.peers[s])
  }

  negativeEvidence (h: number): void {
    this.sim.pop.flags[h] |= FLAG_DISTRUST
    this.sim.markRepair(h)
  }
}
