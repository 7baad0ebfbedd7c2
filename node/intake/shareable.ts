/**
 * What may leave this host in an alert (DESIGN.md invariant 6, "nothing
 * private leaves a host"; docs/protocol.md, "What leaves a host").
 *
 * Two rules, applied by the publisher to every draft, whatever its caller
 * passed (the daemon's pipeline and the simulator's hosts alike):
 *
 *   1. Source addresses. An address is published as an attacking source only
 *      when it is a public unicast address that is neither allowlisted nor a
 *      trusted proxy here. Never published: unspecified, loopback (127/8,
 *      ::1), RFC 1918 private (10/8, 172.16/12, 192.168/16), RFC 6598 shared
 *      address space (100.64/10, carrier-grade NAT), link-local (169.254/16,
 *      fe80::/10), RFC 4193 unique local (fc00::/7), multicast and reserved
 *      (224/4, 240/4, ff00::/8, 0/8), IPv4-mapped forms of any of those, the
 *      policy's allowlist and `collaboration.trustedProxies`. Such an address
 *      names one of our own machines or clients behind our own NAT: to a peer
 *      it is meaningless at best (another network's 10.0.0.5 is someone else)
 *      and at worst a way to make peers block our own infrastructure.
 *   2. Explanations. The text an alert carries is built here from structured
 *      reasons: the parameter name, the feature and how surprising it was.
 *      Never the observed value, never what normal values look like here
 *      ("expected one of {...}"), never a sample of normal requests. Novelty
 *      reasons (a new value, a new parameter name) are left out altogether.
 */
import { BlockList, isIP } from 'node:net'
import { normalizeAddress } from '../../core/index.js'
import { InvalidParamsError } from '../errors.js'

/** The address ranges never published, with where each comes from (docs/protocol.md repeats the table). */
export const EXCLUDED_SOURCE_RANGES: ReadonlyArray<{ cidr: string, why: string }> = Object.freeze([
  { cidr: '0.0.0.0/8', why: 'this network (RFC 1122), unspecified' },
  { cidr: '10.0.0.0/8', why: 'private (RFC 1918)' },
  { cidr: '100.64.0.0/10', why: 'shared address space, carrier-grade NAT (RFC 6598)' },
  { cidr: '127.0.0.0/8', why: 'loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', why: 'link-local (RFC 3927)' },
  { cidr: '172.16.0.0/12', why: 'private (RFC 1918)' },
  { cidr: '192.168.0.0/16', why: 'private (RFC 1918)' },
  { cidr: '224.0.0.0/4', why: 'multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', why: 'reserved, broadcast (RFC 1112, RFC 919)' },
  { cidr: '::/128', why: 'unspecified (RFC 4291)' },
  { cidr: '::1/128', why: 'loopback (RFC 4291)' },
  { cidr: 'fc00::/7', why: 'unique local (RFC 4193)' },
  { cidr: 'fe80::/10', why: 'link-local (RFC 4291)' },
  { cidr: 'ff00::/8', why: 'multicast (RFC 4291)' }
])

function addRange (list: BlockList, entry: string, field: string): void {
  const slash = entry.indexOf('/')
  const addr = normalizeAddress(slash < 0 ? entry : entry.slice(0, slash))
  if (addr == null) throw new InvalidParamsError(field, entry, 'an IPv4/IPv6 address or CIDR block')
  const family = isIP(addr) === 4 ? 'ipv4' : 'ipv6'
  if (slash < 0) { list.addAddress(addr, family); return }
  const bits = Number(entry.slice(slash + 1))
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 'ipv4' ? 32 : 128)) throw new InvalidParamsError(field, entry, 'an IPv4/IPv6 address or CIDR block')
  list.addSubnet(addr, bits, family)
}

export interface SourceFilterInit {
  /** The policy's allowlist (addresses and CIDR blocks). */
  allowlist?: readonly string[]
  /** Proxies and load balancers in front of the workloads (collaboration.trustedProxies). */
  trustedProxies?: readonly string[]
}

export type ExclusionReason = 'invalid' | 'reserved' | 'allowlisted' | 'trusted-proxy'

export interface SourceFilter {
  /** Why `address` must not be published, or null when it may be. */
  exclusion: (address: string) => ExclusionReason | null
  /** May `address` be published as an attacking source? */
  shareable: (address: string) => boolean
}

const reserved = new BlockList()
for (const r of EXCLUDED_SOURCE_RANGES) addRange(reserved, r.cidr, 'EXCLUDED_SOURCE_RANGES')

/** The always-excluded ranges alone (no allowlist): what every honest member refuses to publish. */
export function isReservedAddress (address: string): boolean {
  const a = normalizeAddress(address)
  if (a == null) return true
  return reserved.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6')
}

/** A filter over the fixed ranges, the allowlist and the trusted proxies; throws InvalidParamsError naming a bad entry. */
export function createSourceFilter (init: SourceFilterInit = {}): SourceFilter {
  const allow = new BlockList()
  const proxies = new BlockList()
  ;(init.allowlist ?? []).forEach((e, i) => { addRange(allow, e, `policy.allowlist[${i}]`) })
  ;(init.trustedProxies ?? []).forEach((e, i) => { addRange(proxies, e, `collaboration.trustedProxies[${i}]`) })
  const exclusion = (address: string): ExclusionReason | null => {
    const a = normalizeAddress(address)
    if (a == null) return 'invalid'
    const family = isIP(a) === 4 ? 'ipv4' : 'ipv6'
    if (reserved.check(a, family)) return 'reserved'
    if (allow.check(a, family)) return 'allowlisted'
    if (proxies.check(a, family)) return 'trusted-proxy'
    return null
  }
  return { exclusion, shareable: (address) => exclusion(address) == null }
}

/** One reason in the form that may be shared: names and a number, no values. */
export interface ShareableReason {
  parameter?: string
  feature: string
  surprise: number
  /** A novelty reason (a new value or name): never shared. */
  novelty?: boolean
}

/** Feature names are identifiers of the detector ('length', 'innate:sql'); anything else is not shared. */
const FEATURE_RE = /^[a-z0-9][a-z0-9:._-]{0,63}$/i
/** Parameter names as the profile reports them; longer or odder names are dropped (they would be the request's text). */
const PARAMETER_RE = /^[\p{L}\p{N}_.:[\]-]{1,64}$/u

/**
 * The explanation an alert carries: "parameter: feature (surprise N)" for
 * at most three evidence reasons. Values, expected sets and samples cannot
 * appear: they are not inputs.
 */
export function shareableExplanation (reasons: readonly ShareableReason[] | undefined, signatureId?: string): string {
  const parts: string[] = []
  if (signatureId != null && /^[0-9a-f]{1,64}$/.test(signatureId)) parts.push(`matches signature ${signatureId}`)
  for (const r of reasons ?? []) {
    if (parts.length >= 3) break
    if (r.novelty === true || typeof r.feature !== 'string' || !FEATURE_RE.test(r.feature)) continue
    const p = typeof r.parameter === 'string' && PARAMETER_RE.test(r.parameter) ? `${r.parameter}: ` : ''
    parts.push(`${p}${r.feature} (surprise ${Number.isFinite(r.surprise) ? r.surprise.toFixed(1) : 'signature'})`)
  }
  return parts.join('; ')
}
