/**
 * The allowlist the policy and the deny list consult: the config's entries
 * (`policy.allowlist`, fixed for the life of the process) plus entries an
 * operator adds at runtime (`immune-node allowlist add`), which the response
 * system persists in the store (sublevel `allowlist`) and restores at start.
 *
 * Changes are rare, lookups happen on every decision: the entries are
 * compiled into one address set (node/respond/address.ts) on every change.
 */
import type { BlockList } from 'node:net'
import { addressInSet, createAddressSet, normalizeAddress } from './address.js'
import { checkAllowlistEntry } from './policy-config.js'

/** What the policy and the deny list need: is this address allowlisted? */
export interface AddressMatcher {
  has: (address: string) => boolean
}

export interface AllowlistEntry {
  /** An address or CIDR block, canonical (`::ffff:10.0.0.1` is `10.0.0.1`). */
  entry: string
  /** `config`: from policy.allowlist (removed only by editing the config); `runtime`: added by an operator. */
  origin: 'config' | 'runtime'
  /** Runtime entries: when and why they were added. */
  addedAtMs?: number
  reason?: string
}

export interface Allowlist extends AddressMatcher {
  list: () => AllowlistEntry[]
  /** The runtime entries (what the response system persists). */
  runtime: () => AllowlistEntry[]
  /** The entry covering `address` (config entries first), or null. */
  match: (address: string) => AllowlistEntry | null
  /** Adds a runtime entry; returns it (the existing one when already there). Throws RangeError naming what is accepted. */
  add: (entry: string, atMs: number, reason?: string) => AllowlistEntry
  /** Removes a runtime entry; `config` when the entry comes from the config file, `absent` when it is not there. */
  remove: (entry: string) => 'removed' | 'config' | 'absent'
  /** Replaces the runtime entries (restore from the store); invalid ones are skipped and returned. */
  restore: (entries: readonly AllowlistEntry[]) => string[]
}

/** The canonical form of an allowlist entry, or null with `checkAllowlistEntry`'s reason. */
export function canonicalAllowlistEntry (raw: string): string | null {
  if (typeof raw !== 'string') return null
  const s = raw.trim()
  if (checkAllowlistEntry(s) != null) return null
  const slash = s.indexOf('/')
  const addr = normalizeAddress(slash < 0 ? s : s.slice(0, slash))
  if (addr == null) return null
  return slash < 0 ? addr : `${addr}/${s.slice(slash + 1)}`
}

export function createAllowlist (configEntries: readonly string[]): Allowlist {
  const fixed: AllowlistEntry[] = configEntries.map((e) => ({ entry: canonicalAllowlistEntry(e) ?? e, origin: 'config' }))
  const runtime = new Map<string, AllowlistEntry>()
  let set: BlockList = createAddressSet(fixed.map((e) => e.entry))
  const rebuild = (): void => { set = createAddressSet([...fixed, ...runtime.values()].map((e) => e.entry)) }
  const covers = (e: AllowlistEntry, address: string): boolean => addressInSet(createAddressSet([e.entry]), address)

  return {
    has: (address) => addressInSet(set, address),
    list: () => [...fixed, ...runtime.values()].map((e) => ({ ...e })),
    runtime: () => [...runtime.values()].map((e) => ({ ...e })),
    match (address) {
      if (!addressInSet(set, address)) return null
      const e = fixed.find((x) => covers(x, address)) ?? [...runtime.values()].find((x) => covers(x, address))
      return e != null ? { ...e } : null
    },
    add (raw, atMs, reason) {
      const entry = canonicalAllowlistEntry(raw)
      if (entry == null) throw new RangeError(`${JSON.stringify(raw)} (accepted: ${checkAllowlistEntry(String(raw)) ?? 'an IPv4/IPv6 address or CIDR block'})`)
      const existing = fixed.find((e) => e.entry === entry) ?? runtime.get(entry)
      if (existing != null) return { ...existing }
      const e: AllowlistEntry = { entry, origin: 'runtime', addedAtMs: atMs, ...(reason != null && reason !== '' ? { reason } : {}) }
      runtime.set(entry, e)
      rebuild()
      return { ...e }
    },
    remove (raw) {
      const entry = canonicalAllowlistEntry(raw) ?? raw
      if (runtime.delete(entry)) { rebuild(); return 'removed' }
      return fixed.some((e) => e.entry === entry) ? 'config' : 'absent'
    },
    restore (entries) {
      runtime.clear()
      const skipped: string[] = []
      for (const e of entries) {
        const entry = canonicalAllowlistEntry(e?.entry)
        if (entry == null) { skipped.push(String(e?.entry)); continue }
        runtime.set(entry, { entry, origin: 'runtime', addedAtMs: Number.isFinite(e.addedAtMs) ? e.addedAtMs : 0, ...(typeof e.reason === 'string' ? { reason: e.reason } : {}) })
      }
      rebuild()
      return skipped
    }
  }
}
