/**
 * A small, fast, seeded pseudo-random number generator for everything that
 * must be reproducible: isolation forests, reservoirs, the simulator.
 *
 * Algorithm: sfc32 (Chris Doty-Humphrey's "Small Fast Counting" generator,
 * 128-bit state, passes PractRand and BigCrush; the counter guarantees a
 * minimum period of 2^32 and the expected period is about 2^127). Seeds are
 * expanded into the state with splitmix32 so that nearby seeds (1, 2, 3) give
 * unrelated streams. Not for cryptography.
 *
 * `Math.random()` is never used by node/ code that must be reproducible; take a
 * `Prng` from the components object instead.
 */

/** Four unsigned 32-bit words: sfc32's a, b, c and counter. */
export type PrngState = readonly [number, number, number, number]

export interface Prng {
  /** Uniform integer in [0, 2^32). */
  nextUint32: () => number
  /** Uniform float in [0, 1) with 32 bits of resolution (the fast path). */
  next: () => number
  /** Uniform float in [0, 1) with 53 bits of resolution (two draws). */
  nextDouble: () => number
  /** Uniform integer in [0, maxExclusive), unbiased (rejection sampling); maxExclusive in [1, 2^32]. */
  nextInt: (maxExclusive: number) => number
  /** Uniform float in [min, max). */
  nextRange: (min: number, max: number) => number
  /** Standard normal deviate (Marsaglia polar method). */
  nextGaussian: () => number
  /** Exponential deviate with the given rate (mean 1/rate). */
  nextExponential: (rate: number) => number
  /** An independent generator derived from this one's stream (and an optional label), e.g. one per simulated host. */
  fork: (label?: string | number) => Prng
  /** The full state, to persist and resume the exact stream with `restorePrng`. */
  getState: () => PrngState
}

const TWO_POW_32 = 4294967296
const INV_TWO_POW_32 = 1 / TWO_POW_32
const INV_TWO_POW_53 = 1 / 9007199254740992

/** splitmix32 finaliser step: a good 32-bit mixer (Steele, Lea, Flood 2014, 32-bit variant). */
function splitmix32 (x: number): number {
  x = (x + 0x9e3779b9) | 0
  let z = x
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad)
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97)
  return (z ^ (z >>> 15)) >>> 0
}

/** 32-bit FNV-1a of a string, then mixed. Used for string seeds and fork labels. */
export function hashString (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return splitmix32(h >>> 0)
}

/** Reduce any finite number or string seed to 32 bits, using every bit of a safe integer (not just the low 32). */
export function seedToUint32 (seed: number | string): number {
  if (typeof seed === 'string') return hashString(seed)
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`)
  if (Number.isInteger(seed) && Math.abs(seed) <= Number.MAX_SAFE_INTEGER) {
    const lo = seed >>> 0
    const hi = Math.floor(seed / TWO_POW_32) >>> 0
    return hi === 0 ? lo : splitmix32(lo ^ splitmix32(hi))
  }
  // non-integers and huge values: hash the IEEE-754 bits
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, seed)
  return splitmix32(view.getUint32(0) ^ splitmix32(view.getUint32(4)))
}

class Sfc32 implements Prng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (a: number, b: number, c: number, d: number) {
    this.a = a | 0
    this.b = b | 0
    this.c = c | 0
    this.d = d | 0
  }

  nextUint32 (): number {
    const a = this.a
    const b = this.b
    const c = this.c
    const d = this.d
    const t = (((a + b) | 0) + d) | 0
    this.d = (d + 1) | 0
    this.a = b ^ (b >>> 9)
    this.b = (c + (c << 3)) | 0
    this.c = ((c << 21) | (c >>> 11)) + t | 0
    return t >>> 0
  }

  next (): number {
    return this.nextUint32() * INV_TWO_POW_32
  }

  nextDouble (): number {
    const hi = this.nextUint32() >>> 5 // 27 bits
    const lo = this.nextUint32() >>> 6 // 26 bits
    return (hi * 67108864 + lo) * INV_TWO_POW_53
  }

  nextInt (maxExclusive: number): number {
    if (!(maxExclusive >= 1 && maxExclusive <= TWO_POW_32) || !Number.isInteger(maxExclusive)) {
      throw new RangeError(`nextInt: maxExclusive must be an integer in [1, 2^32], got ${maxExclusive}`)
    }
    // reject the top partial bucket so that every residue is equally likely
    const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive)
    let x = this.nextUint32()
    while (x >= limit) x = this.nextUint32()
    return x % maxExclusive
  }

  nextRange (min: number, max: number): number {
    return min + (max - min) * this.nextDouble()
  }

  nextGaussian (): number {
    // the second deviate of each pair is dropped so that getState() is the whole state
    let u = 0
    let v = 0
    let s = 0
    do {
      u = 2 * this.nextDouble() - 1
      v = 2 * this.nextDouble() - 1
      s = u * u + v * v
    } while (s >= 1 || s === 0)
    return u * Math.sqrt(-2 * Math.log(s) / s)
  }

  nextExponential (rate: number): number {
    // 1 - U is in (0, 1], so the log is finite
    return -Math.log(1 - this.nextDouble()) / rate
  }

  fork (label?: string | number): Prng {
    const salt = label == null ? 0 : seedToUint32(label)
    return seededSfc32(this.nextUint32() ^ salt, this.nextUint32())
  }

  getState (): PrngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0]
  }
}

function seededSfc32 (s: number, salt: number): Sfc32 {
  let x = s ^ splitmix32(salt)
  const a = splitmix32(x); x = (x + 0x6a09e667) | 0
  const b = splitmix32(x ^ a); x = (x + 0x6a09e667) | 0
  const c = splitmix32(x ^ b)
  const rng = new Sfc32(a, b, c, 1)
  // discard the first outputs: sfc32's authors recommend 12+ rounds after seeding
  for (let i = 0; i < 15; i++) rng.nextUint32()
  return rng
}

/** A generator seeded from a number (every bit of a safe integer counts) or a string. */
export function createPrng (seed: number | string): Prng {
  return seededSfc32(seedToUint32(seed), 0)
}

/** Resume a generator from `getState()`. */
export function restorePrng (state: PrngState): Prng {
  if (!Array.isArray(state) || state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
    throw new RangeError('restorePrng: state must be four unsigned 32-bit integers')
  }
  return new Sfc32(state[0], state[1], state[2], state[3])
}

/** Derive a 32-bit seed from a base seed and labels, e.g. `deriveSeed(runSeed, 'host', 17)`. */
export function deriveSeed (seed: number | string, ...labels: Array<string | number>): number {
  let h = seedToUint32(seed)
  for (const l of labels) h = splitmix32(h ^ seedToUint32(l))
  return h
}
