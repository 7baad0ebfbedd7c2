/**
 * Seeded synthetic shop traffic for the signature tests: normal requests for a
 * few contexts, and attacks (SQL injection, XSS, path traversal) against them.
 */
import type { HttpObservation } from '../../../node/observation.js'
import { createPrng } from '../../../core/prng.js'
import type { Prng } from '../../../core/prng.js'

export const ITEM = 'GET /shop/item.jsp'
export const SEARCH = 'GET /shop/search.jsp'
export const LOGIN = 'POST /shop/login.jsp'
export const FILE = 'GET /shop/download.jsp'

const PRODUCTS = ['Vino Rioja', 'Jamón Ibérico', 'Queso Manchego', 'Aceite de oliva', 'Turrón', 'Chorizo', 'Sobrasada', 'Café molido', 'Miel de azahar', 'Pimentón']
const WORDS = ['red', 'wine', 'cheese', 'cheap', 'gift', 'box', 'organic', 'olive', 'oil', 'ham', 'sale', 'new', 'best', 'dark', 'coffee', 'honey', 'spicy', 'sweet', 'large', 'small', 'pack', 'order', 'select', 'from', 'union']
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', "o'brien"]
const FILES = ['report.pdf', 'invoice-2023.pdf', 'catalogue.pdf', 'manual_es.pdf', 'terms.txt', 'price list.csv']

const pick = <T>(rng: Prng, xs: readonly T[]): T => xs[rng.nextInt(xs.length)]
const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+')

function http (method: string, path: string, query: string, body = '', time = 1_700_000_000_000): HttpObservation {
  return { kind: 'http', time, method, path, query, body, headers: {} }
}

/** One normal request of `context`. */
export function normalRequest (rng: Prng, context: string): HttpObservation {
  switch (context) {
    case ITEM: return http('GET', '/shop/item.jsp', `id=${1 + rng.nextInt(300)}&name=${enc(pick(rng, PRODUCTS))}&qty=${1 + rng.nextInt(12)}`)
    case SEARCH: {
      const n = 1 + rng.nextInt(3)
      const q = Array.from({ length: n }, () => pick(rng, WORDS)).join(' ')
      return http('GET', '/shop/search.jsp', `q=${enc(q)}&page=${1 + rng.nextInt(5)}`)
    }
    case LOGIN: return http('POST', '/shop/login.jsp', '', `user=${enc(pick(rng, USERS))}&pwd=${enc(rng.nextUint32().toString(36))}&remember=on`)
    case FILE: return http('GET', '/shop/download.jsp', `file=${enc(pick(rng, FILES))}`)
    default: throw new Error(`unknown context ${context}`)
  }
}

export const CONTEXTS = [ITEM, SEARCH, LOGIN, FILE] as const

/** `perContext` normal requests of every context, seeded. */
export function normalTraffic (seed: number, perContext: number, contexts: readonly string[] = CONTEXTS): Array<{ context: string, obs: HttpObservation }> {
  const rng = createPrng(seed)
  const out: Array<{ context: string, obs: HttpObservation }> = []
  for (let i = 0; i < perContext; i++) for (const context of contexts) out.push({ context, obs: normalRequest(rng, context) })
  return out
}

export function itemRequest (id: string, name = 'Turrón', qty = '2'): HttpObservation {
  return http('GET', '/shop/item.jsp', `id=${id}&name=${enc(name)}&qty=${qty}`)
}

export function searchRequest (q: string, page = '1'): HttpObservation {
  return http('GET', '/shop/search.jsp', `q=${q}&page=${page}`)
}

export function fileRequest (file: string): HttpObservation {
  return http('GET', '/shop/download.jsp', `file=${file}`)
}

export function loginRequest (user: string, pwd = 'x1y2z3'): HttpObservation {
  return http('POST', '/shop/login.jsp', '', `user=${user}&pwd=${pwd}&remember=on`)
}

/** An in-memory normal sample (same interface as the reservoir). */
export function memorySample (entries: Array<{ context: string, obs: HttpObservation }>): { values: (c: string) => HttpObservation[], all: () => Array<{ context: string, obs: HttpObservation }> } {
  return {
    values: (c) => entries.filter((e) => e.context === c).map((e) => e.obs),
    all: () => entries
  }
}
