/**
 * Known normal clients (issue 15): sources this node has itself seen behave
 * normally for a while. A peer that names one of them as an attacker is
 * refuted (R3) and its vote is not counted: our own evidence about that very
 * source contradicts the claim (DESIGN.md invariant 2: check, don't trust).
 *
 * A source is a known normal client once it sent at least minObservations
 * requests that a guarding profile judged normal (level 0), over at least
 * minSpanMs, and no level-2 danger of its own for offenceMemoryMs. Level 1
 * does not count against it (it is calibrated to ~1% of normal traffic).
 * The span is the cost for an attacker who would make an address look
 * normal first and attack from it later, so that honest peers' warnings about
 * it are refuted: it must behave for minSpanMs, and its first level 2 here
 * ends the status. Bounded (maxClients, least recently seen dropped); kept
 * in memory only: after a restart clients become known again.
 */
import { InvalidParamsError } from '../errors.js'

export interface KnownClientsParams {
  minObservations: number
  minSpanMs: number
  offenceMemoryMs: number
  maxClients: number
}

export const defaultKnownClientsParams: Readonly<KnownClientsParams> = Object.freeze({
  minObservations: 20,
  minSpanMs: 5 * 60_000,
  offenceMemoryMs: 60 * 60_000,
  maxClients: 10_000
})

export function createKnownClientsParams (init: Partial<KnownClientsParams> = {}): Readonly<KnownClientsParams> {
  const p: KnownClientsParams = { ...defaultKnownClientsParams }
  for (const [k, v] of Object.entries(init)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v
  const check = (f: keyof KnownClientsParams, ok: (v: number) => boolean, accepted: string): void => {
    if (typeof p[f] !== 'number' || !ok(p[f])) throw new InvalidParamsError(`knownClients.${f}`, p[f], accepted)
  }
  check('minObservations', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1')
  check('minSpanMs', (v) => Number.isFinite(v) && v >= 0, 'a finite number of milliseconds >= 0')
  check('offenceMemoryMs', (v) => Number.isFinite(v) && v >= 0, 'a finite number of milliseconds >= 0')
  check('maxClients', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1')
  return Object.freeze(p)
}

interface Client { normal: number, firstNormalMs: number, lastOffenceMs: number }

export class KnownClients {
  readonly params: Readonly<KnownClientsParams>
  private readonly clients = new Map<string, Client>()

  constructor (init: Partial<KnownClientsParams> = {}) {
    this.params = createKnownClientsParams(init)
  }

  private entry (source: string, nowMs: number): Client {
    let c = this.clients.get(source)
    if (c == null) {
      c = { normal: 0, firstNormalMs: nowMs, lastOffenceMs: -Infinity }
      if (this.clients.size >= this.params.maxClients) this.clients.delete(this.clients.keys().next().value as string)
    } else {
      this.clients.delete(source)
    }
    this.clients.set(source, c)
    return c
  }

  /** A guarding profile judged a request of `source` normal. */
  normal (source: string, nowMs: number): void {
    const c = this.entry(source, nowMs)
    if (c.normal === 0) c.firstNormalMs = nowMs
    c.normal++
  }

  /** Our own level-2 danger from `source`: it is not a known normal client (for offenceMemoryMs), and its count starts again. */
  offence (source: string, nowMs: number): void {
    const c = this.entry(source, nowMs)
    c.lastOffenceMs = nowMs
    c.normal = 0
  }

  isKnownNormal (source: string, nowMs: number): boolean {
    const c = this.clients.get(source)
    if (c == null) return false
    return c.normal >= this.params.minObservations &&
      nowMs - c.firstNormalMs >= this.params.minSpanMs &&
      nowMs - c.lastOffenceMs > this.params.offenceMemoryMs
  }

  get size (): number { return this.clients.size }
}
