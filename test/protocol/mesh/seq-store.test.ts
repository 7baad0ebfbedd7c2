import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { DataFileInvalidError } from '../../../protocol/errors.js'
import { createFileSeqStore, createMemorySeqStore } from '../../../protocol/mesh/seq-store.js'

describe('alert sequence store', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'immune-seq-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('hands out strictly increasing numbers across restarts', async () => {
    const path = join(dir, 'alert-seq')
    const a = await createFileSeqStore(path)
    const first = await Promise.all([a.next(), a.next(), a.next()])
    expect(first).toEqual([1n, 2n, 3n])
    const b = await createFileSeqStore(path)
    expect(b.last()).toBe(3n)
    expect(await b.next()).toBe(4n)
  })

  it('with a clock, is at least now_ms × 1000 even if the file is lost', async () => {
    const clock = createManualClock(1_700_000_000_000)
    const path = join(dir, 'alert-seq')
    const a = await createFileSeqStore(path, { clock })
    const s1 = await a.next()
    expect(s1).toBe(1_700_000_000_000_000n)
    expect(await a.next()).toBe(s1 + 1n)
    await rm(path)
    clock.advance(1)
    const b = await createFileSeqStore(path, { clock })
    expect(await b.next()).toBeGreaterThan(s1 + 1n)
  })

  it('refuses a corrupt seq file rather than risk reusing numbers', async () => {
    const path = join(dir, 'alert-seq')
    await writeFile(path, 'twelve')
    const err = await createFileSeqStore(path).catch((e: unknown) => e)
    expect((err as DataFileInvalidError).code).toBe('IMMUNE_ERR_DATA_FILE_INVALID')
  })

  it('memory store counts from start', async () => {
    const s = createMemorySeqStore({ start: 41n })
    expect(await s.next()).toBe(42n)
    expect(s.last()).toBe(42n)
  })
})
