/**
 * The built-in scenarios (`immune-sim scenarios`). Each is a raw scenario
 * object resolved through the same schema as a file, so built-ins and files
 * cannot drift apart. docs/simulator.md explains the choice of each number.
 */
import { DEFAULT_DETECTION } from './detection-figures.js'
import { emptyScenario, resolveScenario } from './scenario-schema.js'
import type { Scenario } from './scenario-types.js'

const detection = { tpr: DEFAULT_DETECTION.tpr, fpr: DEFAULT_DETECTION.fpr, source: DEFAULT_DETECTION.source }

/** Background attacks that let honest members earn reputation (liars, sybil). */
const background = (count: number, everyS: number, targetFraction: number): Record<string, unknown> => ({
  name: 'exploit',
  kind: 'targeted',
  startS: 30,
  durationS: 240,
  context: 'GET /shop/item.jsp',
  signature: true,
  samplesForSignature: 1,
  signatureDelayS: 2,
  targetFraction,
  attemptsPerTargetPerMin: 0.5,
  repeat: { count, everyS }
})

export const BUILTIN_SCENARIOS: Record<string, Record<string, unknown>> = {
  slammer: {
    name: 'slammer',
    description: 'A fast random-scanning worm (SQL Slammer, Moore et al. 2003): the infected population doubles every 8.5 s; 75% of the members are vulnerable (75,000 of 100,000); detectors on 10% of the members.',
    nodes: 100_000,
    durationS: 600,
    sampleIntervalS: 5,
    population: { vulnerableFraction: 0.75, detectorFraction: 0.1, learningFraction: 0.1, learningPeriodS: 3600, normalRequestsPerMin: 0 },
    detection,
    attacks: [{
      name: 'slammer',
      kind: 'worm',
      startS: 0,
      context: 'UDP 1434 ms-sql-m',
      signature: true,
      samplesForSignature: 1,
      signatureDelayS: 1,
      doublingTimeS: 8.5,
      initialInfected: 1
    }]
  },
  targeted: {
    name: 'targeted',
    description: 'A slow, small-scope targeted attack (Communizer): 10 members are tried about once every 5 minutes for 50 minutes; detectors on 20% of the members. Does the community still learn it?',
    nodes: 1000,
    durationS: 3600,
    sampleIntervalS: 10,
    population: { vulnerableFraction: 1, detectorFraction: 0.2, normalRequestsPerMin: 1, publishSignatureHits: true },
    detection,
    attacks: [{
      name: 'targeted',
      kind: 'targeted',
      startS: 60,
      durationS: 3000,
      context: 'POST /admin/upload.jsp',
      signature: true,
      samplesForSignature: 1,
      signatureDelayS: 5,
      targets: 10,
      attemptsPerTargetPerMin: 0.2
    }]
  },
  liars: {
    name: 'liars',
    description: 'Insiders (10% of the members) sending false alerts: poisoned signatures and false source blocks, with random, coordinated and on-off (betrayal) strategies, a third of the liars each; real attacks every 10 minutes let everyone earn reputation.',
    nodes: 1000,
    durationS: 3600,
    sampleIntervalS: 10,
    population: { vulnerableFraction: 1, detectorFraction: 0.3, normalRequestsPerMin: 1, clientShare: 0.2, publishSignatureHits: true },
    detection,
    attacks: [background(6, 600, 0.1)],
    liars: { fraction: 0.1, strategy: 'mixed', liesPerHour: 6, poisonShare: 0.5, honestPhaseS: 1200, liePhaseS: 600, waveIntervalS: 300, startS: 60 }
  },
  selfish: {
    name: 'selfish',
    description: 'Selfish members (10%) that never report: 16 community-wide attacks 6 minutes apart that only the anomaly detector sees (no shareable signature, no visible source), every member with a detector; honest members report what they see, the selfish stay silent.',
    nodes: 150,
    durationS: 6000,
    sampleIntervalS: 30,
    population: { vulnerableFraction: 1, detectorFraction: 1, normalRequestsPerMin: 0 },
    detection,
    attacks: [{
      name: 'wave',
      kind: 'targeted',
      startS: 30,
      durationS: 30,
      context: 'GET /search',
      signature: false,
      sourceKnown: false,
      targetFraction: 1,
      attemptsPerTargetPerMin: 4,
      repeat: { count: 16, everyS: 360 }
    }],
    selfish: { fraction: 0.1 }
  },
  sybil: {
    name: 'sybil',
    description: 'A sybil flood: 4 fresh identities per honest member (as in the gossipsub v1.1 evaluation) take mesh slots, drop honest alerts and push blocks of honest addresses in waves; real attacks every 10 minutes.',
    nodes: 300,
    durationS: 1800,
    sampleIntervalS: 10,
    population: { vulnerableFraction: 1, detectorFraction: 0.3, normalRequestsPerMin: 1, clientShare: 0.2, publishSignatureHits: true },
    detection,
    attacks: [background(3, 600, 0.2)],
    sybil: { perHonest: 4, waveIntervalS: 120, waveFraction: 0.02, startS: 60, dropHonest: true }
  },
  churn: {
    name: 'churn',
    description: 'A slower worm (doubling every 30 s) while members come and go (online 30 min, offline 5 min on average, the overlay repairs at each heartbeat) and supervised cells renew every 10 minutes, every minute under threat.',
    nodes: 10_000,
    durationS: 1800,
    sampleIntervalS: 10,
    population: { vulnerableFraction: 0.75, detectorFraction: 0.05, normalRequestsPerMin: 0 },
    detection,
    attacks: [{
      name: 'worm',
      kind: 'worm',
      startS: 0,
      context: 'POST /api/exec',
      signature: true,
      samplesForSignature: 1,
      signatureDelayS: 1,
      doublingTimeS: 30,
      initialInfected: 5
    }],
    churn: { meanOnlineS: 1800, meanOfflineS: 300 },
    renewal: { intervalS: 600, underThreatIntervalS: 60 }
  }
}

export const BUILTIN_NAMES = Object.keys(BUILTIN_SCENARIOS)

export function builtinScenario (name: string): Scenario | undefined {
  const raw = BUILTIN_SCENARIOS[name]
  return raw == null ? undefined : resolveScenario(raw, emptyScenario(), `built-in ${name}`)
}
