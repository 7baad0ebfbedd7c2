/**
 * Follows a growing text file line by line, like `tail -F`, and survives log
 * rotation:
 * - rename + create (logrotate's default): the path's inode changes. The old
 *   file is read to its end, then kept open and re-read for `rotateWaitMs`
 *   (the writer keeps appending to it until it reopens its log, e.g. nginx on
 *   USR1), while the new file is read from its start.
 * - copytruncate: same inode, size below our offset: read again from 0.
 * Change detection: fs.watch on the directory (inotify) plus a polling
 * interval through the Clock as the fallback (and the only driver in tests).
 *
 * Position: end of file by default, the start with `fromStart`, or the
 * checkpoint (dev, inode, offset of the first unfinished line). If the file was
 * rotated while we were stopped, the old inode is looked up among the sibling
 * files (access.log.1, access.log-20240101...) and its rest is read first.
 * Delivery is at-least-once across a crash (lines are emitted, then the
 * position is saved) and exactly-once across a clean stop/start.
 */
import { watch } from 'node:fs'
import type { FSWatcher } from 'node:fs'
import { open, readdir, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Clock, TimerHandle } from '../../core/index.js'
import { InvalidParamsError, StartupError } from '../errors.js'
import { silentLogger } from './sensor.js'
import type { SensorCheckpoint, SensorLogger } from './sensor.js'

/** Where reading resumes: the first byte of the first line not yet emitted. */
export interface TailPosition {
  path: string
  dev: number
  ino: number
  offset: number
  /** True when the position is inside an over-long line that is being skipped. */
  skipping?: boolean
}

export interface LogTailerParams {
  path: string
  /** Read existing content on first start (default: begin at the end of the file). */
  fromStart: boolean
  pollIntervalMs: number
  /** Also react to fs.watch events (inotify) between polls. */
  watch: boolean
  /** How long a renamed file is still followed after rotation (fluent-bit's rotate_wait, 5 s). */
  rotateWaitMs: number
  /** Longer lines are dropped and counted (64 KiB). */
  maxLineBytes: number
  readChunkBytes: number
  /** Upper bound of bytes read in one poll, so a huge backlog cannot starve the event loop. */
  maxBytesPerPoll: number
}

export const defaultLogTailerParams: Omit<LogTailerParams, 'path'> = Object.freeze({
  fromStart: false,
  pollIntervalMs: 1000,
  watch: true,
  rotateWaitMs: 5000,
  maxLineBytes: 64 * 1024,
  readChunkBytes: 64 * 1024,
  maxBytesPerPoll: 16 * 1024 * 1024
})

export function validateLogTailerParams (p: LogTailerParams): void {
  if (typeof p.path !== 'string' || p.path.length === 0) throw new InvalidParamsError('path', p.path, 'a non-empty file path')
  const positive: Array<keyof LogTailerParams> = ['pollIntervalMs', 'maxLineBytes', 'readChunkBytes', 'maxBytesPerPoll']
  for (const k of positive) {
    const v = p[k]
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidParamsError(k, v, 'a positive number')
  }
  if (typeof p.rotateWaitMs !== 'number' || !(p.rotateWaitMs >= 0)) throw new InvalidParamsError('rotateWaitMs', p.rotateWaitMs, 'a number >= 0')
  if (typeof p.fromStart !== 'boolean') throw new InvalidParamsError('fromStart', p.fromStart, 'true or false')
  if (typeof p.watch !== 'boolean') throw new InvalidParamsError('watch', p.watch, 'true or false')
}

export function createLogTailerParams (partial: Partial<LogTailerParams> & { path: string }): LogTailerParams {
  const p = { ...defaultLogTailerParams, ...partial }
  validateLogTailerParams(p)
  return Object.freeze(p)
}

export interface LogTailerStats {
  lines: number
  bytesRead: number
  tooLong: number
  rotations: number
  truncations: number
  /** Unfinished line fragments discarded on truncation. */
  fragmentsDropped: number
}

export interface LogTailerComponents {
  clock: Clock
  logger?: SensorLogger
  checkpoint?: SensorCheckpoint<TailPosition>
  /** Receives complete lines (without the newline, '\r' kept), in file order. */
  onLines: (lines: string[]) => void
}

export interface LogTailer {
  start: () => Promise<void>
  stop: () => Promise<void>
  /** Check for rotation and read what is new; resolves when done (the interval and the watcher call it too). */
  poll: () => Promise<void>
  position: () => TailPosition | undefined
  stats: () => LogTailerStats
}

interface OpenFile {
  fh: FileHandle
  name: string
  dev: number
  ino: number
  /** Next byte to read. */
  offset: number
  pending: Buffer[]
  pendingLen: number
  skipping: boolean
  /** Set when the file has been rotated away: followed until then. */
  drainUntil?: number
}

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

export function createLogTailer (components: LogTailerComponents, init: Partial<LogTailerParams> & { path: string }): LogTailer {
  const params = createLogTailerParams(init)
  const { clock, onLines } = components
  const logger = components.logger ?? silentLogger
  const dir = dirname(params.path)
  const base = basename(params.path)
  const stats: LogTailerStats = { lines: 0, bytesRead: 0, tooLong: 0, rotations: 0, truncations: 0, fragmentsDropped: 0 }
  const readBuf = Buffer.allocUnsafe(params.readChunkBytes)

  let started = false
  let current: OpenFile | null = null
  let draining: OpenFile[] = []
  let timer: TimerHandle | null = null
  let watcher: FSWatcher | null = null
  let running: Promise<void> | null = null
  let again = false
  let lastSaved: string | undefined

  const openFile = async (path: string, offset: number | 'end', skipping = false): Promise<OpenFile | null> => {
    let fh: FileHandle
    try {
      fh = await open(path, 'r')
    } catch (err) {
      if (isMissing(err)) return null
      throw err
    }
    const st = await fh.stat()
    if (st.isDirectory()) {
      await fh.close()
      throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' })
    }
    const off = offset === 'end' ? st.size : Math.min(offset, st.size)
    return { fh, name: path, dev: st.dev, ino: st.ino, offset: off, pending: [], pendingLen: 0, skipping }
  }

  const close = async (f: OpenFile): Promise<void> => {
    try { await f.fh.close() } catch { /* already closed */ }
  }

  const takeLines = (f: OpenFile, chunk: Buffer, out: string[]): void => {
    let start = 0
    for (;;) {
      const nl = chunk.indexOf(10, start)
      if (nl < 0) {
        const rest = chunk.subarray(start)
        if (rest.length === 0 || f.skipping) break
        if (f.pendingLen + rest.length > params.maxLineBytes) {
          stats.tooLong++
          f.skipping = true
          f.pending = []
          f.pendingLen = 0
        } else {
          f.pending.push(Buffer.from(rest))
          f.pendingLen += rest.length
        }
        break
      }
      const piece = chunk.subarray(start, nl)
      if (f.skipping) {
        f.skipping = false
      } else if (f.pendingLen + piece.length > params.maxLineBytes) {
        stats.tooLong++
      } else {
        const line = f.pendingLen === 0 ? piece.toString('utf8') : Buffer.concat([...f.pending, piece]).toString('utf8')
        out.push(line)
      }
      f.pending = []
      f.pendingLen = 0
      start = nl + 1
    }
  }

  /** Reads up to `budget` bytes from f's offset; returns the bytes read. */
  const readAvailable = async (f: OpenFile, budget: number): Promise<number> => {
    let total = 0
    while (total < budget) {
      const { bytesRead } = await f.fh.read(readBuf, 0, Math.min(readBuf.length, budget - total), f.offset)
      if (bytesRead === 0) break
      f.offset += bytesRead
      total += bytesRead
      stats.bytesRead += bytesRead
      const lines: string[] = []
      takeLines(f, readBuf.subarray(0, bytesRead), lines)
      if (lines.length > 0) {
        stats.lines += lines.length
        onLines(lines)
      }
    }
    return total
  }

  /** A rotated file's last unfinished line is complete: nothing more will be appended to it. */
  const flushPending = (f: OpenFile): void => {
    if (f.pendingLen > 0 && !f.skipping) {
      const line = Buffer.concat(f.pending).toString('utf8')
      stats.lines++
      onLines([line])
    }
    f.pending = []
    f.pendingLen = 0
  }

  const positionOf = (f: OpenFile): TailPosition => ({
    path: params.path,
    dev: f.dev,
    ino: f.ino,
    offset: f.offset - f.pendingLen,
    ...(f.skipping ? { skipping: true } : {})
  })

  const saveCheckpoint = async (): Promise<void> => {
    if (components.checkpoint == null || current == null) return
    const pos = positionOf(current)
    const key = JSON.stringify(pos)
    if (key === lastSaved) return
    await components.checkpoint.save(pos)
    lastSaved = key
  }

  const findRotated = async (dev: number, ino: number): Promise<string | null> => {
    let names: string[]
    try { names = await readdir(dir) } catch { return null }
    const candidates = names.filter((n) => n !== base && n.startsWith(base)).slice(0, 256)
    for (const n of candidates) {
      try {
        const st = await stat(join(dir, n))
        if (st.ino === ino && st.dev === dev && st.isFile()) return join(dir, n)
      } catch { /* vanished meanwhile */ }
    }
    return null
  }

  const openInitial = async (): Promise<void> => {
    const saved = components.checkpoint != null ? await components.checkpoint.load() : undefined
    if (saved == null || saved.path !== params.path) {
      current = await openFile(params.path, params.fromStart ? 0 : 'end')
      return
    }
    const f = await openFile(params.path, 0)
    if (f != null && f.ino === saved.ino && f.dev === saved.dev) {
      const st = await f.fh.stat()
      if (saved.offset <= st.size) {
        f.offset = saved.offset
        f.skipping = saved.skipping === true
      } else {
        stats.truncations++
        logger.warn({ path: params.path, offset: saved.offset, size: st.size }, 'log file shrank while the sensor was stopped; reading it from the start')
      }
      current = f
      return
    }
    // rotated while we were stopped: finish the old file first if it is still around
    const oldPath = await findRotated(saved.dev, saved.ino)
    if (oldPath != null) {
      const old = await openFile(oldPath, saved.offset, saved.skipping === true)
      if (old != null && old.ino === saved.ino) {
        old.drainUntil = clock.now()
        draining.push(old)
        logger.info({ path: params.path, rotated: oldPath }, 'log was rotated while the sensor was stopped; reading the rest of the old file')
      } else if (old != null) {
        await close(old)
      }
    } else {
      logger.warn({ path: params.path, ino: saved.ino }, 'log was rotated while the sensor was stopped and the old file is gone; its unread rest is lost')
    }
    stats.rotations++
    current = f
  }

  const tick = async (): Promise<void> => {
    let budget = params.maxBytesPerPoll
    // older files first, so lines come out in order
    for (const f of draining) budget -= await readAvailable(f, Math.max(0, budget))
    const now = clock.now()
    const keep: OpenFile[] = []
    for (const f of draining) {
      if (budget > 0 && (f.drainUntil ?? 0) <= now) {
        flushPending(f)
        await close(f)
      } else {
        keep.push(f)
      }
    }
    draining = keep

    let st: { dev: number, ino: number } | null = null
    try {
      st = await stat(params.path)
    } catch (err) {
      if (!isMissing(err)) throw err
    }

    if (current != null && st != null && (st.ino !== current.ino || st.dev !== current.dev)) {
      // rename + create: finish what the old file holds now, keep following it for rotateWaitMs
      budget -= await readAvailable(current, Math.max(0, budget))
      current.drainUntil = clock.now() + params.rotateWaitMs
      draining.push(current)
      stats.rotations++
      logger.info({ path: params.path, oldIno: current.ino, newIno: st.ino }, 'log rotated (new file)')
      current = null
    }
    if (current == null) {
      if (st == null) return
      current = await openFile(params.path, 0)
      if (current == null) return
    } else {
      const size = (await current.fh.stat()).size
      if (size < current.offset) {
        stats.truncations++
        if (current.pendingLen > 0) stats.fragmentsDropped++
        logger.info({ path: params.path, offset: current.offset, size }, 'log truncated (copytruncate)')
        current.offset = 0
        current.pending = []
        current.pendingLen = 0
        current.skipping = false
      }
    }
    const read = await readAvailable(current, Math.max(0, budget))
    if (read >= budget) again = true
    await saveCheckpoint()
  }

  const poll = async (): Promise<void> => {
    if (!started) return
    if (running != null) {
      again = true
      return await running
    }
    running = (async () => {
      try {
        do {
          again = false
          await tick()
        } while (again && started)
      } finally {
        running = null
      }
    })()
    return await running
  }

  const pollLogged = (): void => {
    poll().catch((err: unknown) => {
      logger.error({ path: params.path, err: String(err) }, 'log tailer poll failed')
    })
  }

  return {
    async start () {
      if (started) return
      started = true
      try {
        await openInitial()
      } catch (err) {
        started = false
        const code = (err as NodeJS.ErrnoException).code
        if (code != null) {
          err = new StartupError('sensors', `cannot read the log ${params.path} (${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : code}): it must be a readable file`)
        }
        for (const f of draining) await close(f)
        draining = []
        if (current != null) await close(current)
        current = null
        throw err
      }
      if (current == null && draining.length === 0) {
        logger.error({ path: params.path }, `log ${params.path} does not exist (yet): it is read from its start once it appears`)
      }
      timer = clock.setInterval(pollLogged, params.pollIntervalMs)
      if (params.watch) {
        try {
          watcher = watch(dir, { persistent: false }, (_event, filename) => {
            if (filename == null || String(filename).startsWith(base)) pollLogged()
          })
          watcher.on('error', (err) => {
            logger.warn({ path: params.path, err: String(err) }, 'fs.watch failed; polling only')
            watcher?.close()
            watcher = null
          })
        } catch (err) {
          logger.warn({ path: params.path, err: String(err) }, 'fs.watch unavailable; polling only')
        }
      }
      await poll()
    },
    async stop () {
      if (!started) return
      started = false
      if (timer != null) clock.clearInterval(timer)
      timer = null
      watcher?.close()
      watcher = null
      if (running != null) {
        try { await running } catch { /* logged by the poller */ }
      }
      try {
        await saveCheckpoint()
      } finally {
        for (const f of draining) await close(f)
        draining = []
        if (current != null) await close(current)
        current = null
        lastSaved = undefined
      }
    },
    poll,
    position: () => current != null ? positionOf(current) : undefined,
    stats: () => ({ ...stats })
  }
}
