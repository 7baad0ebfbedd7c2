/**
 * The node's local brain for one observation (DESIGN.md data flow):
 *
 *   deny list ─▶ signature matcher ─▶ detector ─▶ danger ─▶ policy/responders
 *                                          │                 └▶ clonal selection ─▶ publish
 *                                          └▶ normal: reservoir (the "self")
 *
 * HTTP observations get an answer (`allow`/`block`) for the ingest API and the
 * agent. Rules:
 * - a source on the deny list is blocked without scoring or learning;
 * - a hit on an adopted signature is local evidence: danger 2, blocked, never
 *   learned, and it corroborates the peers that warned (works in the learning
 *   phase too: a node is protected from its first minute); the node reports
 *   it to the community too (rate-limited), like an attack it found itself;
 * - otherwise the detector scores (and, when it judges the observation normal,
 *   learns) it; danger 2 blocks unless the policy rule is dry-run.
 */
import type { HttpObservation, ProcessObservation, Score, ScoreReason, DangerLevel, Phase } from '../observation.js'
import type { Clock } from '../../core/index.js'
import { findRule } from '../respond/index.js'
import type { ResponseSystem } from '../respond/index.js'
import type { Reservoir, SignatureMatcher, SignatureStore, ClonalSelection } from '../signatures/index.js'
import type { SignatureIndicator } from '../../protocol/alert/types.js'
import type { AlertIntake, AlertPublisher } from '../intake/index.js'
import type { ObserveAnswer } from '../sensors/ingest.js'
import type { NodeMetrics } from '../metrics.js'
import type { Logger } from './logger.js'
import type { CellRef, Detection } from './detection-types.js'
import { httpContextOf } from '../profile/http/http-context-model.js'
import type { InnateFinding } from '../innate/index.js'
import { evictOldest } from '../../core/index.js'

export interface PipelineComponents {
  clock: Clock
  logger: Logger
  detection: Detection
  respond: ResponseSystem
  reservoir: Reservoir
  signatures: SignatureStore
  clonal: ClonalSelection
  intake: AlertIntake
  publisher: AlertPublisher
  metrics?: NodeMetrics
}

export interface Pipeline {
  observeHttp: (cell: CellRef, obs: HttpObservation) => Promise<ObserveAnswer>
  observeProcess: (cell: CellRef, obs: ProcessObservation) => Promise<DangerLevel>
  /** Rebuild the matcher now (also done lazily when the signature set changes). */
  matcher: () => SignatureMatcher
}

const MAX_REASONS = 5
/** A signature is retired after this many normal-judged matches... */
const RETIRE_AFTER = 3
/** ...from at least this many distinct sources (one client cannot retire a signature alone). */
const RETIRE_MIN_SOURCES = 2
const MAX_TRACKED_SIGNATURES = 10_000

function explain (reasons: ScoreReason[]): string {
  return reasons.slice(0, 3).map((r) => `${r.parameter != null && r.parameter !== '' ? `${r.parameter}: ` : ''}${r.feature} ${String(r.observed)} (expected ${r.expected})`).join('; ')
}

export function createPipeline (c: PipelineComponents, createMatcher: (sigs: ReturnType<SignatureStore['adopted']>) => SignatureMatcher): Pipeline {
  let matcher: SignatureMatcher | null = null
  let matcherVersion = -1
  const currentMatcher = (): SignatureMatcher => {
    if (matcher == null || matcherVersion !== c.signatures.version) {
      matcherVersion = c.signatures.version
      matcher = createMatcher(c.signatures.adopted())
    }
    return matcher
  }

  /**
   * Level 1 or 2: the policy decides and the decision manager persists before
   * it applies; the verdict does not wait for the responders (terminate-and-renew
   * can take its grace period). Dry-run comes from the matching rule.
   */
  const onDanger = (cell: CellRef, level: 1 | 2, context: string, score: Score, obs: HttpObservation | ProcessObservation, hit?: SignatureIndicator, innate?: readonly InnateFinding[]): { dryRun: boolean, handled: Promise<unknown> } => {
    const signatureId = hit?.id
    const explanation = signatureId != null ? `matches adopted signature ${signatureId}` : explain(score.reasons)
    const source = obs.kind === 'http' ? obs.source : undefined
    const rule = findRule(c.respond.policy, cell.name, level)
    const dryRun = rule?.dryRun ?? c.respond.policy.config.dryRun
    const handled = c.respond.handle({
      cell: cell.name,
      level,
      context,
      explanation,
      origin: 'local',
      ...(source != null ? { source } : {}),
      refs: { score: Number.isFinite(score.value) ? Number(score.value.toFixed(3)) : -1, ...(signatureId != null ? { signature: signatureId } : {}) }
    }).catch((err: unknown) => { c.logger.error({ err, cell: cell.name, context }, 'response failed') })
    // our own detector fired on this context/source: corroborates peers that warned about it.
    // Level 1 (calibrated to ~1% of normal traffic, never shared) counts only when a peer named
    // this very source: as evidence about a context it would also confirm an "attack" that no
    // peer could have reported, and every member would be counted as silent in it (selfish test).
    if (level === 2) {
      c.intake.corroborate({ community: cell.community, context, ...(source != null ? { source } : {}), ...(signatureId != null ? { signatureId } : {}) })
    } else if (source != null) {
      c.intake.corroborate({ community: cell.community, source })
    }
    if (hit != null) {
      // we met an attack the community knows: say so (rate-limited per context and source by the
      // publisher). It tells the peers that warned that their signature works here, lets the
      // community count who meets which attacks (selfish members), and names the source to the
      // peers' source quorum. The score is the profile's business: a signature hit reports 0.
      void c.publisher.onDanger({ community: cell.community, level: 2, context, parameter: hit.parameter, score: 0, explanation, ...(source != null ? { source } : {}), signature: hit })
        .then((o) => { if (o.published) c.metrics?.alertsPublished.inc({ kind: o.draft?.kind ?? 'signature' }) })
    } else if (level === 2 && obs.kind === 'http') {
      // cut around the breaking tokens the innate layer found (node/innate), if any
      const made = c.clonal.generate(context, obs, score.reasons, (innate ?? []).map((f) => ({ parameter: f.location === 'path' ? '' : f.name, text: f.span })))
      const top = score.reasons[0]
      for (const sig of made.signatures) {
        void c.signatures.addLocal(sig, explanation).catch((err: unknown) => { c.logger.error({ err }, 'signature persistence failed') })
        void c.publisher.onDanger({ community: cell.community, level: 2, context, parameter: sig.parameter, score: score.value, explanation, ...(source != null ? { source } : {}), signature: sig })
          .then((o) => { if (o.published) c.metrics?.alertsPublished.inc({ kind: o.draft?.kind ?? 'signature' }) })
      }
      if (made.signatures.length === 0) {
        c.logger.info({ context, outcomes: made.outcomes.map((o) => ('reason' in o ? o.reason : o)) }, 'no signature generated for a level-2 observation')
        void c.publisher.onDanger({ community: cell.community, level: 2, context, parameter: top?.parameter ?? '', score: score.value, explanation, ...(source != null ? { source } : {}) })
          .then((o) => { if (o.published) c.metrics?.alertsPublished.inc({ kind: o.draft?.kind ?? 'anomaly' }) })
      }
    }
    return { dryRun, handled }
  }

  /** Per signature: requests it matched that the profile judged normal, and from how many sources. */
  const contradictions = new Map<string, { count: number, sources: Set<string> }>()
  /**
   * Record that `sig` matched a request the guarding profile scores as normal.
   * After RETIRE_AFTER such requests from RETIRE_MIN_SOURCES sources the
   * signature is retired (it was a false alarm: e.g. made from a level-2 false
   * positive), and a peer that sent it is refuted (R3). Returns true when the
   * signature was retired now (this request is then judged without it).
   */
  const contradicts = (cell: CellRef, sig: SignatureIndicator, obs: HttpObservation): boolean => {
    let e = contradictions.get(sig.id)
    if (e == null) {
      e = { count: 0, sources: new Set() }
      contradictions.set(sig.id, e)
      evictOldest(contradictions, MAX_TRACKED_SIGNATURES)
    }
    e.count++
    e.sources.add(obs.source ?? `unknown-${e.count}`)
    if (e.count < RETIRE_AFTER || e.sources.size < RETIRE_MIN_SOURCES) return false
    contradictions.delete(sig.id)
    const reason = `retired: matched ${e.count} requests from ${e.sources.size} sources that the guarding profile judged normal`
    const rec = c.signatures.get(sig.id)
    void c.signatures.retire(sig.id, reason).catch((err: unknown) => { c.logger.error({ err }, 'signature retirement failed') })
    if (rec != null && rec.origin !== 'local') {
      for (const origin of rec.origins) if (origin !== 'local') c.intake.refute({ reason: `signature ${sig.id} ${reason}`, origin, community: cell.community, signatureId: sig.id })
    }
    c.logger.warn({ signature: sig.id, tokens: sig.tokens, origin: rec?.origin, context: sig.context }, 'signature retired: it matches normal traffic')
    return true
  }

  return {
    matcher: currentMatcher,

    async observeHttp (cell, obs) {
      const started = performance.now()
      const now = c.clock.now()
      if (obs.source != null) {
        const denied = c.respond.denyList.isDenied(obs.source, now)
        if (denied) {
          c.metrics?.verdicts.inc({ verdict: 'block' })
          return { verdict: 'block', danger: 0, score: 0, phase: c.detection.phaseOfHttp(cell, obs), reasons: [{ context: '', feature: 'source-blocked', observed: obs.source, expected: 'a source that is not on the deny list', surprise: 0 }] }
        }
      }
      let hits = currentMatcher().match(httpContextOf(obs), obs)
      if (hits.length > 0) {
        // self-check: a signature that keeps matching requests our guarding profile judges normal is retired
        const assessed = c.detection.assessHttp(cell, obs)
        if (assessed != null && assessed.danger === 0) hits = hits.filter((h) => !contradicts(cell, h.signature, obs))
      }
      let answer: ObserveAnswer
      if (hits.length > 0) {
        const context = httpContextOf(obs)
        const sig = hits[0].signature
        for (const h of hits) c.signatures.recordHit(h.signature.id)
        c.metrics?.signatureHits.inc(hits.length)
        const reasons: ScoreReason[] = hits.slice(0, MAX_REASONS).map((h) => ({
          context, parameter: h.parameter, feature: 'signature', observed: h.signature.tokens.join(' '), expected: `no match of signature ${h.signature.id}`, surprise: Infinity
        }))
        const phase = c.detection.phaseOfHttp(cell, obs)
        const score: Score = { context, value: Infinity, phase, reasons }
        const { dryRun } = onDanger(cell, 2, context, score, obs, sig)
        // score null: decided by a signature, not by the profile
        answer = { verdict: dryRun ? 'allow' : 'block', danger: 2, score: null as unknown as number, phase, context, reasons: reasons.map(jsonReason) }
      } else {
        const r = c.detection.observeHttp(cell, obs)
        let verdict: 'allow' | 'block' = 'allow'
        if (r.danger === 0) {
          c.reservoir.add(r.score.context, obs)
        } else {
          const { dryRun } = onDanger(cell, r.danger, r.score.context, r.score, obs, undefined, r.innate)
          if (r.danger === 2 && !dryRun) verdict = 'block'
        }
        answer = { verdict, danger: r.danger, score: round(r.score.value), phase: r.score.phase, context: r.score.context, reasons: r.score.reasons.slice(0, MAX_REASONS).map(jsonReason) }
      }
      c.metrics?.observations.inc({ kind: 'http', danger: String(answer.danger) })
      c.metrics?.verdicts.inc({ verdict: answer.verdict })
      c.metrics?.observeSeconds.observe({ kind: 'http' }, (performance.now() - started) / 1000)
      return answer
    },

    async observeProcess (cell, obs) {
      const r = c.detection.observeProcess(cell, obs)
      c.metrics?.observations.inc({ kind: 'process', danger: String(r.danger) })
      if (r.danger > 0) await onDanger(cell, r.danger as 1 | 2, r.score.context, r.score, obs).handled
      return r.danger
    }
  }
}


function round (v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : v
}

/** JSON has no Infinity: a signature hit's surprise is reported as null. */
function jsonReason (r: ScoreReason): ScoreReason {
  return Number.isFinite(r.surprise) ? { ...r, surprise: round(r.surprise) } : { ...r, surprise: null as unknown as number }
}

export type { Phase }
