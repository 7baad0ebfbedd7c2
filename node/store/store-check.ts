/**
 * A damaged store is detected before it is opened (issue 15 item 7): level
 * would otherwise treat a database without its `CURRENT` file as new, write
 * a fresh one over the old tables and lose what they held without a word.
 *
 *   inspectStore(location)  'absent' (a fresh node), 'ok', or 'damaged' with the reason
 *   repairStore(location)   LevelDB's own repair (RepairDB): rebuilds the manifest from
 *                           every table and log file it finds (`immune-node repair`)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Level } from 'level'

export type StoreState =
  | { state: 'absent' }
  | { state: 'ok' }
  | { state: 'damaged', reason: string, files: number }

/** LevelDB's own files: tables, write-ahead logs, manifests. */
const DATA_FILE = /^(\d+\.(ldb|sst|log)|MANIFEST-\d+)$/

export function inspectStore (location: string): StoreState {
  if (!existsSync(location)) return { state: 'absent' }
  const names = readdirSync(location)
  const data = names.filter((n) => DATA_FILE.test(n))
  if (data.length === 0) return { state: 'absent' }
  if (!names.includes('CURRENT')) return { state: 'damaged', reason: `CURRENT is missing beside ${data.length} data files`, files: data.length }
  const manifest = readFileSync(join(location, 'CURRENT'), 'utf8').trim()
  if (!/^MANIFEST-\d+$/.test(manifest)) return { state: 'damaged', reason: `CURRENT does not name a manifest (${JSON.stringify(manifest.slice(0, 40))})`, files: data.length }
  if (!names.includes(manifest)) return { state: 'damaged', reason: `CURRENT names ${manifest}, which is missing`, files: data.length }
  return { state: 'ok' }
}

/** Runs LevelDB's repair on the database at `location` (the store must be closed: hold the data dir lock). */
export async function repairStore (location: string): Promise<void> {
  await (Level as unknown as { repair: (location: string) => Promise<void> }).repair(location)
}
