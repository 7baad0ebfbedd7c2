/**
 * One node per data dir. The lock is a `lock` file holding the owner's pid,
 * created atomically: the pid is written to a private temp file which is then
 * hard-linked to `lock` (link(2) fails with EEXIST if the lock exists), so the
 * lock file is never seen half-written.
 *
 * A lock whose pid is no longer alive (`process.kill(pid, 0)` → ESRCH), or
 * whose content is not a pid, is stale (the owner was killed with -9): it is
 * removed and the lock taken again, at most a few times. A live pid, including
 * our own (a second node in the same process), means the dir is in use:
 * DataDirLockedError (IMMUNE_ERR_DATA_DIR_LOCKED).
 *
 * This is checked before anything else in the data dir is opened (the key,
 * level, which also holds its own LOCK).
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { DataDirLockedError } from '../errors.js'

export const LOCK_FILE_NAME = 'lock'
const MAX_LOCK_ATTEMPTS = 3

export interface DataDirLock {
  readonly path: string
  readonly pid: number
  /** Removes the lock file if it is still ours. Idempotent. */
  release: () => Promise<void>
}

export interface DataDirLockOptions {
  /** The pid to record (default: this process). */
  pid?: number
  /** Called when a stale lock is removed. */
  onStale?: (stalePid: number | null) => void
}

function isErrno (e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === code
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return isErrno(e, 'EPERM')
  }
}

async function readLockPid (path: string): Promise<number | null | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim()
    return /^\d{1,10}$/.test(text) ? Number(text) : null
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined
    throw e
  }
}

/** Takes the data dir lock or throws DataDirLockedError. Creates the dir (0700) if missing. */
export async function acquireDataDirLock (dataDir: string, options: DataDirLockOptions = {}): Promise<DataDirLock> {
  const pid = options.pid ?? process.pid
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, LOCK_FILE_NAME)

  for (let attempt = 0; attempt < MAX_LOCK_ATTEMPTS; attempt++) {
    const tmp = join(dataDir, `.${LOCK_FILE_NAME}.${pid}.${randomBytes(6).toString('hex')}`)
    const fh = await open(tmp, 'wx', 0o600)
    try {
      await fh.writeFile(`${pid}\n`)
      await fh.sync()
    } finally {
      await fh.close()
    }
    try {
      await link(tmp, path)
      await unlink(tmp)
      let released = false
      return {
        path,
        pid,
        release: async () => {
          if (released) return
          released = true
          // only remove a lock that is still ours
          if (await readLockPid(path) === pid) await unlink(path).catch(() => {})
        }
      }
    } catch (e) {
      await unlink(tmp).catch(() => {})
      if (!isErrno(e, 'EEXIST')) throw e
    }

    const holder = await readLockPid(path)
    if (holder === undefined) continue // vanished between link and read: try again
    if (holder !== null && isProcessAlive(holder)) throw new DataDirLockedError(dataDir, holder)
    // stale: re-read right before removing so we never remove a lock another process just took
    if (await readLockPid(path) !== holder) continue
    options.onStale?.(holder)
    await unlink(path).catch((err: unknown) => { if (!isErrno(err, 'ENOENT')) throw err })
  }
  throw new DataDirLockedError(dataDir, (await readLockPid(path)) ?? undefined)
}
