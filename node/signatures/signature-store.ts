/**
 * The signatures this node knows (sublevel 'signatures', one key per id): its
 * own (origin 'local') and those received from peers, with the vetting
 * verdict (adopted, rejected, or pending when there was too little normal
 * traffic to vet against), who sent them, when, and how often they hit.
 * `adopted()` feeds the matcher; `version` changes whenever that set changes,
 * so the caller rebuilds the matcher only then.
 *
 * Status and origins are written through (awaited); hit counters are batched
 * and written by `flush()` (every `flushIntervalMs` and on stop).
 */
import type { Clock, TimerHandle } from '../../core/index.js'
import { InvalidParamsError, SignaturesNotStartedError } from '../errors.js'
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import type { Store, Sublevel } from '../store/index.js'
import type { VetCode, VetResult } from './vetting.js'

export const SIGNATURES_SUBLEVEL = 'signatures'
export const LOCAL_ORIGIN = 'local'

export type SignatureStatus = 'adopted' | 'rejected' | 'pending'

/**
 * KIS's two kinds of signature (docs/reputation.md, "Signature types"):
 *   1: blocks only together with this node's own danger signal one (the
 *      guarding profile scores the request ≥ 1); every signature received
 *      from a peer starts so;
 *   2: blocks on its own; only on this node's own evidence: made here by
 *      clonal selection from its own level-2 observation, or promoted
 *      (`promote`) when its own detector met a danger-2 observation the
 *      signature matches, or when it was confirmed by two signals (a hit
 *      on a request the profile also scored ≥ 1) often enough.
 */
export type SignatureType = 1 | 2

export interface SignatureRecord {
  signature: SignatureIndicator
  /** 'local' or the peer id that sent it first. */
  origin: string
  /** Every origin that sent it (first first, at most `maxOriginsPerSignature`). */
  origins: string[]
  status: SignatureStatus
  /** Why (the vetting reason, or 'generated locally'). */
  reason: string
  code: VetCode | 'local' | 'retired'
  normalMatches: number
  firstSeenMs: number
  lastSeenMs: number
  statusChangedMs: number
  hits: number
  lastHitMs: number | null
  /** 1 (needs the node's own danger signal one to block) or 2 (blocks alone). Records written before types existed: local 2, peer 1. */
  type: SignatureType
  /** Why it is of type 2, when it was promoted (not made here). */
  promotedReason?: string
  promotedMs?: number
}

export interface SignatureStoreParams {
  /** Records kept; beyond it the oldest rejected, then pending, then peer-adopted records are dropped. */
  maxSignatures: number
  maxOriginsPerSignature: number
  flushIntervalMs: number
}

export const defaultSignatureStoreParams: Readonly<SignatureStoreParams> = Object.freeze({
  maxSignatures: 10_000,
  maxOriginsPerSignature: 16,
  flushIntervalMs: 5000
})

export function createSignatureStoreParams (partial: Partial<SignatureStoreParams> = {}): Readonly<SignatureStoreParams> {
  const p = { ...defaultSignatureStoreParams, ...partial }
  for (const [field, min, max] of [['maxSignatures', 1, 10_000_000], ['maxOriginsPerSignature', 1, 10_000], ['flushIntervalMs', 1, 86_400_000]] as const) {
    const v = p[field]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(field, v, `an integer in [${min}, ${max}]`)
  }
  return Object.freeze(p)
}

export interface SignatureStore {
  start: () => Promise<void>
  stop: () => Promise<void>
  flush: () => Promise<void>
  get: (id: string) => SignatureRecord | undefined
  has: (id: string) => boolean
  all: () => SignatureRecord[]
  /** Adopted signatures, for the matcher. */
  adopted: () => SignatureIndicator[]
  /** Records waiting for enough normal traffic to be vetted. */
  pending: () => SignatureRecord[]
  /** Record a signature this node generated: adopted, origin 'local'. */
  addLocal: (sig: SignatureIndicator, reason?: string) => Promise<SignatureRecord>
  /**
   * Record a peer's signature with its vetting verdict. A known id gets the
   * origin added and the new verdict (the latest vetting wins), except that a
   * local signature stays adopted.
   */
  record: (sig: SignatureIndicator, origin: string, verdict: VetResult) => Promise<SignatureRecord>
  /** Count a match (batched to the store). Unknown ids are ignored. */
  recordHit: (id: string, count?: number) => void
  /**
   * Stop using a signature that our own evidence contradicts (it kept matching
   * requests the profile judged normal). Final: neither a later addLocal nor a
   * peer's copy adopts it again.
   */
  retire: (id: string, reason: string) => Promise<SignatureRecord | undefined>
  /**
   * Make a peer's signature type 2 (it blocks alone from now on): only on
   * this node's own evidence (the caller says which). No-op for an unknown,
   * retired or already type-2 signature; returns the record when it changed.
   */
  promote: (id: string, reason: string) => Promise<SignatureRecord | undefined>
  /** Changes whenever the adopted set changes (or a signature's type). */
  readonly version: number
  readonly size: number
}

export interface SignatureStoreComponents {
  store: Store
  clock: Clock
  onError?: (err: unknown) => void
}

function statusOf (code: VetCode): SignatureStatus {
  if (code === 'adopted') return 'adopted'
  if (code === 'insufficient-normal') return 'pending'
  return 'rejected'
}

function isRecord (v: unknown): v is SignatureRecord {
  if (v == null || typeof v !== 'object') return false
  const r = v as Partial<SignatureRecord>
  const s = r.signature
  return s != null && typeof s.id === 'string' && Array.isArray(s.tokens) && typeof r.origin === 'string' &&
    Array.isArray(r.origins) && (r.status === 'adopted' || r.status === 'rejected' || r.status === 'pending') &&
    typeof r.firstSeenMs === 'number' && typeof r.hits === 'number'
}

export function createSignatureStore (components: SignatureStoreComponents, init: Partial<SignatureStoreParams> = {}): SignatureStore {
  const params = createSignatureStoreParams(init)
  const { clock } = components
  const records = new Map<string, SignatureRecord>()
  const dirtyHits = new Set<string>()
  let db: Sublevel | null = null
  let started = false
  let timer: TimerHandle | null = null
  let version = 0
  let adoptedCache: SignatureIndicator[] | null = null
  let flushing: Promise<void> = Promise.resolve()

  const need = (operation: string): Sublevel => {
    if (!started || db == null) throw new SignaturesNotStartedError('signature store', operation)
    return db
  }

  const changedAdopted = (): void => { version++; adoptedCache = null }

  const evict = async (sub: Sublevel): Promise<void> => {
    if (records.size <= params.maxSignatures) return
    const rank = (r: SignatureRecord): number => r.origin === LOCAL_ORIGIN ? 3 : r.status === 'rejected' ? 0 : r.status === 'pending' ? 1 : 2
    const victims = [...records.values()]
      .sort((a, b) => rank(a) - rank(b) || a.lastSeenMs - b.lastSeenMs)
      .slice(0, records.size - params.maxSignatures)
    for (const v of victims) {
      records.delete(v.signature.id)
      dirtyHits.delete(v.signature.id)
      if (v.status === 'adopted') changedAdopted()
    }
    await sub.batch(victims.map((v) => ({ type: 'del' as const, key: v.signature.id })))
  }

  const put = async (sub: Sublevel, rec: SignatureRecord): Promise<SignatureRecord> => {
    dirtyHits.delete(rec.signature.id)
    await sub.put(rec.signature.id, rec)
    await evict(sub)
    return rec
  }

  const flushNow = async (): Promise<void> => {
    if (db == null || dirtyHits.size === 0) return
    const ids = [...dirtyHits]
    dirtyHits.clear()
    const ops = ids.flatMap((id) => {
      const r = records.get(id)
      return r == null ? [] : [{ type: 'put' as const, key: id, value: r }]
    })
    try {
      await db.batch(ops)
    } catch (err) {
      for (const id of ids) if (records.has(id)) dirtyHits.add(id)
      throw err
    }
  }

  const flush = async (): Promise<void> => {
    const next = flushing.then(flushNow, flushNow)
    flushing = next.catch(() => {})
    await next
  }

  return {
    async start () {
      if (started) return
      db = components.store.sub(SIGNATURES_SUBLEVEL)
      records.clear()
      dirtyHits.clear()
      const bad: string[] = []
      for await (const [key, value] of db.iterator()) {
        if (isRecord(value) && value.signature.id === key) {
          if (value.type !== 1 && value.type !== 2) value.type = value.origin === LOCAL_ORIGIN ? 2 : 1
          records.set(key, value)
        } else bad.push(key)
      }
      if (bad.length > 0) await db.batch(bad.map((key) => ({ type: 'del' as const, key })))
      changedAdopted()
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

    get: (id) => records.get(id),
    has: (id) => records.has(id),
    all: () => [...records.values()],

    adopted () {
      if (adoptedCache == null) adoptedCache = [...records.values()].filter((r) => r.status === 'adopted').map((r) => r.signature)
      return adoptedCache
    },

    pending: () => [...records.values()].filter((r) => r.status === 'pending'),

    async addLocal (sig, reason = 'generated locally') {
      const sub = need('addLocal')
      const now = clock.now()
      const prev = records.get(sig.id)
      if (prev?.code === 'retired') return prev
      const rec: SignatureRecord = prev != null
        ? { ...prev, origin: LOCAL_ORIGIN, origins: [LOCAL_ORIGIN, ...prev.origins.filter((o) => o !== LOCAL_ORIGIN)].slice(0, params.maxOriginsPerSignature), status: 'adopted', reason, code: 'local', lastSeenMs: now, statusChangedMs: prev.status === 'adopted' ? prev.statusChangedMs : now, type: 2 }
        : { signature: { ...sig, tokens: [...sig.tokens] }, origin: LOCAL_ORIGIN, origins: [LOCAL_ORIGIN], status: 'adopted', reason, code: 'local', normalMatches: 0, firstSeenMs: now, lastSeenMs: now, statusChangedMs: now, hits: 0, lastHitMs: null, type: 2 }
      const wasAdopted = prev?.status === 'adopted' && prev.type === 2
      records.set(sig.id, rec)
      if (!wasAdopted) changedAdopted()
      return await put(sub, rec)
    },

    async record (sig, origin, verdict) {
      const sub = need('record')
      const now = clock.now()
      const prev = records.get(sig.id)
      if (prev?.code === 'retired') {
        if (!prev.origins.includes(origin) && prev.origins.length < params.maxOriginsPerSignature) prev.origins.push(origin)
        prev.lastSeenMs = now
        return await put(sub, prev)
      }
      const keepLocal = prev?.origin === LOCAL_ORIGIN
      const status = keepLocal ? 'adopted' : statusOf(verdict.code)
      const origins = prev == null ? [origin] : prev.origins.includes(origin) || prev.origins.length >= params.maxOriginsPerSignature ? prev.origins : [...prev.origins, origin]
      const rec: SignatureRecord = prev != null
        ? { ...prev, origins, status, reason: keepLocal ? prev.reason : verdict.reason, code: keepLocal ? prev.code : verdict.code, normalMatches: verdict.normalMatches, lastSeenMs: now, statusChangedMs: prev.status === status ? prev.statusChangedMs : now }
        : { signature: { ...sig, tokens: [...sig.tokens] }, origin, origins, status, reason: verdict.reason, code: verdict.code, normalMatches: verdict.normalMatches, firstSeenMs: now, lastSeenMs: now, statusChangedMs: now, hits: 0, lastHitMs: null, type: 1 }
      records.set(sig.id, rec)
      if ((prev?.status === 'adopted') !== (status === 'adopted')) changedAdopted()
      return await put(sub, rec)
    },

    async retire (id, reason) {
      const sub = need('retire')
      const prev = records.get(id)
      if (prev == null) return undefined
      const now = clock.now()
      const rec: SignatureRecord = { ...prev, status: 'rejected', code: 'retired', reason, lastSeenMs: now, statusChangedMs: now }
      records.set(id, rec)
      if (prev.status === 'adopted') changedAdopted()
      return await put(sub, rec)
    },

    async promote (id, reason) {
      const sub = need('promote')
      const prev = records.get(id)
      if (prev == null || prev.code === 'retired' || prev.type === 2 || prev.status !== 'adopted') return undefined
      const now = clock.now()
      const rec: SignatureRecord = { ...prev, type: 2, promotedReason: reason, promotedMs: now }
      records.set(id, rec)
      changedAdopted()
      return await put(sub, rec)
    },

    recordHit (id, count = 1) {
      const r = records.get(id)
      if (r == null) return
      r.hits += count
      r.lastHitMs = clock.now()
      dirtyHits.add(id)
    },

    get version () { return version },
    get size () { return records.size }
  }
}
