/**
 * The innate layer on the detection path: inspect an HTTP observation, let
 * the detector score it (learning it only when the innate layer does not
 * block it while learning), and combine the two (combine.ts). Used by the
 * daemon (node/daemon/detection.ts) and by bench/detect-csic.ts, so both
 * measure the same thing.
 */
import type { Detector, DetectorResult } from '../detector/index.js'
import type { HttpObservation, ScoreReason } from '../observation.js'
import { combineInnate } from './combine.js'
import type { InnateCombination, InnatePolicy, ProfileView } from './combine.js'
import type { InnateDetector, InnateHttpResult } from './inspector.js'
import type { InnateFinding, InnateGrammar, InnateLocation } from './types.js'

export interface InnateGate {
  readonly inspector: InnateDetector
  readonly policy: Readonly<InnatePolicy>
  /**
   * Inspect, score (observe when `mutate`, else assess) and combine. While
   * the endpoint learns, an observation the innate layer blocks (C1) is only
   * assessed: it is never learned, as with a hard prior.
   */
  decide: (detector: Detector<HttpObservation>, obs: HttpObservation, mutate: boolean) => InnateGateResult
}

export interface InnateGateResult {
  /** The detector's result with the combined danger and the innate reasons first. */
  result: DetectorResult
  /** The detector's own danger, before the innate layer. */
  profileDanger: DetectorResult['danger']
  innate: InnateHttpResult
  combination: InnateCombination
  /** Whether the detector observed (and may have learned) the observation; false when it only assessed it. */
  observed: boolean
}

export interface InnateGateInit {
  inspector: InnateDetector
  policy: Readonly<InnatePolicy>
  /** Values to leave alone (config `innate.ignore`): true = every grammar, or the grammars to skip. */
  exclude?: (context: string, location: InnateLocation, name: string) => boolean | readonly InnateGrammar[]
}

/** One finding as a ScoreReason (feature `innate:<grammar>`). */
export function innateReason (context: string, f: InnateFinding): ScoreReason {
  const r: ScoreReason = {
    context,
    feature: `innate:${f.grammar}`,
    observed: f.span.length > 80 ? f.span.slice(0, 80) + '…' : f.span,
    expected: f.explanation,
    surprise: 0
  }
  if (f.location !== 'path') r.parameter = f.name
  return r
}

/**
 * The detector's view for combine.ts: a value is learned as normal at its
 * parameter when its endpoint guards, the parameter is modelled there, and
 * the profile's reasons do not name it (the path of a guarding endpoint is
 * learned by definition; headers are not modelled).
 */
export function profileViewOf (detector: Detector<HttpObservation>, r: DetectorResult): ProfileView {
  const model = detector.profiles.get(r.context) as { parameterNames?: () => string[] } | undefined
  let names: Set<string> | null = null
  return {
    phase: r.phase,
    unknownEndpoint: r.phase !== 'guarding' && detector.guarding,
    profileDanger: r.danger,
    learnedNormal: (f) => {
      if (r.phase !== 'guarding') return false
      if (f.location === 'path' || f.location === 'method') return true
      if (f.location === 'header' || f.location === 'cookie') return false
      if (names == null) names = new Set(model?.parameterNames?.() ?? [])
      if (!names.has(f.name)) return false
      return !r.score.reasons.some((x) => x.parameter === f.name)
    }
  }
}

export function createInnateGate (init: InnateGateInit): InnateGate {
  const { inspector, policy, exclude } = init
  return {
    inspector,
    policy,
    decide (detector, obs, mutate) {
      const context = detector.profiles.contextOf(obs)
      const innate = inspector.inspectHttp(obs, exclude == null ? undefined : (l, n) => exclude(context, l, n))
      let observed = false
      let r: DetectorResult
      if (mutate && innate.findings.length > 0 && (policy.learningBlock !== 'off' || policy.unknownEndpointLift !== 'off')) {
        const phase = detector.status(context)?.phase ?? 'learning'
        // never learned: what C1 blocks, and what C3 would lift to danger 2 at a new endpoint (issue 9: an
        // observation that would be level 2 by the innate layer is never learned)
        const strongEnough = (setting: InnatePolicy['learningBlock']): boolean => setting !== 'off' && innate.findings.some((f) => setting === 'weak' || f.strength === 'strong')
        const blocks = phase === 'learning' && (strongEnough(policy.learningBlock) || (detector.guarding && strongEnough(policy.unknownEndpointLift)))
        if (blocks) r = detector.assess(obs)
        else { r = detector.observe(obs); observed = true }
      } else {
        r = mutate ? detector.observe(obs) : detector.assess(obs)
        observed = mutate
      }
      const profileDanger = r.danger
      if (innate.findings.length === 0) return { result: r, profileDanger, innate, combination: { danger: r.danger, rule: 'none', learned: 0 }, observed }
      const combination = combineInnate(innate.findings, profileViewOf(detector, r), policy)
      if (combination.rule === 'none' && combination.finding == null) return { result: r, profileDanger, innate, combination, observed }
      const shown = combination.finding != null ? [combination.finding, ...innate.findings.filter((f) => f !== combination.finding)] : []
      const reasons = [...shown.slice(0, 3).map((f) => innateReason(r.context, f)), ...r.score.reasons]
      const result: DetectorResult = { ...r, danger: combination.danger, score: { ...r.score, reasons } }
      return { result, profileDanger, innate, combination, observed }
    }
  }
}
