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
import type { HttpObservation, HttpStatusReport, ProcessObservation, Score, ScoreReason, DangerLevel, Phase } from '../observation.js'
import type { StormFinding } from '../detector/index.js'
import type { Clock } from '../../core/index.js'
import type { ResponseSystem } from './response-system.js'
import type { Reservoir, SignatureMatcher, SignatureStore, ClonalSelection } from '../signatures/index.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import type { AlertIntake, AlertPublisher, KnownClients, LocalDanger } from '../intake/index.js'
import type { Brain, Danger, Reaction } from '../brain/index.js'
import type { ObserveAnswer } from '../sensors/index.js'
import type { NodeMetrics } from '../metrics.js'
import type { Logger } from './logger.js'
import type { CellRef, Detection, DetectionResult } from './detection-types.js'
import { httpContextOf } from '../profile/http/index.js'
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
  /** Fed with each source's verdicts: level 0 on a guarding context is normal, level 2 an offence. */
  knownClients?: KnownClients
  metrics?: NodeMetrics
}

export interface Pipeline {
  observeHttp: (cell: CellRef, obs: HttpObservation) => Promise<ObserveAnswer>
  /** A response status reported after the fact (the agent): an error storm of its source is a level-1 signal. */
  observeStatus: (cell: CellRef, report: HttpStatusReport) => Promise<ObserveAnswer>
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
  /** The reaction module (shared with the simulator): the response system's brain. */
  const brain: Brain = c.respond.brain
  let matcher: SignatureMatcher | null = null
  let matcherVersion = -1
  const currentMatcher = (): SignatureMatcher => {
    if (matcher == null || matcherVersion !== c.signatures.version) {
      matcherVersion = c.signatures.version
      matcher = createMatcher(c.signatures.adopted())
    }
    return matcher
  }

  const publish = (d: LocalDanger, kind: string): void => {
    void c.publisher.onDanger(d).then((o) => { if (o.published) c.metrics?.alertsPublished.inc({ kind: o.draft?.kind ?? kind }) })
  }

  /**
   * Danger (a profile level or a signature hit) → the brain's reaction; this
   * body then does what is not the brain's: the decision manager persists
   * and applies the decisions (the verdict does not wait for the responders:
   * terminate-and-renew can take its grace period), the intake credits the
   * peers that warned, clonal selection makes signatures, the publisher shares.
   */
  const react = (danger: Danger, obs: HttpObservation | ProcessObservation, reasons: ScoreReason[], innate?: readonly InnateFinding[]): { reaction: Reaction, handled: Promise<unknown> } => {
    const reaction = brain.onDanger(danger)
    const handled = reaction.event != null && reaction.breakdown != null
      ? c.respond.commit(reaction.event, reaction.breakdown).catch((err: unknown) => { c.logger.error({ err, cell: danger.cell, context: danger.context }, 'response failed') })
      : Promise.resolve()
    if (reaction.corroboration != null) c.intake.corroborate(reaction.corroboration)
    const pub = reaction.publication
    if (pub != null && !pub.clonal) {
      publish(pub.danger, 'signature')
    } else if (pub != null && obs.kind === 'http') {
      // cut around the breaking tokens the innate layer found (node/innate), if any
      const made = c.clonal.generate(danger.context, obs, reasons, (innate ?? []).map((f) => ({ parameter: f.location === 'path' ? '' : f.name, text: f.span })))
      // the alert's explanation is made by the publisher from the structured reasons only (node/intake/shareable.ts)
      for (const sig of made.signatures) {
        void c.signatures.addLocal(sig, danger.explanation).catch((err: unknown) => { c.logger.error({ err }, 'signature persistence failed') })
        publish({ ...pub.danger, parameter: sig.parameter, signature: sig }, 'signature')
      }
      if (made.signatures.length === 0) {
        c.logger.info({ context: danger.context, outcomes: made.outcomes.map((o) => ('reason' in o ? o.reason : o)) }, 'no signature generated for a level-2 observation')
        publish(pub.danger, 'anomaly')
      }
    }
    return { reaction, handled }
  }

  /** The brain's input for a profile's danger on an observation (at its event time). */
  const profileDanger = (cell: CellRef, score: Score, level: 1 | 2, obs: HttpObservation | ProcessObservation, r?: Pick<DetectionResult, 'requestOnly' | 'scoreMargin'>): Danger => ({
    cell: cell.name,
    community: cell.community,
    observation: obs.kind,
    context: score.context,
    parameter: score.reasons[0]?.parameter ?? '',
    ...(obs.kind === 'http' && obs.source != null ? { source: obs.source } : {}),
    profile: { level, score: score.value, phase: score.phase },
    explanation: explain(score.reasons),
    reasons: score.reasons,
    ...(Number.isFinite(obs.time) ? { atMs: obs.time } : {}),
    ...(r?.requestOnly === true ? { requestOnly: true as const } : {}),
    ...(r?.scoreMargin != null ? { scoreMargin: r.scoreMargin } : {})
  })

  /**
   * An error storm of a source (its requests keep causing 5xx or 4xx): a
   * level-1 danger naming the source (logged, raises the threat level, and
   * counts toward the policy's repeated-offence escalation).
   */
  const onStorm = (cell: CellRef, context: string, storm: StormFinding, obs: HttpObservation | HttpStatusReport): Promise<unknown> => {
    c.logger.warn({ cell: cell.name, source: storm.source, kind: storm.kind, errors: storm.errors, responses: storm.responses, expected: storm.expected }, 'error storm from a source')
    const phase = c.detection.phaseOfHttp(cell, { method: obs.method, path: obs.path } as HttpObservation)
    const reasons: ScoreReason[] = [{ ...storm.reason, context }]
    return react({
      cell: cell.name,
      community: cell.community,
      observation: 'http',
      context,
      parameter: '',
      source: storm.source,
      profile: { level: 1, score: storm.reason.surprise, phase },
      explanation: explain(reasons),
      ...(Number.isFinite(obs.time) ? { atMs: obs.time } : {})
    }, { kind: 'http', time: obs.time, method: obs.method, path: obs.path, query: '', body: '', headers: {}, source: storm.source }, reasons).handled
  }

  /** Process cells whose danger is being acted on (quarantine or renewal being applied). */
  const responding = new Set<string>()
  /** Process cells whose samples are skipped now (logged once per incident). */
  const inIncident = new Set<string>()

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
        const denied = brain.isDenied(obs.source, now)
        if (denied) {
          c.metrics?.verdicts.inc({ verdict: 'block' })
          return { verdict: 'block', danger: 0, score: 0, phase: c.detection.phaseOfHttp(cell, obs), reasons: [{ context: '', feature: 'source-blocked', observed: obs.source, expected: 'a source that is not on the deny list', surprise: 0 }] }
        }
      }
      let hits = currentMatcher().match(httpContextOf(obs), obs)
      let assessed: ReturnType<Detection['assessHttp']> = null
      if (hits.length > 0) {
        // self-check: a signature that keeps matching requests our guarding profile judges normal is retired
        assessed = c.detection.assessHttp(cell, obs)
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
        const { reaction } = react({
          cell: cell.name,
          community: cell.community,
          observation: 'http',
          context,
          parameter: sig.parameter,
          ...(obs.source != null ? { source: obs.source } : {}),
          // what the guarding profile says of the same request (null while it learns): the brain names it beside the signature
          profile: assessed != null ? { level: assessed.danger, score: assessed.score.value, phase: assessed.score.phase } : null,
          signature: { indicator: sig, origin: c.signatures.get(sig.id)?.origin === 'local' ? 'local' : 'peer' },
          explanation: `matches adopted signature ${sig.id}`,
          ...(Number.isFinite(obs.time) ? { atMs: obs.time } : {})
        }, obs, reasons)
        // score null: decided by a signature, not by the profile
        answer = { verdict: reaction.verdict, danger: 2, score: null as unknown as number, phase, context, reasons: reasons.map(jsonReason) }
      } else {
        const r = c.detection.observeHttp(cell, obs)
        let verdict: 'allow' | 'block' = 'allow'
        // two signals agree: a suspicious request from a source in an error storm is dangerous
        let danger = r.danger
        let score = r.score
        if (danger === 1 && r.storming != null) {
          danger = 2
          score = { ...r.score, reasons: [{ ...r.storming.reason, context: r.score.context }, ...r.score.reasons] }
        }
        if (danger === 0) {
          c.reservoir.add(r.score.context, obs)
          // the scanner rule's denominator: this source's normal requests
          if (obs.source != null) brain.onRequest(obs.source, Number.isFinite(obs.time) ? obs.time : now)
        } else {
          // a storm's second signal makes it more than a probe alone: not request-only then
          verdict = react(profileDanger(cell, score, danger, obs, danger === r.danger ? r : undefined), obs, score.reasons, r.innate).reaction.verdict
        }
        if (r.storm != null) void onStorm(cell, r.score.context, r.storm, obs)
        answer = { verdict, danger, score: round(score.value), phase: score.phase, context: score.context, reasons: score.reasons.slice(0, MAX_REASONS).map(jsonReason) }
      }
      if (obs.source != null && c.knownClients != null) {
        if (answer.danger === 2) c.knownClients.offence(obs.source, now)
        else if (answer.danger === 0 && answer.phase === 'guarding') c.knownClients.normal(obs.source, now)
      }
      c.metrics?.observations.inc({ kind: 'http', danger: String(answer.danger) })
      c.metrics?.verdicts.inc({ verdict: answer.verdict })
      c.metrics?.observeSeconds.observe({ kind: 'http' }, (performance.now() - started) / 1000)
      return answer
    },

    async observeStatus (cell, report) {
      const context = httpContextOf(report)
      const storm = c.detection.observeStatus(cell, report)
      if (storm != null) await onStorm(cell, context, storm, report)
      c.metrics?.observations.inc({ kind: 'http-status', danger: storm != null ? '1' : '0' })
      const phase = c.detection.phaseOfHttp(cell, { method: report.method, path: report.path } as HttpObservation)
      return { verdict: 'allow', danger: storm != null ? 1 : 0, score: storm != null ? round(storm.reason.surprise) : 0, phase, context, reasons: storm != null ? [jsonReason({ ...storm.reason, context })] : [] }
    },

    async observeProcess (cell, obs) {
      // incidents, not samples: a cell being frozen or renewed is neither judged nor learned from until that ends
      const incident = c.respond.incident(cell.name) ?? (responding.has(cell.name) ? { kind: 'responding' } : null)
      if (incident != null) {
        if (!inIncident.has(cell.name)) {
          inIncident.add(cell.name)
          c.logger.info({ cell: cell.name, incident: incident.kind }, `cell ${cell.name}: ${incident.kind}; its samples are not judged until that ends`)
        }
        return 0
      }
      if (inIncident.delete(cell.name)) c.logger.info({ cell: cell.name }, `cell ${cell.name}: judged again`)
      const r = c.detection.observeProcess(cell, obs)
      c.metrics?.observations.inc({ kind: 'process', danger: String(r.danger) })
      if (r.danger > 0) {
        const { reaction, handled } = react(profileDanger(cell, r.score, r.danger as 1 | 2, obs, r), obs, r.score.reasons)
        // a decision that acts on the process opens an incident: later samples wait until it is applied (then the freeze or renewal holds them)
        const acts = reaction.breakdown?.decisions.some((d) => !d.dryRun && (d.action === 'quarantine' || d.action === 'terminate-and-renew')) === true
        if (acts) {
          responding.add(cell.name)
          try { await handled } finally { responding.delete(cell.name) }
        } else {
          await handled
        }
      }
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
