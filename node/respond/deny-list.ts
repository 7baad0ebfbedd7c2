/**
 * The deny list that block-source decisions fill and that the ingest API and
 * agent verdicts consult. Entries expire on their own (checked against the
 * Clock on every lookup); allowlisted addresses are never denied. One address
 * can be held by several decisions: it stays denied until the last one ends.
 *
 * Bounded (config budgets.denyListEntries): at the limit, expired entries are
 * swept; then the entry that expires soonest gives way to a new one that
 * lasts longer (a new block shorter than every held one is refused: `add`
 * answers false and `full()` says why).
 */
import type { BlockList } from 'node:net'
import type { AddressMatcher } from './allowlist.js'
import type { Clock } from '../../core/index.js'
import { addressInSet, createAddressSet, normalizeAddress } from './address.js'

export interface DenyEntry {
  address: string
  /** The latest expiry among the decisions that hold this address. */
  expiresAtMs: number
  decisionIds: string[]
}

export interface DenyList {
  /** Adds (or extends) a block. Returns false when the address is invalid or allowlisted (nothing added). */
  add: (address: string, expiresAtMs: number, decisionId: string) => boolean
  /** Drops one decision's hold (or every hold when decisionId is omitted); true when the address is no longer denied. */
  remove: (address: string, decisionId?: string) => boolean
  isDenied: (address: string, nowMs?: number) => boolean
  /** The entry for an address, when denied. */
  get: (address: string, nowMs?: number) => DenyEntry | null
  isAllowlisted: (address: string) => boolean
  /** Active entries (expired ones pruned). */
  list: (nowMs?: number) => DenyEntry[]
  size: (nowMs?: number) => number
  /** At most this many addresses are held. */
  readonly maxEntries: number
  /** True when `maxEntries` addresses are held (after dropping the expired ones). */
  full: (nowMs?: number) => boolean
  /** Listeners see every change (`add` / `remove` / `expire`) for mirroring (e.g. an nftables set). */
  onChange: (listener: (change: 'add' | 'remove' | 'expire', entry: DenyEntry) => void) => () => void
}

/** One decision's hold on an address. */
interface Hold { id: string, expiresAtMs: number }

export interface DenyListComponents {
  clock: Clock
}

export interface DenyListInit {
  /** Addresses and CIDR blocks never denied (validated by the policy config). */
  allowlist?: readonly string[] | BlockList | AddressMatcher
  /** Addresses held at most (default 10,000). */
  maxEntries?: number
}

export const DEFAULT_DENY_LIST_ENTRIES = 10_000

export function createDenyList (components: DenyListComponents, init: DenyListInit = {}): DenyList {
  const given = init.allowlist
  const allowSet: BlockList | null = given == null ? createAddressSet([]) : Array.isArray(given) ? createAddressSet(given as string[]) : 'has' in given ? null : given as BlockList
  const allowed = (address: string): boolean => allowSet != null ? addressInSet(allowSet, address) : (given as AddressMatcher).has(address)
  /**
   * address → its holds: one decision (the common case, kept as one small
   * object) or several (decisionId → expiresAtMs).
   */
  const entries = new Map<string, Hold | Map<string, number>>()
  const listeners = new Set<(change: 'add' | 'remove' | 'expire', entry: DenyEntry) => void>()
  const maxEntries = init.maxEntries ?? DEFAULT_DENY_LIST_ENTRIES

  const holdsOf = (h: Hold | Map<string, number>): Map<string, number> => h instanceof Map ? h : new Map([[h.id, h.expiresAtMs]])
  const toEntry = (address: string, h: Hold | Map<string, number>): DenyEntry => h instanceof Map
    ? { address, expiresAtMs: Math.max(...h.values()), decisionIds: [...h.keys()] }
    : { address, expiresAtMs: h.expiresAtMs, decisionIds: [h.id] }
  const emit = (change: 'add' | 'remove' | 'expire', entry: DenyEntry): void => {
    for (const l of listeners) l(change, entry)
  }
  /** Drops expired holds of one address; returns the live holds or null. */
  const live = (address: string, now: number): Hold | Map<string, number> | null => {
    const h = entries.get(address)
    if (h == null) return null
    let expired = false
    if (h instanceof Map) {
      for (const [id, exp] of h) {
        if (exp <= now) { h.delete(id); expired = true }
      }
      if (h.size > 0) return h
    } else {
      if (h.expiresAtMs > now) return h
      expired = true
    }
    entries.delete(address)
    if (expired && listeners.size > 0) emit('expire', { address, expiresAtMs: now, decisionIds: [] })
    return null
  }

  const list = (nowMs?: number): DenyEntry[] => {
    const now = nowMs ?? components.clock.now()
    const out: DenyEntry[] = []
    for (const a of [...entries.keys()]) {
      const holds = live(a, now)
      if (holds != null) out.push(toEntry(a, holds))
    }
    return out
  }

  const sweep = (now: number): void => {
    for (const a of [...entries.keys()]) live(a, now)
  }

  /** Makes room for one more address; false when every held entry outlasts `expiresAtMs`. */
  const makeRoom = (expiresAtMs: number, now: number): boolean => {
    if (entries.size < maxEntries) return true
    sweep(now)
    if (entries.size < maxEntries) return true
    let soonest: string | null = null
    let soonestMs = Infinity
    for (const [a, h] of entries) {
      const exp = h instanceof Map ? Math.max(...h.values()) : h.expiresAtMs
      if (exp < soonestMs) { soonestMs = exp; soonest = a }
    }
    if (soonest == null || soonestMs >= expiresAtMs) return false
    const h = entries.get(soonest)
    entries.delete(soonest)
    if (h != null) emit('remove', { ...toEntry(soonest, h), expiresAtMs: now })
    return true
  }

  return {
    maxEntries,
    full (nowMs) {
      if (entries.size < maxEntries) return false
      sweep(nowMs ?? components.clock.now())
      return entries.size >= maxEntries
    },
    add (address, expiresAtMs, decisionId) {
      const a = normalizeAddress(address)
      if (a == null || allowed(a)) return false
      const now = components.clock.now()
      if (!(expiresAtMs > now)) return false
      const h = entries.get(a)
      if (h == null && !makeRoom(expiresAtMs, now)) return false
      let next: Hold | Map<string, number>
      if (h == null) {
        next = { id: decisionId, expiresAtMs }
      } else if (!(h instanceof Map) && h.id === decisionId) {
        next = { id: decisionId, expiresAtMs: Math.max(h.expiresAtMs, expiresAtMs) }
      } else {
        next = holdsOf(h)
        next.set(decisionId, Math.max(next.get(decisionId) ?? 0, expiresAtMs))
      }
      entries.set(a, next)
      if (listeners.size > 0) emit('add', toEntry(a, next))
      return true
    },
    remove (address, decisionId) {
      const a = normalizeAddress(address)
      if (a == null) return true
      const h = entries.get(a)
      if (h == null) return true
      const holds = holdsOf(h)
      if (decisionId == null) holds.clear()
      else holds.delete(decisionId)
      if (holds.size > 0) entries.set(a, holds)
      if (holds.size === 0) {
        entries.delete(a)
        emit('remove', { address: a, expiresAtMs: components.clock.now(), decisionIds: [] })
        return true
      }
      return live(a, components.clock.now()) == null
    },
    isDenied (address, nowMs) {
      const a = normalizeAddress(address)
      if (a == null) return false
      return live(a, nowMs ?? components.clock.now()) != null
    },
    get (address, nowMs) {
      const a = normalizeAddress(address)
      if (a == null) return null
      const holds = live(a, nowMs ?? components.clock.now())
      return holds == null ? null : toEntry(a, holds)
    },
    isAllowlisted (address) {
      return allowed(address)
    },
    list,
    size (nowMs) {
      return list(nowMs).length
    },
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
