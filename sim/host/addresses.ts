/**
 * Addresses in the simulated world, as the policy and the alerts see them
 * (real IPv4 strings, so node/respond's address checks apply unchanged):
 *   members and sybils  11.0.0.0/8      (host i → 11.x.y.z, i + 1 packed)
 *   outside attackers   198.18.0.0/15   (benchmark range): attack k, attacker j < 4096
 *   normal clients      12.64.0.0/16    (the source of a false positive)
 * Public unicast ranges on purpose: a member never publishes a private,
 * shared (RFC 6598), loopback or link-local address as an attacking source
 * (node/intake/shareable.ts), so simulated addresses there would never reach
 * a peer's quorum.
 */

export function hostAddress (i: number): string {
  const v = i + 1
  return `11.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

export function attackerAddress (attack: number, j = 0): string {
  const idx = ((attack & 31) << 12) | (j & 4095)
  return `198.${18 + (idx >>> 16)}.${(idx >>> 8) & 255}.${idx & 255}`
}

export function clientAddress (k: number): string {
  return `12.64.${(k >>> 8) & 255}.${k & 255}`
}
