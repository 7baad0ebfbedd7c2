/**
 * One node per data dir. The lock is a `lock` file holding the owner's pid,
 * created atomically: the pid is written to a private temp file which is then
 * hard-linked to `lock` (link(2) fails with EEXIST if the lock exists), so the
 * lock file is never seen half-written.
 *
 * The lock holds `<pid> <start time>` (the start time in clock ticks since
 * boot, /proc/<pid>/stat field 22: with the pid, one process's identity). A
 * lock is stale, removed and taken again (at most a few times), when:
 *   - its content is not a pid, or its pid is not alive (killed with -9);
 *   - its pid is alive but started at another time (the pid was reused), or,
 *     for a lock without a start time, its command line names no immune-node;
 *   - its pid is this very process but this process does not hold the lock (a
 *     container's PID 1 after `kill -9` or an out-of-memory crash: the new
 *     process gets the same pid).
 * A live holder otherwise, including a second node in this same process,
 * means the dir is in use: DataDirLockedError (IMMUNE_ERR_DATA_DIR_LOCKED).
 *
 * This is checked before anything else in the data dir is opened (the key,
 * level, which also holds its own LOCK).
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readProcStat } from '../../core/index.js'
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
  /** Called when a stale lock is removed (why: the reason, for the log). */
  onStale?: (stalePid: number | null, why?: string) => void
}

/** Lock paths this process holds now (a second node in this process must not take them over). */
const heldHere = new Set<string>()

/** The words a node's command line holds (bin/immune-node, dist/bin/immune-node.js, the npm bin). */
const NODE_COMMAND = /immune-node|immune-mesh/

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

interface LockContent { pid: number, startTime: number | null }

async function readLock (path: string): Promise<LockContent | null | undefined> {
  try {
    const m = /^(\d{1,10})(?: (\d{1,20}))?$/.exec((await readFile(path, 'utf8')).trim())
    return m == null ? null : { pid: Number(m[1]), startTime: m[2] != null ? Number(m[2]) : null }
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined
    throw e
  }
}

async function readLockPid (path: string): Promise<number | null | undefined> {
  const l = await readLock(path)
  return l == null ? l : l.pid
}

/** Why a lock held by a live pid is stale (null: it is not, the holder runs). */
function staleReason (path: string, holder: LockContent): string | null {
  if (holder.pid === process.pid) return heldHere.has(path) ? null : 'the pid is this process, which does not hold the lock (restarted with the same pid)'
  const st = readProcStat(holder.pid)
  if (st == null) return isProcessAlive(holder.pid) ? null : 'the process is gone'
  if (holder.startTime != null) return st.startTime === holder.startTime ? null : `pid ${holder.pid} was reused by another process (${st.comm})`
  let cmdline: string
  try {
    cmdline = readFileSync(`/proc/${holder.pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
  } catch {
    return null // cannot tell: assume it runs
  }
  return NODE_COMMAND.test(cmdline) ? null : `pid ${holder.pid} is not an immune-node (${st.comm})`
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
      const startTime = readProcStat(pid)?.startTime
      await fh.writeFile(startTime != null ? `${pid} ${startTime}\n` : `${pid}\n`)
      await fh.sync()
    } finally {
      await fh.close()
    }
    try {
      await link(tmp, path)
      await unlink(tmp)
      heldHere.add(path)
      let released = false
      return {
        path,
        pid,
        release: async () => {
          if (released) return
          released = true
          heldHere.delete(path)
          // only remove a lock that is still ours
          if (await readLockPid(path) === pid) await unlink(path).catch(() => {})
        }
      }
    } catch (e) {
      await unlink(tmp).catch(() => {})
      if (!isErrno(e, 'EEXIST')) throw e
    }

    const holder = await readLock(path)
    if (holder === undefined) continue // vanished between link and read: try again
    const why = holder === null ? 'the lock file holds no pid' : isProcessAlive(holder.pid) ? staleReason(path, holder) : 'the process is gone'
    if (why == null) throw new DataDirLockedError(dataDir, (holder as LockContent).pid)
    // stale: re-read right before removing so we never remove a lock another process just took
    const again = await readLock(path)
    if (again?.pid !== holder?.pid || again?.startTime !== holder?.startTime) continue
    options.onStale?.(holder?.pid ?? null, why)
    await unlink(path).catch((err: unknown) => { if (!isErrno(err, 'ENOENT')) throw err })
  }
  throw new DataDirLockedError(dataDir, (await readLockPid(path)) ?? undefined)
}
