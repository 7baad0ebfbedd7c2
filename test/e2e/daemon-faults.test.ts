/**
 * Faults at start-up as real processes (issue 15 item 7): a stale lock whose
 * pid is alive but not an immune-node is taken over; a lost identity.key
 * beside an existing database is refused (exit 2, one line) unless
 * `--new-identity`; a store whose CURRENT file was deleted is named and
 * refused, `immune-node repair` recovers it, and the next start finds the
 * decisions it held.
 */
import { spawn } from 'node:child_process'
import { existsSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createDaemonPool, runImmuneNode } from './support/daemon.js'
import type { CliResult } from './support/daemon.js'
import { getOk, killIfAlive, postJson } from './support/http.js'

const pool = createDaemonPool()
const pids: number[] = []
afterAll(async () => {
  for (const p of pids) killIfAlive(p)
  await pool.cleanup()
})

const errorLines = (r: CliResult): string[] => r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'))

describe('faults at start-up', () => {
  it('a lock held by a live process that is not an immune-node is stale: the node starts and says why', async () => {
    const dataDir = pool.tempDir('lock')
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' })
    pids.push(sleeper.pid!)
    writeFileSync(join(dataDir, 'lock'), `${sleeper.pid!}\n`)
    const node = await pool.start({ name: 'lock', dataDir })
    const stale = node.logs().find((l) => /stale data dir lock/.test(String(l.msg)))
    expect(stale?.stalePid).toBe(sleeper.pid)
    expect(String(stale?.why)).toMatch(/not an immune-node/)
    await node.stop()
  })

  it('a lost identity.key beside the database is refused (exit 2, one line) unless --new-identity', async () => {
    const dataDir = pool.tempDir('identity')
    const first = await pool.start({ name: 'identity-1', dataDir })
    const oldPeer = first.peerId
    await first.stop()
    unlinkSync(join(dataDir, 'identity.key'))
    const cfg = first.configPath
    const refused = await runImmuneNode(['start', '--config', cfg])
    expect(refused.code, refused.stderr).toBe(2)
    expect(errorLines(refused)).toHaveLength(1)
    expect(errorLines(refused)[0]).toMatch(/identity\.key is missing but the data dir holds a database.*--new-identity/)
    expect(existsSync(join(dataDir, 'identity.key'))).toBe(false)
    const accepted = await pool.start({ name: 'identity-2', dataDir, args: ['--new-identity'] })
    expect(accepted.peerId).not.toBe(oldPeer)
    await accepted.stop()
  })

  it('a store without CURRENT is named and refused; immune-node repair recovers it; the decisions are back', async () => {
    const dataDir = pool.tempDir('store')
    const first = await pool.start({ name: 'store-1', dataDir })
    // a few level-2 decisions through the ingest API (an innate probe is level 2 at once)
    for (let i = 0; i < 5; i++) {
      await postJson(first.apiUrl, '/v1/observe', { kind: 'http', method: 'GET', path: `/backup${i}.sql.bak`, source: `198.51.100.${10 + i}` })
    }
    const before = await getOk<{ recent: unknown[] }>(first.apiUrl, '/decisions?limit=1000')
    expect(before.recent.length).toBeGreaterThan(0)
    await first.stop()
    unlinkSync(join(dataDir, 'db', 'CURRENT'))

    const refused = await runImmuneNode(['start', '--config', first.configPath])
    expect(refused.code, refused.stderr).toBe(2)
    expect(errorLines(refused)).toHaveLength(1)
    expect(errorLines(refused)[0]).toMatch(/store in .*db is damaged \(CURRENT is missing.*immune-node repair --data-dir/)
    // nothing was changed: still damaged
    expect(existsSync(join(dataDir, 'db', 'CURRENT'))).toBe(false)

    const repaired = await runImmuneNode(['repair', '--data-dir', dataDir, '--json'])
    expect(repaired.code, repaired.stderr).toBe(0)
    const result = JSON.parse(repaired.stdout) as { repaired: boolean, now: string, records: Record<string, number> }
    expect(result).toMatchObject({ repaired: true, now: 'ok' })
    expect(result.records.decisions).toBe(before.recent.length)

    const second = await pool.start({ name: 'store-2', dataDir })
    const after = await getOk<{ recent: unknown[] }>(second.apiUrl, '/decisions?limit=1000')
    expect(after.recent.length).toBe(before.recent.length)
    await second.stop()
  })
})
