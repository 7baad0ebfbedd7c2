/**
 * Attack models: how attempts reach the members (docs/simulator.md, "Host
 * model and attacks"). A model only schedules attempts; what an attempt does
 * on a host (deny list, signature, detection, infection) is the host model's
 * (sim/run/host-model.ts), through the brain. A new attack kind is one file
 * here plus one line in ./index.ts.
 */
import type { Prng } from '../../core/index.js'
import type { Engine } from '../engine/index.js'

/** The source of an attempt is not visible (e.g. behind a proxy): nothing to block or to share. */
export const NO_SOURCE = -0x40000000

/** The source code of attack k's outside attacker j (hosts are ≥ 0). */
export function outsideAttacker (k: number, j: number): number {
  return -(1 + k * 4096 + j)
}

/** The scenario fields the attack models read (sim/scenario's AttackSpec extends it). */
export interface AttackSpec {
  name: string
  /** A registered attack kind (./index.ts). */
  kind: string
  startS: number
  /** How long the attack lasts (worm: ignored, it runs to the end). */
  durationS: number
  /** worm: the early doubling time of the infected population. */
  doublingTimeS: number
  /** worm: infected vulnerable hosts at startS. */
  initialInfected: number
  /** targeted: members attacked (count), or ... */
  targets: number | null
  /** ... a fraction of the members (used when targets is null). */
  targetFraction: number
  /** targeted: attempts per target per minute (Poisson) while the attack lasts. */
  attemptsPerTargetPerMin: number
  /** targeted: distinct source addresses the attempts come from (1: one attacker; more: a botnet). */
  attackers: number
  /** The attempt's client address is visible (false: e.g. through a proxy; no source to block or to share). */
  sourceKnown: boolean
}

/** What an attack model may use of the simulated world (the Simulation implements it). */
export interface AttackContext {
  readonly engine: Engine
  /** The run's random stream (models draw from it in event order: runs stay reproducible). */
  readonly rng: Prng
  /** Members are hosts [0, members). */
  readonly members: number
  /** Hosts including sybils. */
  readonly total: number
  /** Vulnerable members. */
  readonly vulnerable: number
  readonly durationMs: number
  isVulnerable: (h: number) => boolean
  isOffline: (h: number) => boolean
  isInfected: (h: number, k: number) => boolean
  /** One attempt of attack k on host t from src (a host ≥ 0, outsideAttacker(k, j), or NO_SOURCE). */
  attempt: (t: number, k: number, src: number) => void
  /** Host h is infected by attack k (the model hears back through onInfected). */
  infect: (h: number, k: number) => void
  /** A new event kind dispatched to `handler`; returns the kind for engine.at/after. */
  event: (handler: (a: number, b: number, c: number) => void) => number
}

export interface AttackModel {
  readonly spec: AttackSpec
  /** Attempts stop after this virtual ms (Infinity: until the end of the run). */
  readonly endMs: number
  /** At spec.startS. */
  start: () => void
  /** Host h is now infected by this attack. */
  onInfected: (h: number) => void
  /** Host h is clean again (its cell was renewed). */
  onCured: (h: number) => void
  /** An infected host went offline / came back online. */
  onOffline: (h: number) => void
  onOnline: (h: number) => void
}

export interface AttackKind {
  /** The scenario's `attacks[].kind`. */
  readonly name: string
  /** One line for `immune-sim scenarios --help` and the docs. */
  readonly description: string
  create: (ctx: AttackContext, spec: AttackSpec, index: number) => AttackModel
}
