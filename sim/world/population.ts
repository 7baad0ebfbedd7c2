/**
 * Who is who: per-host roles and flags, struct-of-arrays so a million hosts
 * cost a few megabytes. Drawn from the scenario seed only (the same
 * population in the baseline and the mesh run).
 */
import { createPrng, deriveSeed } from '../../core/index.js'
import type { Scenario } from '../scenario/index.js'

export const ROLE_HONEST = 0
export const ROLE_LIAR = 1
export const ROLE_SELFISH = 2
export const ROLE_SYBIL = 3

export const LIAR_RANDOM = 0
export const LIAR_COORDINATED = 1
export const LIAR_ON_OFF = 2

export const FLAG_VULNERABLE = 1
export const FLAG_DETECTOR = 2
export const FLAG_OFFLINE = 4
/** The host's brain holds negative evidence about someone: check P5 graylisting on receipt. */
export const FLAG_DISTRUST = 8

export interface Population {
  /** Members (honest, liars, selfish): hosts [0, members). */
  members: number
  /** Sybils: hosts [members, total). */
  sybils: number
  total: number
  role: Uint8Array
  flags: Uint8Array
  /** Liar strategy per host (LIAR_*), meaningful for liars only. */
  liarStrategy: Uint8Array
  /** Virtual ms when a detector host's learning period ends (null: nobody learns). */
  learningEndMs: Float64Array | null
  vulnerable: number
  detectors: Int32Array
  liars: Int32Array
  selfish: Int32Array
}

export function buildPopulation (s: Scenario, withSybils: boolean): Population {
  const rng = createPrng(deriveSeed(s.seed, 'population'))
  const members = s.nodes
  const sybils = withSybils && s.sybil != null ? Math.round(members * s.sybil.perHonest) : 0
  const total = members + sybils
  const role = new Uint8Array(total)
  const flags = new Uint8Array(total)
  const liarStrategy = new Uint8Array(total)
  // a random permutation decides who lies and who is selfish
  const perm = new Int32Array(members)
  for (let i = 0; i < members; i++) perm[i] = i
  for (let i = members - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1)
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t
  }
  const nLiars = s.liars == null ? 0 : Math.round(members * s.liars.fraction)
  const nSelfish = s.selfish == null ? 0 : Math.round(members * s.selfish.fraction)
  const liars = new Int32Array(nLiars)
  const selfish = new Int32Array(nSelfish)
  for (let k = 0; k < nLiars; k++) {
    const h = perm[k]
    role[h] = ROLE_LIAR
    liars[k] = h
    const st = s.liars!.strategy
    liarStrategy[h] = st === 'random' ? LIAR_RANDOM : st === 'coordinated' ? LIAR_COORDINATED : st === 'on-off' ? LIAR_ON_OFF : k % 3
  }
  for (let k = 0; k < nSelfish; k++) {
    const h = perm[nLiars + k]
    role[h] = ROLE_SELFISH
    selfish[k] = h
  }
  liars.sort()
  selfish.sort()
  for (let i = members; i < total; i++) role[i] = ROLE_SYBIL
  const p = s.population
  let vulnerable = 0
  let nDet = 0
  const learning = p.learningFraction > 0 && p.learningPeriodS > 0 ? new Float64Array(total) : null
  for (let i = 0; i < members; i++) {
    if (rng.next() < p.vulnerableFraction) { flags[i] |= FLAG_VULNERABLE; vulnerable++ }
    if (rng.next() < p.detectorFraction) {
      flags[i] |= FLAG_DETECTOR
      nDet++
      if (learning != null && rng.next() < p.learningFraction) learning[i] = rng.next() * p.learningPeriodS * 1000
    }
  }
  const detectors = new Int32Array(nDet)
  let d = 0
  for (let i = 0; i < members; i++) if ((flags[i] & FLAG_DETECTOR) !== 0) detectors[d++] = i
  return { members, sybils, total, role, flags, liarStrategy, learningEndMs: learning, vulnerable, detectors, liars, selfish }
}
