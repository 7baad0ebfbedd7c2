/**
 * Everything persistent goes through one level database in the data dir,
 * split into named sublevels (profiles, decisions, audit, alerts, reputation,
 * signatures, ...). Values are JSON.
 *
 * Durability: level writes each put/batch to its write-ahead log before it
 * resolves, so an acknowledged write survives `kill -9` of the process (the OS
 * still holds it). Pass `sync: true` to a write that must survive a power cut.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Level } from 'level'
import type { AbstractSublevel } from 'abstract-level'

export type JsonValue = unknown
export type Sublevel = AbstractSublevel<Level<string, JsonValue>, string | Buffer | Uint8Array, string, JsonValue>

export interface Store {
  readonly location: string
  readonly db: Level<string, JsonValue>
  /** A namespaced sublevel; the same name always returns the same instance. */
  sub: (name: string) => Sublevel
  open: () => Promise<void>
  close: () => Promise<void>
}

export interface StoreInit {
  dataDir: string
}

export function createStore (init: StoreInit): Store {
  const location = join(init.dataDir, 'db')
  mkdirSync(location, { recursive: true })
  const db = new Level<string, JsonValue>(location, { valueEncoding: 'json' })
  const subs = new Map<string, Sublevel>()
  return {
    location,
    db,
    sub (name) {
      let s = subs.get(name)
      if (s == null) {
        s = db.sublevel<string, JsonValue>(name, { valueEncoding: 'json' }) as unknown as Sublevel
        subs.set(name, s)
      }
      return s
    },
    async open () { await db.open() },
    async close () {
      if (db.status === 'open' || db.status === 'opening') await db.close()
    }
  }
}
