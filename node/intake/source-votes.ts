/**
 * Remote source-address indicators as votes: per address, the origins that
 * named it and until when. The quorum rule (docs/reputation.md):
 *   block only when independent origins (distinct peer ids), each with
 *   influence weight·E >= minVoterInfluence, together reach sourceQuorum, and
 *   there are at least sourceMinOrigins of them.
 * Influence is read from the reputation table at decision time, so a voter
 * blacklisted since its vote no longer counts. Bounded per address
 * (maxOriginsPerKey, weakest dropped) and in addresses (maxSourceAddresses).
 */
import { influence } from '../../protocol/reputation/index.js'
import type { Reputation } from '../../protocol/reputation/index.js'
import type { ReputationTable } from '../../protocol/reputation/index.js'
import { boundedSet, makeRoomForOrigin } from '../../core/index.js'
import type { OriginWeight } from './decision-records.js'
import type { AlertIntakeParams } from './intake-params.js'

interface Vote { alertId: string, atMs: number, expiresAtMs: number }

export interface Tally {
  /** Σ influence of the voters that count. */
  sum: number
  /** Voters that count (influence >= minVoterInfluence). */
  strong: number
  /** Smallest remaining vote lifetime among the voters that count (Infinity if none). */
  minRemainingMs: number
  /** Every live voter, counted or not, for the decision record. */
  origins: OriginWeight[]
}

export interface ActiveBlock { untilMs: number, decisionId: string }

export type VoteTuple = [string, string, number, number]

export function originWeight (origin: string, rep: Reputation, alertId?: string): OriginWeight {
  return { origin, value: rep.value, weight: rep.weight, influence: influence(rep), ...(alertId != null ? { alertId } : {}) }
}

export class SourceVotes {
  private votes: Map<string, Map<string, Vote>> | undefined
  private blocked: Map<string, ActiveBlock> | undefined

  constructor (private readonly params: AlertIntakeParams, private readonly reputation: ReputationTable) {}

  vote (address: string, origin: string, alertId: string, ttlSec: number, nowMs: number): void {
    this.votes ??= new Map()
    let m = this.votes.get(address)
    if (m == null) m = new Map()
    boundedSet(this.votes, address, m, this.params.maxSourceAddresses)
    makeRoomForOrigin(m, origin, this.params.maxOriginsPerKey, o => this.reputation.influence(o, nowMs))
    m.set(origin, { alertId, atMs: nowMs, expiresAtMs: nowMs + Math.max(0, ttlSec) * 1000 })
  }

  /** The live votes for an address, weighted by each origin's reputation now (expired votes dropped). */
  tally (address: string, nowMs: number): Tally {
    const t: Tally = { sum: 0, strong: 0, minRemainingMs: Infinity, origins: [] }
    const m = this.votes?.get(address)
    if (m == null) return t
    for (const [o, v] of m) {
      if (v.expiresAtMs <= nowMs) { m.delete(o); continue }
      const r = this.reputation.get(o, nowMs)
      const inf = influence(r)
      t.origins.push(originWeight(o, r, v.alertId))
      // weak voters (newcomers, sybils with a little history) are listed but count for nothing
      if (inf <= 0 || inf < this.params.minVoterInfluence) continue
      t.sum += inf
      t.strong++
      t.minRemainingMs = Math.min(t.minRemainingMs, v.expiresAtMs - nowMs)
    }
    if (m.size === 0) this.votes!.delete(address)
    return t
  }

  quorum (t: Tally): boolean {
    return t.sum >= this.params.sourceQuorum && t.strong >= this.params.sourceMinOrigins
  }

  activeBlock (address: string, nowMs: number): ActiveBlock | undefined {
    const b = this.blocked?.get(address)
    return b != null && b.untilMs > nowMs ? b : undefined
  }

  setBlocked (address: string, block: ActiveBlock): void {
    this.blocked ??= new Map()
    boundedSet(this.blocked, address, block, this.params.maxSourceAddresses)
  }

  unblock (address: string): void { this.blocked?.delete(address) }

  /** Drop `origin`'s votes (on `address` only, when given); returns the addresses it had voted for. */
  dropOrigin (origin: string, address?: string): string[] {
    const out: string[] = []
    for (const [addr, m] of this.votes ?? []) {
      if (address != null && addr !== address) continue
      if (m.delete(origin)) out.push(addr)
    }
    return out
  }

  blockedList (nowMs: number): Array<{ address: string } & ActiveBlock> {
    const out: Array<{ address: string } & ActiveBlock> = []
    for (const [address, b] of this.blocked ?? []) if (b.untilMs > nowMs) out.push({ address, ...b })
    return out
  }

  expire (nowMs: number): void {
    for (const [addr, m] of this.votes ?? []) {
      for (const [o, v] of m) if (v.expiresAtMs <= nowMs) m.delete(o)
      if (m.size === 0) this.votes!.delete(addr)
    }
    for (const [addr, b] of this.blocked ?? []) if (b.untilMs <= nowMs) this.blocked!.delete(addr)
  }

  toJSON (): { votes: Array<[string, VoteTuple[]]>, blocked: Array<[string, number, string]> } {
    return {
      votes: [...(this.votes ?? [])].map(([addr, m]) => [addr, [...m].map(([o, v]): VoteTuple => [o, v.alertId, v.atMs, v.expiresAtMs])]),
      blocked: [...(this.blocked ?? [])].map(([addr, b]) => [addr, b.untilMs, b.decisionId])
    }
  }

  /** Validate (calling `bad` with the field on the first problem), then replace the content. */
  restore (votesJson: unknown[], blockedJson: unknown[], bad: (field: string, reason: string) => never): void {
    const votes = new Map<string, Map<string, Vote>>()
    votesJson.forEach((x, i) => {
      const e = x as [string, VoteTuple[]]
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !Array.isArray(e[1])) bad(`votes[${i}]`, 'is not [address, [[origin, alertId, atMs, expiresAtMs]...]]')
      const m = new Map<string, Vote>()
      e[1].forEach((v, j) => {
        if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string' || typeof v[2] !== 'number' || typeof v[3] !== 'number') {
          bad(`votes[${i}][1][${j}]`, 'is not [origin, alertId, atMs, expiresAtMs]')
        }
        m.set(v[0], { alertId: v[1], atMs: v[2], expiresAtMs: v[3] })
      })
      votes.set(e[0], m)
    })
    const blocked = new Map<string, ActiveBlock>()
    blockedJson.forEach((x, i) => {
      const b = x as [string, number, string]
      if (!Array.isArray(b) || typeof b[0] !== 'string' || typeof b[1] !== 'number' || typeof b[2] !== 'string') bad(`blocked[${i}]`, 'is not [address, untilMs, decisionId]')
      blocked.set(b[0], { untilMs: b[1], decisionId: b[2] })
    })
    this.votes = votes.size > 0 ? votes : undefined
    this.blocked = blocked.size > 0 ? blocked : undefined
  }
}
