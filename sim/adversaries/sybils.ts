/**
 * Sybils (mesh run only): perHonest fresh identities per member join the
 * overlay like anyone, drop honest alerts (no forwarding, no gossip; see
 * relays()) and push blocks of one honest address in waves.
 */
import type { SybilSpec } from '../scenario/index.js'
import { ROLE_SYBIL } from '../world/index.js'
import type { AdversaryContext } from './adversary-context.js'

export class Sybils {
  private readonly kWave: number
  private readonly kPublish: number
  private readonly waveVictim: number[] = []

  constructor (private readonly ctx: AdversaryContext, readonly spec: SybilSpec) {
    this.kWave = ctx.event(() => { this.onWave() })
    this.kPublish = ctx.event((h, w) => { ctx.publishLie(h, this.waveVictim[w], null) })
  }

  schedule (): void {
    if (this.ctx.pop.sybils > 0) this.ctx.engine.at(this.spec.startS * 1000, this.kWave)
  }

  /** Does relay h forward alert a's copy (from an alert of `originRole`)? */
  relays (h: number, originRole: number): boolean {
    if (this.ctx.pop.role[h] !== ROLE_SYBIL || !this.spec.dropHonest) return true
    return originRole === ROLE_SYBIL
  }

  private onWave (): void {
    const { ctx, spec: S } = this
    const w = this.waveVictim.length
    this.waveVictim.push(ctx.randomHonest(-1))
    const count = Math.max(1, Math.round(S.waveFraction * ctx.pop.sybils))
    for (let i = 0; i < count; i++) {
      ctx.engine.after(ctx.rng.next() * 5000, this.kPublish, ctx.pop.members + ctx.rng.nextInt(ctx.pop.sybils), w)
    }
    ctx.engine.after(S.waveIntervalS * 1000, this.kWave)
  }
}
