/**
 * One simulated host's brain: the node's REAL decision logic (DESIGN.md "one
 * brain, two bodies"): the reputation table (protocol/reputation), the alert
 * intake with its selfish tracker (node/intake), the alert publisher
 * (node/intake), the policy state for `decide()` and the threat level
 * (node/respond). The simulator supplies the body: a virtual clock, and the
 * intake's callbacks (vetting, adoption, sensitivity, source blocks,
 * subscribers) as prototype methods of this object, so a brain costs no
 * closures. Brains are created lazily, when a host first receives or produces
 * an alert; most of their Maps are created on first use by the node code itself.
 */
import type { SignatureIndicator } from '../../protocol/alert/types.js'
import { ReputationTable } from '../../protocol/reputation/reputation-table.js'
import type { Reputation } from '../../protocol/reputation/compute-reputation.js'
import type { ReputationParams, ReputationTerm } from '../../protocol/reputation/reputation-params.js'
import type { Clock } from '../../core/index.js'
import { AlertIntake } from '../../node/intake/alert-intake.js'
import type { AlertIntakeComponents, VetResult } from '../../node/intake/alert-intake.js'
import type { AlertIntakeParams } from '../../node/intake/intake-params.js'
import { AlertPublisher } from '../../node/intake/alert-publisher.js'
import type { AlertPublisherParams } from '../../node/intake/alert-publisher.js'
import { emptyPolicyState } from '../../node/respond/policy.js'
import type { PolicyState } from '../../node/respond/policy-types.js'
import { createThreatLevel } from '../../node/respond/threat-level.js'
import type { ThreatLevel } from '../../node/respond/threat-level.js'

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
}

export class HostBrain implements AlertIntakeComponents {
  readonly reputation: SimReputationTable
  readonly intake: AlertIntake
  private _publisher: AlertPublisher | undefined
  private _threat: ThreatLevel | undefined
  policyState: PolicyState | undefined
  /** context → sensitivity factor and until (epoch ms). */
  private sensitivity: Map<string, { factor: number, untilMs: number }> | undefined
  /** address → blocked until (epoch ms): remote quorum blocks and local block-source decisions. */
  private blocks: Map<string, number> | undefined
  /** Alerts handled; corroboration runs again only when new alerts arrived since. */
  alertsReceived = 0
  corroboratedAt: Map<number, number> | undefined
  /** Virtual ms of the last alert or corroboration; housekeeping is scheduled from it. */
  lastActivityMs = -Infinity
  tickScheduled = false

  constructor (
    private readonly world: BrainWorld,
    readonly host: number,
    readonly peerId: string,
    private readonly params: BrainParams
  ) {
    this.reputation = new SimReputationTable(params.reputation, world, host)
    this.intake = new AlertIntake(this, params.intake)
  }

  get clock (): Clock { return this.world.clock }

  get publisher (): AlertPublisher {
    this._publisher ??= new AlertPublisher({ clock: this.world.clock }, this.params.publisher)
    return this._publisher
  }

  get threat (): ThreatLevel {
    this._threat ??= createThreatLevel({ clock: this.world.clock })
    return this._threat
  }

  get hasThreat (): boolean { return this._threat != null }

  policy (): PolicyState {
    this.policyState ??= emptyPolicyState()
    return this.policyState
  }

  // --- AlertIntakeComponents -------------------------------------------------

  vetSignature (sig: SignatureIndicator): VetResult { return this.world.vet(this.host, sig) }

  adoptSignature (sig: SignatureIndicator, origin: string): void { this.world.adopt(this.host, sig, origin) }

  raiseSensitivity (_community: string, context: string, factor: number, untilMs: number): void {
    this.sensitivity ??= new Map()
    this.sensitivity.set(context, { factor, untilMs })
    if (this._threat != null || this.wantsThreat) {
      this.threat.raise({ level: 1, durationMs: untilMs - this.world.clock.now(), origin: 'remote', reason: `peer alerts on ${context}` })
    }
  }

  /** Set by the simulation when renewal is on (the threat level shortens the renewal interval). */
  wantsThreat = false

  blockSource (address: string, untilMs: number, _why: string): void {
    this.blocks ??= new Map()
    this.blocks.set(address, untilMs)
    this.world.remoteBlock(this.host, address, untilMs)
  }

  /** A local block-source decision (node/respond): later attempts from the address are dropped until it expires. */
  blockLocally (address: string, untilMs: number): void {
    this.blocks ??= new Map()
    this.blocks.set(address, Math.max(untilMs, this.blocks.get(address) ?? 0))
  }

  unblockSource (address: string, _why: string): void {
    if (this.blocks?.delete(address) === true) this.world.remoteUnblock(this.host, address)
  }

  subscribers (_community: string): Iterable<string> { return this.world.subscribers(this.host) }

  // --- queries used by the host model ---------------------------------------

  /** The sensitivity factor for a context now (1 when not raised). */
  sensitivityFor (context: string, nowMs: number): number {
    const s = this.sensitivity?.get(context)
    if (s == null) return 1
    if (s.untilMs <= nowMs) { this.sensitivity!.delete(context); return 1 }
    return s.factor
  }

  isBlocked (address: string, nowMs: number): boolean {
    const until = this.blocks?.get(address)
    if (until == null) return false
    if (until <= nowMs) { this.blocks!.delete(address); return false }
    return true
  }

  get hasBlocks (): boolean { return this.blocks != null && this.blocks.size > 0 }
}
