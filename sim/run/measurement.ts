/**
 * Measurement: the time series (one row per sample), the reputation and
 * blacklist figures seen by honest observers, and the end figures of a run
 * (RunMetrics, docs/simulator.md "Metrics").
 */
import { LogHistogram } from '../engine/index.js'
import { ROLE_HONEST, ROLE_LIAR, ROLE_SELFISH, ROLE_SYBIL } from '../world/index.js'
import { ratio, r6 } from './metrics.js'
import type { AttackMetrics, RunMetrics, SeriesRow } from './metrics.js'
import type { AttackState, Simulation } from './simulation.js'

const REPUTATION_OBSERVERS = 40
const BLACKLIST_OBSERVERS = 2000

export class Measurement {
  readonly series: SeriesRow[] = []
  readonly latency = new LogHistogram()
  infectedAt600: number | null = null
  private repCount = 0
  private readonly kSample: number
  private readonly kMark600: number

  constructor (private readonly sim: Simulation) {
    this.kSample = sim.event(() => { this.onSample() })
    this.kMark600 = sim.event(() => {
      const V = sim.pop.vulnerable
      this.infectedAt600 = V > 0 ? sim.counters.infectedAny / V : 0
    })
  }

  /** The 600 s mark, then one sample every sampleIntervalS (and one at the end). */
  schedule (): void {
    const sim = this.sim
    const e = sim.engine
    if (sim.durationMs >= 600_000) e.at(600_000, this.kMark600)
    const step = sim.s.sampleIntervalS * 1000
    for (let t = 0; t <= sim.durationMs; t += step) e.at(t, this.kSample)
    if (sim.durationMs % step !== 0) e.at(sim.durationMs, this.kSample)
  }

  private primary (): AttackState | undefined {
    return this.sim.attacks.find(a => a.signature != null) ?? this.sim.attacks[0]
  }

  private messages (): number {
    const net = this.sim.network
    return net == null ? 0 : net.counters.messages + net.counters.controlMessages + (this.sim.overlay?.controlMessages ?? 0)
  }

  private onSample (): void {
    const sim = this.sim
    const V = sim.pop.vulnerable
    const p = this.primary()
    const rep = sim.useMesh && this.repSampleDue() ? this.reputationSample() : null
    this.series.push([
      r6(sim.engine.now / 1000),
      ratio(sim.counters.infectedAny, V),
      p?.signature != null ? ratio(p.immuneClean, V) : null,
      ratio(sim.churn.liveCount, sim.pop.members),
      sim.alerts.length,
      this.messages(),
      sim.network == null ? 0 : sim.network.counters.bytes,
      sim.counters.falseBlocks,
      sim.counters.honestHarmed,
      rep?.honest ?? null,
      rep?.liars ?? null,
      rep?.sybils ?? null,
      rep?.blacklistedLiars ?? null
    ])
    sim.onProgress?.(Math.min(1, sim.engine.now / sim.durationMs))
  }

  private repSampleDue (): boolean {
    // at most ~60 reputation samples per run (each reads up to 40 observers' tables)
    const sim = this.sim
    const every = Math.max(1, Math.floor(sim.durationMs / (sim.s.sampleIntervalS * 1000) / 60))
    return this.repCount++ % every === 0
  }

  private observers (max: number): number[] {
    const sim = this.sim
    const out: number[] = []
    const n = sim.pop.members
    const stride = Math.max(1, Math.floor(n / (max * 2)))
    for (let h = 0; h < n && out.length < max; h += stride) {
      if (sim.pop.role[h] === ROLE_HONEST && sim.brains[h] !== undefined) out.push(h)
    }
    return out
  }

  /** Mean E of liars, sybils and honest peers as seen by up to 40 honest observers (over the peers each knows). */
  private reputationSample (): { honest: number | null, liars: number | null, sybils: number | null, blacklistedLiars: number | null } {
    const sim = this.sim
    const now = sim.epochNow()
    const sum = [0, 0, 0]
    const cnt = [0, 0, 0]
    let bl = 0
    let blN = 0
    for (const o of this.observers(REPUTATION_OBSERVERS)) {
      const table = sim.brains[o]!.reputation
      for (const id of table.ids()) {
        const h = sim.hostOfId(id)
        if (h < 0) continue
        const role = sim.pop.role[h]
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
    const sim = this.sim
    if (sim.s.liars == null && sim.s.sybil == null) return { precision: null, recall: null }
    const now = sim.epochNow()
    const adversaries: number[] = []
    for (let h = 0; h < sim.pop.total; h++) if (sim.lied[h] === 1) adversaries.push(h)
    let tp = 0
    let flagged = 0
    let pairs = 0
    let found = 0
    for (const o of this.observers(BLACKLIST_OBSERVERS)) {
      const table = sim.brains[o]!.reputation
      for (const id of table.blacklisted(now)) {
        const h = sim.hostOfId(id)
        flagged++
        if (h >= 0 && sim.lied[h] === 1) tp++
      }
      for (const h of adversaries) {
        pairs++
        if (table.isBlacklisted(sim.id(h), now)) found++
      }
    }
    return { precision: ratio(tp, flagged), recall: ratio(found, pairs) }
  }

  private selfishFigures (): { precision: number | null, recall: number | null } {
    const sim = this.sim
    if (sim.s.selfish == null) return { precision: null, recall: null }
    let tp = 0
    let flagged = 0
    let pairs = 0
    let found = 0
    for (const o of this.observers(BLACKLIST_OBSERVERS)) {
      const intake = sim.brains[o]!.intake
      for (const id of intake.selfishPeers()) {
        const h = sim.hostOfId(id)
        flagged++
        if (h >= 0 && sim.pop.role[h] === ROLE_SELFISH) tp++
      }
      for (const h of sim.pop.selfish) {
        const st = intake.explainPeer(sim.id(h)).selfish
        if (st.episodes === 0) continue
        pairs++
        if (st.selfish) found++
      }
    }
    return { precision: ratio(tp, flagged), recall: ratio(found, pairs) }
  }

  metrics (): RunMetrics {
    const sim = this.sim
    const c = sim.counters
    const V = sim.pop.vulnerable
    const minutes = sim.durationMs / 60_000
    const net = sim.network
    const members = sim.pop.members
    const msgs = this.messages()
    const p = this.primary()
    const bl = sim.useMesh ? this.blacklistFigures() : { precision: null, recall: null }
    const sf = sim.useMesh ? this.selfishFigures() : { precision: null, recall: null }
    const q = (x: number): number | null => this.latency.total > 0 ? r6(this.latency.quantile(x)) : null
    const attacks: AttackMetrics[] = sim.attacks.map(at => ({
      name: at.spec.name,
      kind: at.spec.kind,
      context: at.spec.context,
      startS: at.spec.startS,
      infectedFraction: ratio(at.infectedNow, V) ?? 0,
      immuneFraction: at.signature != null ? ratio(at.immuneClean, V) : null,
      timeToImmune50S: r6(at.timeToImmune[0]),
      timeToImmune90S: r6(at.timeToImmune[1]),
      timeToImmune99S: r6(at.timeToImmune[2]),
      detections: at.detections,
      blockedAttempts: at.blocked
    }))
    const ostats = sim.overlay?.stats()
    return {
      infectedFraction: ratio(c.infectedAny, V) ?? 0,
      infectedFractionAt600s: this.infectedAt600 == null ? null : r6(this.infectedAt600),
      peakInfectedFraction: ratio(c.peakInfected, V) ?? 0,
      everInfectedFraction: ratio(c.everInfected, V) ?? 0,
      immuneFraction: p?.signature != null ? ratio(p.immuneClean, V) : null,
      timeToImmune50S: p?.signature != null ? r6(p.timeToImmune[0]) : null,
      timeToImmune90S: p?.signature != null ? r6(p.timeToImmune[1]) : null,
      timeToImmune99S: p?.signature != null ? r6(p.timeToImmune[2]) : null,
      messagesPerNodePerMin: r6(msgs / members / minutes) ?? 0,
      bytesPerNodePerMin: r6((net?.counters.bytes ?? 0) / members / minutes) ?? 0,
      alertsPublished: sim.alerts.length,
      alertLatencyP50Ms: q(0.5),
      alertLatencyP90Ms: q(0.9),
      alertLatencyP99Ms: q(0.99),
      deliveryRatio: sim.useMesh ? ratio(c.honestReceipts, c.expectedReceipts) : null,
      falseBlocks: c.falseBlocks,
      honestHarmed: c.honestHarmed,
      blacklistPrecision: bl.precision,
      blacklistRecall: bl.recall,
      selfishPrecision: sf.precision,
      selfishRecall: sf.recall,
      attempts: c.attempts,
      blockedAttempts: c.blockedAttempts,
      detections: c.detections,
      remoteBlocks: c.remoteBlocks,
      poisonedAdopted: c.poisonedAdopted,
      renewalsCleaned: sim.renewal.cleaned,
      events: sim.engine.events,
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
}
