/**
 * `immune-node repair [--config FILE] [--data-dir DIR]`: repairs a damaged
 * store (the node refuses to start on one, naming the damage) with LevelDB's
 * own repair, which rebuilds the manifest from every table and log file it
 * finds, then counts what each part of the store holds. Takes the data dir
 * lock first: never while a node runs on the dir.
 */
import { join } from 'node:path'
import { acquireDataDirLock } from '../../protocol/mesh/index.js'
import { loadConfig, mergeOverrides } from '../config/index.js'
import type { ConfigOverrides } from '../config/index.js'
import { createStore, inspectStore, repairStore } from '../store/index.js'
import { EXIT_FAILURE, EXIT_OK } from './command.js'
import type { Command } from './command.js'

export const repairCommand: Command = {
  name: 'repair',
  summary: 'Repair a damaged store (the node refuses to start on one) and count what it holds',
  usage: 'repair [--config FILE] [--data-dir DIR] [--json]',
  help: `options:
  -c, --config FILE   the node's config (its dataDir)
  --data-dir DIR      the data dir (overrides the config)
  --json              print the result as JSON

The node must be stopped (the data dir lock is taken first). A store the node
found intact is left as it is, unless it cannot be opened.

examples:
  immune-node repair --data-dir /var/lib/immune-mesh`,
  options: { config: { type: 'string', short: 'c' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
  async run (args, io) {
    const overrides: ConfigOverrides = {}
    if (typeof args.values['data-dir'] === 'string') overrides.dataDir = args.values['data-dir']
    const file = typeof args.values.config === 'string' ? args.values.config : undefined
    const config = mergeOverrides(loadConfig(file), overrides)
    const location = join(config.dataDir, 'db')
    const lock = await acquireDataDirLock(config.dataDir)
    try {
      const before = inspectStore(location)
      if (before.state === 'absent') {
        io.err(`immune-node repair: no store in ${location}: nothing to repair`)
        return EXIT_FAILURE
      }
      let repaired = false
      const open = async (): Promise<Record<string, number>> => {
        const store = createStore({ dataDir: config.dataDir })
        await store.open()
        try {
          const counts: Record<string, number> = {}
          for await (const key of store.db.keys({ keyEncoding: 'utf8' })) {
            const m = /^!([^!]+)!/.exec(key)
            const part = m?.[1] ?? '(top)'
            counts[part] = (counts[part] ?? 0) + 1
          }
          return counts
        } finally {
          await store.close()
        }
      }
      let counts: Record<string, number>
      if (before.state === 'damaged') {
        await repairStore(location)
        repaired = true
        counts = await open()
      } else {
        try {
          counts = await open()
        } catch {
          await repairStore(location)
          repaired = true
          counts = await open()
        }
      }
      const after = inspectStore(location)
      const result = { location, found: before.state === 'damaged' ? `damaged: ${before.reason}` : 'intact', repaired, now: after.state, records: counts }
      if (args.values.json === true) io.out(JSON.stringify(result, null, 2))
      else {
        io.out(`${location}: ${result.found}${repaired ? '; repaired' : '; left as it was'} (now ${after.state})`)
        for (const [part, n] of Object.entries(counts).sort()) io.out(`  ${part.padEnd(14)} ${n}`)
      }
      return after.state === 'ok' ? EXIT_OK : EXIT_FAILURE
    } finally {
      await lock.release()
    }
  }
}
