/**
 * Client addresses: one canonical text form per address, so the deny list,
 * the allowlist and escalation agree (`::ffff:10.0.0.1` is `10.0.0.1`,
 * `0:0::1` is `::1`, `[::1]` is `::1`).
 */
import { BlockList, isIP } from 'node:net'
import { normalizeAddress } from '../../core/index.js'

export { normalizeAddress }

export function addressFamily (address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6'
}

/**
 * IPv4 entries of each set made here, as [first, last] uint32 ranges: checked
 * in JS without allocating (BlockList.check builds a SocketAddress per call,
 * and the brain checks the allowlist on every decision). IPv6 goes to the BlockList.
 */
const v4Ranges = new WeakMap<BlockList, Array<[number, number]>>()

function ipv4ToUint (a: string): number {
  let n = 0
  let part = 0
  let dots = 0
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i)
    if (c === 46) { n = n * 256 + part; part = 0; dots++ } else part = part * 10 + (c - 48)
  }
  return dots === 3 ? n * 256 + part : -1
}

/** A BlockList from addresses and CIDR blocks (entries are assumed valid: see checkAllowlistEntry). */
export function createAddressSet (entries: readonly string[]): BlockList {
  const list = new BlockList()
  const ranges: Array<[number, number]> = []
  v4Ranges.set(list, ranges)
  for (const e of entries) {
    const slash = e.indexOf('/')
    if (slash < 0) {
      const a = normalizeAddress(e)
      if (a != null) list.addAddress(a, addressFamily(a))
      if (a != null && isIP(a) === 4) { const n = ipv4ToUint(a); ranges.push([n, n]) }
    } else {
      const a = normalizeAddress(e.slice(0, slash))
      if (a != null) list.addSubnet(a, Number(e.slice(slash + 1)), addressFamily(a))
      if (a != null && isIP(a) === 4) {
        const bits = Number(e.slice(slash + 1))
        const size = 2 ** (32 - bits)
        const first = Math.floor(ipv4ToUint(a) / size) * size
        ranges.push([first, first + size - 1])
      }
    }
  }
  return list
}

/** Whether `address` (any text form) falls in `set`; false for non-addresses. */
export function addressInSet (set: BlockList, address: string): boolean {
  const a = normalizeAddress(address)
  if (a == null) return false
  const ranges = v4Ranges.get(set)
  if (ranges != null && isIP(a) === 4) {
    const n = ipv4ToUint(a)
    for (const [first, last] of ranges) if (n >= first && n <= last) return true
    return false
  }
  return set.check(a, addressFamily(a))
}
