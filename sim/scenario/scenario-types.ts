/**
 * A resolved scenario: every field present, validated (scenario-schema.ts).
 * Scenario files (JSON or YAML) give any subset of these fields, optionally
 * on top of a built-in (`base: slammer`); docs/simulator.md lists them.
 */
import type { AlertIntakeInit } from '../../node/intake/index.js'
import type { AlertPublisherParams } from '../../node/intake/index.js'
import type { ReputationParamsInit } from '../../protocol/reputation/index.js'
import type { NetworkParams } from '../network/index.js'

/** A registered attack kind (sim/attacks/index.ts: worm, targeted, ...). */
export type AttackKind = string

export interface ScenarioAttack {
  name: string
  /** worm: random scanning from infected hosts; targeted: an outside attacker tries a fixed set of members. */
  kind: AttackKind
  startS: number
  /** targeted: how long the attacker keeps trying (worm: ignored, it runs to the end). */
  durationS: number
  /** The attacked context (the episode key of selfish detection). */
  context: string
  /** Clonal selection can turn what the detector saw into a shareable signature (token set). */
  signature: boolean
  /** Detected attempts a host needs before clonal selection yields a signature. */
  samplesForSignature: number
  /** Time from the last needed sample to the signature (generation + self-vetting). */
  signatureDelayS: number
  /** Level-2 detection probability of one attempt; null: the scenario's detection.tpr. */
  tpr: number | null
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

export type LiarStrategy = 'random' | 'coordinated' | 'on-off' | 'mixed'

export interface LiarsSpec {
  /** Share of the members that are liars. */
  fraction: number
  /** mixed: a third of the liars each use random, coordinated and on-off. */
  strategy: LiarStrategy
  /** Lies per liar per hour while lying (random and on-off). */
  liesPerHour: number
  /** Share of the lies that carry a poisoned signature (the rest name an honest source to block). */
  poisonShare: number
  /** on-off: honest phase (reporting real attacks), then a lying phase, repeated. */
  honestPhaseS: number
  liePhaseS: number
  /** coordinated: all coordinated liars lie together every waveIntervalS (same victim, same poisoned signature). */
  waveIntervalS: number
  startS: number
}

export interface SybilSpec {
  /** Fresh identities per honest member (4 in the gossipsub v1.1 evaluation). */
  perHonest: number
  /** Every waveIntervalS, waveFraction of the sybils push a block of one honest address. */
  waveIntervalS: number
  waveFraction: number
  startS: number
  /** Sybils do not forward honest alerts (they only take mesh slots). */
  dropHonest: boolean
}

export interface ChurnSpec {
  /** Exponential online and offline periods. */
  meanOnlineS: number
  meanOfflineS: number
}

export interface RenewalSpec {
  /** Supervised cells renew (infection cleaned) every intervalS ... */
  intervalS: number
  /** ... and every underThreatIntervalS while the host's threat level is raised. */
  underThreatIntervalS: number
}

export interface PopulationSpec {
  /** Share of the members vulnerable to the attacks (75,000 of 100,000 in slammer). */
  vulnerableFraction: number
  /** Share of the members with an armed anomaly detector. */
  detectorFraction: number
  /** Share of the detector hosts still in their learning period at t = 0 (they rely on adopted signatures). */
  learningFraction: number
  /** Learning periods end uniformly within this time. */
  learningPeriodS: number
  /** Normal requests per member per minute that reach a detector (false positives: detection.fpr each). */
  normalRequestsPerMin: number
  /** Share of the members that see a given address as a normal client (they refute alerts naming it). */
  clientShare: number
  /**
   * A host whose matcher hits an adopted signature also reports it through its
   * publisher (rate-limited), as node/daemon/pipeline.ts does. Off in the worm
   * scenarios: every blocked scan would become an alert to every member.
   */
  publishSignatureHits: boolean
}

export interface DetectionSpec {
  /** Level-2 true-positive rate per attack attempt. */
  tpr: number
  /** Level-2 false-positive rate per normal request. */
  fpr: number
  /** Where the figures come from. */
  source: string
}

export interface VettingSpec {
  /** A poisoned signature (a liar's token set taken from normal traffic) matches a receiver's normal traffic with this probability. */
  poisonMatchProb: number
  /** A genuine attack signature matches a receiver's normal traffic with this probability. */
  genuineMatchProb: number
  /** When a signature matches a host's normal traffic, its normal sample (reservoir) shows it with this probability (vetting rejects it); otherwise it is adopted and blocks normal traffic. */
  sampleCoverage: number
}

export interface BrainSpec {
  intake: AlertIntakeInit
  reputation: ReputationParamsInit
  publisher: Partial<AlertPublisherParams>
  /** A partial policy config (node/respond policy-config), merged over the defaults. */
  policy: Record<string, unknown>
}

export interface Scenario {
  name: string
  description: string
  /** Members (honest, liars, selfish). Sybils come on top. */
  nodes: number
  durationS: number
  seed: number
  sampleIntervalS: number
  community: string
  population: PopulationSpec
  detection: DetectionSpec
  attacks: ScenarioAttack[]
  liars: LiarsSpec | null
  selfish: { fraction: number } | null
  sybil: SybilSpec | null
  churn: ChurnSpec | null
  renewal: RenewalSpec | null
  vetting: VettingSpec
  network: NetworkParams
  brain: BrainSpec
}
