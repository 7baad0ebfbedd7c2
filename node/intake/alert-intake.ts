/**
 * Reputation-weighted alert intake (DESIGN.md data flow, issue 5):
 * for every valid alert from a peer
 *   1. ignore it if its origin is blacklisted (recorded as a decision);
 *   2. vet each carried signature on our own normal sample: adopt it only if
 *      it matches nothing normal; a signature that matches normal traffic is
 *      rejected and counts R2 against the origin, and makes the alert suspect;
 *   3. raise the local sensitivity of the alert's context for a bounded time,
 *      by the summed influence (weight · E) of the origins that warned;
 *   4. vote for its source indicators; block a source only when the summed
 *      influence of INDEPENDENT origins reaches the quorum, with an expiry;
 *   5. remember the warning, so that later local evidence corroborates (R1)
 *      or refutes (R3) the origin; and count the report for selfish detection.
 * Every decision is kept as a record for `GET /decisions/<id>`.
 *
 * One brain, two bodies: the daemon passes the real mesh and vetting; the
 * simulator passes cheap callbacks, no mesh, and calls handleAlert()/tick()
 * itself. handleAlert() is synchronous when vetSignature is. All state lives
 * in bounded Maps, allocated on first use, persisted through toJSON()/restore().
 */
import type { Alert, SignatureIndicator } from '../../protocol/alert/index.js'
import type { AlertEvent, Mesh } from '../../protocol/mesh/index.js'
import { influence } from '../../protocol/reputation/index.js'
import type { ReputationTable } from '../../protocol/reputation/index.js'
import { SelfishTracker } from '../../protocol/reputation/index.js'
import type { ClosedEpisode, SelfishStatus } from '../../protocol/reputation/index.js'
import type { PeerExplanation } from '../../protocol/reputation/index.js'
import type { Clock, TimerHandle } from '../../core/index.js'
import { ReputationSnapshotError } from '../../protocol/errors.js'
import { applicationScoreFn } from './application-score.js'
import { boundedSet, makeRoomForOrigin } from '../../core/index.js'
import { DecisionLog } from './decision-records.js'
import { SourceVotes, originWeight } from './source-votes.js'
import type { VoteTuple } from './source-votes.js'
import { WarningIndex, contextKey, corroborates, eventKeys, signatureKey, sourceKey } from './warning-index.js'
import type { Warning, WarningTuple } from './warning-index.js'
import type {
  AlertDecisionRecord, AlertOutcome, BlockDecisionRecord, CorroborationEvent, CorroborationRecord, IntakeDecisionRecord,
  OriginWeight, RefutationEvent, RefutationRecord, SignatureDecision
} from './decision-records.js'
import { createAlertIntakeParams } from './intake-params.js'
import { isReservedAddress } from './shareable.js'
import type { SourceFilter } from './shareable.js'
import type { AlertIntakeInit, AlertIntakeParams } from './intake-params.js'

/**
 * What signature vetting (node/signatures/vetting.ts) answers; its VetResult
 * fits. vetSignature must not adopt: the intake calls adoptSignature.
 */
export interface VetResult {
  adopted: boolean
  reason: string
  /** Observations of our own normal sample the signature matched (> 0: the origin sent a false signature, R2). */
  normalMatches: number
  /** The vetter's verdict code; codes in params.blameVetCodes also count R2 (e.g. 'malformed', 'too-generic'). */
  code?: string
}

/** pino-compatible. */
export interface IntakeLogger {
  debug?: (obj: object, msg?: string) => void
  info?: (obj: object, msg?: string) => void
  warn?: (obj: object, msg?: string) => void
}

export interface AlertIntakeComponents {
  clock: Clock
  /** With onReject, every alert our validator rejects counts R4 against the peer that forwarded it. */
  mesh?: Pick<Mesh, 'peerId' | 'onAlert' | 'peers'> & Partial<Pick<Mesh, 'setApplicationScore' | 'publish' | 'onReject'>>
  /** Our own peer id when there is no mesh (the simulator). */
  peerId?: string
  reputation: ReputationTable
  vetSignature: (sig: SignatureIndicator) => Promise<VetResult> | VetResult
  adoptSignature: (sig: SignatureIndicator, origin: string) => void
  /** factor >= 1 (1: unchanged) until untilMs; each call supersedes earlier ones for the same community and context. */
  raiseSensitivity: (community: string, context: string, factor: number, untilMs: number) => void
  blockSource: (address: string, untilMs: number, why: string) => void
  /**
   * Whether `address` is a known normal client here (known-clients.ts). A
   * peer that names one as an attacker is refuted (R3) and its vote refused;
   * no remote quorum ever blocks one. Optional (the simulator has none).
   */
  isKnownNormal?: (address: string, nowMs: number) => boolean
  /** Lift a remote-evidence block early (after a refutation). Optional. */
  unblockSource?: (address: string, why: string) => void
  /** Peers known to be subscribed to a community (selfish detection) when there is no mesh. */
  subscribers?: (community: string) => Iterable<string>
  record?: (alert: Alert, outcome: AlertDecisionRecord) => void
  logger?: IntakeLogger
  /**
   * Source addresses this node never votes on (default: the fixed excluded
   * ranges of shareable.ts): a peer naming a private, loopback or link-local
   * address names nothing it can know about (another network's 10.0.0.5), and
   * obeying it would let any peer block this node's own infrastructure.
   */
  sourceFilter?: SourceFilter
}

export interface CorroborationResult {
  decisionId?: string
  credited: Array<{ origin: string, alertIds: string[] }>
}

export interface RefutationResult {
  decisionId?: string
  refuted: Array<{ origin: string, alertIds: string[] }>
  unblocked: string[]
}

export interface IntakePeerExplanation extends PeerExplanation {
  selfish: SelfishStatus
}

export interface AlertIntakeStats {
  alerts: number
  accepted: number
  suspect: number
  ignoredBlacklisted: number
  duplicates: number
  signaturesAdopted: number
  signaturesRejected: number
  blocks: number
  corroborations: number
  refutations: number
  selfishFlagged: number
}

interface CachedVet { result: VetResult, atMs: number, adopted: boolean }

export interface AlertIntakeSnapshot {
  version: 1
  seq: number
  selfish: unknown
  warnings: WarningTuple[]
  votes: Array<[string, VoteTuple[]]>
  blocked: Array<[string, number, string]>
  decisions: IntakeDecisionRecord[]
}

const SEP = '\u0000'

function isPromise<T> (v: T | Promise<T>): v is Promise<T> {
  return v != null && typeof (v as Promise<T>).then === 'function'
}

export class AlertIntake {
  readonly params: AlertIntakeParams
  private readonly c: AlertIntakeComponents
  private readonly log: DecisionLog
  private selfishTracker: SelfishTracker | undefined
  private recentIds: Set<string> | undefined
  private warnings: WarningIndex
  private sources: SourceVotes
  private sensitivity: Map<string, Map<string, number>> | undefined
  private sigCache: Map<string, CachedVet> | undefined
  private seq = 0
  private memberCache: Map<string, { atMs: number, ids: Set<string> }> | undefined
  private unsubscribe: (() => void) | undefined
  private unsubscribeReject: (() => void) | undefined
  private timer: TimerHandle | undefined
  private readonly counters: AlertIntakeStats = {
    alerts: 0, accepted: 0, suspect: 0, ignoredBlacklisted: 0, duplicates: 0, signaturesAdopted: 0, signaturesRejected: 0, blocks: 0, corroborations: 0, refutations: 0, selfishFlagged: 0
  }

  constructor (components: AlertIntakeComponents, init: AlertIntakeInit | AlertIntakeParams = {}) {
    this.c = components
    this.params = createAlertIntakeParams(init as AlertIntakeInit)
    this.log = new DecisionLog(this.params.maxDecisions)
    this.warnings = new WarningIndex(this.params.maxWarningKeys, this.params.maxWarningsPerKey)
    this.sources = new SourceVotes(this.params, components.reputation)
  }

  get selfId (): string | undefined { return this.c.mesh?.peerId ?? this.c.peerId }

  private get selfish (): SelfishTracker {
    this.selfishTracker ??= new SelfishTracker(this.params.selfish)
    return this.selfishTracker
  }

  start (): void {
    if (this.timer !== undefined) return
    const mesh = this.c.mesh
    if (mesh != null) {
      this.unsubscribe = mesh.onAlert((event) => {
        try {
          const r = this.handleAlert(event)
          if (isPromise(r)) r.catch((err: unknown) => { this.c.logger?.warn?.({ err, alertId: event.alert.id }, 'alert intake failed') })
        } catch (err) {
          this.c.logger?.warn?.({ err, alertId: event.alert.id }, 'alert intake failed')
        }
      })
      if (mesh.onReject != null) {
        this.unsubscribeReject = mesh.onReject((ev) => {
          if (ev.action !== 'reject') return
          this.c.reputation.record(ev.from, 'R4', 1, this.c.clock.now(), `invalid alert${ev.alertId != null ? ` ${ev.alertId}` : ''}: ${ev.code}`)
        })
      }
      if (this.params.wireApplicationScore && mesh.setApplicationScore != null) {
        mesh.setApplicationScore(applicationScoreFn(this.c.reputation, this.c.clock))
      }
    }
    this.timer = this.c.clock.setInterval(() => { this.tick() }, this.params.housekeepingIntervalMs)
  }

  stop (): void {
    if (this.timer !== undefined) this.c.clock.clearInterval(this.timer)
    this.timer = undefined
    this.unsubscribe?.()
    this.unsubscribe = undefined
    this.unsubscribeReject?.()
    this.unsubscribeReject = undefined
  }

  private nextId (): string { return `intake-${++this.seq}` }

  /** Process one alert from a peer. Synchronous when vetSignature is; resolves to the decision record. */
  handleAlert (event: AlertEvent): AlertDecisionRecord | Promise<AlertDecisionRecord> {
    const now = this.c.clock.now()
    const a = event.alert
    this.counters.alerts++
    const rep = this.c.reputation.get(a.origin, now)
    const rec: AlertDecisionRecord = {
      id: this.nextId(),
      type: 'alert',
      atMs: now,
      alertId: a.id,
      origin: a.origin,
      from: event.from,
      community: a.community,
      context: a.seen.context,
      kind: a.kind,
      danger: a.danger,
      outcome: 'accepted',
      why: '',
      reputation: originWeight(a.origin, rep),
      signatures: [],
      sources: []
    }
    if (a.origin === this.selfId) return this.done(a, rec, 'ignored-own', 'our own alert')
    if (this.params.maxRecentAlertIds > 0) {
      this.recentIds ??= new Set()
      if (this.recentIds.has(a.id)) { this.counters.duplicates++; return this.done(a, rec, 'duplicate', 'alert id already processed') }
      this.recentIds.add(a.id)
      if (this.recentIds.size > this.params.maxRecentAlertIds) this.recentIds.delete(this.recentIds.values().next().value as string)
    }
    if (rep.blacklisted) {
      this.counters.ignoredBlacklisted++
      return this.done(a, rec, 'ignored-blacklisted', `origin is blacklisted (E ${rep.value.toFixed(3)}, evidence ${(rep.positive + rep.negative).toFixed(1)})`)
    }
    this.selfish.report(a.community, a.seen.context, a.origin, now, this.isMember(a.community, a.origin, now))

    const sigs = a.signatures.slice(0, this.params.maxSignaturesPerAlert)
    const vets = sigs.map(s => this.vet(s, now))
    if (vets.some(isPromise)) {
      return Promise.all(vets).then(v => this.finish(a, rec, sigs, v, now))
    }
    return this.finish(a, rec, sigs, vets as SignatureDecision[], now)
  }

  private vet (sig: SignatureIndicator, now: number): SignatureDecision | Promise<SignatureDecision> {
    const cached = this.sigCache?.get(sig.id)
    if (cached != null && now - cached.atMs < this.params.signatureCacheMs) {
      const r = cached.result
      return {
        id: sig.id,
        outcome: cached.adopted ? 'already-adopted' : r.adopted ? 'adopted' : 'already-rejected',
        reason: r.reason,
        normalMatches: r.normalMatches
      }
    }
    const toDecision = (r: VetResult): SignatureDecision => {
      const matches = Number.isFinite(r.normalMatches) ? r.normalMatches : 0
      const blame = matches > 0 || (r.code != null && this.params.blameVetCodes.includes(r.code))
      const outcome = r.adopted && !blame ? 'adopted' : blame ? 'rejected' : 'not-adopted'
      // final verdicts are cached; 'not adopted, nobody's fault' (e.g. too little normal traffic yet) is vetted again next time
      if (outcome !== 'not-adopted' && this.params.maxSignatureCache > 0) {
        this.sigCache ??= new Map()
        boundedSet(this.sigCache, sig.id, { result: r, atMs: now, adopted: false }, this.params.maxSignatureCache)
      }
      return { id: sig.id, outcome, reason: r.reason, normalMatches: matches }
    }
    const onError = (err: unknown): SignatureDecision => {
      this.c.logger?.warn?.({ err, signatureId: sig.id }, 'signature vetting failed')
      return { id: sig.id, outcome: 'error', reason: `vetting failed: ${(err as Error)?.message ?? String(err)}`, normalMatches: 0 }
    }
    try {
      const r = this.c.vetSignature(sig)
      return isPromise(r) ? r.then(toDecision, onError) : toDecision(r)
    } catch (err) {
      return onError(err)
    }
  }

  private finish (a: Alert, rec: AlertDecisionRecord, sigs: SignatureIndicator[], vets: SignatureDecision[], now: number): AlertDecisionRecord {
    const rep = this.c.reputation
    rec.signatures = vets
    let rejected = 0
    for (let i = 0; i < sigs.length; i++) {
      const v = vets[i]
      if (v.outcome === 'rejected' || v.outcome === 'already-rejected') {
        rejected++
        this.counters.signaturesRejected++
        rep.record(a.origin, 'R2', 1, now, `signature ${sigs[i].id} failed vetting: ${v.reason}`)
      } else if (v.outcome === 'adopted') {
        const cached = this.sigCache?.get(sigs[i].id)
        if (cached?.adopted === true) {
          v.outcome = 'already-adopted'
        } else {
          if (cached != null) cached.adopted = true
          this.counters.signaturesAdopted++
          this.c.adoptSignature(sigs[i], a.origin)
        }
      }
    }
    if (rejected > 0) {
      this.counters.suspect++
      return this.done(a, rec, 'suspect', `${rejected} signature(s) matched our normal traffic: no sensitivity raise, no source vote`)
    }
    this.counters.accepted++
    // remember the warning for later corroboration or refutation
    const keys = [contextKey(a.community, a.seen.context)]
    const excluded = this.c.sourceFilter != null ? (x: string) => !this.c.sourceFilter!.shareable(x) : isReservedAddress
    const sources = a.sources.slice(0, this.params.maxSourcesPerAlert).filter(s => !excluded(s.address))
    for (const s of sources) keys.push(sourceKey(s.address))
    for (let i = 0; i < sigs.length; i++) if (vets[i].outcome !== 'error') keys.push(signatureKey(sigs[i].id))
    // the claim, for later corroboration: it lives as long as the alert says (issue 15: a 60 s claim cannot earn credit for an hour)
    const claimUntil = now + Math.min(this.params.corroborationWindowMs, Math.max(0, a.ttlSec) * 1000)
    const warning: Warning = {
      origin: a.origin,
      alertId: a.id,
      atMs: now,
      credited: false,
      refuted: false,
      claim: {
        untilMs: claimUntil,
        community: a.community,
        context: a.seen.context,
        parameter: a.seen.parameter,
        sources: sources.map((s): [string, number] => [s.address, Math.min(claimUntil, now + Math.max(0, s.ttlSec) * 1000)]),
        signatures: sigs.filter((_s, i) => vets[i].outcome !== 'error').map(s => s.id)
      }
    }
    this.warnings.add(warning, keys)

    const why: string[] = []
    const sens = this.raise(a, now)
    if (sens != null) {
      rec.sensitivity = sens
      why.push(`sensitivity ×${sens.factor.toFixed(2)} on ${a.seen.context}`)
    }
    for (const s of sources) {
      if (this.c.isKnownNormal?.(s.address, now) === true) {
        // our own evidence about this very source contradicts the claim
        this.refute({ reason: `named ${s.address}, a known normal client here, as an attacker`, origin: a.origin, alertId: a.id, source: s.address, community: a.community }, now)
        const t = this.sources.tally(s.address, now)
        rec.sources.push({ address: s.address, sum: t.sum, origins: t.origins.length, blocked: false, knownNormal: true })
        why.push(`refuted: ${s.address} is a known normal client`)
        continue
      }
      this.sources.vote(s.address, a.origin, a.id, s.ttlSec, now)
      const r = this.evaluateSource(s.address, now)
      rec.sources.push(r)
      if (r.blocked) why.push(`blocked ${s.address}`)
    }
    const adopted = vets.filter(v => v.outcome === 'adopted').length
    if (adopted > 0) why.unshift(`adopted ${adopted} signature(s)`)
    return this.done(a, rec, 'accepted', why.length > 0 ? why.join('; ') : 'recorded')
  }

  private done (a: Alert, rec: AlertDecisionRecord, outcome: AlertOutcome, why: string): AlertDecisionRecord {
    rec.outcome = outcome
    rec.why = why
    if (outcome !== 'ignored-own' && outcome !== 'duplicate') this.log.add(rec)
    this.c.record?.(a, rec)
    this.c.logger?.debug?.({ decisionId: rec.id, alertId: rec.alertId, origin: rec.origin, outcome, why }, 'alert intake decision')
    return rec
  }

  /** Sum the influence of the origins that warned about this context recently; ask the detector for a bounded raise. */
  private raise (a: Alert, now: number): AlertDecisionRecord['sensitivity'] {
    if (this.params.maxSensitivityFactor <= 1) return undefined
    // an origin without a say changes nothing: newcomers (and sybil floods) cost no memory and no call here
    if (this.c.reputation.influence(a.origin, now) <= 0) return undefined
    this.sensitivity ??= new Map()
    const key = a.community + SEP + a.seen.context
    let m = this.sensitivity.get(key)
    if (m == null) m = new Map()
    boundedSet(this.sensitivity, key, m, this.params.maxSensitivityContexts)
    const until = now + Math.min(this.params.maxSensitivityMs, Math.max(0, a.ttlSec) * 1000)
    makeRoomForOrigin(m, a.origin, this.params.maxOriginsPerKey, o => this.c.reputation.influence(o, now))
    m.set(a.origin, Math.max(until, m.get(a.origin) ?? 0))
    let sum = 0
    let untilMs = now
    const contributors: OriginWeight[] = []
    for (const [origin, u] of m) {
      if (u <= now) { m.delete(origin); continue }
      const r = this.c.reputation.get(origin, now)
      const inf = influence(r)
      if (inf <= 0) continue
      sum += inf
      untilMs = Math.max(untilMs, u)
      contributors.push(originWeight(origin, r))
    }
    if (sum < this.params.minSensitivityInfluence || untilMs <= now) return undefined
    const factor = 1 + (this.params.maxSensitivityFactor - 1) * Math.min(1, sum)
    this.c.raiseSensitivity(a.community, a.seen.context, factor, untilMs)
    return { factor, untilMs, contributors }
  }

  /** Block the address if its votes now pass the quorum (and it is not blocked already). */
  private evaluateSource (address: string, now: number): AlertDecisionRecord['sources'][number] {
    const active = this.sources.activeBlock(address, now)
    const t = this.sources.tally(address, now)
    if (active != null || !this.sources.quorum(t) || this.c.isKnownNormal?.(address, now) === true) {
      return { address, sum: t.sum, origins: t.origins.length, blocked: active != null, ...(active != null ? { blockDecisionId: active.decisionId } : {}) }
    }
    const untilMs = now + Math.min(this.params.maxBlockMs, t.minRemainingMs)
    const id = this.nextId()
    const why = `remote quorum: Σ weight·E = ${t.sum.toFixed(2)} >= ${this.params.sourceQuorum} from ${t.strong} independent origins`
    const block: BlockDecisionRecord = {
      id,
      type: 'block-source',
      atMs: now,
      address,
      untilMs,
      why,
      quorum: { sum: t.sum, required: this.params.sourceQuorum, minOrigins: this.params.sourceMinOrigins, origins: t.origins }
    }
    this.sources.setBlocked(address, { untilMs, decisionId: id })
    this.counters.blocks++
    this.log.add(block)
    this.c.blockSource(address, untilMs, `${why} (decision ${id})`)
    this.c.logger?.info?.({ decisionId: id, address, untilMs, sum: t.sum }, 'source blocked on remote quorum')
    return { address, sum: t.sum, origins: t.origins.length, blocked: true, blockDecisionId: id }
  }

  /**
   * We met an attack a peer may have warned about (a signature hit, or our
   * own detector on the same context or source): R1 once for each origin with
   * an uncredited warning within the window. Also confirms the selfish episode.
   */
  corroborate (event: CorroborationEvent, nowMs: number = this.c.clock.now()): CorroborationResult {
    const keys = eventKeys(event)
    const window = this.params.corroborationWindowMs
    // only warnings whose own claim this event matches (warning-index.ts corroborates()), while the claim lives
    const byOrigin = keys.length === 0 ? new Map<string, Warning[]>() : this.warnings.byOrigin(keys, w => !w.credited && !w.refuted && nowMs - w.atMs <= window && corroborates(w, event, nowMs))
    if (event.context != null) this.selfish.corroborate(event.community, event.context, nowMs)
    if (byOrigin.size === 0) return { credited: [] }
    const what = event.signatureId != null ? `signature ${event.signatureId}` : event.source != null ? `source ${event.source}` : `context ${event.context ?? ''}`
    const credited: CorroborationRecord['credited'] = []
    for (const [origin, ws] of byOrigin) {
      for (const w of ws) w.credited = true
      const alertIds = ws.map(w => w.alertId)
      const r = this.c.reputation.record(origin, 'R1', 1, nowMs, `warned about ${what} (alert ${alertIds.join(', ')}), met locally`)
      credited.push({ ...originWeight(origin, r), alertIds })
    }
    this.counters.corroborations += credited.length
    const id = this.nextId()
    this.log.add({ id, type: 'corroboration', atMs: nowMs, event, credited })
    return { decisionId: id, credited: credited.map(c => ({ origin: c.origin, alertIds: c.alertIds })) }
  }

  /**
   * Our own evidence contradicts peers' alerts (e.g. a source they named is
   * a normal client of ours): R3 once per origin, their source votes dropped,
   * and a remote-quorum block lifted if the quorum no longer holds.
   */
  refute (event: RefutationEvent, nowMs: number = this.c.clock.now()): RefutationResult {
    const keys = eventKeys(event)
    let targets: Map<string, Warning[]>
    if (event.origin != null) {
      // a named origin (and alert): refuted even without a remembered warning, but never the same alert twice
      const mine = this.warnings.byOrigin(keys, w => w.origin === event.origin && (event.alertId == null || w.alertId === event.alertId))
      const ws = mine.get(event.origin) ?? []
      const fresh = ws.filter(w => !w.refuted)
      targets = event.alertId != null && ws.length > 0 && fresh.length === 0 ? new Map() : new Map([[event.origin, fresh]])
    } else if (keys.length > 0) {
      const window = this.params.corroborationWindowMs
      targets = this.warnings.byOrigin(keys, w => !w.refuted && nowMs - w.atMs <= window)
    } else {
      targets = new Map()
    }
    const refuted: RefutationRecord['refuted'] = []
    for (const [origin, ws] of targets) {
      for (const w of ws) w.refuted = true
      const alertIds = ws.map(w => w.alertId)
      const r = this.c.reputation.record(origin, 'R3', 1, nowMs, `refuted: ${event.reason}${alertIds.length > 0 ? ` (alert ${alertIds.join(', ')})` : ''}`)
      refuted.push({ ...originWeight(origin, r), alertIds })
    }
    const unblocked: string[] = []
    const addresses = new Set<string>()
    if (event.source != null) addresses.add(event.source)
    for (const [origin] of targets) {
      for (const addr of this.sources.dropOrigin(origin, event.source)) addresses.add(addr)
    }
    for (const addr of addresses) {
      if (this.sources.activeBlock(addr, nowMs) == null) continue
      // our own evidence about this very source, or the quorum fell apart without the refuted votes
      if (event.source === addr || !this.sources.quorum(this.sources.tally(addr, nowMs))) {
        this.sources.unblock(addr)
        unblocked.push(addr)
        this.c.unblockSource?.(addr, `refuted: ${event.reason}`)
      }
    }
    this.counters.refutations += refuted.length
    if (refuted.length === 0 && unblocked.length === 0) return { refuted: [], unblocked }
    const id = this.nextId()
    this.log.add({ id, type: 'refutation', atMs: nowMs, event, refuted, unblocked })
    return { decisionId: id, refuted: refuted.map(r => ({ origin: r.origin, alertIds: r.alertIds })), unblocked }
  }

  /** Is `origin` one of the subscribed peers we judge for selfishness? (mesh peers cached for a second) */
  private isMember (community: string, origin: string, now: number): boolean {
    if (this.c.subscribers != null) {
      for (const p of this.c.subscribers(community)) if (p === origin) return true
      return false
    }
    if (this.c.mesh == null) return false
    this.memberCache ??= new Map()
    let cached = this.memberCache.get(community)
    if (cached == null || (!cached.ids.has(origin) && now - cached.atMs >= 1000)) {
      cached = { atMs: now, ids: new Set(this.subscribersOf(community)) }
      this.memberCache.set(community, cached)
    }
    return cached.ids.has(origin)
  }

  private subscribersOf (community: string): Iterable<string> {
    if (this.c.subscribers != null) return this.c.subscribers(community)
    const mesh = this.c.mesh
    if (mesh == null) return []
    const self = mesh.peerId
    return mesh.peers().filter(p => p.id !== self && p.communities.includes(community)).map(p => p.id)
  }

  /**
   * Housekeeping (start() runs it every housekeepingIntervalMs; the simulator
   * calls it): close quiet selfish episodes (R5 for flagged silent peers) and
   * expire old votes, warnings, blocks and cached vetting results.
   */
  tick (nowMs: number = this.c.clock.now()): ClosedEpisode[] {
    const closed = this.selfishTracker == null ? [] : this.selfishTracker.close(nowMs, c => this.subscribersOf(c))
    for (const ep of closed) {
      for (const peer of ep.silentSelfish) {
        this.c.reputation.record(peer, 'R5', 1, nowMs, `silent through attack on ${ep.community}/${ep.key} (reported by ${ep.reporters.length})`)
      }
      if (ep.newlyFlagged.length > 0) {
        this.counters.selfishFlagged += ep.newlyFlagged.length
        this.c.logger?.info?.({ community: ep.community, key: ep.key, peers: ep.newlyFlagged }, 'selfish members flagged')
      }
    }
    this.warnings.expire(nowMs, this.params.corroborationWindowMs)
    this.sources.expire(nowMs)
    for (const [ctx, m] of this.sensitivity ?? []) {
      for (const [o, u] of m) if (u <= nowMs) m.delete(o)
      if (m.size === 0) this.sensitivity!.delete(ctx)
    }
    for (const [id, cv] of this.sigCache ?? []) if (nowMs - cv.atMs >= this.params.signatureCacheMs && !cv.adopted) this.sigCache!.delete(id)
    return closed
  }

  decision (id: string): IntakeDecisionRecord | undefined { return this.log.get(id) }

  decisions (limit?: number): IntakeDecisionRecord[] { return this.log.list(limit) }

  /** For `GET /peers/<id>`: the reputation evidence plus the selfish test. */
  explainPeer (peer: string, nowMs: number = this.c.clock.now()): IntakePeerExplanation {
    return { ...this.c.reputation.explain(peer, nowMs), selfish: this.selfish.status(peer) }
  }

  isSelfish (peer: string): boolean { return this.selfishTracker?.isSelfish(peer) ?? false }

  selfishPeers (): string[] { return this.selfishTracker?.flagged() ?? [] }

  /** Addresses currently blocked on remote quorum, with their expiry. */
  blockedSources (nowMs: number = this.c.clock.now()): Array<{ address: string, untilMs: number, decisionId: string }> {
    return this.sources.blockedList(nowMs)
  }

  stats (): AlertIntakeStats { return { ...this.counters } }

  toJSON (): AlertIntakeSnapshot {
    const { votes, blocked } = this.sources.toJSON()
    return {
      version: 1,
      seq: this.seq,
      selfish: this.selfishTracker?.toJSON() ?? null,
      warnings: this.warnings.toJSON(),
      votes,
      blocked,
      decisions: this.log.toJSON()
    }
  }

  /** Replace the intake's state with a toJSON() snapshot; throws ReputationSnapshotError naming the bad field (and then changes nothing). */
  restore (snapshot: unknown): void {
    const bad = (field: string, reason: string): never => { throw new ReputationSnapshotError('intake', field, reason) }
    const s = snapshot as Partial<AlertIntakeSnapshot> | null
    if (s == null || typeof s !== 'object') bad('(root)', 'is not an object')
    if (s!.version !== 1) bad('version', `is ${JSON.stringify(s!.version)} (accepted: 1)`)
    if (!Number.isInteger(s!.seq) || s!.seq! < 0) bad('seq', 'is not an integer >= 0')
    for (const f of ['warnings', 'votes', 'blocked', 'decisions'] as const) if (!Array.isArray(s![f])) bad(f, 'is not an array')
    let selfish: SelfishTracker | undefined
    if (s!.selfish != null) {
      selfish = new SelfishTracker(this.params.selfish)
      selfish.restore(s!.selfish)
    }
    const warnings = new WarningIndex(this.params.maxWarningKeys, this.params.maxWarningsPerKey)
    warnings.restore(s!.warnings!, bad)
    const sources = new SourceVotes(this.params, this.c.reputation)
    sources.restore(s!.votes!, s!.blocked!, bad)
    s!.decisions!.forEach((d, i) => {
      if (d == null || typeof d.id !== 'string' || typeof d.type !== 'string' || typeof d.atMs !== 'number') bad(`decisions[${i}]`, 'is not a decision record { id, type, atMs, ... }')
    })
    // all valid: swap in
    this.seq = s!.seq!
    this.selfishTracker = selfish
    this.warnings = warnings
    this.sources = sources
    this.log.restore(s!.decisions!)
    this.sensitivity = undefined
    this.sigCache = undefined
    this.recentIds = undefined
  }
}

export function createAlertIntake (components: AlertIntakeComponents, init: AlertIntakeInit = {}): AlertIntake {
  return new AlertIntake(components, init)
}
