/**
 * Bounded memory of what we already accepted, so a replayed or duplicated
 * alert is ignored.
 *
 * Two checks:
 * - ids: an LRU set of the last `maxIds` accepted alert ids (`duplicate`).
 * - per-origin sequence numbers, as an anti-replay sliding window (RFC 4303
 *   §3.4.3, IPsec ESP): we keep the highest seq accepted from each origin and a
 *   bitmap of the `windowSize` seqs below it. A seq above the highest is new; a
 *   seq inside the window is new unless its bit is set; a seq below the window
 *   is a `replay`.
 *
 * Why a window and not "seq must exceed the last one": gossipsub forwards each
 * message along several mesh paths and over IHAVE/IWANT gossip, so two alerts
 * an origin issued a few milliseconds apart can reach us in either order. A
 * strict check would drop the later-arriving older alert although it is
 * genuine. The window accepts reordering up to `windowSize` alerts deep and
 * still drops every exact replay (its bit is set) and anything older.
 *
 * Memory is bounded: origins are an LRU of `maxOrigins` entries. An evicted
 * origin loses its window, so an old alert of that origin could pass the seq
 * check again; it still has to be fresh (maxSkewMs) and unseen by id.
 *
 * `check` never mutates. validateAlert only checks; the caller `record`s an
 * alert once it accepted it (protocol/mesh does). `toJSON()` and
 * `ReplayGuard.restore()` let a node persist the state across restarts.
 *
 * The origin side: seqs must be strictly increasing per identity for its whole
 * life, across restarts. protocol/mesh/seq-store.ts persists the last seq
 * before handing out the next and floors it at nowMs × 1000, so even a lost seq
 * file cannot make a restarted node reuse a number (unless its clock went back,
 * or it issued more than 1000 alerts per second on average). Within one run
 * seqs go up by one, so the window measures reordering in alerts, not in time.
 */
import { InvalidParamsError, ReplayStateError } from '../errors.js'
import { AlertValidationCode } from './validation-code.js'
import type { Alert } from './types.js'
import { evictOldest } from '../../core/index.js'

export interface ReplayGuardParams {
  /** Accepted alert ids remembered (LRU). */
  maxIds: number
  /** Origins whose sequence window is remembered (LRU). */
  maxOrigins: number
  /** Width of the anti-replay window in sequence numbers. */
  windowSize: number
}

/**
 * 64 is the IPsec default window. maxIds: at ~100 bytes per id, 50,000 ids is
 * ~5 MB and covers 5 minutes (maxSkewMs) of a community at 160 alerts/s.
 */
export const defaultReplayGuardParams: Readonly<ReplayGuardParams> = Object.freeze({
  maxIds: 50_000,
  maxOrigins: 10_000,
  windowSize: 64
})

export function createReplayGuardParams (partial: Partial<ReplayGuardParams> = {}): Readonly<ReplayGuardParams> {
  const p: ReplayGuardParams = { ...defaultReplayGuardParams }
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v
  validateReplayGuardParams(p)
  return Object.freeze(p)
}

export function validateReplayGuardParams (p: ReplayGuardParams): void {
  const check = (field: keyof ReplayGuardParams, min: number, max: number): void => {
    const v = p[field]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(`replayGuard.${field}`, v, `an integer in [${min}, ${max}]`)
  }
  check('maxIds', 1, 10_000_000)
  check('maxOrigins', 1, 1_000_000)
  check('windowSize', 1, 4096)
}

export type ReplayCheck = typeof AlertValidationCode.OK | typeof AlertValidationCode.DUPLICATE | typeof AlertValidationCode.REPLAY

interface OriginWindow {
  highest: bigint
  /** bit i set = seq (highest - i) accepted; bit 0 is `highest` itself. */
  bitmap: bigint
}

/** What toJSON() returns: plain JSON (bigints as decimal/hex strings). */
export interface ReplayGuardState {
  version: 1
  windowSize: number
  /** Oldest first. */
  ids: string[]
  /** Least recently used first. */
  origins: Array<{ origin: string, highest: string, bitmap: string }>
}

type SeqKey = Pick<Alert, 'id' | 'origin' | 'seq'>

export class ReplayGuard {
  readonly params: Readonly<ReplayGuardParams>
  private readonly ids = new Map<string, true>()
  private readonly origins = new Map<string, OriginWindow>()
  private readonly window: bigint
  private readonly mask: bigint
  /** What changed since the last takeChanges(), once trackChanges() was called. */
  private changes: { ids: string[], origins: Set<string> } | undefined

  constructor (params: Partial<ReplayGuardParams> = {}) {
    this.params = createReplayGuardParams(params)
    this.window = BigInt(this.params.windowSize)
    this.mask = (1n << this.window) - 1n
  }

  /** 'ok' if the alert is new, 'duplicate' if its id was recorded, 'replay' if its seq was seen or is below the window. Pure. */
  check (alert: SeqKey): ReplayCheck {
    if (this.ids.has(alert.id)) return AlertValidationCode.DUPLICATE
    const w = this.origins.get(alert.origin)
    if (w == null || alert.seq > w.highest) return AlertValidationCode.OK
    const back = w.highest - alert.seq
    if (back >= this.window) return AlertValidationCode.REPLAY
    if (((w.bitmap >> back) & 1n) === 1n) return AlertValidationCode.REPLAY
    return AlertValidationCode.OK
  }

  /** Remember an accepted alert (its id, and its seq in its origin's window). Idempotent. */
  record (alert: SeqKey): void {
    if (this.changes != null && !this.ids.has(alert.id)) {
      this.changes.ids.push(alert.id)
      this.changes.origins.add(alert.origin)
      // ids beyond maxIds would be evicted before anyone reads them back
      if (this.changes.ids.length > this.params.maxIds * 2) this.changes.ids.splice(0, this.changes.ids.length - this.params.maxIds)
    }
    this.ids.delete(alert.id)
    this.ids.set(alert.id, true)
    evictOldest(this.ids, this.params.maxIds)

    const w = this.origins.get(alert.origin)
    if (w == null) {
      this.origins.set(alert.origin, { highest: alert.seq, bitmap: 1n })
      while (this.origins.size > this.params.maxOrigins) {
        const oldest = this.origins.keys().next().value as string
        this.origins.delete(oldest)
        this.changes?.origins.add(oldest)
      }
      return
    }
    this.origins.delete(alert.origin)
    this.origins.set(alert.origin, w)
    if (alert.seq > w.highest) {
      const shift = alert.seq - w.highest
      w.bitmap = shift >= this.window ? 1n : ((w.bitmap << shift) | 1n) & this.mask
      w.highest = alert.seq
    } else {
      const back = w.highest - alert.seq
      if (back < this.window) w.bitmap |= 1n << back
    }
  }

  get size (): { ids: number, origins: number } {
    return { ids: this.ids.size, origins: this.origins.size }
  }

  /**
   * Incremental persistence (node/daemon/collab-persistence.ts): from now on
   * remember what record() changes, so takeChanges() hands out the new ids and
   * the changed origin windows instead of the whole guard. Idempotent.
   */
  trackChanges (): void { this.changes ??= { ids: [], origins: new Set() } }

  /** New ids (oldest first) and the windows of origins changed since the last call (null: the origin was evicted). */
  takeChanges (): { ids: string[], origins: Array<[string, { highest: string, bitmap: string } | null]> } {
    const c = this.changes
    if (c == null || (c.ids.length === 0 && c.origins.size === 0)) return { ids: [], origins: [] }
    const origins: Array<[string, { highest: string, bitmap: string } | null]> = []
    for (const o of c.origins) {
      const w = this.origins.get(o)
      origins.push([o, w == null ? null : { highest: w.highest.toString(), bitmap: w.bitmap.toString(16) }])
    }
    const ids = c.ids.filter((id) => this.ids.has(id))
    this.changes = { ids: [], origins: new Set() }
    return { ids, origins }
  }

  /** Whether record() changed anything since the last takeChanges(). */
  get hasChanges (): boolean { return this.changes != null && (this.changes.ids.length > 0 || this.changes.origins.size > 0) }

  toJSON (): ReplayGuardState {
    return {
      version: 1,
      windowSize: this.params.windowSize,
      ids: [...this.ids.keys()],
      origins: [...this.origins].map(([origin, w]) => ({ origin, highest: w.highest.toString(), bitmap: w.bitmap.toString(16) }))
    }
  }

  /**
   * A guard holding a persisted state (from toJSON, possibly via JSON text).
   * Throws ReplayStateError (IMMUNE_ERR_REPLAY_STATE) for a state that is not
   * one. With a smaller windowSize than persisted, the bitmaps are truncated.
   */
  static restore (state: unknown, params: Partial<ReplayGuardParams> = {}): ReplayGuard {
    const s = state as Partial<ReplayGuardState> | null
    if (s == null || typeof s !== 'object' || s.version !== 1) throw new ReplayStateError('version', 'replay guard state must be an object with version 1')
    if (!Array.isArray(s.ids) || !s.ids.every((id) => typeof id === 'string')) throw new ReplayStateError('ids', 'ids must be an array of strings')
    if (!Array.isArray(s.origins)) throw new ReplayStateError('origins', 'origins must be an array')
    const guard = new ReplayGuard(params)
    for (const id of s.ids) guard.ids.set(id, true)
    evictOldest(guard.ids, guard.params.maxIds)
    for (const [i, o] of s.origins.entries()) {
      if (o == null || typeof o.origin !== 'string' || typeof o.highest !== 'string' || typeof o.bitmap !== 'string' ||
        !/^\d{1,20}$/.test(o.highest) || !/^[0-9a-f]{1,1024}$/.test(o.bitmap)) {
        throw new ReplayStateError(`origins[${i}]`, 'each origin needs {origin, highest: decimal string, bitmap: hex string}')
      }
      guard.origins.set(o.origin, { highest: BigInt(o.highest), bitmap: BigInt('0x' + o.bitmap) & guard.mask })
    }
    evictOldest(guard.origins, guard.params.maxOrigins)
    return guard
  }
}
