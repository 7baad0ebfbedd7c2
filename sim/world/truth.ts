/**
 * The simulator's ground truths (what no real node knows): which addresses
 * are malicious, which hosts have which address as a normal client, and
 * which signatures are genuine or poisoned, with the stateless vetting draw
 * u(host, signature) that stands in for a host's normal traffic
 * (docs/simulator.md, "Vetting by ground truth").
 */
import { deriveSeed } from '../../core/index.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import { hash01 } from '../engine/index.js'
import { attackerAddress, hostAddress } from '../host/index.js'
import type { Scenario } from '../scenario/index.js'
import { ROLE_SYBIL } from './population.js'
import type { Population } from './population.js'

const SALT_VET = 0x5e77
const SALT_CLIENT = 0xc11e

/** Ground truth of an address named in an alert: a host (≥ 0), an outside attacker, or normal client k (clientCode(k)). */
const TRUTH_ATTACKER = -1
export const clientCode = (k: number): number => -2 - k

export interface VetDraw {
  /** Probability that the signature matches the host's normal traffic. */
  match: number
  /** Below this the host's normal sample shows the match (rejected). */
  rejected: number
  u: number
  poisoned: boolean
  attack: number
}

export class GroundTruth {
  private readonly addressTruth = new Map<string, number>()
  private readonly sigTruth = new Map<string, { attack: number, poisoned: boolean }>()
  private readonly vetSeed: number
  private readonly clientSeed: number

  constructor (private readonly s: Scenario, private readonly pop: Population, private readonly infected: Uint32Array) {
    this.vetSeed = deriveSeed(s.seed, 'vet') ^ SALT_VET
    this.clientSeed = deriveSeed(s.seed, 'client') ^ SALT_CLIENT
  }

  /** The address of an attempt's source (host ≥ 0, or −(1 + k·4096 + j) for attack k's outside attacker j), registered as ground truth. */
  sourceAddress (src: number): string {
    const address = src >= 0 ? hostAddress(src) : attackerAddress((-src - 1) >>> 12, (-src - 1) & 4095)
    if (!this.addressTruth.has(address)) this.addressTruth.set(address, src >= 0 ? src : TRUTH_ATTACKER)
    return address
  }

  /** Registers a normal client's address. */
  client (address: string, k: number): void {
    if (!this.addressTruth.has(address)) this.addressTruth.set(address, clientCode(k))
  }

  /** The host behind an address, when it is one (−1 otherwise). */
  hostOf (address: string): number {
    const code = this.addressTruth.get(address)
    return code !== undefined && code >= 0 ? code : -1
  }

  malicious (address: string): boolean {
    const code = this.addressTruth.get(address)
    if (code === undefined) return false
    if (code === TRUTH_ATTACKER) return true
    if (code >= 0) return this.infected[code] !== 0 || this.pop.role[code] === ROLE_SYBIL
    return false
  }

  isClientOf (h: number, address: string): boolean {
    const code = this.addressTruth.get(address)
    if (code === undefined || code === TRUTH_ATTACKER) return false
    return hash01(this.clientSeed, h, code) < this.s.population.clientShare
  }

  signature (sig: SignatureIndicator, attack: number, poisoned: boolean): void {
    this.sigTruth.set(sig.id, { attack, poisoned })
  }

  /**
   * Vetting by ground truth: u = hash(host, signature) decides once and for all
   * whether the signature matches this host's normal traffic (u < m, m the
   * poison or genuine match probability) and whether its normal sample shows
   * it (u < m · sampleCoverage: rejected, R2 for the origin). Between the two
   * it is adopted and blocks normal traffic; above m it is adopted and harmless.
   */
  vetDraw (h: number, sig: SignatureIndicator): VetDraw | null {
    const truth = this.sigTruth.get(sig.id)
    if (truth == null) return null
    const m = truth.poisoned ? this.s.vetting.poisonMatchProb : this.s.vetting.genuineMatchProb
    return { match: m, rejected: m * this.s.vetting.sampleCoverage, u: hash01(this.vetSeed, h, hashId(sig.id)), poisoned: truth.poisoned, attack: truth.attack }
  }
}

/** A 31-bit number from a signature id (hex digest), for the vetting hash. */
function hashId (id: string): number {
  let h = 0
  for (let i = 0; i < Math.min(12, id.length); i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0
  return h & 0x7fffffff
}
