/**
 * targeted: an outside attacker (or a botnet of `attackers` addresses, or an
 * invisible source: `sourceKnown: false`) tries a fixed set of members
 * (Poisson, attemptsPerTargetPerMin per target) for durationS.
 */
import { NO_SOURCE, outsideAttacker } from './attack-model.js'
import type { AttackContext, AttackKind, AttackModel, AttackSpec } from './attack-model.js'

class TargetedAttack implements AttackModel {
  readonly endMs: number
  private targets = new Int32Array(0)
  private readonly kAttempt: number

  constructor (private readonly ctx: AttackContext, readonly spec: AttackSpec, private readonly k: number) {
    this.endMs = (spec.startS + spec.durationS) * 1000
    this.kAttempt = ctx.event(() => { this.onAttempt() })
  }

  start (): void {
    const { ctx, spec } = this
    const members = ctx.members
    const count = Math.min(members, spec.targets ?? Math.max(1, Math.round(spec.targetFraction * members)))
    const targets = new Int32Array(count)
    if (count * 2 >= members) {
      const perm = new Int32Array(members)
      for (let i = 0; i < members; i++) perm[i] = i
      for (let i = 0; i < count; i++) {
        const j = i + ctx.rng.nextInt(members - i)
        const t = perm[i]; perm[i] = perm[j]; perm[j] = t
        targets[i] = perm[i]
      }
    } else {
      const chosen = new Set<number>()
      while (chosen.size < count) chosen.add(ctx.rng.nextInt(members))
      let i = 0
      for (const h of chosen) targets[i++] = h
    }
    this.targets = targets
    this.schedule()
  }

  // an outside attacker is not a host: infection, renewal and churn do not change its attempts
  onInfected (): void {}
  onCured (): void {}
  onOffline (): void {}
  onOnline (): void {}

  private schedule (): void {
    const rate = this.targets.length * this.spec.attemptsPerTargetPerMin / 60_000
    const t = this.ctx.engine.now + this.ctx.rng.nextExponential(rate)
    if (t <= this.endMs && t <= this.ctx.durationMs) this.ctx.engine.at(t, this.kAttempt, this.k)
  }

  private onAttempt (): void {
    const { ctx, spec, k } = this
    const j = spec.attackers > 1 ? ctx.rng.nextInt(spec.attackers) : 0
    ctx.attempt(this.targets[ctx.rng.nextInt(this.targets.length)], k, spec.sourceKnown ? outsideAttacker(k, j) : NO_SOURCE)
    this.schedule()
  }
}

export const targetedAttack: AttackKind = {
  name: 'targeted',
  description: 'an outside attacker tries a fixed set of members (targets or targetFraction, attemptsPerTargetPerMin, attackers, sourceKnown)',
  create: (ctx, spec, k) => new TargetedAttack(ctx, spec, k)
}
