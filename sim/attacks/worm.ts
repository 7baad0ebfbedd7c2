/**
 * worm: random scanning. All infected hosts together make one Poisson stream
 * of attempts at rate β · I, β = ln 2 / doubling time spread over all members
 * (so the vulnerable ones are hit at the doubling rate early on); each attempt
 * hits a uniformly random member from a random infected host.
 */
import type { AttackContext, AttackKind, AttackModel, AttackSpec } from './attack-model.js'

class WormAttack implements AttackModel {
  readonly endMs = Infinity
  /** Attempts per ms per infected host, over all members. */
  private readonly betaPerMs: number
  /** Live infected hosts (the scanners) and their positions. */
  private scanners = new Int32Array(64)
  private readonly scannerPos: Int32Array
  private scanning = 0
  private version = 0
  private readonly kScan: number

  constructor (private readonly ctx: AttackContext, readonly spec: AttackSpec, private readonly k: number) {
    this.betaPerMs = Math.LN2 / (spec.doublingTimeS * 1000) / (ctx.vulnerable / ctx.members)
    this.scannerPos = new Int32Array(ctx.total).fill(-1)
    this.kScan = ctx.event((_k, version) => { this.onScan(version) })
  }

  start (): void {
    const { ctx, spec, k } = this
    let placed = 0
    for (let tries = 0; placed < spec.initialInfected && tries < 1000 * spec.initialInfected; tries++) {
      const h = ctx.rng.nextInt(ctx.members)
      if (!ctx.isVulnerable(h) || ctx.isOffline(h) || ctx.isInfected(h, k)) continue
      ctx.infect(h, k)
      placed++
    }
    this.scheduleScan()
  }

  onInfected (h: number): void { if (!this.ctx.isOffline(h)) this.addScanner(h) }
  onCured (h: number): void { this.removeScanner(h); this.rescan() }
  onOffline (h: number): void { this.removeScanner(h); this.rescan() }
  onOnline (h: number): void { this.addScanner(h); this.rescan() }

  private scheduleScan (): void {
    if (this.scanning === 0) return
    this.ctx.engine.after(this.ctx.rng.nextExponential(this.betaPerMs * this.scanning), this.kScan, this.k, this.version)
  }

  /** The number of scanners changed outside the scan chain: redraw the next scan (memoryless). */
  private rescan (): void {
    this.version++
    this.scheduleScan()
  }

  private onScan (version: number): void {
    if (version !== this.version || this.scanning === 0) return
    const src = this.scanners[this.ctx.rng.nextInt(this.scanning)]
    this.ctx.attempt(this.ctx.rng.nextInt(this.ctx.members), this.k, src)
    this.scheduleScan()
  }

  private addScanner (h: number): void {
    if (this.scannerPos[h] >= 0) return
    if (this.scanning === this.scanners.length) {
      const n = new Int32Array(this.scanners.length * 2); n.set(this.scanners); this.scanners = n
    }
    this.scannerPos[h] = this.scanning
    this.scanners[this.scanning++] = h
  }

  private removeScanner (h: number): void {
    const pos = this.scannerPos[h]
    if (pos < 0) return
    const last = this.scanners[--this.scanning]
    this.scanners[pos] = last
    this.scannerPos[last] = pos
    this.scannerPos[h] = -1
  }
}

export const wormAttack: AttackKind = {
  name: 'worm',
  description: 'random scanning from infected hosts (doublingTimeS, initialInfected)',
  create: (ctx, spec, k) => new WormAttack(ctx, spec, k)
}
