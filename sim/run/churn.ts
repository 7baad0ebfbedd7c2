/**
 * Churn and renewal. Churn: members leave after an exponential online time
 * and come back after an exponential offline time (the overlay repairs at
 * each heartbeat). Renewal: every supervised cell renews at intervalS, at
 * underThreatIntervalS while its threat level is raised; a renewal cleans an
 * infection (held signatures keep the fresh cell immune).
 */
import { FLAG_OFFLINE } from '../world/index.js'
import type { Simulation } from './simulation.js'

export class Churn {
  /** Live members and their positions (for drawing who leaves). */
  readonly liveList: Int32Array
  private readonly livePos: Int32Array
  liveCount: number
  private leaveVersion = 0
  private readonly kLeave: number
  private readonly kJoin: number

  constructor (private readonly sim: Simulation) {
    const members = sim.pop.members
    this.liveList = new Int32Array(members)
    this.livePos = new Int32Array(members)
    for (let i = 0; i < members; i++) { this.liveList[i] = i; this.livePos[i] = i }
    this.liveCount = members
    this.kLeave = sim.event((version) => { this.onLeave(version) })
    this.kJoin = sim.event((h) => { this.goOnline(h) })
  }

  scheduleLeave (): void {
    const c = this.sim.s.churn!
    if (this.liveCount === 0) return
    this.sim.engine.after(this.sim.rng.nextExponential(this.liveCount / (c.meanOnlineS * 1000)), this.kLeave, this.leaveVersion)
  }

  private onLeave (version: number): void {
    const sim = this.sim
    if (version !== this.leaveVersion || this.liveCount === 0) return
    const h = this.liveList[sim.rng.nextInt(this.liveCount)]
    this.goOffline(h)
    sim.engine.after(sim.rng.nextExponential(1 / (sim.s.churn!.meanOfflineS * 1000)), this.kJoin, h)
    this.scheduleLeave()
  }

  private goOffline (h: number): void {
    const sim = this.sim
    sim.pop.flags[h] |= FLAG_OFFLINE
    const pos = this.livePos[h]
    const last = this.liveList[--this.liveCount]
    this.liveList[pos] = last
    this.livePos[last] = pos
    sim.overlay?.isolate(h, sim.touch)
    if (sim.infected[h] !== 0) {
      for (const at of sim.attacks) if ((sim.infected[h] & at.bit) !== 0) at.model.onOffline(h)
    }
  }

  private goOnline (h: number): void {
    const sim = this.sim
    sim.pop.flags[h] &= ~FLAG_OFFLINE
    this.livePos[h] = this.liveCount
    this.liveList[this.liveCount++] = h
    sim.markRepair(h)
    if (sim.infected[h] !== 0) {
      for (const at of sim.attacks) if ((sim.infected[h] & at.bit) !== 0) at.model.onOnline(h)
    }
    this.leaveVersion++
    this.scheduleLeave()
  }
}

export class Renewal {
  private readonly kRenew: number
  cleaned = 0

  constructor (private readonly sim: Simulation) {
    this.kRenew = sim.event((h) => { this.onRenew(h) })
  }

  /** The first renewal of every member, at a random phase of the interval. */
  schedule (): void {
    const sim = this.sim
    const r = sim.s.renewal!
    for (let h = 0; h < sim.pop.members; h++) sim.engine.at(sim.rng.next() * r.intervalS * 1000, this.kRenew, h)
  }

  private onRenew (h: number): void {
    const sim = this.sim
    const r = sim.s.renewal!
    const b = sim.brains[h]
    const underThreat = b !== undefined && b.hasThreat && b.threat.level() > 0
    sim.engine.after((underThreat ? r.underThreatIntervalS : r.intervalS) * 1000, this.kRenew, h)
    if ((sim.pop.flags[h] & FLAG_OFFLINE) !== 0 || sim.infected[h] === 0) return
    sim.host.cure(h)
    this.cleaned++
  }
}
