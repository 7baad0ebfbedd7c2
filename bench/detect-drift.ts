/**
 * detect-drift: a living application (issue 9). Train on CSIC 2010 normal
 * training traffic, then send two sets from NEW sources through the daemon's
 * path (observe(): the detector keeps learning, as in production):
 *
 *   benign changes, each generated programmatically, one client per session:
 *     new-ids-prices     numeric parameters get new values (beyond the ids seen, prices with cents)
 *     tracking-tags      links carry utm_*, fbclid, gclid
 *     encoding           the same text in another encoding (UTF-8 instead of Latin-1, %20 for '+',
 *                        lower-case hex, needlessly escaped letters)
 *     email-login        an e-mail address as login
 *     apostrophe-names   names with apostrophes and hyphens (O'Neill, Jean-Luc, l'Hospitalet)
 *     json-posts         the JSON version of form posts
 *     browser-headers    modern browser User-Agents, Accept-Language, Referers, new cookies
 *     new-page           a page never seen, used by 100 clients
 *     new-search-page    a page never seen that takes free text (punctuation, quotes), 100 clients
 *     optional-missing   an optional parameter left out
 *     new-methods-files  a new REST section (PUT, PATCH, DELETE, OPTIONS on
 *                        new routes), new hashed assets, .well-known, downloads
 *   attacks (SQL injection, XSS, command injection payloads; path traversal too in parameters):
 *     known-endpoint     the reference: at the pages seen in training
 *     header-injection   in the User-Agent, the Referer or a cookie of otherwise normal requests
 *     unseen-endpoint    at endpoints never seen, with parameter names never seen
 *     unseen-endpoint-similar at a new path taking the parameters of a page seen in training
 *     one-source-endpoint at an endpoint one source taught 300 requests
 *     new-endpoint       at the new page once learned from its 100 clients
 *     scanner-probes     backup copies of the app's pages, VCS and server
 *                        metadata, a write on a page, tracing (the innate
 *                        probe grammar; request-only verdicts)
 *
 * Each class runs on a fresh detector trained on the same data, wired as
 * the daemon wires it (daemon defaults, the innate layer with its default
 * policy and as the profile's value checker; --no-innate: the profile
 * alone). blocked =
 * danger 2 (what the agent blocks). banned = clients for which the default
 * response policy (node/respond/policy.ts, decide() + recordOffence(), as the
 * decision manager runs it) takes a block-source decision; bannedRepeated =
 * clients with at least 3 level-2 events within 10 minutes (a "repeated
 * offences in a window" rule). CSIC has no client addresses: training
 * requests are grouped in contiguous blocks of 10 (one client each,
 * 10.0.x.y); new sources are 10.200.x.y. Design: generators written from
 * what real clients do (nothing tuned to CSIC's values: numeric parameters
 * and name-like parameters are found from the training data).
 *
 *     npm run bench -- detect-drift [--cases 200] [--classes a,b] [--verbose] [--no-innate]
 */
import { existsSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { createManualClock } from '../core/index.js'
import type { ManualClock } from '../core/index.js'
import { validateConfig } from '../node/config/index.js'
import { detectorParamsFromConfig } from '../node/config/index.js'
import { innateValueChecker } from '../node/daemon/index.js'
import { createInnateDetector, createInnateGate, innateCellPolicy } from '../node/innate/index.js'
import type { InnateGate } from '../node/innate/index.js'
import { createDetector } from '../node/detector/index.js'
import type { Detector } from '../node/detector/index.js'
import type { HttpObservation } from '../node/observation.js'
import { createPrng } from '../core/index.js'
import type { Prng } from '../core/index.js'
import { createHttpProfileSet, parseForm } from '../node/profile/http/index.js'
import type { FormParam } from '../node/profile/http/index.js'
import { createPolicy, decideWithBreakdown, emptyPolicyState, recordOffence } from '../node/respond/index.js'
import { defaultPolicyConfig } from '../node/respond/policy-config.js'
import { parseRawHttpRequests } from '../node/sensors/raw-http.js'
import { attackPayload } from '../test/node/profile/http/traffic-generators.js'
import type { AttackKind } from '../test/node/profile/http/traffic-generators.js'
import { printResult, sharedDataDir, skipWithoutData } from './lib.js'

const BENCH = 'detect-drift'
const FILES = ['normalTrafficTraining.txt.gz', 'normalTrafficTest.txt.gz']
const T0 = 1_700_000_000_000
const STEP_MS = 1000
const CLIENT_BLOCK = 10

function arg (name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : dflt
}
const CASES = Number(arg('cases', '200'))
const ONLY = arg('classes', '')
const VERBOSE = process.argv.includes('--verbose')
/** --no-innate: the profile alone (default: as the daemon runs it, with the innate layer, node/innate). */
const INNATE = !process.argv.includes('--no-innate')

const data = sharedDataDir()
const dir = data == null ? null : join(data, 'csic2010')
if (dir == null || !FILES.every((f) => existsSync(join(dir, f)))) skipWithoutData(BENCH, 'csic2010 (../shared/data/csic2010/*.txt.gz)')
const load = (f: string, start: number): HttpObservation[] =>
  parseRawHttpRequests(gunzipSync(readFileSync(join(dir!, f))).toString('latin1'), { time: start, stepMs: STEP_MS })
const train = load(FILES[0], T0).map((o, i) => ({ ...o, source: `10.0.${Math.floor(i / CLIENT_BLOCK / 250) % 250}.${1 + Math.floor(i / CLIENT_BLOCK) % 250}` }))
const normalTest = load(FILES[1], T0)
const tEnd = T0 + train.length * STEP_MS

// ---------------------------------------------------------------- what the training data says (no labels, no CSIC-specific names)
const pairsOf = (raw: string): FormParam[] => { const out: FormParam[] = []; parseForm(raw, out, 256); return out.map((p) => ({ ...p })) }
const numericParams = new Set<string>()
const seenValues = new Map<string, { numeric: boolean, max: number }>()
for (const o of train) {
  for (const p of [...pairsOf(o.query), ...pairsOf(o.body)]) {
    const s = seenValues.get(p.name) ?? { numeric: true, max: 0 }
    const n = Number(p.value)
    if (p.value === '' || !Number.isFinite(n) || !/^\d+(\.\d+)?$/.test(p.value)) s.numeric = false
    else s.max = Math.max(s.max, n)
    seenValues.set(p.name, s)
  }
}
for (const [k, v] of seenValues) if (v.numeric) numericParams.add(k)
const withParams = train.filter((o) => o.query !== '' || o.body !== '')
process.stderr.write(`${BENCH}: ${train.length} training requests, numeric parameters: ${[...numericParams].join(', ')}\n`)

// ---------------------------------------------------------------- helpers
const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.nextInt(xs.length)]
const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+')
const form = (ps: Array<{ name: string, value: string }>): string => ps.map((p) => `${enc(p.name)}=${enc(p.value)}`).join('&')
const token = (r: Prng, n: number, abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'): string => Array.from({ length: n }, () => abc[r.nextInt(abc.length)]).join('')
const hex = (r: Prng, n: number): string => token(r, n, '0123456789ABCDEF')
/** A request's parameters (query + form body), and back. */
function paramsOf (o: HttpObservation): { query: FormParam[], body: FormParam[] } { return { query: pairsOf(o.query), body: pairsOf(o.body) } }
function withParamsOf (o: HttpObservation, query: FormParam[], body: FormParam[]): HttpObservation { return { ...o, query: form(query), body: form(body) } }
const templateWith = (r: Prng, test: (p: FormParam) => boolean): HttpObservation | undefined => {
  for (let i = 0; i < 200; i++) {
    const o = pick(r, withParams)
    const { query, body } = paramsOf(o)
    if ([...query, ...body].some(test)) return o
  }
  return undefined
}
const normalOf = (r: Prng): HttpObservation => pick(r, normalTest)

const FIRST = ['maria', 'john', 'li', 'ana', 'pierre', 'sofia', 'liam', 'noor', 'kenji', 'olga', 'emma', 'lucas', 'zoe', 'omar', 'ines']
const LAST = ['garcia', 'smith', 'nguyen', 'rossi', 'muller', 'kowalski', 'silva', 'tanaka', 'dubois', 'jensen', 'lopez', 'brown']
const DOMAINS = ['gmail.com', 'outlook.es', 'yahoo.co.uk', 'proton.me', 'empresa.example', 'uni.example.edu', 'correo.example.org']
const email = (r: Prng): string => {
  const x = r.next()
  const u = x < 0.4 ? `${pick(r, FIRST)}.${pick(r, LAST)}` : x < 0.7 ? `${pick(r, FIRST)}${r.nextInt(99)}` : x < 0.85 ? `${pick(r, FIRST)}_${pick(r, LAST)}` : `${pick(r, FIRST)}+shop`
  return `${u}@${pick(r, DOMAINS)}`
}
const WORDS = ['vino', 'tinto', 'blanco', 'queso', 'curado', 'aceite', 'oliva', 'jamón', 'ibérico', 'regalo', 'caja', 'navidad', 'oferta', 'precio', 'envío', 'gratis', 'rioja', 'ribera', 'manchego', 'botella', 'añada', 'reserva', 'crianza', 'dulce', 'turrón', 'miel', 'lote', 'pack', 'barato', 'mejor']
/** Free text as people type it in a search box: words, numbers, commas, full stops, question marks, parentheses, apostrophes, hyphens. */
function freeText (r: Prng): string {
  const n = 1 + r.nextInt(6)
  let s = ''
  for (let i = 0; i < n; i++) {
    const x = r.next()
    let w = x < 0.1 ? String(1990 + r.nextInt(35)) : x < 0.15 ? `${pick(r, WORDS)}-${pick(r, WORDS)}` : pick(r, WORDS)
    if (r.next() < 0.05) w = `(${w})`
    s += (i === 0 ? '' : ' ') + w
    const y = r.next()
    if (y < 0.08) s += ','
    else if (y < 0.11) s += '.'
  }
  const z = r.next()
  return z < 0.1 ? `¿${s}?` : z < 0.15 ? `${s}!` : z < 0.2 ? `"${s}"` : s
}
const APOS_FIRST = ["D'Arcy", "Mary-Jane", 'Jean-Luc', "N'Golo", 'Anne-Sophie', 'José-María', "D'Angelo", 'Ana-Lucía']
const APOS_LAST = ["O'Neill", "O'Brien", "D'Angelo", "N'Diaye", 'Smith-Jones', "Dell'Olio", "O'Connor-Ruiz", 'García-Márquez', "L'Estrange"]
const APOS_PLACES = ["l'Hospitalet de Llobregat", "Castelló d'Empúries", "L'Alcúdia", 'Vitoria-Gasteiz', "Sant Feliu de Guíxols", "Bellver de Cerdanya"]
const BROWSERS = (r: Prng): string => {
  const v = 110 + r.nextInt(25)
  switch (r.nextInt(6)) {
    case 0: return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.${r.nextInt(6000)}.${r.nextInt(200)} Safari/537.36`
    case 1: return `Mozilla/5.0 (X11; Linux x86_64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`
    case 2: return `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_${r.nextInt(8)}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${16 + r.nextInt(3)}.${r.nextInt(6)} Safari/605.1.15`
    case 3: return `Mozilla/5.0 (iPhone; CPU iPhone OS 17_${r.nextInt(5)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${r.nextInt(5)} Mobile/15E148 Safari/604.1`
    case 4: return `Mozilla/5.0 (Linux; Android 14; Pixel ${6 + r.nextInt(3)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Mobile Safari/537.36`
    default: return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.${r.nextInt(3000)}.${r.nextInt(100)}`
  }
}
/** Another encoding of the same form text: UTF-8 for non-ASCII, %20 for spaces, lower-case hex, some letters escaped. */
function reencode (raw: string, r: Prng): string {
  return pairsOf(raw).map((p) => {
    const v = Array.from(p.value).map((ch) => {
      const c = ch.codePointAt(0)!
      if (c > 127) return encodeURIComponent(ch).toLowerCase()
      if (ch === ' ') return '%20'
      if (/[A-Za-z0-9]/.test(ch)) return r.next() < 0.15 ? `%${c.toString(16)}` : ch
      return `%${c.toString(16).padStart(2, '0')}`
    }).join('')
    return `${enc(p.name)}=${v}`
  }).join('&')
}

// ---------------------------------------------------------------- the drivers
interface Run {
  det: Detector<HttpObservation>
  gate: InnateGate | null
  clock: ManualClock
  t: number
}

/** The daemon's own defaults (node/config/default-config.ts: minObservations 200, minDurationSec 900, targets 1 % / 0.1 %, quorum 5). */
const CONFIG = validateConfig({})
const DETECTOR = detectorParamsFromConfig(CONFIG)

/** A detector trained on CSIC's normal training traffic, wired as node/daemon/detection.ts wires one (innate gate and value checker). */
function trained (): Run {
  const clock = createManualClock(T0)
  const inspector = createInnateDetector({ grammars: CONFIG.innate.grammars, headers: CONFIG.innate.headers })
  const gate = INNATE ? createInnateGate({ inspector, policy: innateCellPolicy(CONFIG.innate, 'web').policy }) : null
  const profiles = createHttpProfileSet(INNATE ? { valueChecker: innateValueChecker(inspector) } : {})
  const det = createDetector({ clock, profiles }, { ...DETECTOR, flushIntervalMs: 10_000 })
  for (const o of train) {
    if (o.time > clock.now()) clock.set(o.time)
    if (gate != null) gate.decide(det, o, true)
    else det.observe(o)
  }
  return { det, gate, clock, t: tEnd }
}

interface Tally { n: number, blocked: number, suspicious: number, clients: Set<string>, banned: Set<string>, level2Times: Map<string, number[]>, examples: string[] }
const tally = (): Tally => ({ n: 0, blocked: 0, suspicious: 0, clients: new Set(), banned: new Set(), level2Times: new Map(), examples: [] })
const policy = createPolicy(defaultPolicyConfig())
let policyState = emptyPolicyState()

function send (run: Run, o: HttpObservation, t: Tally | null, attack = false, stepMs = STEP_MS): number {
  run.t += stepMs
  const obs = { ...o, time: run.t }
  run.clock.set(run.t)
  const r = run.gate != null ? run.gate.decide(run.det, obs, true).result : run.det.observe(obs)
  if (t == null) return r.danger
  t.n++
  if (obs.source != null) t.clients.add(obs.source)
  if (r.danger >= 1) t.suspicious++
  if (attack && r.danger < 2 && VERBOSE && t.examples.length < 6) t.examples.push(`MISS ${r.danger} ${r.context} ${JSON.stringify(obs.headers).slice(0, 300)} ${obs.query.slice(0, 120)} ${r.score.value}/${r.score.evidence}: ${r.score.reasons.slice(0, 3).map((x) => `${x.parameter ?? ''} ${x.feature} ${String(x.observed).slice(0, 40)} ${x.surprise}${x.novelty === true ? 'N' : 'E'}`).join('; ')}`)
  if (!attack && r.danger === 1 && VERBOSE && t.examples.length < 3) t.examples.push(`L1 ${r.context} ${r.score.value}/${r.score.evidence} ${JSON.stringify(r.thresholds)}: ${r.score.reasons.slice(0, 4).map((x) => `${x.parameter ?? ''} ${x.feature} ${String(x.observed).slice(0, 40)} ${x.surprise}${x.novelty === true ? 'N' : 'E'}`).join('; ')}`)
  if (r.danger === 2) {
    t.blocked++
    if (t.examples.length < 3) t.examples.push(`${r.context} ${r.score.value}/${r.score.evidence} ${JSON.stringify(r.thresholds)}: ${r.score.reasons.slice(0, 4).map((x) => `${x.parameter ?? ''} ${x.feature} ${String(x.observed).slice(0, 40)} ${x.surprise}${x.novelty === true ? "N" : "E"}`).join('; ')}`)
    if (obs.source != null) { const l = t.level2Times.get(obs.source) ?? []; l.push(run.t); t.level2Times.set(obs.source, l) }
  }
  if (r.danger >= 1 && obs.source != null) {
    const event = { cell: 'web', level: r.danger as 1 | 2, source: obs.source, context: r.context, explanation: '', origin: 'local' as const }
    const bd = decideWithBreakdown(event, policyState, policy, run.t)
    policyState = recordOffence(policyState, event, bd, policy, run.t)
    if (bd.decisions.some((d) => d.action === 'block-source')) t.banned.add(obs.source)
  }
  return r.danger
}

const repeatedBans = (t: Tally): number => {
  let n = 0
  for (const times of t.level2Times.values()) {
    for (let i = 2; i < times.length; i++) if (times[i] - times[i - 2] <= 600_000) { n++; break }
  }
  return n
}

let clientSeq = 0
const newClient = (): string => { clientSeq++; return `10.200.${Math.floor(clientSeq / 250) % 250}.${1 + clientSeq % 250}` }

/** A session of one new client: `changed` requests carrying the change, then `normal` ordinary ones. */
function session (run: Run, t: Tally, r: Prng, make: () => HttpObservation | undefined, changed: number, normal: number, headers?: Record<string, string>): void {
  const source = newClient()
  const h = headers ?? {}
  for (let i = 0; i < changed; i++) { const o = make(); if (o != null) send(run, { ...o, headers: { ...o.headers, ...h }, source }, t) }
  for (let i = 0; i < normal; i++) { const o = normalOf(r); send(run, { ...o, headers: { ...o.headers, ...h }, source }, t) }
}

// ---------------------------------------------------------------- benign classes
const NEW_PAGE = '/tienda1/publico/ofertas.jsp'
const newPageRequest = (r: Prng): HttpObservation => ({ kind: 'http', time: 0, method: 'GET', path: NEW_PAGE, query: form([{ name: 'categoria', value: pick(r, ['vinos', 'quesos', 'aceites', 'embutidos', 'dulces']) }, { name: 'pagina', value: String(1 + r.nextInt(12)) }, { name: 'orden', value: pick(r, ['precio', 'nombre', 'novedad']) }] as FormParam[]), body: '', headers: { 'user-agent': train[0].headers['user-agent'] ?? '' } })

const benign: Record<string, (run: Run, t: Tally, r: Prng) => void> = {
  'new-ids-prices': (run, t, r) => {
    const make = (): HttpObservation | undefined => {
      const o = templateWith(r, (p) => numericParams.has(p.name))
      if (o == null) return undefined
      const { query, body } = paramsOf(o)
      const change = (ps: FormParam[]): FormParam[] => ps.map((p) => {
        if (!numericParams.has(p.name)) return p
        const max = seenValues.get(p.name)!.max
        // integers up to twice the largest seen (new ids, quantities), or amounts with cents in range
        const v = r.next() < 0.4 || max > 1e6 ? String(1 + Math.floor(r.nextDouble() * Math.max(2, max * 2))) : (r.nextDouble() * max * 1.5 + 0.01).toFixed(2)
        return { ...p, value: v }
      })
      return withParamsOf(o, change(query), change(body))
    }
    for (let i = 0; i < CASES; i++) session(run, t, r, make, 3, 2)
  },
  'tracking-tags': (run, t, r) => {
    const make = (): HttpObservation => {
      const o = pick(r, train)
      const tags = [`utm_source=${pick(r, ['newsletter', 'google', 'facebook', 'twitter'])}`, `utm_medium=${pick(r, ['email', 'cpc', 'social'])}`, `utm_campaign=${pick(r, ['navidad', 'rebajas', 'spring-2025'])}`]
      if (r.next() < 0.5) tags.push(`fbclid=IwAR${token(r, 40)}`)
      if (r.next() < 0.3) tags.push(`gclid=Cj0KCQ${token(r, 30)}`)
      return { ...o, query: [o.query, ...tags].filter((x) => x !== '').join('&') }
    }
    for (let i = 0; i < CASES; i++) session(run, t, r, make, 1, 4)
  },
  encoding: (run, t, r) => {
    const make = (): HttpObservation => { const o = pick(r, withParams); return { ...o, query: reencode(o.query, r), body: reencode(o.body, r) } }
    for (let i = 0; i < CASES; i++) session(run, t, r, make, 5, 0)
  },
  'email-login': (run, t, r) => {
    const isLogin = (p: FormParam): boolean => /^(login|user(name)?|usuario|email|mail)$/i.test(p.name)
    const make = (): HttpObservation | undefined => {
      const o = templateWith(r, isLogin)
      if (o == null) return undefined
      const { query, body } = paramsOf(o)
      const ch = (ps: FormParam[]): FormParam[] => ps.map((p) => isLogin(p) ? { ...p, value: email(r) } : p)
      return withParamsOf(o, ch(query), ch(body))
    }
    for (let i = 0; i < CASES; i++) session(run, t, r, make, 1, 4)
  },
  'apostrophe-names': (run, t, r) => {
    const kind = (p: FormParam): 'first' | 'last' | 'place' | null => /^(nombre|name|first_?name)$/i.test(p.name) ? 'first' : /^(apellidos?|surname|last_?name)$/i.test(p.name) ? 'last' : /^(ciudad|city|town)$/i.test(p.name) ? 'place' : null
    const make = (): HttpObservation | undefined => {
      const o = templateWith(r, (p) => kind(p) != null)
      if (o == null) return undefined
      const { query, body } = paramsOf(o)
      const ch = (ps: FormParam[]): FormParam[] => ps.map((p) => {
        const k = kind(p)
        if (k == null || r.next() < 0.3) return p
        return { ...p, value: k === 'first' ? pick(r, APOS_FIRST) : k === 'last' ? `${pick(r, APOS_LAST)}${r.next() < 0.4 ? ` ${pick(r, APOS_LAST)}` : ''}` : pick(r, APOS_PLACES) }
      })
      return withParamsOf(o, ch(query), ch(body))
    }
    for (let i = 0; i < CASES; i++) session(run, t, r, make, 1, 4)
  },
  'json-posts': (run, t, r) => {
    const posts = train.filter((o) => o.body !== '')
    const make = (): HttpObservation => {
      const o = pick(r, posts)
      const obj: Record<string, string | number> = {}
      for (const p of pairsOf(o.body)) obj[p.name] = numericParams.has(p.name) && /^\d+$/.test(p.value) ? Number(p.value) : p.value
      return { ...o, body: JSON.stringify(obj), headers: { ...o.headers, 'content-type': 'application/json' } }
    }
    for (let i = 0; i < CASES; i++) session(run, t, r, make, 5, 0)
  },
  'browser-headers': (run, t, r) => {
    for (let i = 0; i < CASES; i++) {
      const h: Record<string, string> = {
        'user-agent': BROWSERS(r),
        referer: r.next() < 0.5 ? 'http://localhost:8080/tienda1/index.jsp' : pick(r, ['https://www.google.com/', 'https://duckduckgo.com/', 'https://www.bing.com/search?q=tienda+vinos']),
        cookie: `JSESSIONID=${hex(r, 32)}; consent=${pick(r, ['yes', 'no', 'partial'])}; theme=${pick(r, ['dark', 'light'])}; _ga=GA1.1.${r.nextInt(1e9)}.${r.nextInt(1e9)}`
      }
      session(run, t, r, () => undefined, 0, 12, h)
    }
  },
  'new-page': (run, t, r) => {
    // over an hour, as a page's first visitors come (minDurationSec is 15 minutes)
    const clients = Array.from({ length: 100 }, () => newClient())
    for (let i = 0; i < 300; i++) send(run, { ...newPageRequest(r), source: clients[i % 100] }, t, false, 12_000)
  },
  'new-search-page': (run, t, r) => {
    // a new page that takes free text: the app-wide second opinion must not take punctuation for an attack
    const clients = Array.from({ length: 100 }, () => newClient())
    for (let i = 0; i < 300; i++) {
      const q: FormParam[] = [{ name: 'q', value: freeText(r), rawLength: 0, flags: 0 }, { name: 'pagina', value: String(1 + r.nextInt(5)), rawLength: 0, flags: 0 }]
      send(run, { kind: 'http', time: 0, method: 'GET', path: '/tienda1/publico/buscar.jsp', query: form(q), body: '', headers: { 'user-agent': train[0].headers['user-agent'] ?? '' }, source: clients[i % 100] }, t, false, 12_000)
    }
  },
  'new-methods-files': (run, t, r) => {
    // a release adds a REST section and assets; its clients use them (every method a REST client uses, on routes without script extensions)
    const make = (): HttpObservation => {
      const id = String(1 + r.nextInt(5000))
      const x = r.nextInt(9)
      const base = { kind: 'http' as const, time: 0, query: '', body: '', headers: { 'user-agent': train[0].headers['user-agent'] ?? '' } }
      switch (x) {
        case 0: return { ...base, method: 'PUT', path: `/tienda1/api/carrito/${id}`, body: JSON.stringify({ cantidad: 1 + r.nextInt(9) }), headers: { ...base.headers, 'content-type': 'application/json' } }
        case 1: return { ...base, method: 'PATCH', path: `/tienda1/api/perfil/${id}`, body: JSON.stringify({ idioma: pick(r, ['es', 'en', 'ca']) }), headers: { ...base.headers, 'content-type': 'application/json' } }
        case 2: return { ...base, method: 'DELETE', path: `/tienda1/api/carrito/${id}` }
        case 3: return { ...base, method: 'OPTIONS', path: '/tienda1/api/carrito' }
        case 4: return { ...base, method: 'GET', path: `/tienda1/static/${pick(r, ['app', 'vendor', 'main'])}.${hex(r, 8).toLowerCase()}.${pick(r, ['js', 'css', 'js.map'])}` }
        case 5: return { ...base, method: 'GET', path: pick(r, ['/.well-known/security.txt', '/.well-known/openid-configuration', '/robots.txt', '/sitemap.xml', '/favicon.ico']) }
        case 6: return { ...base, method: 'GET', path: `/tienda1/descargas/${pick(r, ['catalogo-2025.pdf', 'tarifas.xlsx', 'manual-v1.2.3.pdf', 'fotos.zip'])}` }
        case 7: return { ...base, method: 'HEAD', path: `/tienda1/api/productos/${id}` }
        default: return { ...base, method: 'GET', path: `/tienda1/api/productos/${id}`, query: form([{ name: 'campos', value: pick(r, ['nombre,precio', 'todo']) }] as FormParam[]) }
      }
    }
    for (let i = 0; i < CASES; i++) session(run, t, r, make, 4, 1)
  },
  'optional-missing': (run, t, r) => {
    const make = (): HttpObservation | undefined => {
      const o = templateWith(r, () => true)
      if (o == null) return undefined
      const { query, body } = paramsOf(o)
      const all = [...query.map((p) => ['q', p] as const), ...body.map((p) => ['b', p] as const)]
      if (all.length < 3) return undefined
      const drop = 1 + r.nextInt(all.length - 1)
      const kept = all.filter((_, i) => i !== drop)
      return withParamsOf(o, kept.filter((x) => x[0] === 'q').map((x) => x[1]), kept.filter((x) => x[0] === 'b').map((x) => x[1]))
    }
    for (let i = 0; i < CASES; i++) session(run, t, r, make, 1, 4)
  }
}

// ---------------------------------------------------------------- attacks
const KINDS: AttackKind[] = ['sqli', 'xss', 'command']
/** In parameters, path traversal too. */
const PARAM_KINDS: AttackKind[] = ['sqli', 'xss', 'traversal', 'command']
const injectInto = (o: HttpObservation, r: Prng): HttpObservation => {
  const { query, body } = paramsOf(o)
  const inBody = body.length > 0 && (query.length === 0 || r.next() < 0.5)
  const ps = inBody ? body : query
  if (ps.length === 0) return o
  const i = r.nextInt(ps.length)
  const p = attackPayload(r, pick(r, PARAM_KINDS))
  ps[i] = { ...ps[i], value: r.next() < 0.5 ? ps[i].value + p : p }
  return inBody ? withParamsOf(o, query, ps) : withParamsOf(o, ps, body)
}
const NEW_ENDPOINTS = ['buscar', 'comentario', 'perfil', 'valorar', 'contacto', 'suscribir', 'cupon', 'lista', 'favoritos', 'mensaje']
  .map((n, k) => ({ path: `/tienda1/publico/${n}.jsp`, params: [['q', 'texto', 'usuario', 'codigo', 'asunto'][k % 5], ['pagina', 'idioma', 'orden', 'seccion', 'formato'][k % 5]] }))

const attacks: Record<string, (run: Run, t: Tally, r: Prng) => void> = {
  // the reference: the same payloads at the pages seen in training (what the profile catches where it guards)
  'known-endpoint': (run, t, r) => {
    for (let i = 0; i < CASES; i++) send(run, { ...injectInto(pick(r, withParams), r), source: newClient() }, t, true)
  },
  'header-injection': (run, t, r) => {
    for (let i = 0; i < CASES; i++) {
      const o = normalOf(r)
      const p = attackPayload(r, pick(r, KINDS))
      const x = r.next()
      const headers = { ...o.headers }
      if (x < 0.5) headers['user-agent'] = r.next() < 0.5 ? `${headers['user-agent'] ?? 'Mozilla/5.0'}${p}` : p
      else if (x < 0.75) headers.referer = `http://localhost:8080/tienda1/index.jsp${p}`
      else headers.cookie = `JSESSIONID=${hex(r, 32)}${p}`
      send(run, { ...o, headers, source: newClient() }, t, true)
    }
  },
  'unseen-endpoint': (run, t, r) => {
    for (let i = 0; i < CASES; i++) {
      const e = pick(r, NEW_ENDPOINTS)
      const o: HttpObservation = { kind: 'http', time: 0, method: 'GET', path: e.path, query: form([{ name: e.params[0], value: pick(r, ['vino tinto', 'queso', 'hola', 'pedro']) }, { name: e.params[1], value: String(1 + r.nextInt(5)) }] as FormParam[]), body: '', headers: { 'user-agent': train[0].headers['user-agent'] ?? '' }, source: newClient() }
      send(run, injectInto(o, r), t, true)
    }
  },
  'unseen-endpoint-similar': (run, t, r) => {
    // a new path that takes the same parameters as a page in training (a new version of a form)
    for (let i = 0; i < CASES; i++) {
      const o = pick(r, withParams)
      const path = o.path.replace(/\.jsp$/, pick(r, ['2.jsp', '-v2.jsp', '_nuevo.jsp']))
      send(run, { ...injectInto(o, r), path, source: newClient() }, t, true)
    }
  },
  'one-source-endpoint': (run, t, r) => {
    const teacher = newClient()
    const req = (): HttpObservation => ({ kind: 'http', time: 0, method: 'GET', path: '/tienda1/publico/novedades.jsp', query: form([{ name: 'seccion', value: pick(r, ['vinos', 'quesos', 'aceites']) }, { name: 'pagina', value: String(1 + r.nextInt(9)) }] as FormParam[]), body: '', headers: { 'user-agent': train[0].headers['user-agent'] ?? '' } })
    for (let i = 0; i < 300; i++) send(run, { ...req(), source: teacher }, null)
    for (let i = 0; i < CASES; i++) send(run, { ...injectInto(req(), r), source: r.next() < 0.5 ? teacher : newClient() }, t, true)
  },
  'new-endpoint': (run, t, r) => {
    const clients = Array.from({ length: 100 }, () => newClient())
    for (let i = 0; i < 300; i++) send(run, { ...newPageRequest(r), source: clients[i % 100] }, null, false, 12_000)
    for (let i = 0; i < CASES; i++) send(run, { ...injectInto(newPageRequest(r), r), source: newClient() }, t, true)
  },
  'scanner-probes': (run, t, r) => {
    // what dirb, nikto and nuclei's exposure templates ask for, around the app's own pages
    const pages = [...new Set(train.map((o) => o.path))]
    const dirs = [...new Set(pages.map((p) => p.replace(/\/[^/]*$/, '')))]
    for (let i = 0; i < CASES; i++) {
      const page = pick(r, pages)
      const x = r.nextInt(6)
      const path = x === 0 ? `${page}${pick(r, ['.bak', '.old', '.orig', '~', '.swp', '.BAK', '.save'])}`
        : x === 1 ? `${pick(r, dirs)}/${pick(r, ['.git/HEAD', '.svn/entries', '.env', '.DS_Store', 'WEB-INF/web.xml', '.htaccess'])}`
          : x === 2 ? `${page.replace(/\.[a-z]+$/, '')}.${pick(r, ['inc', 'java', 'sql', 'log', 'cfg'])}`
            : page
      const method = x === 3 ? pick(r, ['PUT', 'MOVE', 'DELETE']) : x === 4 ? pick(r, ['TRACE', 'TRACK', 'DEBUG']) : 'GET'
      const o: HttpObservation = { kind: 'http', time: 0, method, path: x === 5 ? `${pick(r, dirs)}/${pick(r, ['backup.sql', 'db.sql', 'error.log', 'config.inc'])}` : path, query: '', body: method === 'PUT' ? 'x=1' : '', headers: { 'user-agent': train[0].headers['user-agent'] ?? '' }, source: newClient() }
      send(run, o, t, true)
    }
  }
}

// ---------------------------------------------------------------- run
const wanted = (name: string): boolean => ONLY === '' || ONLY.split(',').includes(name)
const started = performance.now()
const benignOut: Array<{ class: string, n: number, blocked: number, banned: number, bannedRepeated: number, suspicious: number, clients: number }> = []
const attackOut: Array<{ class: string, n: number, blocked: number, suspicious: number }> = []
for (const [name, gen] of Object.entries(benign)) {
  if (!wanted(name)) continue
  const run = trained()
  policyState = emptyPolicyState()
  const t = tally()
  gen(run, t, createPrng(`${BENCH}:${name}`))
  benignOut.push({ class: name, n: t.n, blocked: t.blocked, banned: t.banned.size, bannedRepeated: repeatedBans(t), suspicious: t.suspicious, clients: t.clients.size })
  process.stderr.write(`${BENCH}: benign ${name}: ${t.n} requests from ${t.clients.size} clients, blocked ${t.blocked} (${(100 * t.blocked / Math.max(1, t.n)).toFixed(2)} %), level>=1 ${t.suspicious}, banned ${t.banned.size} (repeated-offence rule ${repeatedBans(t)})${t.examples.length > 0 ? ` e.g. ${t.examples.join(' | ')}` : ''}\n`)
}
for (const [name, gen] of Object.entries(attacks)) {
  if (!wanted(name)) continue
  const run = trained()
  policyState = emptyPolicyState()
  const t = tally()
  gen(run, t, createPrng(`${BENCH}:${name}`))
  attackOut.push({ class: name, n: t.n, blocked: t.blocked, suspicious: t.suspicious })
  process.stderr.write(`${BENCH}: attack ${name}: ${t.n}, blocked ${t.blocked} (${(100 * t.blocked / Math.max(1, t.n)).toFixed(1)} %), level>=1 ${t.suspicious}${t.examples.length > 0 ? `\n    ${t.examples.join('\n    ')}` : ''}\n`)
}

printResult({
  bench: BENCH,
  targets: { benignBlockedMaxShare: 0.001, benignBannedMax: 0, attacksBlockedMinShare: 0.95 },
  benign: benignOut,
  attacks: attackOut,
  innate: INNATE,
  seconds: Math.round((performance.now() - started) / 100) / 10,
  loadAvg: loadavg().map((x) => Math.round(x * 100) / 100)
})
