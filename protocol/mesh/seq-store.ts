/**
 * Per-origin alert sequence numbers: strictly increasing for the life of an
 * identity, across restarts and crashes (peers' replay guards drop a seq they
 * have already seen from that origin).
 *
 * The file store writes the new seq (tmp file, fsync, rename) BEFORE handing
 * it out, so a crash can skip a number but never reuse one. With a clock the
 * seq is also at least `now_ms × 1000`, so even a lost seq file does not make
 * a restarted node reuse numbers (unless its clock went back).
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { DataFileInvalidError } from '../errors.js'
import type { Clock } from '../../core/index.js'

export const SEQ_FILE_NAME = 'alert-seq'

export interface SeqStore {
  /** The next sequence number (> every number handed out before by this identity). */
  next: () => Promise<bigint>
  /** The last number handed out (0n before the first). */
  last: () => bigint
}

export interface SeqStoreOptions {
  /** When set, every seq is at least `clock.now() × 1000`. */
  clock?: Clock
}

function floorOf (options: SeqStoreOptions): bigint {
  return options.clock != null ? BigInt(Math.floor(options.clock.now())) * 1000n : 0n
}

/** An in-memory seq (tests and the simulator); pass a clock to survive restarts. */
export function createMemorySeqStore (options: SeqStoreOptions & { start?: bigint } = {}): SeqStore {
  let last = options.start ?? 0n
  return {
    next: async () => {
      const floor = floorOf(options)
      last = last + 1n > floor ? last + 1n : floor
      return last
    },
    last: () => last
  }
}

async function readSeqFile (path: string): Promise<bigint> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0n
    throw e
  }
  const trimmed = text.trim()
  if (!/^\d{1,20}$/.test(trimmed)) throw new DataFileInvalidError(path, `expected a decimal sequence number, found ${JSON.stringify(trimmed.slice(0, 40))}`)
  return BigInt(trimmed)
}

async function writeSeqFile (path: string, seq: bigint): Promise<void> {
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(`${seq.toString()}\n`)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
}

/** A seq persisted in `path` (usually `<dataDir>/alert-seq`). */
export async function createFileSeqStore (path: string, options: SeqStoreOptions = {}): Promise<SeqStore> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  let last = await readSeqFile(path)
  let chain: Promise<unknown> = Promise.resolve()
  return {
    next: async () => {
      const run = chain.then(async () => {
        const floor = floorOf(options)
        const candidate = last + 1n > floor ? last + 1n : floor
        await writeSeqFile(path, candidate)
        last = candidate
        return candidate
      })
      chain = run.catch(() => {})
      return await run
    },
    last: () => last
  }
}
