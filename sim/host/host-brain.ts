/**
 * One simulated host's brain: the node's REAL decision logic (DESIGN.md "one
 * brain, two bodies"): the node's reaction module (node/brain: policy and
 * escalation, deny list, threat level, peer-raised sensitivity), the
 * reputation table (protocol/reputation), the alert intake with its selfish
 * tracker (node/intake) and the alert publisher (node/intake). The simulator
 * supplies the body: a virtual clock, and the intake's callbacks (vetting,
 * adoption, sensitivity, source blocks, subscribers) as prototype methods of
 * this object, so a brain costs no closures. Brains are created lazily, when
 * a host first receives, reacts or publishes; their parts are created on
 * first use too.
 */
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import { ReputationTable } from '../../protocol/reputation/index.js'
import type { Reputation } from '../../protocol/reputation/index.js'
import type { ReputationParams, ReputationTerm } from '../../protocol/reputation/index.js'
import type { Clock } from '../../core/index.js'
import { AlertIntake } from '../../node/intake/index.js'
import type { AlertIntakeComponents, VetResult } from '../../node/intake/index.js'
import type { AlertIntakeParams } from '../../node/intake/index.js'
import { AlertPublisher } from '../../node/intake/index.js'
import type { AlertPublisherParams } from '../../node/intake/index.js'
import { Brain } from '../../node/brain/index.js'
import type { BrainParams as NodeBrainParams } from '../../node/brain/index.js'
import type { Policy, ThreatLevel } from '../../node/respond/index.js'

/** What a brain asks of the simulated world (implemented by the Simulation). */
export interface BrainWorld {
  readonly clock: Clock
  vet: (host: number, sig: SignatureIndicator) => VetResult
  adopt: (host: number, sig: SignatureIndicator, origin: string) => void
  remoteBlock: (host: number, address: string, untilMs: number) => void
  remoteUnblock: (host: number, address: string) => void
  subscribers: (host: number) => Iterable<string>
  negativeEvidence: (host: number) => void
}

/**
 * Reputation reads are memoised for at most this long (virtual ms) between
 * evidence changes. Forgetting has half-lives of a day or more, so E moves by
 * less than 1e-5 in a second; without the memo the intake recomputes the
 * Beta reputation of up to 32 origins per alert and dominates the run time.
 */
export const REPUTATION_MEMO_MS = 1000

/**
 * The real ReputationTable with two simulator additions: negative evidence
 * tells the world (P5: the host may now prune the peer from its mesh), and
 * reads of known peers are memoised (REPUTATION_MEMO_MS, cleared on new evidence).
 */
export class SimReputationTable extends ReputationTable {
  private memo: Map<string, { atMs: number, rep: Reputation }> | undefined

  constructor (params: ReputationParams, private readonly world: BrainWorld, private readonly host: number) {
    super(params)
  }

  override record (peer: string, term: ReputationTerm, amount: number, nowMs: number, note?: string): Reputation {
    this.memo?.delete(peer)
    const r = super.record(peer, term, amount, nowMs, note)
    if (term !== 'R1') this.world.negativeEvidence(this.host)
    return r
  }

  override get (peer: string, nowMs: number): Reputation {
    if (!this.has(peer)) return super.get(peer, nowMs)
    const m = this.memo?.get(peer)
    if (m !== undefined && nowMs >= m.atMs && nowMs - m.atMs < REPUTATION_MEMO_MS) return m.rep
    const rep = super.get(peer, nowMs)
    this.memo ??= new Map()
    if (m !== undefined) { m.atMs = nowMs; m.rep = rep } else this.memo.set(peer, { atMs: nowMs, rep })
    return rep
  }

  override forget (peer: string): boolean {
    this.memo?.delete(peer)
    return super.forget(peer)
  }
}

export interface BrainParams {
  intake: AlertIntakeParams
  reputation: ReputationParams
  publisher: AlertPublisherParams
  /** The node brain's params (node/brain) and the policy it judges by. */
  brain: NodeBrainParams
  policy: Policy
}

export class HostBrain implements AlertIntakeComponents {
  /** The node's reaction module: policy and escalation, deny list, threat level, sensitivity (node/brain). */
  readonly node: Brain
  private _reputation: SimReputationTable | undefined
  private _intake: AlertIntake | undefined
  private _publisher: AlertPublisher | undefined
  /** Alerts handled; corroboration runs again only when new alerts arrived since. */
  alertsReceived = 0
  corroboratedAt: Map<string, number> | undefined
  /** Virtual ms of the last alert or corroboration; housekeeping is scheduled from it. */
  lastActivityMs = -Infinity
  tickScheduled = false

  constructor (
    private readonly world: BrainWorld,
    readonly host: number,
    readonly peerId: string,
    private readonly params: BrainParams,
    private readonly community: string
  ) {
    this.node = new Brain({ clock: world.clock, policy: params.policy }, params.brain)
  }

  get clock (): Clock { return this.world.clock }

  get reputation (): SimReputationTable {
    this._reputation ??= new SimReputationTable(this.params.reputation, this.world, this.host)
    return this._reputation
  }

  get intake (): AlertIntake {
    this._intake ??= new AlertIntake(this, this.params.intake)
    return this._intake
  }

  /** The intake exists (an alert arrived, or someone asked for it): only then can there be warnings to corroborate. */
  get hasIntake (): boolean { return this._intake != null }

  get publisher (): AlertPublisher {
    this._publisher ??= new AlertPublisher({ clock: this.world.clock }, this.params.publisher)
    return this._publisher
  }

  get threat (): ThreatLevel { return this.node.threat }

  get hasThreat (): boolean { return this.node.hasThreat }

  // --- AlertIntakeComponents -------------------------------------------------

  vetSignature (sig: SignatureIndicator): VetResult { return this.world.vet(this.host, sig) }

  adoptSignature (sig: SignatureIndicator, origin: string): void { this.world.adopt(this.host, sig, origin) }

  /** Peers warned: the brain raises the community's sensitivity (capped, keeps the maximum) and the threat level to 1. */
  raiseSensitivity (community: string, context: string, factor: number, untilMs: number): void {
    this.node.onPeerWarning({ community, context, factor, untilMs })
  }

  /** The intake's quorum: a remote-evidence decision of the brain (block-source on the deny list, as in the daemon). */
  blockSource (address: string, untilMs: number, why: string): void {
    this.node.onRemoteBlock({ address, untilMs, why })
    this.world.remoteBlock(this.host, address, untilMs)
  }

  unblockSource (address: string, _why: string): void {
    if (this.node.onRemoteUnblock(address).length > 0) this.world.remoteUnblock(this.host, address)
  }

  subscribers (_community: string): Iterable<string> { return this.world.subscribers(this.host) }

  // --- queries used by the host model ---------------------------------------

  /** The sensitivity factor for a context now (1 when not raised): the same table the daemon's detectors read. */
  sensitivityFor (context: string, nowMs: number): number {
    return this.node.sensitivityFactor(this.community, context, nowMs)
  }

  /** Is the address on the brain's deny list (remote quorum blocks and local block-source decisions)? */
  isDenied (address: string, nowMs: number): boolean {
    return this.node.isDenied(address, nowMs)
  }
}
