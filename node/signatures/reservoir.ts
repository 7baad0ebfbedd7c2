/**
 * The "self": a bounded sample of recent NORMAL observations per context,
 * against which signatures are generated (clonal selection) and vetted.
 *
 * Each context keeps two samples:
 *   - a ring of the most recent `recentPerContext` observations, so the self
 *     follows drift (a new form field, a new product name): pure reservoir
 *     sampling gives the last hour a share of ~1/(hours seen), and a
 *     signature that matches today's traffic would pass vetting;
 *   - a uniform sample of everything ever seen (Vitter's algorithm R, seeded
 *     PRNG), `longTermPerContext` entries, so rare but normal requests (a
 *     weekly batch job, a seldom used form) stay in the self after the ring
 *     has forgotten them.
 * `values(context)` is their union (an observation held by both counts once).
 *
 * Persistence (sublevel 'reservoir'): one key per slot, so a write never
 * rewrites the whole sample; `add` only marks slots dirty and `flush()` (every
 * `flushIntervalMs`, and on stop) writes them in one batch. A crash loses at
 * most the last interval of additions, which is harmless for a sample.
 * Stored observations are trimmed to what matching needs (method, path,
 * query, body, time; no headers or source address) and to `maxStoredChars`.
 */
import type { Clock, TimerHandle } from '../../core/index.js'
import { InvalidParamsError, SignaturesNotStartedError } from '../errors.js'
import type { HttpObservation } from '../observation.js'
import { createPrng, restorePrng } from '../../core/index.js'
import type { Prng, PrngState } from '../../core/index.js'
import type { Store, Sublevel } from '../store/index.js'

export const RESERVOIR_SUBLEVEL = 'reservoir'

export interface ReservoirParams {
  /** Ring of the most recent observations per context. */
  recentPerContext: number
  /** Uniform (algorithm R) sample of all observations per context. */
  longTermPerContext: number
  /** Contexts kept; beyond it the context with the oldest addition is dropped. */
  maxContexts: number
  /** path + query + body characters kept per observation (body trimmed first). */
  maxStoredChars: number
  flushIntervalMs: number
  seed: number | string
}

export const defaultReservoirParams: Readonly<ReservoirParams> = Object.freeze({
  recentPerContext: 500,
  longTermPerContext: 1500,
  // memory: at most maxContexts x 2,000 observations (plus their decoded documents, cached for vetting)
  maxContexts: 256,
  maxStoredChars: 8192,
  flushIntervalMs: 5000,
  seed: 'immune-reservoir'
})

export function validateReservoirParams (p: ReservoirParams): void {
  const int = (field: keyof ReservoirParams, min: number, max: number): void => {
    const v = p[field]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(field, v, `an integer in [${min}, ${max}]`)
  }
  int('recentPerContext', 0, 1_000_000)
  int('longTermPerContext', 0, 1_000_000)
  if (p.recentPerContext + p.longTermPerContext < 1) throw new InvalidParamsError('recentPerContext', p.recentPerContext, 'recentPerContext + longTermPerContext >= 1')
  int('maxContexts', 1, 10_000_000)
  int('maxStoredChars', 1, 100_000_000)
  int('flushIntervalMs', 1, 86_400_000)
  if (typeof p.seed !== 'string' && (typeof p.seed !== 'number' || !Number.isFinite(p.seed))) throw new InvalidParamsError('seed', p.seed, 'a finite number or a string')
}

export function createReservoirParams (partial: Partial<ReservoirParams> = {}): Readonly<ReservoirParams> {
  const p = { ...defaultReservoirParams, ...partial }
  validateReservoirParams(p)
  return Object.freeze(p)
}

export interface ReservoirEntry {
  context: string
  obs: HttpObservation
}

/** What vetting and clonal selection read: the normal sample. */
export interface NormalSample {
  values: (context: string) => readonly HttpObservation[]
  all: () => readonly ReservoirEntry[]
}

export interface Reservoir extends NormalSample {
  start: () => Promise<void>
  /** Flushes and stops the flush timer. */
  stop: () => Promise<void>
  /** Write every pending change now. */
  flush: () => Promise<void>
  /** Add one normal observation of `context` (stored trimmed; the caller's object is not kept). */
  add: (context: string, obs: HttpObservation) => void
  contexts: () => string[]
  /** Observations ever added to `context` (not just held). */
  seen: (context: string) => number
  /** Distinct observations held, all contexts. */
  readonly size: number
}

export interface ReservoirComponents {
  store: Store
  clock: Clock
  /** Called when a periodic flush fails (the changes stay pending and are retried). */
  onError?: (err: unknown) => void
}

interface Slot { n: number, obs: HttpObservation }

interface ContextSample {
  recent: Array<Slot | undefined>
  head: number
  longTerm: Slot[]
  seen: number
  lastAddMs: number
  cache: HttpObservation[] | null
}

/** Stored form of one observation. */
interface StoredObs { n: number, t: number, m: string, p: string, q: string, b: string }
interface StoredMeta { seen: number, head: number, lastAddMs: number }

const enc = (context: string): string => encodeURIComponent(context)
const metaKey = (context: string): string => `m|${enc(context)}`
const slotKey = (kind: 'r' | 'l', context: string, slot: number): string => `${kind}|${enc(context)}|${slot}`
const PRNG_KEY = '_prng'

function trim (obs: HttpObservation, max: number): HttpObservation {
  let { path, query, body } = obs
  let over = path.length + query.length + body.length - max
  if (over > 0) {
    const cut = Math.min(over, body.length)
    body = body.slice(0, body.length - cut)
    over -= cut
  }
  if (over > 0) {
    const cut = Math.min(over, query.length)
    query = query.slice(0, query.length - cut)
    over -= cut
  }
  if (over > 0) path = path.slice(0, path.length - over)
  return { kind: 'http', time: obs.time, method: obs.method, path, query, body, headers: {} }
}

function toStored (slot: Slot): StoredObs {
  const o = slot.obs
  return { n: slot.n, t: o.time, m: o.method, p: o.path, q: o.query, b: o.body }
}

function fromStored (v: unknown): Slot | null {
  if (v == null || typeof v !== 'object') return null
  const s = v as Partial<StoredObs>
  if (typeof s.n !== 'number' || typeof s.t !== 'number' || typeof s.m !== 'string' || typeof s.p !== 'string' || typeof s.q !== 'string' || typeof s.b !== 'string') return null
  return { n: s.n, obs: { kind: 'http', time: s.t, method: s.m, path: s.p, query: s.q, body: s.b, headers: {} } }
}

export function createReservoir (components: ReservoirComponents, init: Partial<ReservoirParams> = {}): Reservoir {
  const params = createReservoirParams(init)
  const { clock } = components
  const samples = new Map<string, ContextSample>()
  const dirty = new Set<string>()
  const deletes = new Set<string>()
  let prng: Prng = createPrng(params.seed)
  let prngDirty = false
  let started = false
  let timer: TimerHandle | null = null
  let db: Sublevel | null = null
  let allCache: ReservoirEntry[] | null = null
  let flushing: Promise<void> = Promise.resolve()

  const newSample = (): ContextSample => ({ recent: new Array(params.recentPerContext).fill(undefined), head: 0, longTerm: [], seen: 0, lastAddMs: 0, cache: null })

  const markPut = (key: string): void => { dirty.add(key); deletes.delete(key) }

  const distinct = (s: ContextSample): HttpObservation[] => {
    if (s.cache != null) return s.cache
    const seen = new Set<number>()
    const out: HttpObservation[] = []
    // newest first
    for (let k = 1; k <= s.recent.length; k++) {
      const slot = s.recent[(s.head - k + s.recent.length) % s.recent.length]
      if (slot != null && !seen.has(slot.n)) { seen.add(slot.n); out.push(slot.obs) }
    }
    for (const slot of s.longTerm) if (!seen.has(slot.n)) { seen.add(slot.n); out.push(slot.obs) }
    s.cache = out
    return out
  }

  const evictOldest = (): void => {
    let oldest: string | null = null
    let oldestMs = Infinity
    for (const [ctx, s] of samples) if (s.lastAddMs < oldestMs) { oldest = ctx; oldestMs = s.lastAddMs }
    if (oldest == null) return
    const s = samples.get(oldest) as ContextSample
    samples.delete(oldest)
    for (let i = 0; i < s.recent.length; i++) if (s.recent[i] != null) { deletes.add(slotKey('r', oldest, i)); dirty.delete(slotKey('r', oldest, i)) }
    for (let i = 0; i < s.longTerm.length; i++) { deletes.add(slotKey('l', oldest, i)); dirty.delete(slotKey('l', oldest, i)) }
    deletes.add(metaKey(oldest)); dirty.delete(metaKey(oldest))
  }

  const load = async (sub: Sublevel): Promise<void> => {
    const metas = new Map<string, StoredMeta>()
    const slots: Array<{ kind: 'r' | 'l', context: string, index: number, slot: Slot }> = []
    const stale: string[] = []
    for await (const [key, value] of sub.iterator()) {
      if (key === PRNG_KEY) {
        try { prng = restorePrng(value as PrngState) } catch { stale.push(key) }
        continue
      }
      const parts = key.split('|')
      const context = parts.length >= 2 ? safeDecode(parts[1]) : null
      if (context == null) { stale.push(key); continue }
      if (parts[0] === 'm' && parts.length === 2) {
        const m = value as Partial<StoredMeta>
        if (typeof m?.seen === 'number' && typeof m.head === 'number' && typeof m.lastAddMs === 'number') metas.set(context, m as StoredMeta)
        else stale.push(key)
      } else if ((parts[0] === 'r' || parts[0] === 'l') && parts.length === 3) {
        const slot = fromStored(value)
        const index = Number(parts[2])
        if (slot == null || !Number.isInteger(index) || index < 0) { stale.push(key); continue }
        slots.push({ kind: parts[0], context, index, slot })
      } else stale.push(key)
    }
    for (const [context, m] of metas) {
      const s = newSample()
      s.seen = m.seen
      s.head = params.recentPerContext === 0 ? 0 : Math.min(Math.max(0, m.head), params.recentPerContext - 1)
      s.lastAddMs = m.lastAddMs
      samples.set(context, s)
    }
    for (const { kind, context, index, slot } of slots) {
      const s = samples.get(context)
      const limit = kind === 'r' ? params.recentPerContext : params.longTermPerContext
      if (s == null || index >= limit) { stale.push(slotKey(kind, context, index)); continue }
      if (kind === 'r') s.recent[index] = slot
      else s.longTerm[index] = slot
    }
    for (const s of samples.values()) s.longTerm = s.longTerm.filter((x) => x != null)
    for (const key of stale) deletes.add(key)
    // the params may have shrunk since the data was written
    while (samples.size > params.maxContexts) evictOldest()
  }

  const flushNow = async (): Promise<void> => {
    if (db == null || (dirty.size === 0 && deletes.size === 0 && !prngDirty)) return
    const ops: Array<{ type: 'put', key: string, value: unknown } | { type: 'del', key: string }> = []
    const dels = [...deletes]
    const puts = [...dirty]
    deletes.clear()
    dirty.clear()
    const wrotePrng = prngDirty
    prngDirty = false
    for (const key of dels) ops.push({ type: 'del', key })
    for (const key of puts) {
      const value = valueOf(key)
      if (value !== undefined) ops.push({ type: 'put', key, value })
    }
    if (wrotePrng) ops.push({ type: 'put', key: PRNG_KEY, value: prng.getState() })
    try {
      await db.batch(ops)
    } catch (err) {
      for (const key of dels) if (!dirty.has(key)) deletes.add(key)
      for (const key of puts) if (!deletes.has(key)) dirty.add(key)
      if (wrotePrng) prngDirty = true
      throw err
    }
  }

  const valueOf = (key: string): unknown => {
    const parts = key.split('|')
    const context = safeDecode(parts[1])
    const s = context == null ? undefined : samples.get(context)
    if (s == null) return undefined
    if (parts[0] === 'm') return { seen: s.seen, head: s.head, lastAddMs: s.lastAddMs } satisfies StoredMeta
    const index = Number(parts[2])
    const slot = parts[0] === 'r' ? s.recent[index] : s.longTerm[index]
    return slot == null ? undefined : toStored(slot)
  }

  const flush = async (): Promise<void> => {
    const next = flushing.then(flushNow, flushNow)
    flushing = next.catch(() => {})
    await next
  }

  return {
    async start () {
      if (started) return
      db = components.store.sub(RESERVOIR_SUBLEVEL)
      samples.clear()
      dirty.clear()
      deletes.clear()
      prng = createPrng(params.seed)
      await load(db)
      allCache = null
      started = true
      timer = clock.setInterval(() => {
        flush().catch((err) => { components.onError?.(err) })
      }, params.flushIntervalMs)
    },

    async stop () {
      if (!started) return
      started = false
      if (timer != null) { clock.clearInterval(timer); timer = null }
      await flush()
    },

    flush,

    add (context, obs) {
      if (!started) throw new SignaturesNotStartedError('reservoir', 'add')
      let s = samples.get(context)
      if (s == null) {
        if (samples.size >= params.maxContexts) evictOldest()
        s = newSample()
        samples.set(context, s)
      }
      const slot: Slot = { n: s.seen + 1, obs: trim(obs, params.maxStoredChars) }
      s.seen += 1
      s.lastAddMs = clock.now()
      s.cache = null
      allCache = null
      if (params.recentPerContext > 0) {
        s.recent[s.head] = slot
        markPut(slotKey('r', context, s.head))
        s.head = (s.head + 1) % params.recentPerContext
      }
      // Vitter's algorithm R: the n-th item replaces a uniform slot with probability k/n
      const k = params.longTermPerContext
      if (k > 0) {
        if (s.longTerm.length < k) {
          s.longTerm.push(slot)
          markPut(slotKey('l', context, s.longTerm.length - 1))
        } else {
          const j = s.seen <= 0xffffffff ? prng.nextInt(s.seen) : Math.floor(prng.nextDouble() * s.seen)
          prngDirty = true
          if (j < k) {
            s.longTerm[j] = slot
            markPut(slotKey('l', context, j))
          }
        }
      }
      markPut(metaKey(context))
    },

    values (context) {
      const s = samples.get(context)
      return s == null ? [] : distinct(s)
    },

    all () {
      if (allCache != null) return allCache
      const out: ReservoirEntry[] = []
      for (const [context, s] of samples) for (const obs of distinct(s)) out.push({ context, obs })
      allCache = out
      return out
    },

    contexts () { return [...samples.keys()] },

    seen (context) { return samples.get(context)?.seen ?? 0 },

    get size () {
      let n = 0
      for (const s of samples.values()) n += distinct(s).length
      return n
    }
  }
}

function safeDecode (s: string | undefined): string | null {
  if (s == null) return null
  try { return decodeURIComponent(s) } catch { return null }
}
