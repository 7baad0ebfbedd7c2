/**
 * The warnings this node accepted from peers, indexed by what they were about
 * (a context, a source address, a signature id), so that later local evidence
 * can corroborate (R1) or refute (R3) exactly the origins that warned.
 * Bounded: at most maxKeys keys (oldest dropped) and maxPerKey warnings per key.
 */
import { boundedSet } from '../../core/index.js'

/**
 * What an accepted alert claimed (issue 15: reputation credit needs evidence
 * naming that origin's claim). Evidence lives as long as its claim: no credit
 * after untilMs (the alert's ttl), and a named source only within its own ttl.
 */
export interface WarningClaim {
  untilMs: number
  community: string
  context: string
  parameter: string
  /** [address, until ms] of each source it named. */
  sources: Array<[string, number]>
  /** Ids of the (vetted) signatures it carried. */
  signatures: string[]
}

/** One accepted alert; the same object is listed under each of its keys. */
export interface Warning {
  origin: string
  alertId: string
  atMs: number
  credited: boolean
  refuted: boolean
  /** Absent for warnings restored from an older snapshot: those match as before (any event under their keys, within the window). */
  claim?: WarningClaim
}

/** [origin, alertId, atMs, keys, credited, refuted, claim?] */
export type WarningTuple = [string, string, number, string[], boolean, boolean, WarningClaim?]

/** What a local event says, to match against a warning's claim. */
export interface LocalEvidence {
  community: string
  context?: string
  parameter?: string
  source?: string
  signatureId?: string
}

/**
 * Whether a local event corroborates what a warning said: a hit on a
 * signature it carried, or our own level 2 from a source it named (while that
 * source's ttl runs); a warning that named neither (a bare anomaly) only by
 * our own danger on its context and parameter. A context alone never credits
 * a warning that named sources or signatures: an attacker who warns about
 * its own addresses is credited only when those very addresses attack.
 */
export function corroborates (w: Warning, e: LocalEvidence, nowMs: number): boolean {
  const c = w.claim
  if (c == null) return true
  if (nowMs > c.untilMs || e.community !== c.community) return false
  if (e.signatureId != null && c.signatures.includes(e.signatureId)) return true
  if (e.source != null && c.sources.some(([a, u]) => a === e.source && nowMs <= u)) return true
  if (c.signatures.length > 0 || c.sources.length > 0) return false
  return e.context === c.context && (c.parameter === '' || e.parameter === c.parameter)
}

const SEP = '\u0000'
export const contextKey = (community: string, context: string): string => 'c' + SEP + community + SEP + context
export const sourceKey = (address: string): string => 's' + SEP + address
export const signatureKey = (id: string): string => 'g' + SEP + id

/** The keys an event names: its (community, context), source and signature id, as far as given. */
export function eventKeys (e: { community?: string, context?: string, source?: string, signatureId?: string }): string[] {
  const keys: string[] = []
  if (e.community != null && e.context != null) keys.push(contextKey(e.community, e.context))
  if (e.source != null) keys.push(sourceKey(e.source))
  if (e.signatureId != null) keys.push(signatureKey(e.signatureId))
  return keys
}

export class WarningIndex {
  private index: Map<string, Warning[]> | undefined

  constructor (private readonly maxKeys: number, private readonly maxPerKey: number) {}

  add (w: Warning, keys: readonly string[]): void {
    this.index ??= new Map()
    for (const k of keys) {
      let arr = this.index.get(k)
      if (arr == null) {
        arr = []
        boundedSet(this.index, k, arr, this.maxKeys)
      }
      arr.push(w)
      if (arr.length > this.maxPerKey) arr.shift()
    }
  }

  get (key: string): readonly Warning[] { return this.index?.get(key) ?? [] }

  /** Warnings under any of `keys` (or all keys when none given) that pass `keep`, grouped by origin, each once. */
  byOrigin (keys: readonly string[], keep: (w: Warning) => boolean): Map<string, Warning[]> {
    const out = new Map<string, Warning[]>()
    const lists = keys.length > 0 ? keys.map(k => this.get(k)) : [...(this.index?.values() ?? [])]
    for (const arr of lists) {
      for (const w of arr) {
        if (!keep(w)) continue
        let l = out.get(w.origin)
        if (l == null) { l = []; out.set(w.origin, l) }
        if (!l.includes(w)) l.push(w)
      }
    }
    return out
  }

  /** Drop warnings older than windowMs (lists are in arrival order) and those whose claim ended. */
  expire (nowMs: number, windowMs: number): void {
    for (const [k, arr] of this.index ?? []) {
      let drop = 0
      while (drop < arr.length && nowMs - arr[drop].atMs > windowMs) drop++
      if (drop > 0) arr.splice(0, drop)
      for (let i = arr.length - 1; i >= 0; i--) if (arr[i].claim != null && nowMs > arr[i].claim!.untilMs) arr.splice(i, 1)
      if (arr.length === 0) this.index!.delete(k)
    }
  }

  toJSON (): WarningTuple[] {
    const keysOf = new Map<Warning, string[]>()
    for (const [k, arr] of this.index ?? []) {
      for (const w of arr) {
        const l = keysOf.get(w)
        if (l == null) keysOf.set(w, [k])
        else l.push(k)
      }
    }
    return [...keysOf].sort((x, y) => x[0].atMs - y[0].atMs).map(([w, keys]): WarningTuple => w.claim != null
      ? [w.origin, w.alertId, w.atMs, keys, w.credited, w.refuted, w.claim]
      : [w.origin, w.alertId, w.atMs, keys, w.credited, w.refuted])
  }

  /** Validate tuples (calling `bad` with the field on the first problem), then replace the content. */
  restore (tuples: unknown[], bad: (field: string, reason: string) => never): void {
    const parsed = tuples.map((t, i): [Warning, string[]] => {
      const w = t as WarningTuple
      if (!Array.isArray(w) || typeof w[0] !== 'string' || typeof w[1] !== 'string' || typeof w[2] !== 'number' ||
        !Array.isArray(w[3]) || typeof w[4] !== 'boolean' || typeof w[5] !== 'boolean') {
        bad(`warnings[${i}]`, 'is not [origin, alertId, atMs, keys[], credited, refuted]')
      }
      const c = w[6]
      if (c != null && (typeof c !== 'object' || typeof c.untilMs !== 'number' || typeof c.community !== 'string' || typeof c.context !== 'string' ||
        typeof c.parameter !== 'string' || !Array.isArray(c.sources) || !Array.isArray(c.signatures))) {
        bad(`warnings[${i}][6]`, 'is not a claim { untilMs, community, context, parameter, sources, signatures }')
      }
      return [{ origin: w[0], alertId: w[1], atMs: w[2], credited: w[4], refuted: w[5], ...(c != null ? { claim: c } : {}) }, w[3].map(String)]
    })
    this.index = undefined
    for (const [w, keys] of parsed) this.add(w, keys)
  }
}
