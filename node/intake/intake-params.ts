/**
 * Parameters of the alert intake (params pattern, CONVENTIONS.md 2).
 * docs/reputation.md explains each default.
 */
import { InvalidParamsError } from '../errors.js'
import { createSelfishParams } from '../../protocol/reputation/index.js'
import type { SelfishParams } from '../../protocol/reputation/index.js'

export interface AlertIntakeParams {
  /** Signatures vetted per alert; the rest are ignored (bounded work per message). */
  maxSignaturesPerAlert: number
  /** Source indicators considered per alert. */
  maxSourcesPerAlert: number
  /** Sensitivity factor when the summed influence (weight · E) of the warning origins reaches 1. */
  maxSensitivityFactor: number
  /** Longest time a peer alert keeps a context's sensitivity raised (also bounded by the alert's ttl). */
  maxSensitivityMs: number
  /** Summed influence below which no sensitivity raise is requested. */
  minSensitivityInfluence: number
  /** Quorum for a remote source block: Σ weight · E over independent origins must reach this ... */
  sourceQuorum: number
  /** ... with at least this many distinct origins each of influence >= minVoterInfluence. */
  sourceMinOrigins: number
  /** An origin below this influence counts neither in the sum nor towards sourceMinOrigins (newcomers, sybils). */
  minVoterInfluence: number
  /** A remote-evidence block lasts min(smallest voter ttl, maxBlockMs). */
  maxBlockMs: number
  /** A warning can be corroborated (R1) or refuted (R3) this long after it arrived. */
  corroborationWindowMs: number
  /** Bounded memory: distinct warning keys (context, source, signature), votes per address, etc. */
  maxWarningKeys: number
  maxWarningsPerKey: number
  /** Origins remembered per source address (votes) and per context (sensitivity); the least influential is dropped first. */
  maxOriginsPerKey: number
  maxSourceAddresses: number
  maxSensitivityContexts: number
  /** Vetting codes (VetResult.code) that count against the origin (R2) besides normal matches. */
  blameVetCodes: readonly string[]
  /** Vetting results kept per signature id, and for how long. */
  maxSignatureCache: number
  signatureCacheMs: number
  /** Alert ids remembered to drop duplicates (the simulator may deliver twice). */
  maxRecentAlertIds: number
  /** Decision records kept for GET /decisions/<id> (0: keep none, the simulator). */
  maxDecisions: number
  /** How often start() runs housekeeping (episode closing, expiry). */
  housekeepingIntervalMs: number
  /** Wire mesh.setApplicationScore on start() when the mesh offers it. */
  wireApplicationScore: boolean
  /** Selfish-member detection. */
  selfish: SelfishParams
}

const MIN = 60_000
const HOUR = 60 * MIN

export const defaultAlertIntakeParams: AlertIntakeParams = Object.freeze({
  maxSignaturesPerAlert: 8,
  maxSourcesPerAlert: 16,
  maxSensitivityFactor: 2,
  maxSensitivityMs: 15 * MIN,
  minSensitivityInfluence: 0.01,
  sourceQuorum: 1.5,
  sourceMinOrigins: 2,
  minVoterInfluence: 0.25,
  maxBlockMs: HOUR,
  corroborationWindowMs: HOUR,
  maxWarningKeys: 4096,
  maxWarningsPerKey: 32,
  maxOriginsPerKey: 32,
  maxSourceAddresses: 4096,
  maxSensitivityContexts: 1024,
  // node/signatures/vetting.ts: 'malformed', 'matches-normal' and 'too-generic' are evidence against the origin
  blameVetCodes: Object.freeze(['matches-normal', 'malformed', 'too-generic']),
  maxSignatureCache: 4096,
  signatureCacheMs: HOUR,
  maxRecentAlertIds: 4096,
  maxDecisions: 1000,
  housekeepingIntervalMs: 10_000,
  wireApplicationScore: true,
  selfish: createSelfishParams()
})

export type AlertIntakeInit = Partial<Omit<AlertIntakeParams, 'selfish'>> & { selfish?: Partial<SelfishParams> }

const created = new WeakSet<object>()

/** Merge over the defaults, validate, freeze; a params object it made before is returned as is (shared by many simulated nodes). */
export function createAlertIntakeParams (init: AlertIntakeInit = {}): AlertIntakeParams {
  if (created.has(init)) return init as AlertIntakeParams
  const p: AlertIntakeParams = { ...defaultAlertIntakeParams, ...init, selfish: createSelfishParams(init.selfish ?? {}) }
  validateAlertIntakeParams(p)
  Object.freeze(p)
  created.add(p)
  return p
}

export function validateAlertIntakeParams (p: AlertIntakeParams): void {
  const num = (f: keyof AlertIntakeParams, ok: (v: number) => boolean, accepted: string): void => {
    const v = p[f]
    if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) throw new InvalidParamsError(`intake.${f}`, v, accepted)
  }
  const int = (f: keyof AlertIntakeParams, min: number): void => { num(f, v => Number.isInteger(v) && v >= min, `an integer >= ${min}`) }
  const ms = (f: keyof AlertIntakeParams): void => { num(f, v => Number.isFinite(v) && v > 0, 'a finite number of milliseconds > 0') }
  int('maxSignaturesPerAlert', 0)
  int('maxSourcesPerAlert', 0)
  num('maxSensitivityFactor', v => Number.isFinite(v) && v >= 1, 'a finite number >= 1 (1 disables sensitivity raises)')
  ms('maxSensitivityMs')
  num('minSensitivityInfluence', v => v >= 0 && v <= 1, 'a number in [0, 1]')
  num('sourceQuorum', v => Number.isFinite(v) && v > 0, 'a finite number > 0')
  int('sourceMinOrigins', 2)
  num('minVoterInfluence', v => v >= 0 && v < 1, 'a number in [0, 1)')
  ms('maxBlockMs')
  ms('corroborationWindowMs')
  int('maxWarningKeys', 1)
  int('maxWarningsPerKey', 1)
  int('maxOriginsPerKey', 2)
  int('maxSourceAddresses', 1)
  int('maxSensitivityContexts', 1)
  if (!Array.isArray(p.blameVetCodes) || p.blameVetCodes.some(c => typeof c !== 'string')) {
    throw new InvalidParamsError('intake.blameVetCodes', p.blameVetCodes, 'an array of vetting codes (strings)')
  }
  int('maxSignatureCache', 0)
  ms('signatureCacheMs')
  int('maxRecentAlertIds', 0)
  int('maxDecisions', 0)
  ms('housekeepingIntervalMs')
  if (typeof p.wireApplicationScore !== 'boolean') throw new InvalidParamsError('intake.wireApplicationScore', p.wireApplicationScore, 'true or false')
}
