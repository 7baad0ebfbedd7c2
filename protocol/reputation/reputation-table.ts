/**
 * A node's local opinion of every peer it has evidence about: a bounded Map of
 * Beta evidence records (compute-reputation.ts), with a small ring of recent
 * evidence events per peer for explanations (`GET /peers/<id>`), and JSON
 * snapshots for persistence (the daemon writes them through its store; no
 * database in the hot path).
 *
 * Memory: one small record per peer; at most `maxPeers` records. When full,
 * the least informative of the `evictionScan` least recently used records is
 * evicted (blacklisted peers count as highly informative, so a flood of fresh
 * identities cannot push a known liar out of memory).
 */
import { ReputationSnapshotError } from '../errors.js'
import {
  computeReputation, decayInPlace, decayedCounts, emptyEvidence, influence, newcomerReputation, termContributions, toApplicationScore
} from './compute-reputation.js'
import type { PeerEvidence, Reputation } from './compute-reputation.js'
import { REPUTATION_TERMS, createReputationParams } from './reputation-params.js'
import type { ReputationParams, ReputationParamsInit, ReputationTerm } from './reputation-params.js'

export interface EvidenceEvent {
  atMs: number
  term: ReputationTerm
  /** Raw count added (before the term's weight). */
  amount: number
  /** Why, in a few words (e.g. "signature 3f2a… matched 4 normal observations"). */
  note?: string
}

interface PeerRecord extends PeerEvidence {
  /** Ring of recent events, allocated on first use; `head` is the next write position once full. */
  events?: EvidenceEvent[]
  head?: number
}

export interface PeerExplanation {
  peer: string
  known: boolean
  firstSeenMs?: number
  reputation: Reputation
  applicationScore: number
  /** Recent evidence, oldest first (bounded by maxEventsPerPeer). */
  events: EvidenceEvent[]
}

export interface ReputationTableSnapshot {
  version: 1
  peers: Array<{
    id: string
    counts: number[]
    lastUpdateMs: number
    firstSeenMs: number
    blacklisted: boolean
    events?: EvidenceEvent[]
  }>
}

/** One frozen newcomer reputation per params object (memo; the simulator shares one params object across all tables). */
const newcomers = new WeakMap<ReputationParams, Reputation>()
function newcomerFor (params: ReputationParams): Reputation {
  let r = newcomers.get(params)
  if (r == null) {
    const n = newcomerReputation(params)
    r = Object.freeze({ ...n, breakdown: Object.freeze(n.breakdown) }) as Reputation
    newcomers.set(params, r)
  }
  return r
}

const TERM_INDEX: Record<ReputationTerm, number> = Object.fromEntries(REPUTATION_TERMS.map((t, i) => [t, i])) as Record<ReputationTerm, number>

export class ReputationTable {
  readonly params: ReputationParams
  private readonly peers = new Map<string, PeerRecord>()
  /** Peers changed (or dropped) since the last takeChanges(), once trackChanges() was called. */
  private changed: Set<string> | undefined

  /** Pass one createReputationParams() result to many tables to share it. */
  constructor (params: ReputationParams | ReputationParamsInit = {}) {
    this.params = createReputationParams(params as ReputationParamsInit)
  }

  private get newcomer (): Reputation { return newcomerFor(this.params) }

  get size (): number { return this.peers.size }

  has (peer: string): boolean { return this.peers.has(peer) }

  /** Peer ids, least recently touched first. */
  ids (): string[] { return [...this.peers.keys()] }

  /**
   * Add evidence for `peer`: `amount` raw events of `term` (weighted and capped
   * at read time by the params). Decays the stored counts to nowMs first and
   * re-evaluates the blacklist state. Returns the reputation after the update.
   */
  record (peer: string, term: ReputationTerm, amount: number, nowMs: number, note?: string): Reputation {
    const idx = TERM_INDEX[term]
    if (idx === undefined) throw new RangeError(`unknown reputation term ${String(term)} (accepted: ${REPUTATION_TERMS.join(', ')})`)
    if (!(amount >= 0) || !Number.isFinite(amount)) throw new RangeError(`reputation amount must be a finite number >= 0, got ${amount}`)
    let rec = this.peers.get(peer)
    if (rec == null) {
      rec = emptyEvidence(nowMs)
      this.insert(peer, rec, nowMs)
    } else {
      this.touch(peer, rec)
      decayInPlace(rec, this.params, nowMs)
    }
    rec.counts[idx] += amount
    if (this.params.maxEventsPerPeer > 0) this.pushEvent(rec, { atMs: nowMs, term, amount, ...(note != null ? { note } : {}) })
    const rep = computeReputation(rec, this.params, nowMs)
    rec.blacklisted = rep.blacklisted
    this.changed?.add(peer)
    return rep
  }

  /**
   * The peer's reputation at nowMs. Unknown peers get the newcomer reputation
   * (E 0.5, weight 0) without being stored. Commits a blacklist transition
   * (forgetting can take a peer off the blacklist), so hysteresis holds.
   */
  get (peer: string, nowMs: number): Reputation {
    const rec = this.peers.get(peer)
    if (rec == null) return this.newcomer
    const rep = computeReputation(rec, this.params, nowMs)
    if (rec.blacklisted !== rep.blacklisted) this.changed?.add(peer)
    rec.blacklisted = rep.blacklisted
    return rep
  }

  isBlacklisted (peer: string, nowMs: number): boolean {
    return this.peers.has(peer) ? this.get(peer, nowMs).blacklisted : false
  }

  /** weight · E, 0 for blacklisted peers and newcomers: a peer's say in a weighted decision. */
  influence (peer: string, nowMs: number): number {
    return influence(this.get(peer, nowMs))
  }

  /** gossipsub P5 for the peer (0 for unknown peers). */
  applicationScore (peer: string, nowMs: number): number {
    const rec = this.peers.get(peer)
    if (rec == null) return 0
    return toApplicationScore(this.get(peer, nowMs), this.params)
  }

  /** Peers currently blacklisted (evaluated at nowMs). */
  blacklisted (nowMs: number): string[] {
    const out: string[] = []
    for (const id of this.peers.keys()) if (this.get(id, nowMs).blacklisted) out.push(id)
    return out
  }

  /** The evidence behind a peer's score, for `GET /peers/<id>`. */
  explain (peer: string, nowMs: number): PeerExplanation {
    const rec = this.peers.get(peer)
    if (rec == null) return { peer, known: false, reputation: this.newcomer, applicationScore: 0, events: [] }
    const reputation = this.get(peer, nowMs)
    return {
      peer,
      known: true,
      firstSeenMs: rec.firstSeenMs,
      reputation,
      applicationScore: toApplicationScore(reputation, this.params),
      events: orderedEvents(rec)
    }
  }

  /** Forget a peer entirely (e.g. an operator's reset). */
  forget (peer: string): boolean {
    this.changed?.add(peer)
    return this.peers.delete(peer)
  }

  toJSON (): ReputationTableSnapshot {
    const peers: ReputationTableSnapshot['peers'] = []
    for (const [id, rec] of this.peers) peers.push(peerEntry(id, rec))
    return { version: 1, peers }
  }

  /**
   * Incremental persistence (node/daemon/collab-persistence.ts): from now on
   * remember which peers change, so takeChanges() hands out only those
   * instead of the whole table. Idempotent.
   */
  trackChanges (): void { this.changed ??= new Set() }

  /** The peers changed since the last call (each as its toJSON() entry) and the ids dropped meanwhile (evicted, forgotten). */
  takeChanges (): { put: ReputationTableSnapshot['peers'], del: string[] } {
    const put: ReputationTableSnapshot['peers'] = []
    const del: string[] = []
    if (this.changed == null || this.changed.size === 0) return { put, del }
    for (const id of this.changed) {
      const rec = this.peers.get(id)
      if (rec == null) del.push(id)
      else put.push(peerEntry(id, rec))
    }
    this.changed.clear()
    return { put, del }
  }

  /** Whether anything changed since the last takeChanges(). */
  get hasChanges (): boolean { return this.changed != null && this.changed.size > 0 }

  /**
   * Replace the table's content with a snapshot from toJSON(). Validates the
   * whole snapshot before touching the table; throws ReputationSnapshotError
   * (IMMUNE_ERR_REPUTATION_SNAPSHOT) naming the bad field.
   */
  restore (snapshot: unknown): void {
    const recs = parseSnapshot(snapshot)
    this.peers.clear()
    // keep the most recently touched (last in the snapshot) when the snapshot exceeds maxPeers
    const start = Math.max(0, recs.length - this.params.maxPeers)
    for (let i = start; i < recs.length; i++) {
      const [id, rec] = recs[i]
      if (this.params.maxEventsPerPeer === 0) {
        delete rec.events
      } else if (rec.events != null && rec.events.length > this.params.maxEventsPerPeer) {
        rec.events = rec.events.slice(rec.events.length - this.params.maxEventsPerPeer)
      }
      this.peers.set(id, rec)
    }
  }

  private touch (peer: string, rec: PeerRecord): void {
    // Map iteration order is insertion order: re-inserting makes it the most recently used
    this.peers.delete(peer)
    this.peers.set(peer, rec)
  }

  private insert (peer: string, rec: PeerRecord, nowMs: number): void {
    if (this.peers.size >= this.params.maxPeers) this.evictOne(nowMs)
    this.peers.set(peer, rec)
  }

  /** Among the evictionScan least recently used records, drop the one with the least evidence (blacklisted ones last). */
  private evictOne (nowMs: number): void {
    let victim: string | undefined
    let least = Infinity
    let seen = 0
    for (const [id, rec] of this.peers) {
      if (seen++ >= this.params.evictionScan) break
      const b = termContributions(decayedCounts(rec, this.params, nowMs), this.params)
      let n = 0
      for (const t of REPUTATION_TERMS) n += Math.abs(b[t])
      const info = rec.blacklisted ? n + 1e9 : n
      if (info < least) { least = info; victim = id }
    }
    if (victim != null) {
      this.peers.delete(victim)
      this.changed?.add(victim)
    }
  }

  private pushEvent (rec: PeerRecord, ev: EvidenceEvent): void {
    const max = this.params.maxEventsPerPeer
    if (rec.events == null) rec.events = []
    if (rec.events.length < max) {
      rec.events.push(ev)
      return
    }
    const head = rec.head ?? 0
    rec.events[head] = ev
    rec.head = (head + 1) % max
  }
}

function peerEntry (id: string, rec: PeerRecord): ReputationTableSnapshot['peers'][number] {
  const events = orderedEvents(rec)
  return {
    id,
    counts: rec.counts.slice(),
    lastUpdateMs: rec.lastUpdateMs,
    firstSeenMs: rec.firstSeenMs,
    blacklisted: rec.blacklisted,
    ...(events.length > 0 ? { events } : {})
  }
}

function orderedEvents (rec: PeerRecord): EvidenceEvent[] {
  const ev = rec.events
  if (ev == null || ev.length === 0) return []
  const head = rec.head ?? 0
  return head === 0 ? ev.slice() : [...ev.slice(head), ...ev.slice(0, head)]
}

function parseSnapshot (snapshot: unknown): Array<[string, PeerRecord]> {
  const bad = (field: string, reason: string): never => { throw new ReputationSnapshotError('reputation', field, reason) }
  if (snapshot == null || typeof snapshot !== 'object') bad('(root)', 'is not an object')
  const s = snapshot as Partial<ReputationTableSnapshot>
  if (s.version !== 1) bad('version', `is ${JSON.stringify(s.version)} (accepted: 1)`)
  if (!Array.isArray(s.peers)) bad('peers', 'is not an array')
  const out: Array<[string, PeerRecord]> = []
  const seen = new Set<string>()
  s.peers!.forEach((p, i) => {
    const at = `peers[${i}]`
    if (p == null || typeof p !== 'object') bad(at, 'is not an object')
    if (typeof p.id !== 'string' || p.id === '') bad(`${at}.id`, 'is not a non-empty string')
    if (seen.has(p.id)) bad(`${at}.id`, `is a duplicate (${p.id})`)
    seen.add(p.id)
    if (!Array.isArray(p.counts) || p.counts.length > REPUTATION_TERMS.length || p.counts.some(c => typeof c !== 'number' || !(c >= 0) || !Number.isFinite(c))) {
      bad(`${at}.counts`, `must be at most ${REPUTATION_TERMS.length} finite numbers >= 0`)
    }
    if (typeof p.lastUpdateMs !== 'number' || !Number.isFinite(p.lastUpdateMs)) bad(`${at}.lastUpdateMs`, 'is not a finite number')
    if (typeof p.firstSeenMs !== 'number' || !Number.isFinite(p.firstSeenMs)) bad(`${at}.firstSeenMs`, 'is not a finite number')
    if (typeof p.blacklisted !== 'boolean') bad(`${at}.blacklisted`, 'is not a boolean')
    let events: EvidenceEvent[] | undefined
    if (p.events != null) {
      if (!Array.isArray(p.events)) bad(`${at}.events`, 'is not an array')
      events = p.events.map((e, j) => {
        if (e == null || typeof e.atMs !== 'number' || !(REPUTATION_TERMS as readonly string[]).includes(e.term) || typeof e.amount !== 'number') {
          bad(`${at}.events[${j}]`, 'is not { atMs, term: R1..R5, amount, note? }')
        }
        return { atMs: e.atMs, term: e.term, amount: e.amount, ...(typeof e.note === 'string' ? { note: e.note } : {}) }
      })
    }
    const counts = REPUTATION_TERMS.map((_, j) => p.counts[j] ?? 0)
    out.push([p.id, { counts, lastUpdateMs: p.lastUpdateMs, firstSeenMs: p.firstSeenMs, blacklisted: p.blacklisted, ...(events != null && events.length > 0 ? { events } : {}) }])
  })
  return out
}
