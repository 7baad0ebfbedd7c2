/**
 * A sublevel used as an append-only log whose keys sort oldest first (e.g.
 * `<time>:<id>`), kept to at most `maxEntries` records: past the budget
 * (plus a tenth, so deletes are batched) the oldest are deleted in one
 * batch. The count is read once at open and kept in memory after.
 */
import type { Sublevel } from './store.js'

export interface BoundedLog {
  /** Counts the entries already stored (call once before appending). */
  open: () => Promise<void>
  /** Writes `value` under `key`; `append` (default true): a new entry, counted (false: an update of one already counted). */
  put: (key: string, value: unknown, append?: boolean) => Promise<void>
  /** Entries stored (after the last prune). */
  readonly size: number
  readonly maxEntries: number
  /** Deletes the oldest entries beyond maxEntries now; resolves with how many. */
  prune: () => Promise<number>
}

export function createBoundedLog (db: Sublevel, maxEntries: number): BoundedLog {
  let size = 0
  let pruning: Promise<number> | null = null
  const slack = Math.max(1, Math.floor(maxEntries / 10))

  const prune = async (): Promise<number> => {
    const over = size - maxEntries
    if (over <= 0) return 0
    const keys: string[] = []
    for await (const k of db.keys({ limit: over })) keys.push(k)
    await db.batch(keys.map((key) => ({ type: 'del' as const, key })))
    size -= keys.length
    return keys.length
  }

  return {
    maxEntries,
    get size () { return size },
    async open () {
      size = 0
      for await (const _ of db.keys()) size++
      await prune()
    },
    async put (key, value, append = true) {
      await db.put(key, value)
      if (!append) return
      size++
      if (size > maxEntries + slack && pruning == null) {
        pruning = prune().finally(() => { pruning = null })
        await pruning
      }
    },
    prune
  }
}
