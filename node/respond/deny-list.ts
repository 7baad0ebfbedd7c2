/**
 * The deny list that block-source decisions fill and that the ingest API and
 * agent verdicts consult. Entries expire on their own (checked against the
 * Clock on every lookup); allowlisted addresses are never denied. One address
 * can be held by several decisions: it stays denied until the last one ends.
 */
import type { BlockList } from 'node:net'
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
  /** Listeners see every change (`add` / `remove` / `expire`) for mirroring (e.g. an nftables set). */
  onChange: (listener: (change: 'add' | 'remove' | 'expire', entry: DenyEntry) => void) => () => void
}

export interface DenyListComponents {
  clock: Clock
}

export interface DenyListInit {
  /** Addresses and CIDR blocks never denied (validated by the policy config). */
  allowlist?: readonly string[] | BlockList
}

export function createDenyList (components: DenyListComponents, init: DenyListInit = {}): DenyList {
  const allow = init.allowlist == null ? createAddressSet([]) : Array.isArray(init.allowlist) ? createAddressSet(init.allowlist as string[]) : init.allowlist as BlockList
  /** address → (decisionId → expiresAtMs) */
  const entries = new Map<string, Map<string, number>>()
  const listeners = new Set<(change: 'add' | 'remove' | 'expire', entry: DenyEntry) => void>()

  const toEntry = (address: string, holds: Map<string, number>): DenyEntry => ({
    address,
    expiresAtMs: Math.max(...holds.values()),
    decisionIds: [...holds.keys()]
  })
  const emit = (change: 'add' | 'remove' | 'expire', entry: DenyEntry): void => {
    for (const l of listeners) l(change, entry)
  }
  /** Drops expired holds of one address; returns the live holds or null. */
  const live = (address: string, now: number): Map<string, number> | null => {
    const holds = entries.get(address)
    if (holds == null) return null
    let expired = false
    for (const [id, exp] of holds) {
      if (exp <= now) { holds.delete(id); expired = true }
    }
    if (holds.size === 0) {
      entries.delete(address)
      if (expired) emit('expire', { address, expiresAtMs: now, decisionIds: [] })
      return null
    }
    return holds
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

  return {
    add (address, expiresAtMs, decisionId) {
      const a = normalizeAddress(address)
      if (a == null || allow.check(a, a.includes(':') ? 'ipv6' : 'ipv4')) return false
      if (!(expiresAtMs > components.clock.now())) return false
      let holds = entries.get(a)
      if (holds == null) { holds = new Map(); entries.set(a, holds) }
      holds.set(decisionId, Math.max(holds.get(decisionId) ?? 0, expiresAtMs))
      emit('add', toEntry(a, holds))
      return true
    },
    remove (address, decisionId) {
      const a = normalizeAddress(address)
      if (a == null) return true
      const holds = entries.get(a)
      if (holds == null) return true
      if (decisionId == null) holds.clear()
      else holds.delete(decisionId)
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
      return addressInSet(allow, address)
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
