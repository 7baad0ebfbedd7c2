/**
 * Selfish members (Communizer): peers that stay subscribed to a community but
 * stay silent while attacks they must have met go around.
 *
 * Each node judges only from what it observes itself. An *episode* is one
 * community-wide attack: reports (alerts) about the same key (e.g. the
 * attacked context) that reached this node from at least `minOrigins`
 * independent origins, or that this node corroborated with its own evidence.
 * When an episode closes, every peer subscribed to the community is counted:
 * n += 1, and k += 1 if it reported. A peer is flagged selfish by a one-sided
 * binomial test: under H0 "the peer reports at least rateTolerance times as
 * often as the others" its report count is Binomial(n, rateTolerance · p),
 * p the base report rate of the other peers; flag when P(X <= k) < alpha
 * after at least `minEpisodes` episodes. rateTolerance < 1 keeps honest peers
 * that simply meet fewer attacks (heterogeneous exposure) from being flagged:
 * the test targets free riders, not the unlucky.
 *
 * Pure functions (binomialCdf, selfishPValue, baseRate) plus a small stateful
 * tracker with bounded Maps and JSON snapshots.
 */
import { InvalidParamsError, ReputationSnapshotError } from '../errors.js'
import { evictOldest } from '../../core/index.js'

export interface SelfishParams {
  /** q: independent origins that make an episode community-wide (local corroboration also does). */
  minOrigins: number
  /** Episodes a peer must have been counted in before it can be flagged. */
  minEpisodes: number
  /** Significance level of the one-sided binomial test. */
  alpha: number
  /** H0 rate = rateTolerance · base rate (1: the plain test against the community's rate). */
  rateTolerance: number
  /** An episode closes when no new report arrived for this long ... */
  episodeQuietMs: number
  /** ... or this long after it opened, whichever comes first. */
  maxEpisodeMs: number
  /** After an episode closes, reports with the same key within this time are late reports of it, not a new episode. */
  cooldownMs: number
  /** When a peer's episode count exceeds this, n and k are halved (old behaviour fades; memory stays bounded). */
  maxEpisodesPerPeer: number
  maxPeers: number
  maxOpenEpisodes: number
}

/**
 * Defaults: q = 2 as Communizer's "several members" and our source quorum;
 * alpha = 0.01, rateTolerance = 0.5, minEpisodes = 5: where the others report
 * every attack (H0 rate ≈ 0.48 after smoothing) a silent peer is flagged after
 * 8 episodes (0.52^8 ≈ 0.005); where they report 80% (H0 rate ≈ 0.4), after
 * about 10 (0.6^10 ≈ 0.006);
 * a peer reporting half as often as the others is never flagged;
 * quiet 60 s is ample for gossipsub delivery (seconds) while a worm wave lasts minutes.
 */
export const defaultSelfishParams: SelfishParams = Object.freeze({
  minOrigins: 2,
  minEpisodes: 5,
  alpha: 0.01,
  rateTolerance: 0.5,
  episodeQuietMs: 60_000,
  maxEpisodeMs: 10 * 60_000,
  cooldownMs: 5 * 60_000,
  maxEpisodesPerPeer: 64,
  maxPeers: 10_000,
  maxOpenEpisodes: 1024
})

const created = new WeakSet<object>()

/** Merge over the defaults, validate, freeze; a params object it made before is returned as is (shared). */
export function createSelfishParams (init: Partial<SelfishParams> = {}): SelfishParams {
  if (created.has(init)) return init as SelfishParams
  const p = { ...defaultSelfishParams, ...init }
  validateSelfishParams(p)
  Object.freeze(p)
  created.add(p)
  return p
}

export function validateSelfishParams (p: SelfishParams): void {
  const int = (f: keyof SelfishParams, min: number): void => {
    const v = p[f]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidParamsError(`selfish.${f}`, v, `an integer >= ${min}`)
  }
  const ms = (f: keyof SelfishParams): void => {
    const v = p[f]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidParamsError(`selfish.${f}`, v, 'a finite number of milliseconds >= 0')
  }
  int('minOrigins', 1)
  int('minEpisodes', 1)
  if (typeof p.alpha !== 'number' || !(p.alpha > 0 && p.alpha < 1)) throw new InvalidParamsError('selfish.alpha', p.alpha, 'a number in (0, 1)')
  if (typeof p.rateTolerance !== 'number' || !(p.rateTolerance > 0 && p.rateTolerance <= 1)) throw new InvalidParamsError('selfish.rateTolerance', p.rateTolerance, 'a number in (0, 1]')
  ms('episodeQuietMs')
  ms('maxEpisodeMs')
  ms('cooldownMs')
  if (p.maxEpisodeMs < p.episodeQuietMs) throw new InvalidParamsError('selfish.maxEpisodeMs', p.maxEpisodeMs, `>= episodeQuietMs (${p.episodeQuietMs})`)
  int('maxEpisodesPerPeer', 2)
  if (p.maxEpisodesPerPeer < p.minEpisodes) throw new InvalidParamsError('selfish.maxEpisodesPerPeer', p.maxEpisodesPerPeer, `>= minEpisodes (${p.minEpisodes})`)
  int('maxPeers', 1)
  int('maxOpenEpisodes', 1)
}

/** P(X <= k) for X ~ Binomial(n, p), summed in log space (exact for the small n used here). */
export function binomialCdf (k: number, n: number, p: number): number {
  if (k < 0) return 0
  if (k >= n) return 1
  if (p <= 0) return 1
  if (p >= 1) return 0
  const lq = Math.log1p(-p)
  const ratio = Math.log(p) - lq
  let logTerm = n * lq // i = 0
  let sum = Math.exp(logTerm)
  for (let i = 0; i < k; i++) {
    logTerm += Math.log((n - i) / (i + 1)) + ratio
    sum += Math.exp(logTerm)
  }
  return Math.min(1, sum)
}

/** One-sided p-value of "k reports out of n episodes" against base rate p. */
export function selfishPValue (k: number, n: number, p: number): number {
  return binomialCdf(k, n, p)
}

/** The community's base report rate excluding the peer itself, Laplace-smoothed: (K − k + 1) / (N − n + 2). */
export function baseRate (totalReported: number, totalEpisodes: number, k: number, n: number): number {
  return (totalReported - k + 1) / (totalEpisodes - n + 2)
}

export interface SelfishStatus {
  peer: string
  /** Episodes this peer was counted in (n). */
  episodes: number
  /** Episodes it reported (k). */
  reported: number
  /** Base report rate of the other peers. */
  baseRate: number
  /** The rate tested against: rateTolerance · baseRate. */
  h0Rate: number
  pValue: number
  selfish: boolean
}

export interface ClosedEpisode {
  community: string
  key: string
  openedAtMs: number
  closedAtMs: number
  /** 'quorum': ≥ minOrigins origins reported; 'local': this node corroborated it; 'none': not community-wide, not counted. */
  confirmedBy: 'quorum' | 'local' | 'none'
  /** Reporters among the tracked members. */
  reporters: string[]
  /** Distinct reporting origins seen, members or not (capped at minOrigins for non-members). */
  origins: number
  /** Subscribed peers counted in this episode. */
  counted: string[]
  /** Counted peers that did not report and are flagged selfish after this episode. */
  silentSelfish: string[]
  /** Peers whose flag turned on with this episode. */
  newlyFlagged: string[]
}

interface Episode {
  community: string
  key: string
  openedAtMs: number
  lastReportAtMs: number
  /** Reporters among the peers we track (members we are connected to). */
  reporters: Set<string>
  /** Other distinct origins, kept only up to minOrigins: enough to tell a community-wide episode. */
  outsiders: string[]
  local: boolean
}

interface PeerCounts { n: number, k: number, selfish: boolean }

export interface SelfishSnapshot {
  version: 1
  peers: Array<[string, number, number, boolean]>
  open: Array<{ community: string, key: string, openedAtMs: number, lastReportAtMs: number, reporters: string[], outsiders?: string[], local: boolean }>
  cooldown: Array<[string, number]>
}

const SEP = '\u0000'

export class SelfishTracker {
  readonly params: SelfishParams
  // allocated on first use: a simulated host that never sees an episode costs no Maps
  private _peers: Map<string, PeerCounts> | undefined
  private _open: Map<string, Episode> | undefined
  /** episode id → closed-at time, for late reports during the cooldown */
  private _cooldown: Map<string, { closedAtMs: number, reporters: Set<string> }> | undefined
  private get peers (): Map<string, PeerCounts> { return (this._peers ??= new Map()) }
  private get open (): Map<string, Episode> { return (this._open ??= new Map()) }
  private get cooldown (): Map<string, { closedAtMs: number, reporters: Set<string> }> { return (this._cooldown ??= new Map()) }
  private totalN = 0
  private totalK = 0

  constructor (params: Partial<SelfishParams> = {}) {
    this.params = createSelfishParams(params)
  }

  /**
   * A report (alert) from `origin` about attack `key` in `community`.
   * `member`: whether `origin` is one of the subscribed peers this node judges
   * (e.g. in mesh.peers()). Only members are remembered by id, so an episode
   * reported by 75,000 worm victims costs this node a handful of entries.
   */
  report (community: string, key: string, origin: string, nowMs: number, member = true): void {
    const id = community + SEP + key
    const cool = this._cooldown?.get(id)
    if (cool != null) {
      if (nowMs - cool.closedAtMs < this.params.cooldownMs) {
        // a late report of a closed episode: credit it if we had counted the peer as silent
        if (member && !cool.reporters.has(origin)) {
          cool.reporters.add(origin)
          const c = this.peers.get(origin)
          if (c != null && c.k < c.n) { c.k++; this.totalK++; c.selfish = this.evaluate(origin, c).selfish }
        }
        return
      }
      this.cooldown.delete(id)
    }
    let ep = this.open.get(id)
    if (ep == null) {
      evictOldest(this.open, this.params.maxOpenEpisodes - 1)
      ep = { community, key, openedAtMs: nowMs, lastReportAtMs: nowMs, reporters: new Set(), outsiders: [], local: false }
      this.open.set(id, ep)
    }
    if (member) ep.reporters.add(origin)
    else if (ep.outsiders.length < this.params.minOrigins && !ep.outsiders.includes(origin)) ep.outsiders.push(origin)
    ep.lastReportAtMs = nowMs
  }

  /** This node met the attack itself: the episode counts even with fewer than minOrigins reporters. */
  corroborate (community: string, key: string, nowMs: number): void {
    const id = community + SEP + key
    const ep = this.open.get(id)
    if (ep != null) { ep.local = true; return }
    if (this.cooldown.has(id) && nowMs - this.cooldown.get(id)!.closedAtMs < this.params.cooldownMs) return
    // we met it before anyone reported: open an episode that peers may still report into
    this.open.set(id, { community, key, openedAtMs: nowMs, lastReportAtMs: nowMs, reporters: new Set(), outsiders: [], local: true })
  }

  /**
   * Close the episodes that went quiet (or ran too long) and count them.
   * `subscribers(community)` lists the peers this node knows to be subscribed
   * (mesh.peers() filtered by community). Bounded: O(open episodes + subscribers).
   */
  close (nowMs: number, subscribers: (community: string) => Iterable<string>): ClosedEpisode[] {
    const out: ClosedEpisode[] = []
    for (const [id, ep] of this._open ?? []) {
      if (nowMs - ep.lastReportAtMs < this.params.episodeQuietMs && nowMs - ep.openedAtMs < this.params.maxEpisodeMs) continue
      this.open.delete(id)
      out.push(this.count(ep, nowMs, subscribers(ep.community)))
      this.cooldown.set(id, { closedAtMs: nowMs, reporters: ep.reporters })
    }
    for (const [id, c] of this._cooldown ?? []) {
      if (nowMs - c.closedAtMs >= this.params.cooldownMs) this.cooldown.delete(id)
    }
    return out
  }

  private count (ep: Episode, nowMs: number, subs: Iterable<string>): ClosedEpisode {
    let origins = ep.reporters.size
    for (const o of ep.outsiders) if (!ep.reporters.has(o)) origins++
    const confirmedBy = origins >= this.params.minOrigins ? 'quorum' : ep.local ? 'local' : 'none'
    const closed: ClosedEpisode = {
      community: ep.community,
      key: ep.key,
      openedAtMs: ep.openedAtMs,
      closedAtMs: nowMs,
      confirmedBy,
      reporters: [...ep.reporters],
      origins,
      counted: [],
      silentSelfish: [],
      newlyFlagged: []
    }
    if (confirmedBy === 'none') return closed
    const counted = new Set<string>()
    for (const peer of subs) counted.add(peer)
    for (const peer of ep.reporters) counted.add(peer) // a member that reported is evidently subscribed
    for (const peer of counted) {
      let c = this.peers.get(peer)
      if (c == null) {
        if (this.peers.size >= this.params.maxPeers) this.evictOne()
        c = { n: 0, k: 0, selfish: false }
      } else {
        this.peers.delete(peer) // LRU: re-inserted below
      }
      this.peers.set(peer, c)
      c.n++
      this.totalN++
      if (ep.reporters.has(peer)) { c.k++; this.totalK++ }
      if (c.n > this.params.maxEpisodesPerPeer) {
        const n2 = Math.floor(c.n / 2)
        const k2 = Math.min(n2, Math.round(c.k / 2))
        this.totalN -= c.n - n2
        this.totalK -= c.k - k2
        c.n = n2
        c.k = k2
      }
      closed.counted.push(peer)
    }
    // evaluate after all counts of this episode are in, so the order of peers does not matter
    for (const peer of closed.counted) {
      const c = this.peers.get(peer)!
      const was = c.selfish
      c.selfish = this.evaluate(peer, c).selfish
      if (c.selfish && !ep.reporters.has(peer)) closed.silentSelfish.push(peer)
      if (c.selfish && !was) closed.newlyFlagged.push(peer)
    }
    return closed
  }

  private evaluate (peer: string, c: PeerCounts): SelfishStatus {
    const p = baseRate(this.totalK, this.totalN, c.k, c.n)
    const h0 = p * this.params.rateTolerance
    const pValue = selfishPValue(c.k, c.n, h0)
    return { peer, episodes: c.n, reported: c.k, baseRate: p, h0Rate: h0, pValue, selfish: c.n >= this.params.minEpisodes && pValue < this.params.alpha }
  }

  private evictOne (): void {
    // least recently counted peer that is not flagged (flags are the point of the tracker)
    for (const [id, c] of this.peers) {
      if (!c.selfish) { this.drop(id, c); return }
    }
    const first = this.peers.entries().next().value
    if (first !== undefined) this.drop(first[0], first[1])
  }

  private drop (id: string, c: PeerCounts): void {
    this.peers.delete(id)
    this.totalN -= c.n
    this.totalK -= c.k
  }

  status (peer: string): SelfishStatus {
    const c = this.peers.get(peer)
    if (c == null) {
      const p = baseRate(this.totalK, this.totalN, 0, 0)
      return { peer, episodes: 0, reported: 0, baseRate: p, h0Rate: p * this.params.rateTolerance, pValue: 1, selfish: false }
    }
    return { ...this.evaluate(peer, c), selfish: c.selfish }
  }

  isSelfish (peer: string): boolean {
    return this.peers.get(peer)?.selfish ?? false
  }

  flagged (): string[] {
    const out: string[] = []
    for (const [id, c] of this.peers) if (c.selfish) out.push(id)
    return out
  }

  openEpisodes (): number { return this.open.size }

  toJSON (): SelfishSnapshot {
    return {
      version: 1,
      peers: [...this.peers].map(([id, c]) => [id, c.n, c.k, c.selfish]),
      open: [...this.open.values()].map(e => ({ community: e.community, key: e.key, openedAtMs: e.openedAtMs, lastReportAtMs: e.lastReportAtMs, reporters: [...e.reporters], outsiders: e.outsiders, local: e.local })),
      cooldown: [...this.cooldown].map(([id, c]) => [id, c.closedAtMs])
    }
  }

  /** Replace the state with a toJSON() snapshot; throws ReputationSnapshotError naming the bad field. */
  restore (snapshot: unknown): void {
    const bad = (field: string, reason: string): never => { throw new ReputationSnapshotError('selfish', field, reason) }
    const s = snapshot as Partial<SelfishSnapshot> | null
    if (s == null || typeof s !== 'object') bad('(root)', 'is not an object')
    if (s!.version !== 1) bad('version', `is ${JSON.stringify(s!.version)} (accepted: 1)`)
    if (!Array.isArray(s!.peers)) bad('peers', 'is not an array')
    if (!Array.isArray(s!.open)) bad('open', 'is not an array')
    if (!Array.isArray(s!.cooldown)) bad('cooldown', 'is not an array')
    const peers = new Map<string, PeerCounts>()
    s!.peers!.forEach((p, i) => {
      if (!Array.isArray(p) || typeof p[0] !== 'string' || !Number.isInteger(p[1]) || !Number.isInteger(p[2]) || p[2] < 0 || p[2] > p[1] || typeof p[3] !== 'boolean') {
        bad(`peers[${i}]`, 'is not [id, n, k (0 <= k <= n), selfish]')
      }
      peers.set(p[0], { n: p[1], k: p[2], selfish: p[3] })
    })
    const open = new Map<string, Episode>()
    s!.open!.forEach((e, i) => {
      if (e == null || typeof e.community !== 'string' || typeof e.key !== 'string' || typeof e.openedAtMs !== 'number' ||
        typeof e.lastReportAtMs !== 'number' || !Array.isArray(e.reporters) || typeof e.local !== 'boolean') {
        bad(`open[${i}]`, 'is not { community, key, openedAtMs, lastReportAtMs, reporters[], local }')
      }
      open.set(e.community + SEP + e.key, { community: e.community, key: e.key, openedAtMs: e.openedAtMs, lastReportAtMs: e.lastReportAtMs, reporters: new Set(e.reporters), outsiders: Array.isArray(e.outsiders) ? e.outsiders.map(String) : [], local: e.local })
    })
    const cooldown = new Map<string, { closedAtMs: number, reporters: Set<string> }>()
    s!.cooldown!.forEach((c, i) => {
      if (!Array.isArray(c) || typeof c[0] !== 'string' || typeof c[1] !== 'number') bad(`cooldown[${i}]`, 'is not [episodeId, closedAtMs]')
      cooldown.set(c[0], { closedAtMs: c[1], reporters: new Set() })
    })
    this.peers.clear(); this.open.clear(); this.cooldown.clear()
    this.totalN = 0; this.totalK = 0
    for (const [id, c] of peers) { this.peers.set(id, c); this.totalN += c.n; this.totalK += c.k }
    for (const [id, e] of open) this.open.set(id, e)
    for (const [id, c] of cooldown) this.cooldown.set(id, c)
  }
}
