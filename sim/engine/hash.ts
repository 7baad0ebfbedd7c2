/**
 * Stateless, seeded integer hashing for ground truths that must not use the
 * PRNG stream (so asking twice gives the same answer and the order of
 * questions does not matter): "does this host's normal traffic match that
 * signature?", "is this address a normal client of that host?".
 */

function mix (h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad)
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97)
  return (h ^ (h >>> 15)) >>> 0
}

/** A 32-bit hash of (seed, a, b). */
export function hash3 (seed: number, a: number, b: number): number {
  let h = mix((seed ^ 0x9e3779b9) >>> 0)
  h = mix((h ^ Math.imul(a | 0, 0x85ebca6b)) >>> 0)
  h = mix((h ^ Math.imul((b | 0) + 0x68e31da4, 0xc2b2ae35)) >>> 0)
  return h
}

/** A uniform number in [0, 1) from (seed, a, b). */
export function hash01 (seed: number, a: number, b: number): number {
  return hash3(seed, a, b) / 4294967296
}
