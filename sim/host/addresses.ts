/**
 * Addresses in the simulated world, as the policy and the alerts see them
 * (real IPv4 strings, so node/respond's address checks apply unchanged):
 *   members and sybils  10.0.0.0/8      (host i → 10.x.y.z, i + 1 packed)
 *   outside attackers   198.18.0.0/15   (benchmark range): attack k, attacker j < 4096
 *   normal clients      100.64.0.0/16   (the source of a false positive)
 */

export function hostAddress (i: number): string {
  const v = i + 1
  return `10.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

export function attackerAddress (attack: number, j = 0): string {
  const idx = ((attack & 31) << 12) | (j & 4095)
  return `198.${18 + (idx >>> 16)}.${(idx >>> 8) & 255}.${idx & 255}`
}

export function clientAddress (k: number): string {
  return `100.64.${(k >>> 8) & 255}.${k & 255}`
}
