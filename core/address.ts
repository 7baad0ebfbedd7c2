/**
 * Client addresses in one canonical text form, so that every table keyed by
 * an address agrees (`::ffff:10.0.0.1` is `10.0.0.1`, `0:0::1` is `::1`,
 * `[::1]` is `::1`, a zone is dropped): the deny list, the allowlist,
 * escalation, and what may be published (node/intake/shareable.ts).
 */
import { isIP } from 'node:net'

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
