/**
 * The node's brain: the one reaction module both bodies call (DESIGN.md
 * invariant 5, "one brain, two bodies"). The daemon's pipeline and
 * collaboration (node/daemon/) and the simulator's hosts (sim/host/) give it
 * what they saw; it answers with a Reaction: the verdict on the request, the
 * policy's decisions, the peers to corroborate and what to publish.
 *
 * It holds the node's reaction state, in memory and synchronous:
 *   - the decision logic (policy + escalation state, node/respond);
 *   - the deny list (node/respond), which its block-source decisions fill;
 *   - the threat level (node/respond), which raise-threat decisions and peer
 *     warnings raise;
 *   - peer-raised sensitivity, one table per community (node/detector), which
 *     the detectors read.
 * Those in-memory effects of a decision are applied here, at once, so the
 * next observation is judged on them in both bodies. Everything outside
 * memory (nftables, logs, freezing or renewing a process, persistence; in the
 * simulator, counting) is the body's: the daemon hands the breakdown to its
 * decision manager and responders (which apply the same holds again,
 * idempotently, and undo them when decisions end).
 *
 * Prototype methods and lazily created state: a simulated host that never
 * reacts costs one small object.
 */
import { boundedSet } from '../../core/index.js'
import type { Clock } from '../../core/index.js'
import { SensitivityTable } from '../detector/index.js'
import { createDecisionLogic, createDenyList, createThreatLevel } from '../respond/index.js'
import type { DangerEvent, DecideBreakdown, DecisionLogic, DenyList, Policy, ThreatLevel } from '../respond/index.js'
import { createBrainParams } from './brain-params.js'
import type { BrainParams } from './brain-params.js'
import type { Danger, PeerWarning, RemoteBlock } from './danger.js'
import { corroborationFor, dangerEvent, isDryRun, publicationFor, verdictOf } from './reaction.js'
import type { Reaction } from './reaction.js'
import { assessDanger } from './signals.js'

export interface BrainComponents {
  clock: Clock
  policy: Policy
  /** Shared with the daemon's decision manager, which persists its state; default: the brain's own. */
  logic?: DecisionLogic
  /** Default: an in-memory deny list with the policy's allowlist, created on first use. */
  denyList?: DenyList
  /** Default: the node's threat level, created on first use. */
  threat?: ThreatLevel
}

/** A remote-evidence block: the policy's breakdown for the quorum event. */
export interface RemoteReaction {
  event: DangerEvent
  breakdown: DecideBreakdown
  dryRun: boolean
}

export class Brain {
  readonly params: BrainParams
  private readonly c: BrainComponents
  private _logic: DecisionLogic | undefined
  private _deny: DenyList | undefined
  private _threat: ThreatLevel | undefined
  private _sensitivity: Map<string, SensitivityTable> | undefined
  /** address → ids of the remote-evidence block decisions holding it (to lift them on a refutation). */
  private _remote: Map<string, string[]> | undefined

  constructor (components: BrainComponents, params: BrainParams | Partial<BrainParams> = {}) {
    this.c = components
    this.params = Object.isFrozen(params) ? params as BrainParams : createBrainParams(params)
    this._logic = components.logic
    this._deny = components.denyList
    this._threat = components.threat
  }

  get policy (): Policy { return this.c.policy }
  get clock (): Clock { return this.c.clock }

  get logic (): DecisionLogic {
    this._logic ??= createDecisionLogic(this.c.policy)
    return this._logic
  }

  get denyList (): DenyList {
    this._deny ??= createDenyList({ clock: this.c.clock }, { allowlist: this.c.policy.allowlist })
    return this._deny
  }

  get threat (): ThreatLevel {
    this._threat ??= createThreatLevel({ clock: this.c.clock })
    return this._threat
  }

  /** Whether the deny list exists yet (reading `denyList` creates it). */
  get hasDenyList (): boolean { return this._deny != null }

  /** Whether the threat level exists yet (reading `threat` creates it). */
  get hasThreat (): boolean { return this._threat != null }

  /** Is `address` on the deny list now? (No list yet: nothing is denied.) */
  isDenied (address: string, nowMs: number = this.c.clock.now()): boolean {
    return this._deny != null && this._deny.isDenied(address, nowMs)
  }

  /** The community's sensitivity table (the detectors of its cells read it). */
  sensitivity (community: string): SensitivityTable {
    this._sensitivity ??= new Map()
    let t = this._sensitivity.get(community)
    if (t == null) {
      t = new SensitivityTable({ maxSensitivityFactor: this.params.maxSensitivityFactor, maxSensitivityMs: this.params.maxSensitivityMs, maxContexts: this.params.maxSensitivityContexts })
      this._sensitivity.set(community, t)
    }
    return t
  }

  /** The sensitivity factor of a context now (1 when not raised). */
  sensitivityFactor (community: string, context: string, nowMs: number = this.c.clock.now()): number {
    return this._sensitivity?.get(community)?.factor(context, nowMs) ?? 1
  }

  /** Local evidence about one observation → the reaction (the policy's decisions are taken and their in-memory effects applied). */
  onDanger (d: Danger): Reaction {
    const { level, signals } = assessDanger(d)
    if (level === 0) return { level, verdict: 'allow', dryRun: false, signals, event: null, breakdown: null, corroboration: null, publication: null }
    const policy = this.c.policy
    const event = dangerEvent(d, level, signals)
    const breakdown = this.decide(event)
    const dryRun = isDryRun(policy, d.cell, breakdown.effectiveLevel)
    return {
      level,
      verdict: verdictOf(breakdown.effectiveLevel, dryRun),
      dryRun,
      signals,
      event,
      breakdown,
      corroboration: corroborationFor(d, level, signals),
      publication: publicationFor(d, level, signals)
    }
  }

  /**
   * A request of `source` that was scored normal, at its event time: the
   * scanner rule's denominator (a busy client is judged on its own share of
   * anomalies). Bodies that do not model normal traffic (the simulator) skip it.
   */
  onRequest (source: string, atMs: number = this.c.clock.now()): void {
    this.logic.observeRequest(source, atMs)
  }

  /** The intake's quorum on a source: a remote-evidence event (the policy never quarantines or terminates on it). */
  onRemoteBlock (b: RemoteBlock): RemoteReaction {
    const event: DangerEvent = {
      cell: this.params.remoteCell,
      level: 2,
      source: b.address,
      context: 'peer quorum',
      explanation: b.why,
      origin: 'remote',
      refs: { untilMs: b.untilMs }
    }
    // evidence lives as long as its claim (issue 15): the policy's duration is cut to the votes' (a 60 s vote never makes an hour's block)
    const breakdown = this.decide(event, b.untilMs)
    const ids = breakdown.decisions.filter(x => x.action === 'block-source' && !x.dryRun).map(x => x.id)
    if (ids.length > 0 && this.params.maxRemoteBlocks > 0) {
      this._remote ??= new Map()
      boundedSet(this._remote, b.address, (this._remote.get(b.address) ?? []).concat(ids).slice(-16), this.params.maxRemoteBlocks)
    }
    return { event, breakdown, dryRun: isDryRun(this.c.policy, this.params.remoteCell, 2) }
  }

  /** A refutation lifted the intake's block of `address`: drop the remote-evidence holds; returns their decision ids (the body ends them). */
  onRemoteUnblock (address: string): string[] {
    const ids = this._remote?.get(address)
    if (ids == null) return []
    this._remote!.delete(address)
    for (const id of ids) this._deny?.remove(address, id)
    this._logic?.endBlock(address)
    return ids
  }

  /** Peers warned about a context: raise its sensitivity (capped, bounded) and the threat level to 1. */
  onPeerWarning (w: PeerWarning): void {
    const now = this.c.clock.now()
    this.sensitivity(w.community).raise(w.context, w.factor, w.untilMs, now)
    if (this.params.peerThreatMs > 0) {
      this.threat.raise({ level: 1, durationMs: this.params.peerThreatMs, origin: 'remote', reason: `peer alerts on ${w.community} ${w.context}` })
    }
  }

  /** The policy decides; the decisions' in-memory effects (deny-list holds, threat raises) apply now. */
  private decide (event: DangerEvent, notAfterMs?: number): DecideBreakdown {
    const now = this.c.clock.now()
    const breakdown = this.logic.decide(event, now)
    for (const d of breakdown.decisions) {
      if (notAfterMs != null && (d.expiresAtMs == null || d.expiresAtMs > notAfterMs)) {
        d.expiresAtMs = Math.max(now, notAfterMs)
        if (typeof d.params.durationSec === 'number') d.params = { ...d.params, durationSec: Math.ceil((d.expiresAtMs - now) / 1000) }
        // the policy's live block ends with it too, so a later local offence can block again
        if (d.action === 'block-source' && d.target.kind === 'source') {
          this.logic.endBlock(d.target.address)
          this.logic.noteBlock(d.target.address, d.expiresAtMs)
        }
      }
      if (d.dryRun) continue
      if (d.action === 'block-source' && d.target.kind === 'source' && d.expiresAtMs != null) {
        this.denyList.add(d.target.address, d.expiresAtMs, d.id)
      } else if (d.action === 'raise-threat' && d.expiresAtMs != null) {
        const level = d.params.threatLevel === 1 || d.params.threatLevel === 2 ? d.params.threatLevel : d.level
        this.threat.raise({ level, durationMs: d.expiresAtMs - now, origin: d.origin, reason: d.reason })
      }
    }
    return breakdown
  }
}

export function createBrain (components: BrainComponents, params: Partial<BrainParams> = {}): Brain {
  return new Brain(components, params)
}
