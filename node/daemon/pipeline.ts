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
 * - a hit on an adopted signature is weighed by its type (KIS; node/brain/signals.ts,
 *   docs/reputation.md "Signature types"): a type-2 signature (made here, or
 *   promoted on this node's own evidence) blocks alone; a peer's type-1
 *   signature blocks only when the guarding profile also scores the request
 *   >= 1, or, in a context still learning, when it was vetted against at least
 *   the vetting floor of own normal observations of the context and the
 *   request is not from a known normal client (node/signatures/self-check.ts).
 *   A signature that blocked is never learned and corroborates the peers that
 *   warned (unless it acted alone at a learning member: then it is only their
 *   claim); the node reports the hit to the community (rate-limited);
 * - the self-check: matches on requests the guarding profile finds normal, or
 *   of known normal clients while learning, retire a signature and refute
 *   the peers that sent it; a type-1 signature that matches a request our own
 *   detector scores danger 2, or that two signals confirm often enough, is
 *   promoted to type 2;
 * - otherwise the detector scores (and, when it judges the observation normal,
 *   learns) it; danger 2 blocks unless the policy rule is dry-run.
 */
import type { HttpObservation, HttpStatusReport, ProcessObservation, Score, ScoreReason, DangerLevel, Phase } from '../observation.js'
import type { StormFinding } from '../detector/index.js'
import type { Clock } from '../../core/index.js'
import type { ResponseSystem } from './response-system.js'
import type { Reservoir, SignatureHit, SignatureMatcher, SignatureStore, ClonalSelection, SignatureSelfCheck } from '../signatures/index.js'
import { createSignatureSelfCheck, signatureMatchesDocs, observationDocs } from '../signatures/index.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import type { AlertIntake, AlertPublisher, KnownClients, LocalDanger } from '../intake/index.js'
import type { Brain, Danger, Reaction } from '../brain/index.js'
import type { ObserveAnswer } from '../sensors/index.js'
import type { NodeMetrics } from '../metrics.js'
import type { Logger } from './logger.js'
import type { CellRef, Detection, DetectionResult } from './detection-types.js'
import { httpContextOf } from '../profile/http/index.js'
import type { InnateFinding } from '../innate/index.js'

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
  /** The signature self-check (default: its defaults). */
  selfCheck?: SignatureSelfCheck
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

  const selfCheck = c.selfCheck ?? createSignatureSelfCheck()

  /** Retire `sig` (our own evidence contradicts it) and refute the peers that sent it (R3). */
  const retire = (cell: CellRef, sig: SignatureIndicator, reason: string): void => {
    const rec = c.signatures.get(sig.id)
    void c.signatures.retire(sig.id, reason).catch((err: unknown) => { c.logger.error({ err }, 'signature retirement failed') })
    if (rec != null && rec.origin !== 'local') {
      for (const origin of rec.origins) if (origin !== 'local') c.intake.refute({ reason: `signature ${sig.id} ${reason}`, origin, community: cell.community, signatureId: sig.id })
    }
    c.logger.warn({ signature: sig.id, tokens: sig.tokens, origin: rec?.origin, context: sig.context, reason }, 'signature retired: it matches normal traffic')
  }

  const promote = (sig: SignatureIndicator, reason: string): void => {
    const rec = c.signatures.get(sig.id)
    if (rec == null || rec.type === 2) return
    // promote() changes the record in memory at once (the next request is judged on it), then persists it
    void c.signatures.promote(sig.id, reason).catch((err: unknown) => { c.logger.error({ err }, 'signature promotion failed') })
    c.logger.info({ signature: sig.id, origin: rec.origin, context: sig.context, reason }, 'signature promoted to type 2 on own evidence')
  }

  const typeOf = (sig: SignatureIndicator): 1 | 2 => {
    const rec = c.signatures.get(sig.id)
    return rec?.type ?? (rec?.origin === 'local' ? 2 : 1)
  }

  /** The vetting floor at a learning member: at least N own normal observations of the context, none matched. */
  const vettedHere = (context: string, h: SignatureHit): boolean => {
    const normal = c.reservoir.values(context)
    if (normal.length < selfCheck.params.learningVettingFloor) return false
    for (const o of normal) if (signatureMatchesDocs(h.signature, observationDocs(o))) return false
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
      let answer: ObserveAnswer | null = null
      /** A hit that did not act (type 1 without a second signal): the request is judged as if unmatched, but never learned while learning. */
      let heldBack = false
      let innateDanger: DangerLevel = 0
      if (hits.length > 0) {
        const context = httpContextOf(obs)
        // the guarding profile's verdict on the same request (null while the context learns)
        const assessed = c.detection.assessHttp(cell, obs)
        // while the context learns, the innate layer is the danger signal one (assessed, never learned)
        const innate = assessed == null ? c.detection.assessHttpInnate(cell, obs) : null
        innateDanger = innate?.danger ?? 0
        if (assessed != null && assessed.danger === 2) {
          // own evidence: our detector meets a danger-2 observation the signature matches
          for (const h of hits) promote(h.signature, 'type 2: this member\'s own detector scored a request it matches at danger 2')
        } else if (assessed != null && assessed.danger === 0) {
          // self-check: a signature that keeps matching requests our guarding profile judges normal is retired
          hits = hits.filter((h) => {
            const v = selfCheck.contradictedWhileGuarding(h.signature.id, obs.source)
            if (v.action === 'retire') { retire(cell, h.signature, v.reason); return false }
            return true
          })
        } else if (assessed == null && selfCheck.isNormalClient(obs.source)) {
          // learning: a known normal client's request looks like the normal population; a peer's signature lets it through
          hits = hits.filter((h) => {
            if (typeOf(h.signature) === 2) return true
            const v = selfCheck.contradictedWhileLearning(h.signature.id, obs.source!)
            if (v.action === 'retire') retire(cell, h.signature, v.reason)
            heldBack = true
            return false
          })
        }
        if (hits.length > 0) {
          // the strongest hit decides: type 2 first
          const hit = [...hits].sort((a, b) => typeOf(b.signature) - typeOf(a.signature))[0]
          const sig = hit.signature
          const rec = c.signatures.get(sig.id)
          const type = typeOf(sig)
          const local = rec?.origin === 'local'
          const alone = assessed == null && innateDanger === 0 && type === 1 && vettedHere(context, hit)
          const local2 = assessed ?? (innate != null && innate.danger > 0 ? innate : null)
          const phase = c.detection.phaseOfHttp(cell, obs)
          const reasons: ScoreReason[] = hits.slice(0, MAX_REASONS).map((h) => ({
            context, parameter: h.parameter, feature: 'signature', observed: h.signature.tokens.join(' '), expected: `no match of signature ${h.signature.id} (type ${typeOf(h.signature)})`, surprise: Infinity
          }))
          const { reaction } = react({
            cell: cell.name,
            community: cell.community,
            observation: 'http',
            context,
            parameter: sig.parameter,
            ...(obs.source != null ? { source: obs.source } : {}),
            // what the guarding profile says of the same request (null while it learns): the brain weighs it with the signature's type
            profile: local2 != null ? { level: local2.danger, score: local2.score.value, phase: assessed != null ? assessed.score.phase : 'learning' } : null,
            signature: { indicator: sig, origin: local ? 'local' : 'peer', type, ...(rec != null && !local ? { from: rec.origin } : {}), ...(alone ? { alone: true } : {}) },
            explanation: `matches adopted signature ${sig.id} (type ${type}, ${local ? 'local' : rec?.origin ?? 'peer'})${local2 != null ? `; local score ${round(local2.score.value)} (danger ${local2.danger}${assessed == null ? ', innate, context still learning' : ''})` : '; context still learning'}`,
            ...(Number.isFinite(obs.time) ? { atMs: obs.time } : {})
          }, obs, reasons)
          if (reaction.level === 2) {
            for (const h of hits) c.signatures.recordHit(h.signature.id)
            c.metrics?.signatureHits.inc(hits.length)
            if (assessed != null && assessed.danger >= 1 && type === 1) {
              // two signals agree: often enough, from enough sources, and the signature is ours too
              const v = selfCheck.confirmed(sig.id, obs.source)
              if (v.action === 'promote') promote(sig, v.reason)
            }
            selfCheck.noteDanger(obs.source)
            // score null: decided by a signature, not by the profile alone
            answer = { verdict: reaction.verdict, danger: 2, score: null as unknown as number, phase, context, reasons: reasons.map(jsonReason) }
          } else if (assessed == null) {
            heldBack = true
          }
        }
      }
      if (answer != null) {
        // decided by a signature
      } else if (heldBack && innateDanger === 0 && c.detection.phaseOfHttp(cell, obs) !== 'guarding') {
        // a peer's signature matched but may not act alone here: allowed, and never learned (it may be the attack a peer warned of)
        const context = httpContextOf(obs)
        answer = { verdict: 'allow', danger: 0, score: 0, phase: 'learning', context, reasons: [{ context, feature: 'signature-held', observed: 'a peer\'s type-1 signature', expected: 'not learned: a signature matched that may not block alone while this context learns', surprise: 0 }] }
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
          selfCheck.noteNormal(obs.source, c.clock.now())
        } else {
          selfCheck.noteDanger(obs.source)
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
