/**
 * Seeded generator of normal traffic for a made-up web shop (tests only):
 * ids, product refs, names, e-mails, dates, zip codes, search words, file
 * names, with realistic variety (new names keep appearing, as in real apps).
 */
import type { HttpObservation } from '../../../../node/observation.js'

export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SYLLABLES = ['ka', 'ro', 'mi', 'lu', 'sa', 'te', 'na', 'vi', 'do', 'el', 'an', 'ma', 'ri', 'co', 'ber', 'tin', 'la', 'so', 'fe', 'gu', 'ha', 'jo', 'ne', 'pa', 'qui', 'ste', 'wa', 'yo', 'zen', 'bel']
const DOMAINS = ['example.com', 'mail.example.org', 'post.test', 'inbox.example.net', 'web.example']
const WORDS = ['red', 'blue', 'shoes', 'jacket', 'coffee', 'mug', 'lamp', 'desk', 'chair', 'book', 'garden', 'tool', 'phone', 'case', 'cable', 'wool', 'socks', 'tea', 'green', 'small', 'large']

export class FakeApp {
  private readonly r: () => number
  private t: number

  constructor (seed: number, startMs = 1_700_000_000_000, readonly stepMs = 1000) {
    this.r = mulberry32(seed)
    this.t = startMs
  }

  int (lo: number, hi: number): number { return lo + Math.floor(this.r() * (hi - lo + 1)) }
  pick<T> (xs: readonly T[]): T { return xs[Math.floor(this.r() * xs.length)] }

  word (): string {
    let w = ''
    const n = this.int(2, 3)
    for (let i = 0; i < n; i++) w += this.pick(SYLLABLES)
    return w
  }

  name (): string {
    const cap = (s: string): string => s[0].toUpperCase() + s.slice(1)
    return this.r() < 0.2 ? `${cap(this.word())} ${cap(this.word())}-${cap(this.word())}` : `${cap(this.word())} ${cap(this.word())}`
  }

  email (): string {
    const user = this.r() < 0.5 ? `${this.word()}.${this.word()}` : `${this.word()}${this.int(1, 99)}`
    return `${user}@${this.pick(DOMAINS)}`
  }

  date (): string {
    const p = (n: number): string => String(n).padStart(2, '0')
    return `${this.int(1940, 2008)}-${p(this.int(1, 12))}-${p(this.int(1, 28))}`
  }

  password (): string {
    const chars = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
    let s = ''
    const n = this.int(8, 14)
    for (let i = 0; i < n; i++) s += chars[this.int(0, chars.length - 1)]
    return s
  }

  private obs (method: string, path: string, query: string, body = ''): HttpObservation {
    this.t += this.stepMs
    const headers: Record<string, string> = body === '' ? {} : { 'content-type': 'application/x-www-form-urlencoded' }
    return { kind: 'http', time: this.t, method, path, query, body, headers, source: `198.51.100.${this.int(1, 254)}` }
  }

  /** One normal request to one of six endpoints. */
  next (): HttpObservation {
    const e = encodeURIComponent
    const form = (o: Record<string, string>): string => new URLSearchParams(o).toString()
    switch (this.int(0, 5)) {
      case 0: return this.obs('GET', '/shop/item', `id=${this.int(1, 5000)}&ref=${this.pick(['home', 'search', 'promo'])}`)
      case 1: return this.obs('POST', '/account/register', '', form({ name: this.name(), email: this.email(), birth: this.date(), zip: String(this.int(10000, 99999)), newsletter: this.pick(['on', 'off']) }))
      case 2: {
        const n = this.int(1, 3)
        const q = Array.from({ length: n }, () => this.pick(WORDS)).join(' ')
        return this.obs('GET', '/search', `q=${e(q).replace(/%20/g, '+')}&page=${this.int(1, 20)}`)
      }
      case 3: return this.obs('POST', '/login', '', form({ user: `${this.word()}${this.r() < 0.3 ? this.int(1, 99) : ''}`, password: this.password(), remember: this.pick(['on', 'off']) }))
      case 4: return this.obs('GET', '/download', `file=${this.pick(['report', 'invoice', 'manual', 'catalog'])}-${this.int(2019, 2024)}-${String(this.int(1, 12)).padStart(2, '0')}.pdf`)
      default: return this.obs('GET', '/static/logo.png', '')
    }
  }

  many (n: number): HttpObservation[] { return Array.from({ length: n }, () => this.next()) }

  /** A request to `path` with the given raw query/body at the next tick (for attacks). */
  custom (method: string, path: string, query: string, body = ''): HttpObservation { return this.obs(method, path, query, body) }
}
