/** What the adversary models may use of the simulated world (the Simulation implements it). */
import type { Prng } from '../../core/index.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import type { Engine } from '../engine/index.js'
import type { Population } from '../world/index.js'

export interface AdversaryContext {
  readonly engine: Engine
  readonly rng: Prng
  readonly pop: Population
  /** A random honest member other than `not`. */
  randomHonest: (not: number) => number
  /** A context to lie about: an attacked one half of the time, else a normal page. */
  lieContext: () => string
  /** A signature made of tokens of normal traffic (registered as poisoned ground truth). */
  newPoisonedSignature: (context: string) => SignatureIndicator
  /** A false alert from h: block the honest `victim`, with a poisoned signature when given. */
  publishLie: (h: number, victim: number, sig: SignatureIndicator | null) => void
  /** A new event kind dispatched to `handler`. */
  event: (handler: (a: number, b: number, c: number) => void) => number
}
