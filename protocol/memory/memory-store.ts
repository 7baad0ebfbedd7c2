/**
 * What a member remembers: the signed envelopes of the alerts still alive in
 * each of its communities (received and its own), with an always-current
 * digest (digest.ts). Bounded: at most maxItemsPerCommunity per community and
 * maxItemsPerOrigin per origin in a community; when full, the item that
 * expires soonest goes (the one worth least to a newcomer). Expired items are
 * pruned. In memory; the daemon persists it through the hooks.
 */
import { bucketOf, idHash, SetDigest, BUCKETS, inBitmap } from './digest.js'
import type { Alert } from '../alert/index.js'

export interface MemoryItem {
  id: string
  origin: string
  community: string
  expiresAtMs: number
  envelope: Uint8Array
  hash: bigint
}

export interface MemoryStoreHooks {
  onAdd?: (item: MemoryItem) => void
  onRemove?: (item: MemoryItem, why: 'expired' | 'evicted') => void
}

export interface MemoryStoreLimits {
  maxItemsPerCommunity: number
  maxItemsPerOrigin: number
}

class CommunityMemory {
  readonly items = new Map<string, MemoryItem>()
  readonly digest = new SetDigest()
  readonly perOrigin = new Map<string, number>()
  /** Sorted ids per bucket, rebuilt on demand after a change. */
  private readonly sorted: Array<string[] | null> = new Array<string[] | null>(BUCKETS).fill(null)

  add (item: MemoryItem): void {
    this.items.set(item.id, item)
    this.digest.add(item.id, item.hash)
    this.perOrigin.set(item.origin, (this.perOrigin.get(item.origin) ?? 0) + 1)
    this.sorted[bucketOf(item.id)] = null
  }

  remove (id: string): MemoryItem | undefined {
    const item = this.items.get(id)
    if (item == null) return undefined
    this.items.delete(id)
    this.digest.remove(id, item.hash)
    const n = (this.perOrigin.get(item.origin) ?? 1) - 1
    if (n <= 0) this.perOrigin.delete(item.origin)
    else this.perOrigin.set(item.origin, n)
    this.sorted[bucketOf(id)] = null
    return item
  }

  bucketIds (b: number): string[] {
    let s = this.sorted[b]
    if (s == null) {
      s = []
      for (const id of this.items.keys()) if (bucketOf(id) === b) s.push(id)
      s.sort()
      this.sorted[b] = s
    }
    return s
  }

  /** The item expiring soonest, optionally of one origin. */
  soonest (origin?: string): MemoryItem | undefined {
    let best: MemoryItem | undefined
    for (const it of this.items.values()) {
      if (origin != null && it.origin !== origin) continue
      if (best == null || it.expiresAtMs < best.expiresAtMs) best = it
    }
    return best
  }
}

export interface FetchSelection {
  buckets: Uint8Array
  have: Set<string>
  after: string | null
  maxItems: number
  maxBytes: number
}

export class MemoryStore {
  private readonly communities = new Map<string, CommunityMemory>()

  constructor (private readonly limits: MemoryStoreLimits, private readonly hooks: MemoryStoreHooks = {}) {}

  private mem (community: string): CommunityMemory {
    let m = this.communities.get(community)
    if (m == null) this.communities.set(community, m = new CommunityMemory())
    return m
  }

  has (community: string, id: string): boolean {
    return this.communities.get(community)?.items.has(id) ?? false
  }

  /**
   * Remember an alert's envelope (validated by the caller). Returns false if
   * it is already held or expired. Makes room first when a limit is reached.
   */
  add (alert: Pick<Alert, 'id' | 'origin' | 'community' | 'issuedAtMs' | 'ttlSec'>, envelope: Uint8Array, nowMs: number): boolean {
    const expiresAtMs = alert.issuedAtMs + alert.ttlSec * 1000
    if (expiresAtMs <= nowMs) return false
    const m = this.mem(alert.community)
    if (m.items.has(alert.id)) return false
    if ((m.perOrigin.get(alert.origin) ?? 0) >= this.limits.maxItemsPerOrigin) {
      const old = m.soonest(alert.origin)
      if (old == null || old.expiresAtMs >= expiresAtMs) return false
      this.drop(m, old, 'evicted')
    }
    if (m.items.size >= this.limits.maxItemsPerCommunity) {
      const old = m.soonest()
      if (old == null || old.expiresAtMs >= expiresAtMs) return false
      this.drop(m, old, 'evicted')
    }
    const item: MemoryItem = { id: alert.id, origin: alert.origin, community: alert.community, expiresAtMs, envelope, hash: idHash(alert.id) }
    m.add(item)
    this.hooks.onAdd?.(item)
    return true
  }

  private drop (m: CommunityMemory, item: MemoryItem, why: 'expired' | 'evicted'): void {
    m.remove(item.id)
    this.hooks.onRemove?.(item, why)
  }

  /** Drop what has expired; returns how many. */
  prune (nowMs: number): number {
    let n = 0
    for (const m of this.communities.values()) {
      for (const it of [...m.items.values()]) {
        if (it.expiresAtMs <= nowMs) { this.drop(m, it, 'expired'); n++ }
      }
    }
    return n
  }

  digest (community: string): SetDigest {
    return this.mem(community).digest
  }

  count (community: string): number {
    return this.communities.get(community)?.items.size ?? 0
  }

  /** Ids held in the given buckets (sorted by bucket, then id). */
  idsIn (community: string, buckets: number[]): string[] {
    const m = this.communities.get(community)
    if (m == null) return []
    return buckets.flatMap((b) => m.bucketIds(b))
  }

  /**
   * The items of the selected buckets not in `have`, ids strictly after the
   * cursor, ascending, live at nowMs, at most maxItems and maxBytes (at least
   * one item if any); `more` when some were left.
   */
  select (community: string, sel: FetchSelection, nowMs: number, serve: (item: MemoryItem) => boolean = () => true): { items: MemoryItem[], more: boolean } {
    const m = this.communities.get(community)
    const out: MemoryItem[] = []
    if (m == null) return { items: out, more: false }
    let bytes = 0
    const start = sel.after == null ? 0 : bucketOf(sel.after)
    for (let b = start; b < BUCKETS; b++) {
      if (!inBitmap(sel.buckets, b)) continue
      const ids = m.bucketIds(b)
      let i = 0
      if (sel.after != null && b === start) {
        // first id strictly after the cursor (binary search)
        let lo = 0
        let hi = ids.length
        while (lo < hi) { const mid = (lo + hi) >> 1; if (ids[mid] <= sel.after) lo = mid + 1; else hi = mid }
        i = lo
      }
      for (; i < ids.length; i++) {
        const id = ids[i]
        if (sel.have.has(id)) continue
        const it = m.items.get(id)
        if (it == null || it.expiresAtMs <= nowMs || !serve(it)) continue
        if (out.length >= sel.maxItems || (out.length > 0 && bytes + it.envelope.byteLength > sel.maxBytes)) return { items: out, more: true }
        out.push(it)
        bytes += it.envelope.byteLength + 3
      }
    }
    return { items: out, more: false }
  }

  communitiesHeld (): string[] {
    return [...this.communities.keys()].filter((c) => this.count(c) > 0).sort()
  }

  size (): number {
    let n = 0
    for (const m of this.communities.values()) n += m.items.size
    return n
  }
}
