/**
 * Liars (docs/simulator.md): insiders that publish directly (no rate limit)
 * a poisoned signature (poisonShare) and/or a block of a random honest
 * member's address. random: Poisson at liesPerHour; coordinated: all
 * together every waveIntervalS (same victim, same poisoned signature);
 * on-off: honest for honestPhaseS, then lying for liePhaseS, repeated.
 */
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import type { LiarsSpec } from '../scenario/index.js'
import { LIAR_COORDINATED, LIAR_ON_OFF } from '../world/index.js'
import type { AdversaryContext } from './adversary-context.js'

export class Liars {
  private readonly kLie: number
  private readonly kWave: number
  private readonly kPublish: number
  private readonly waveVictim: number[] = []
  private readonly waveSignature: Array<SignatureIndicator | null> = []

  constructor (private readonly ctx: AdversaryContext, readonly spec: LiarsSpec) {
    this.kLie = ctx.event((h) => { this.onLie(h) })
    this.kWave = ctx.event(() => { this.onWave() })
    this.kPublish = ctx.event((h, w) => { ctx.publishLie(h, this.waveVictim[w], this.waveSignature[w]) })
  }

  /** Schedules every liar's first lie and the first coordinated wave. */
  schedule (): void {
    const { ctx, spec: L } = this
    const pop = ctx.pop
    for (let k = 0; k < pop.liars.length; k++) {
      const h = pop.liars[k]
      const st = pop.liarStrategy[h]
      if (st === LIAR_COORDINATED) continue
      const first = st === LIAR_ON_OFF ? L.startS * 1000 + L.honestPhaseS * 1000 : L.startS * 1000
      ctx.engine.at(first + ctx.rng.nextExponential(L.liesPerHour / 3_600_000), this.kLie, h)
    }
    if (pop.liars.some(h => pop.liarStrategy[h] === LIAR_COORDINATED)) ctx.engine.at(L.startS * 1000, this.kWave)
  }

  /** on-off liars: are they lying now (virtual ms since the start)? */
  lyingPhase (nowMs: number): boolean {
    const L = this.spec
    const t = nowMs / 1000 - L.startS
    if (t < 0) return false
    return (t % (L.honestPhaseS + L.liePhaseS)) >= L.honestPhaseS
  }

  private onLie (h: number): void {
    const { ctx, spec: L } = this
    const onOff = ctx.pop.liarStrategy[h] === LIAR_ON_OFF
    const e = ctx.engine
    if (onOff && !this.lyingPhase(e.now)) {
      // sleep until the next lying phase starts
      const cycle = (L.honestPhaseS + L.liePhaseS) * 1000
      const t = e.now - L.startS * 1000
      const next = L.startS * 1000 + Math.floor(t / cycle) * cycle + L.honestPhaseS * 1000
      e.at(Math.max(next, e.now) + ctx.rng.nextExponential(L.liesPerHour / 3_600_000), this.kLie, h)
      return
    }
    const victim = ctx.randomHonest(h)
    const sig = ctx.rng.next() < L.poisonShare ? ctx.newPoisonedSignature(ctx.lieContext()) : null
    ctx.publishLie(h, victim, sig)
    e.after(ctx.rng.nextExponential(L.liesPerHour / 3_600_000), this.kLie, h)
  }

  private onWave (): void {
    const { ctx, spec: L } = this
    const w = this.waveVictim.length
    this.waveVictim.push(ctx.randomHonest(-1))
    this.waveSignature.push(ctx.rng.next() < L.poisonShare ? ctx.newPoisonedSignature(ctx.lieContext()) : null)
    for (const h of ctx.pop.liars) {
      if (ctx.pop.liarStrategy[h] === LIAR_COORDINATED) ctx.engine.after(ctx.rng.next() * 2000, this.kPublish, h, w)
    }
    ctx.engine.after(L.waveIntervalS * 1000, this.kWave)
  }
}
