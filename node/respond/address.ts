/**
 * Client addresses: one canonical text form per address, so the deny list,
 * the allowlist and escalation agree (`::ffff:10.0.0.1` is `10.0.0.1`,
 * `0:0::1` is `::1`, `[::1]` is `::1`).
 */
import { BlockList, isIP } from 'node:net'

/** The canonical text of an IPv4/IPv6 address, or null when `address` is not one. */
export function normalizeAddress (address: string): string | null {
  if (typeof address !== 'string') return null
  let a = address.trim()
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
  const zone = a.indexOf('%')
  if (zone >= 0) a = a.slice(0, zone)
  const family = isIP(a)
  if (family === 4) return a
  if (family !== 6) return null
  let canon: string
  try {
    canon = new URL(`http://[${a}]/`).hostname.slice(1, -1)
  } catch {
    return null
  }
  // IPv4-mapped IPv6 (what a dual-stack server reports for IPv4 clients)
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canon)
  if (m != null) {
    const hi = parseInt(m[1], 16)
    const lo = parseInt(m[2], 16)
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  }
  return canon
}

export function addressFamily (address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6'
}

/** A BlockList from addresses and CIDR blocks (entries are assumed valid: see checkAllowlistEntry). */
export function createAddressSet (entries: readonly string[]): BlockList {
  const list = new BlockList()
  for (const e of entries) {
    const slash = e.indexOf('/')
    if (slash < 0) {
      const a = normalizeAddress(e)
      if (a != null) list.addAddress(a, addressFamily(a))
    } else {
      const a = normalizeAddress(e.slice(0, slash))
      if (a != null) list.addSubnet(a, Number(e.slice(slash + 1)), addressFamily(a))
    }
  }
  return list
}

/** Whether `address` (any text form) falls in `set`; false for non-addresses. */
export function addressInSet (set: BlockList, address: string): boolean {
  const a = normalizeAddress(address)
  if (a == null) return false
  return set.check(a, addressFamily(a))
}
