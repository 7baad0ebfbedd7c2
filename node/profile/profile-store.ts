/**
 * Persistence of a profile set in the store's 'profiles' sublevel: one record
 * per context (the model snapshot and the detector's tolerization state
 * together, so a restart never pairs a model with another phase), plus one
 * meta record per set. Keys: `<set>\0c\0<context>` and `<set>\0m`.
 */
import type { Store, Sublevel } from '../store/index.js'

export const PROFILES_SUBLEVEL = 'profiles'

export interface ProfileRecord {
  v: 1
  model: unknown
  state: unknown
}

export interface LoadedProfiles {
  meta?: unknown
  contexts: Array<{ context: string, record: ProfileRecord }>
}

export interface ProfileStore {
  load: () => Promise<LoadedProfiles>
  /** Writes the records (and meta) and deletes the `deleted` contexts' records, in one atomic batch. */
  save: (records: Array<{ context: string, record: ProfileRecord }>, meta?: unknown, deleted?: readonly string[]) => Promise<void>
  /** Deletes every record of the set. */
  clear: () => Promise<void>
}

export function createProfileStore (store: Store, setName: string): ProfileStore {
  const prefix = `${setName}\u0000c\u0000`
  const upper = `${setName}\u0000c\u0001`
  const metaKey = `${setName}\u0000m`
  const sub = (): Sublevel => store.sub(PROFILES_SUBLEVEL)
  return {
    async load () {
      const db = sub()
      const contexts: LoadedProfiles['contexts'] = []
      for await (const [key, value] of db.iterator({ gte: prefix, lt: upper })) {
        contexts.push({ context: String(key).slice(prefix.length), record: value as ProfileRecord })
      }
      const meta = await db.get(metaKey)
      return meta === undefined ? { contexts } : { meta, contexts }
    },
    async save (records, meta, deleted = []) {
      const ops: Array<{ type: 'put', key: string, value: unknown } | { type: 'del', key: string }> = records.map((r) => ({ type: 'put' as const, key: prefix + r.context, value: r.record }))
      for (const c of deleted) ops.push({ type: 'del', key: prefix + c })
      if (meta !== undefined) ops.push({ type: 'put', key: metaKey, value: meta })
      if (ops.length > 0) await sub().batch(ops)
    },
    async clear () {
      const db = sub()
      await db.clear({ gte: prefix, lt: upper })
      await db.del(metaKey)
    }
  }
}
