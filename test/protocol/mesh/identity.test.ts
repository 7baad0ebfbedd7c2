import { spawnSync } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DataDirLockedError, DataFileInvalidError, KeyFilePermissionsError } from '../../../protocol/errors.js'
import { acquireDataDirLock, isProcessAlive, LOCK_FILE_NAME } from '../../../protocol/mesh/data-dir-lock.js'
import { KEY_FILE_NAME, loadOrCreateIdentity } from '../../../protocol/mesh/identity.js'

/** The pid of a process that has certainly exited (a child we started and waited for). */
function deadPid (): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  const pid = Number(r.stdout)
  expect(isProcessAlive(pid)).toBe(false)
  return pid
}

describe('node identity in the data dir', () => {
  let dir: string

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'immune-identity-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('creates an Ed25519 key with mode 0600 and keeps the peer id across restarts', async () => {
    const first = await loadOrCreateIdentity(dir)
    expect(first.created).toBe(true)
    expect(first.privateKey.type).toBe('Ed25519')
    expect((await stat(first.keyPath)).mode & 0o777).toBe(0o600)
    await first.release()

    const second = await loadOrCreateIdentity(dir)
    try {
      expect(second.created).toBe(false)
      expect(second.peerId).toBe(first.peerId)
      expect(second.privateKey.equals(first.privateKey)).toBe(true)
    } finally {
      await second.release()
    }
  })

  it('refuses a second node on the same data dir with IMMUNE_ERR_DATA_DIR_LOCKED', async () => {
    const first = await loadOrCreateIdentity(dir)
    try {
      const err = await loadOrCreateIdentity(dir).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(DataDirLockedError)
      expect((err as DataDirLockedError).code).toBe('IMMUNE_ERR_DATA_DIR_LOCKED')
      expect((err as DataDirLockedError).details.pid).toBe(process.pid)
      // the failed attempt did not remove the holder's lock
      expect((await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).trim().split(' ')[0]).toBe(String(process.pid))
    } finally {
      await first.release()
    }
    // released: the dir can be used again
    const again = await loadOrCreateIdentity(dir)
    await again.release()
  })

  it('takes over a stale lock left by a dead process', async () => {
    const created = await loadOrCreateIdentity(dir)
    await created.release()
    await writeFile(join(dir, LOCK_FILE_NAME), `${deadPid()}\n`)
    const stale: Array<number | null> = []
    const id = await loadOrCreateIdentity(dir, { logger: { info: () => {}, warn: (o) => { stale.push((o as { stalePid: number | null }).stalePid) } } })
    try {
      expect(id.peerId).toBe(created.peerId)
      expect(stale).toHaveLength(1)
      expect((await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).trim().split(' ')[0]).toBe(String(process.pid))
    } finally {
      await id.release()
    }
  })

  it('takes over a lock holding this very pid when this process does not hold it (a container PID 1 restarted), never one it holds', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), `${process.pid}\n`)
    const why: Array<string | undefined> = []
    const lock = await acquireDataDirLock(dir, { onStale: (_pid, w) => { why.push(w) } })
    expect(why[0]).toMatch(/this process/)
    // held by us now: a second node in this process is refused
    await expect(acquireDataDirLock(dir)).rejects.toBeInstanceOf(DataDirLockedError)
    await lock.release()
  })

  it('takes over a lock whose live pid started at another time (the pid was reused)', async () => {
    // pid 1 is alive; its start time is not 1
    await writeFile(join(dir, LOCK_FILE_NAME), '1 1\n')
    const why: Array<string | undefined> = []
    const lock = await acquireDataDirLock(dir, { onStale: (_pid, w) => { why.push(w) } })
    expect(why[0]).toMatch(/reused/)
    // the new lock records pid and start time
    expect((await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).trim()).toMatch(new RegExp(`^${process.pid} \\d+$`))
    await lock.release()
  })

  it('treats a garbage lock file as stale', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), 'not a pid')
    const lock = await acquireDataDirLock(dir)
    await lock.release()
    await lock.release() // idempotent
  })

  it('refuses a key readable by group or others with IMMUNE_ERR_KEY_FILE_PERMISSIONS and releases the lock', async () => {
    const first = await loadOrCreateIdentity(dir)
    await first.release()
    await chmod(join(dir, KEY_FILE_NAME), 0o644)
    const err = await loadOrCreateIdentity(dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyFilePermissionsError)
    expect((err as KeyFilePermissionsError).code).toBe('IMMUNE_ERR_KEY_FILE_PERMISSIONS')
    expect((err as Error).message).toContain('chmod 600')
    await chmod(join(dir, KEY_FILE_NAME), 0o600)
    const fixed = await loadOrCreateIdentity(dir)
    expect(fixed.peerId).toBe(first.peerId)
    await fixed.release()
  })

  it('refuses a corrupt key file with IMMUNE_ERR_DATA_FILE_INVALID (and does not overwrite it)', async () => {
    await writeFile(join(dir, KEY_FILE_NAME), Buffer.from('garbage'), { mode: 0o600 })
    const err = await loadOrCreateIdentity(dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DataFileInvalidError)
    expect((err as DataFileInvalidError).code).toBe('IMMUNE_ERR_DATA_FILE_INVALID')
    expect((await readFile(join(dir, KEY_FILE_NAME), 'utf8'))).toBe('garbage')
  })
})
