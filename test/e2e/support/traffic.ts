/**
 * Generated HTTP traffic for training and attacking a daemon through its
 * ingest API: realistic normal requests for a small shop (search, item,
 * login, cart) from a seeded PRNG, and classic attacks.
 */
import { createPrng } from '../../../core/prng.js'
import type { Prng } from '../../../core/prng.js'

/** One ingest-API observation (POST /v1/observe item). */
export interface IngestItem {
  kind: 'http'
  method: string
  path: string
  query?: string
  body?: string
  headers?: Record<string, string>
  source?: string
  cell?: string
}

const WORDS = ['shoe', 'shirt', 'red', 'blue', 'jacket', 'hat', 'winter', 'summer', 'sale', 'kids', 'leather', 'wool', 'socks', 'green', 'boots', 'scarf']
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'trent', 'victor', 'wendy']
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

const pick = <T>(rng: Prng, xs: readonly T[]): T => xs[rng.nextInt(xs.length)]
const alnum = (rng: Prng, n: number): string => Array.from({ length: n }, () => ALNUM[rng.nextInt(ALNUM.length)]).join('')

/** A normal client address in 10.1.0.0/16 (so it is not on the default allowlist). */
export const normalSource = (rng: Prng): string => `10.1.${rng.nextInt(256)}.${1 + rng.nextInt(254)}`

export interface NormalTrafficOptions {
  cell?: string
  seed?: number
  /**
   * Cycle through the four endpoints in order (default), so that every context
   * reaches minObservations at the same request count; false: endpoints drawn
   * with shares 40/30/15/15%.
   */
  roundRobin?: boolean
}

/** The number of endpoints (contexts) createNormalTraffic produces. */
export const NORMAL_ENDPOINTS = 4

/** A generator of normal shop requests (four endpoints, realistic value shapes). */
export function createNormalTraffic (opts: NormalTrafficOptions = {}): (n: number) => IngestItem[] {
  const rng = createPrng(opts.seed ?? 42)
  let i = 0
  const one = (): IngestItem => {
    const r = opts.roundRobin === false ? rng.next() : [0.2, 0.5, 0.8, 0.9][i++ % NORMAL_ENDPOINTS]
    let item: IngestItem
    if (r < 0.4) {
      const q = Array.from({ length: 1 + rng.nextInt(3) }, () => pick(rng, WORDS)).join('+')
      item = { kind: 'http', method: 'GET', path: '/search', query: `q=${q}&page=${1 + rng.nextInt(9)}` }
    } else if (r < 0.7) {
      item = { kind: 'http', method: 'GET', path: '/item', query: `id=${1000 + rng.nextInt(90_000)}` }
    } else if (r < 0.85) {
      item = { kind: 'http', method: 'POST', path: '/login', body: `user=${pick(rng, NAMES)}${rng.nextInt(100)}&pass=${alnum(rng, 8 + rng.nextInt(8))}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }
    } else {
      item = { kind: 'http', method: 'POST', path: '/cart', body: `item=${1000 + rng.nextInt(90_000)}&qty=${1 + rng.nextInt(5)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }
    }
    item.source = normalSource(rng)
    if (opts.cell != null) item.cell = opts.cell
    return item
  }
  return (n) => Array.from({ length: n }, one)
}

/** A SQL injection against the search endpoint (the classic tautology with a UNION). */
export function sqlInjection (source: string, cell?: string): IngestItem {
  return {
    kind: 'http',
    method: 'GET',
    path: '/search',
    query: `q=${encodeURIComponent("shoe' OR '1'='1' UNION SELECT username, password FROM users --")}&page=1`,
    source,
    ...(cell != null ? { cell } : {})
  }
}

/** A different SQL injection against the item endpoint. */
export function sqlInjectionItem (source: string, cell?: string): IngestItem {
  return {
    kind: 'http',
    method: 'GET',
    path: '/item',
    query: `id=${encodeURIComponent('1; DROP TABLE items; SELECT * FROM users WHERE 1=1 --')}`,
    source,
    ...(cell != null ? { cell } : {})
  }
}
