/**
 * Scenario validation: a raw object (from JSON or YAML) on top of a base
 * scenario (a built-in, or the defaults) becomes a resolved `Scenario`.
 * Every error is a SimScenarioError naming the field path (e.g.
 * `attacks[1].doublingTimeS`), what was there and what is accepted. Unknown
 * fields are errors too (a typo must not silently fall back to a default).
 * The brain's own params (intake, reputation, publisher, policy) are
 * validated by the node's own validators; their errors are re-labelled with
 * the scenario path.
 */
import { ATTACK_KINDS } from '../attacks/index.js'
import { createAlertIntakeParams } from '../../node/intake/index.js'
import { createAlertPublisherParams } from '../../node/intake/index.js'
import { createPolicy } from '../../node/respond/index.js'
import { createReputationParams } from '../../protocol/reputation/index.js'
import { SimScenarioError } from '../errors.js'
import { DEFAULT_DETECTION } from './detection-figures.js'
import { defaultNetworkParams, validateNetworkParams } from '../network/index.js'
import type { NetworkParams } from '../network/index.js'
import type {
  AttackKind, BrainSpec, ChurnSpec, DetectionSpec, LiarsSpec, LiarStrategy, PopulationSpec, RenewalSpec, Scenario, ScenarioAttack, SybilSpec, VettingSpec
} from './scenario-types.js'

/** Attacks are tracked as bits of a 32-bit mask per host. */
export const MAX_ATTACKS = 32
export const MAX_NODES = 10_000_000

type Raw = Record<string, unknown>

const isObject = (v: unknown): v is Raw => v != null && typeof v === 'object' && !Array.isArray(v)

class Reader {
  constructor (private readonly file?: string) {}

  fail (field: string, value: unknown, accepted: string): never {
    throw new SimScenarioError(field, value, accepted, this.file)
  }

  object (field: string, v: unknown, keys: readonly string[]): Raw {
    if (!isObject(v)) this.fail(field, v, `an object with fields ${keys.join(', ')}`)
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) this.fail(field === '' ? k : `${field}.${k}`, v[k], `no such field (known: ${keys.join(', ')})`)
    }
    return v
  }

  number (field: string, v: unknown, def: number, min: number, max: number, opts: { int?: boolean, exclusiveMin?: boolean } = {}): number {
    if (v === undefined) return def
    const okMin = opts.exclusiveMin === true ? (v as number) > min : (v as number) >= min
    if (typeof v !== 'number' || !Number.isFinite(v) || !okMin || v > max || (opts.int === true && !Number.isInteger(v))) {
      const range = `${opts.exclusiveMin === true ? '(' : '['}${min}, ${max}]`
      this.fail(field, v, `${opts.int === true ? 'an integer' : 'a number'} in ${range}`)
    }
    return v
  }

  nullableNumber (field: string, v: unknown, def: number | null, min: number, max: number, opts: { int?: boolean, exclusiveMin?: boolean } = {}): number | null {
    if (v === null) return null
    if (v === undefined) return def
    return this.number(field, v, 0, min, max, opts)
  }

  boolean (field: string, v: unknown, def: boolean): boolean {
    if (v === undefined) return def
    if (typeof v !== 'boolean') this.fail(field, v, 'true or false')
    return v
  }

  string (field: string, v: unknown, def: string, pattern?: RegExp, accepted?: string): string {
    if (v === undefined) return def
    if (typeof v !== 'string' || v.length === 0 || v.length > 200 || (pattern != null && !pattern.test(v))) this.fail(field, v, accepted ?? 'a non-empty string of at most 200 characters')
    return v
  }

  text (field: string, v: unknown): string {
    if (typeof v !== 'string' || v.length > 2000) this.fail(field, v, 'a string of at most 2000 characters')
    return v
  }

  oneOf<T extends string> (field: string, v: unknown, def: T, values: readonly T[]): T {
    if (v === undefined) return def
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) this.fail(field, v, `one of ${values.join(', ')}`)
    return v as T
  }
}

const SCENARIO_KEYS = ['base', 'name', 'description', 'nodes', 'durationS', 'seed', 'sampleIntervalS', 'community', 'population', 'detection',
  'attacks', 'liars', 'selfish', 'sybil', 'churn', 'renewal', 'vetting', 'network', 'brain'] as const
const POPULATION_KEYS = ['vulnerableFraction', 'detectorFraction', 'learningFraction', 'learningPeriodS', 'normalRequestsPerMin', 'clientShare', 'publishSignatureHits'] as const
const DETECTION_KEYS = ['tpr', 'fpr', 'source'] as const
const ATTACK_KEYS = ['name', 'kind', 'startS', 'durationS', 'context', 'signature', 'samplesForSignature', 'signatureDelayS', 'tpr', 'doublingTimeS',
  'initialInfected', 'targets', 'targetFraction', 'attemptsPerTargetPerMin', 'attackers', 'sourceKnown', 'repeat'] as const
const LIAR_KEYS = ['fraction', 'strategy', 'liesPerHour', 'poisonShare', 'honestPhaseS', 'liePhaseS', 'waveIntervalS', 'startS'] as const
const SYBIL_KEYS = ['perHonest', 'waveIntervalS', 'waveFraction', 'startS', 'dropHonest'] as const
const CHURN_KEYS = ['meanOnlineS', 'meanOfflineS'] as const
const RENEWAL_KEYS = ['intervalS', 'underThreatIntervalS'] as const
const VETTING_KEYS = ['poisonMatchProb', 'genuineMatchProb', 'sampleCoverage'] as const
/** Distinct outside attacker addresses per attack (198.18.0.0/15 holds 32 × 4096). */
export const MAX_ATTACKERS = 4096
const BRAIN_KEYS = ['intake', 'reputation', 'publisher', 'policy'] as const
const NETWORK_KEYS = Object.keys(defaultNetworkParams)

const DAY_S = 86_400
const YEAR_S = 365 * DAY_S
const CONTEXT = /^[\x20-\x7e]{1,200}$/
const COMMUNITY = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** The defaults of every field: a base with no attacks, no adversaries. */
export function emptyScenario (): Scenario {
  return {
    name: 'custom',
    description: '',
    nodes: 1000,
    durationS: 600,
    seed: 1,
    sampleIntervalS: 5,
    community: 'sim-app',
    population: { vulnerableFraction: 1, detectorFraction: 0.1, learningFraction: 0, learningPeriodS: 3600, normalRequestsPerMin: 0, clientShare: 0.2, publishSignatureHits: false },
    detection: { ...DEFAULT_DETECTION },
    attacks: [],
    liars: null,
    selfish: null,
    sybil: null,
    churn: null,
    renewal: null,
    vetting: { poisonMatchProb: 0.98, genuineMatchProb: 0.001, sampleCoverage: 0.99 },
    network: { ...defaultNetworkParams },
    brain: { intake: {}, reputation: {}, publisher: {}, policy: {} }
  }
}

export function defaultAttack (i: number): ScenarioAttack {
  return {
    name: `attack-${i + 1}`,
    kind: 'worm',
    startS: 0,
    durationS: 600,
    context: 'POST /api/exec',
    signature: true,
    samplesForSignature: 1,
    signatureDelayS: 1,
    tpr: null,
    doublingTimeS: 8.5,
    initialInfected: 1,
    targets: null,
    targetFraction: 0.01,
    attemptsPerTargetPerMin: 1,
    attackers: 1,
    sourceKnown: true
  }
}

function readAttack (r: Reader, field: string, raw: unknown, base: ScenarioAttack): ScenarioAttack[] {
  const o = r.object(field, raw, ATTACK_KEYS)
  const a: ScenarioAttack = {
    name: r.string(`${field}.name`, o.name, base.name),
    kind: r.oneOf<AttackKind>(`${field}.kind`, o.kind, base.kind, Object.keys(ATTACK_KINDS)),
    startS: r.number(`${field}.startS`, o.startS, base.startS, 0, YEAR_S),
    durationS: r.number(`${field}.durationS`, o.durationS, base.durationS, 0, YEAR_S, { exclusiveMin: true }),
    context: r.string(`${field}.context`, o.context, base.context, CONTEXT, 'printable ASCII, 1 to 200 characters'),
    signature: r.boolean(`${field}.signature`, o.signature, base.signature),
    samplesForSignature: r.number(`${field}.samplesForSignature`, o.samplesForSignature, base.samplesForSignature, 1, 1000, { int: true }),
    signatureDelayS: r.number(`${field}.signatureDelayS`, o.signatureDelayS, base.signatureDelayS, 0, DAY_S),
    tpr: r.nullableNumber(`${field}.tpr`, o.tpr, base.tpr, 0, 1),
    doublingTimeS: r.number(`${field}.doublingTimeS`, o.doublingTimeS, base.doublingTimeS, 0.01, DAY_S),
    initialInfected: r.number(`${field}.initialInfected`, o.initialInfected, base.initialInfected, 1, MAX_NODES, { int: true }),
    targets: r.nullableNumber(`${field}.targets`, o.targets, base.targets, 1, MAX_NODES, { int: true }),
    targetFraction: r.number(`${field}.targetFraction`, o.targetFraction, base.targetFraction, 0, 1, { exclusiveMin: true }),
    attemptsPerTargetPerMin: r.number(`${field}.attemptsPerTargetPerMin`, o.attemptsPerTargetPerMin, base.attemptsPerTargetPerMin, 0, 1e6, { exclusiveMin: true }),
    attackers: r.number(`${field}.attackers`, o.attackers, base.attackers, 1, MAX_ATTACKERS, { int: true }),
    sourceKnown: r.boolean(`${field}.sourceKnown`, o.sourceKnown, base.sourceKnown)
  }
  if (o.repeat === undefined) return [a]
  const rep = r.object(`${field}.repeat`, o.repeat, ['count', 'everyS'])
  const count = r.number(`${field}.repeat.count`, rep.count, 1, 1, MAX_ATTACKS, { int: true })
  if (rep.everyS === undefined) r.fail(`${field}.repeat.everyS`, undefined, 'a number of seconds > 0')
  const everyS = r.number(`${field}.repeat.everyS`, rep.everyS, 0, 0, YEAR_S, { exclusiveMin: true })
  return Array.from({ length: count }, (_, i) => ({ ...a, name: `${a.name}#${i + 1}`, context: `${a.context}#${i + 1}`, startS: a.startS + i * everyS }))
}

function relabel (prefix: string, err: unknown, r: Reader): never {
  const e = err as { code?: string, details?: { field?: string, value?: unknown, accepted?: string, issues?: Array<{ field: string, value: unknown, accepted: string }> }, message?: string }
  // the node's validators name fields like "intake.sourceQuorum" or "policy.rules[0].level": keep what follows the section
  const section = prefix.slice(prefix.lastIndexOf('.') + 1)
  const under = (f: string): string => {
    const leaf = f.startsWith(section + '.') ? f.slice(section.length + 1) : f === section ? '' : f
    return leaf === '' ? prefix : `${prefix}.${leaf}`
  }
  if (e?.code === 'IMMUNE_ERR_INVALID_PARAMS' && e.details != null) {
    r.fail(under(String(e.details.field ?? '')), e.details.value, e.details.accepted ?? 'see docs/simulator.md')
  }
  if (e?.code === 'IMMUNE_ERR_CONFIG' && e.details != null) {
    const first = e.details.issues?.[0] ?? { field: String(e.details.field ?? ''), value: e.details.value, accepted: String(e.details.accepted ?? '') }
    r.fail(under(first.field), first.value, first.accepted)
  }
  r.fail(prefix, undefined, e?.message ?? String(err))
}

function readBrain (r: Reader, raw: unknown, base: BrainSpec): BrainSpec {
  if (raw === undefined) return base
  const o = r.object('brain', raw, BRAIN_KEYS)
  const section = (k: typeof BRAIN_KEYS[number]): Record<string, unknown> => {
    const v = o[k]
    if (v === undefined) return base[k] as Record<string, unknown>
    if (!isObject(v)) r.fail(`brain.${k}`, v, 'an object (partial params)')
    return { ...(base[k] as Record<string, unknown>), ...v }
  }
  const brain: BrainSpec = { intake: section('intake'), reputation: section('reputation'), publisher: section('publisher'), policy: section('policy') }
  return brain
}

/** Check the brain params with the node's own validators (labels errors with the scenario path). */
export function checkBrain (brain: BrainSpec, r = new Reader()): void {
  try { createAlertIntakeParams(brain.intake) } catch (err) { relabel('brain.intake', err, r) }
  try { createReputationParams(brain.reputation) } catch (err) { relabel('brain.reputation', err, r) }
  try { createAlertPublisherParams(brain.publisher) } catch (err) { relabel('brain.publisher', err, r) }
  try { createPolicy(brain.policy, [{ name: 'svc', type: 'supervised' }]) } catch (err) { relabel('brain.policy', err, r) }
}

/**
 * Resolve `raw` over `base` (default: emptyScenario()). Throws
 * SimScenarioError naming the first bad field. `file` is only used in messages.
 */
export function resolveScenario (raw: unknown, base: Scenario = emptyScenario(), file?: string): Scenario {
  const r = new Reader(file)
  const o = r.object('', raw, SCENARIO_KEYS)
  const p = o.population === undefined ? {} : r.object('population', o.population, POPULATION_KEYS)
  const population: PopulationSpec = {
    vulnerableFraction: r.number('population.vulnerableFraction', p.vulnerableFraction, base.population.vulnerableFraction, 0, 1, { exclusiveMin: true }),
    detectorFraction: r.number('population.detectorFraction', p.detectorFraction, base.population.detectorFraction, 0, 1),
    learningFraction: r.number('population.learningFraction', p.learningFraction, base.population.learningFraction, 0, 1),
    learningPeriodS: r.number('population.learningPeriodS', p.learningPeriodS, base.population.learningPeriodS, 0, YEAR_S),
    normalRequestsPerMin: r.number('population.normalRequestsPerMin', p.normalRequestsPerMin, base.population.normalRequestsPerMin, 0, 1e5),
    clientShare: r.number('population.clientShare', p.clientShare, base.population.clientShare, 0, 1),
    publishSignatureHits: r.boolean('population.publishSignatureHits', p.publishSignatureHits, base.population.publishSignatureHits)
  }
  const d = o.detection === undefined ? {} : r.object('detection', o.detection, DETECTION_KEYS)
  const detection: DetectionSpec = {
    tpr: r.number('detection.tpr', d.tpr, base.detection.tpr, 0, 1),
    fpr: r.number('detection.fpr', d.fpr, base.detection.fpr, 0, 1),
    source: r.string('detection.source', d.source, d.tpr !== undefined || d.fpr !== undefined ? 'scenario file' : base.detection.source)
  }
  let attacks = base.attacks
  if (o.attacks !== undefined) {
    const list: unknown = o.attacks
    if (!Array.isArray(list)) r.fail('attacks', list, 'a list of attacks')
    attacks = []
    ;(list as unknown[]).forEach((a, i) => { attacks.push(...readAttack(r, `attacks[${i}]`, a, base.attacks[i] ?? defaultAttack(i))) })
    if (attacks.length > MAX_ATTACKS) r.fail('attacks', `${attacks.length} attacks after repeat`, `at most ${MAX_ATTACKS}`)
    const names = new Set<string>()
    attacks.forEach((a, i) => {
      if (names.has(a.name)) r.fail(`attacks[${i}].name`, a.name, 'a name not used by another attack')
      names.add(a.name)
    })
  }
  const nullable = <T>(key: string, keys: readonly string[], baseV: T | null, def: T, read: (x: Raw, b: T) => T): T | null => {
    const v = o[key]
    if (v === undefined) return baseV
    if (v === null || v === false) return null
    return read(r.object(key, v, keys), baseV ?? def)
  }
  const liars = nullable<LiarsSpec>('liars', LIAR_KEYS, base.liars,
    { fraction: 0.1, strategy: 'mixed', liesPerHour: 6, poisonShare: 0.5, honestPhaseS: 1200, liePhaseS: 600, waveIntervalS: 300, startS: 60 },
    (x, b) => ({
      fraction: r.number('liars.fraction', x.fraction, b.fraction, 0, 0.9),
      strategy: r.oneOf<LiarStrategy>('liars.strategy', x.strategy, b.strategy, ['random', 'coordinated', 'on-off', 'mixed']),
      liesPerHour: r.number('liars.liesPerHour', x.liesPerHour, b.liesPerHour, 0, 3600, { exclusiveMin: true }),
      poisonShare: r.number('liars.poisonShare', x.poisonShare, b.poisonShare, 0, 1),
      honestPhaseS: r.number('liars.honestPhaseS', x.honestPhaseS, b.honestPhaseS, 0, YEAR_S),
      liePhaseS: r.number('liars.liePhaseS', x.liePhaseS, b.liePhaseS, 0, YEAR_S, { exclusiveMin: true }),
      waveIntervalS: r.number('liars.waveIntervalS', x.waveIntervalS, b.waveIntervalS, 1, YEAR_S),
      startS: r.number('liars.startS', x.startS, b.startS, 0, YEAR_S)
    }))
  const selfish = nullable<{ fraction: number }>('selfish', ['fraction'], base.selfish, { fraction: 0.1 },
    (x, b) => ({ fraction: r.number('selfish.fraction', x.fraction, b.fraction, 0, 0.9) }))
  const sybil = nullable<SybilSpec>('sybil', SYBIL_KEYS, base.sybil,
    { perHonest: 4, waveIntervalS: 120, waveFraction: 0.05, startS: 60, dropHonest: true },
    (x, b) => ({
      perHonest: r.number('sybil.perHonest', x.perHonest, b.perHonest, 0, 100),
      waveIntervalS: r.number('sybil.waveIntervalS', x.waveIntervalS, b.waveIntervalS, 1, YEAR_S),
      waveFraction: r.number('sybil.waveFraction', x.waveFraction, b.waveFraction, 0, 1, { exclusiveMin: true }),
      startS: r.number('sybil.startS', x.startS, b.startS, 0, YEAR_S),
      dropHonest: r.boolean('sybil.dropHonest', x.dropHonest, b.dropHonest)
    }))
  const churn = nullable<ChurnSpec>('churn', CHURN_KEYS, base.churn, { meanOnlineS: 1800, meanOfflineS: 300 },
    (x, b) => ({
      meanOnlineS: r.number('churn.meanOnlineS', x.meanOnlineS, b.meanOnlineS, 1, YEAR_S),
      meanOfflineS: r.number('churn.meanOfflineS', x.meanOfflineS, b.meanOfflineS, 1, YEAR_S)
    }))
  const renewal = nullable<RenewalSpec>('renewal', RENEWAL_KEYS, base.renewal, { intervalS: 600, underThreatIntervalS: 60 },
    (x, b) => ({
      intervalS: r.number('renewal.intervalS', x.intervalS, b.intervalS, 1, YEAR_S),
      underThreatIntervalS: r.number('renewal.underThreatIntervalS', x.underThreatIntervalS, b.underThreatIntervalS, 1, YEAR_S)
    }))
  const v = o.vetting === undefined ? {} : r.object('vetting', o.vetting, VETTING_KEYS)
  const vetting: VettingSpec = {
    poisonMatchProb: r.number('vetting.poisonMatchProb', v.poisonMatchProb, base.vetting.poisonMatchProb, 0, 1),
    genuineMatchProb: r.number('vetting.genuineMatchProb', v.genuineMatchProb, base.vetting.genuineMatchProb, 0, 1),
    sampleCoverage: r.number('vetting.sampleCoverage', v.sampleCoverage, base.vetting.sampleCoverage, 0, 1)
  }
  let network: NetworkParams = base.network
  if (o.network !== undefined) {
    const n = r.object('network', o.network, NETWORK_KEYS)
    network = { ...base.network, ...n } as NetworkParams
    try { validateNetworkParams(network) } catch (err) { relabel('network', err, r) }
  }
  const brain = readBrain(r, o.brain, base.brain)
  if (o.brain !== undefined) checkBrain(brain, r)

  const s: Scenario = {
    name: r.string('name', o.name, base.name, /^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-" (1 to 64)'),
    description: o.description === undefined ? base.description : r.text('description', o.description),
    nodes: r.number('nodes', o.nodes, base.nodes, 2, MAX_NODES, { int: true }),
    durationS: r.number('durationS', o.durationS, base.durationS, 0, 30 * DAY_S, { exclusiveMin: true }),
    seed: r.number('seed', o.seed, base.seed, 0, Number.MAX_SAFE_INTEGER, { int: true }),
    sampleIntervalS: r.number('sampleIntervalS', o.sampleIntervalS, base.sampleIntervalS, 0.1, DAY_S),
    community: r.string('community', o.community, base.community, COMMUNITY, 'a community id: lower-case letters, digits, ".", "_" or "-" (1 to 64)'),
    population,
    detection,
    attacks,
    liars,
    selfish,
    sybil,
    churn,
    renewal,
    vetting,
    network,
    brain
  }
  if (s.liars != null && s.selfish != null && s.liars.fraction + s.selfish.fraction > 0.95) {
    r.fail('selfish.fraction', s.selfish.fraction, `at most ${(0.95 - s.liars.fraction).toFixed(2)} with liars.fraction ${s.liars.fraction}`)
  }
  return s
}

/** Apply command-line overrides (already parsed as numbers) with the same checks. */
export function withOverrides (s: Scenario, o: { nodes?: number, seed?: number, durationS?: number }): Scenario {
  const r = new Reader()
  return {
    ...s,
    nodes: r.number('--nodes', o.nodes, s.nodes, 2, MAX_NODES, { int: true }),
    seed: r.number('--seed', o.seed, s.seed, 0, Number.MAX_SAFE_INTEGER, { int: true }),
    durationS: r.number('--duration', o.durationS, s.durationS, 0, 30 * DAY_S, { exclusiveMin: true })
  }
}
