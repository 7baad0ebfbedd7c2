import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appendFile, copyFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createManualClock, createSystemClock } from '../../../core/clock.js'
import type { Clock, ManualClock } from '../../../core/clock.js'
import type { HttpObservation, Observation } from '../../../node/observation.js'
import { createAccessLogSensor } from '../../../node/sensors/access-log.js'
import type { AccessLogSensor } from '../../../node/sensors/access-log.js'
import type { TailPosition } from '../../../node/sensors/log-tailer.js'
import type { SensorCheckpoint } from '../../../node/sensors/sensor.js'
import { InvalidParamsError } from '../../../node/errors.js'

const line = (i: number): string => `192.0.2.${i % 250 + 1} - - [22/Nov/2026:10:00:${String(i % 60).padStart(2, '0')} +0000] "GET /item/${i}?id=${i} HTTP/1.1" 200 ${100 + i} "-" "test-agent"\n`
const lines = (from: number, to: number): string => { let s = ''; for (let i = from; i < to; i++) s += line(i); return s }
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k)

let dir: string
let log: string
let sensors: AccessLogSensor[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'immune-accesslog-'))
  log = join(dir, 'access.log')
  sensors = []
})

afterEach(async () => {
  for (const s of sensors) await s.stop()
  await rm(dir, { recursive: true, force: true })
})

function make<C extends Clock = ManualClock> (init: Record<string, unknown> = {}, checkpoint?: SensorCheckpoint<TailPosition>, clockIn?: C) {
  const clock = (clockIn ?? createManualClock()) as C
  const seen: HttpObservation[] = []
  const sensor = createAccessLogSensor({
    clock,
    emit: (o: Observation) => { if (o.kind === 'http') seen.push(o) },
    ...(checkpoint != null ? { checkpoint } : {})
  }, { path: log, watch: false, pollIntervalMs: 1000, ...init })
  sensors.push(sensor)
  const ids = (): number[] => seen.map((o) => Number(o.path.split('/')[2]))
  return { sensor, seen, ids, clock }
}

function memoryCheckpoint (): SensorCheckpoint<TailPosition> & { value?: TailPosition, saves: number } {
  const cp = {
    value: undefined as TailPosition | undefined,
    saves: 0,
    load: () => cp.value,
    save: (p: TailPosition) => { cp.value = { ...p }; cp.saves++ }
  }
  return cp
}

describe('access-log sensor', () => {
  it('reads from the start when asked, then follows appends; waits for a line to be finished', async () => {
    await writeFile(log, lines(0, 3))
    const { sensor, seen, ids } = make({ fromStart: true, cell: 'shop' })
    await sensor.start()
    expect(ids()).toEqual([0, 1, 2])
    expect(seen[0]).toMatchObject({ kind: 'http', method: 'GET', path: '/item/0', query: 'id=0', body: '', source: '192.0.2.1', cell: 'shop', status: 200, headers: { 'user-agent': 'test-agent' } })
    const half = line(3)
    await appendFile(log, half.slice(0, 20))
    await sensor.poll()
    expect(ids()).toEqual([0, 1, 2])
    await appendFile(log, half.slice(20) + line(4))
    await sensor.poll()
    expect(ids()).toEqual([0, 1, 2, 3, 4])
    expect(sensor.stats()).toMatchObject({ observations: 5, formats: { combined: 5, common: 0 } })
  })

  it('starts at the end of an existing file by default', async () => {
    await writeFile(log, lines(0, 5))
    const { sensor, ids } = make()
    await sensor.start()
    expect(ids()).toEqual([])
    await appendFile(log, lines(5, 7))
    await sensor.poll()
    expect(ids()).toEqual([5, 6])
  })

  it('waits for a missing file and reads it whole when it appears', async () => {
    const { sensor, ids, clock } = make()
    await sensor.start()
    await writeFile(log, lines(0, 2))
    clock.advance(1000)
    await sensor.poll()
    expect(ids()).toEqual([0, 1])
  })

  it('survives rename+create rotation: finishes the old file, follows it for rotateWaitMs, no loss, no duplicates', async () => {
    await writeFile(log, '')
    const { sensor, ids, clock } = make({ rotateWaitMs: 5000 })
    await sensor.start()
    await appendFile(log, lines(0, 10))
    await sensor.poll()
    // logrotate renames; the server writes a few more lines to the old file before it reopens
    await appendFile(log, lines(10, 12))
    await rename(log, `${log}.1`)
    await appendFile(`${log}.1`, lines(12, 14))
    await writeFile(log, lines(14, 16))
    await sensor.poll()
    clock.advance(1000)
    await sensor.poll()
    await appendFile(`${log}.1`, lines(16, 17)) // still within rotateWaitMs
    await appendFile(log, lines(17, 19))
    clock.advance(1000)
    await sensor.poll()
    clock.advance(4000)
    await sensor.poll()
    await appendFile(`${log}.1`, lines(100, 101)) // after rotateWaitMs: no longer followed
    await appendFile(log, lines(19, 20))
    await sensor.poll()
    expect([...ids()].sort((a, b) => a - b)).toEqual(range(0, 20))
    expect(new Set(ids()).size).toBe(ids().length)
    expect(sensor.stats()).toMatchObject({ rotations: 1, truncations: 0 })
    // old-file lines come out before the new file's
    expect(ids().slice(0, 14)).toEqual(range(0, 14))
  })

  it('survives copytruncate: reads the truncated file from its start', async () => {
    await writeFile(log, '')
    const { sensor, ids } = make()
    await sensor.start()
    await appendFile(log, lines(0, 20))
    await sensor.poll()
    await copyFile(log, `${log}.1`)
    await truncate(log, 0)
    await appendFile(log, lines(20, 22))
    await sensor.poll()
    await appendFile(log, lines(22, 23))
    await sensor.poll()
    expect(ids()).toEqual(range(0, 23))
    expect(sensor.stats()).toMatchObject({ rotations: 0, truncations: 1 })
  })

  it('resumes from its checkpoint after a restart without loss or duplication', async () => {
    await writeFile(log, lines(0, 3))
    const cp = memoryCheckpoint()
    const a = make({ fromStart: true }, cp)
    await a.sensor.start()
    await appendFile(log, lines(3, 5) + line(5).slice(0, 30))
    await a.sensor.poll()
    await a.sensor.stop()
    expect(a.ids()).toEqual(range(0, 5))
    expect(cp.value?.offset).toBe(Buffer.byteLength(lines(0, 5)))
    // written while stopped, including the rest of the half line
    await appendFile(log, line(5).slice(30) + lines(6, 8))
    const b = make({}, cp) // fromStart false: the checkpoint wins
    await b.sensor.start()
    expect(b.ids()).toEqual([5, 6, 7])
  })

  it('after a rotation while stopped, reads the rest of the rotated file, then the new one', async () => {
    await writeFile(log, lines(0, 2))
    const cp = memoryCheckpoint()
    const a = make({ fromStart: true }, cp)
    await a.sensor.start()
    await a.sensor.stop()
    await appendFile(log, lines(2, 4))
    await rename(log, `${log}.1`)
    await writeFile(`${log}.2.gz`, 'not a log')
    await writeFile(log, lines(4, 6))
    const b = make({}, cp)
    await b.sensor.start()
    expect(b.ids()).toEqual([2, 3, 4, 5])
    // and copytruncate while stopped
    await b.sensor.stop()
    await truncate(log, 0)
    await writeFile(log, lines(6, 7))
    const c = make({}, cp)
    await c.sensor.start()
    expect(c.ids()).toEqual([6])
  })

  it('counts malformed and over-long lines and keeps going', async () => {
    await writeFile(log, '')
    const { sensor, ids } = make({ maxLineBytes: 200 })
    await sensor.start()
    const long = `192.0.2.1 - - [22/Nov/2026:10:00:00 +0000] "GET /long?x=${'A'.repeat(500)} HTTP/1.1" 200 1 "-" "-"\n`
    await appendFile(log, line(0) + 'this is not a log line\n' + '\n' + long + '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "-" 408 0 "-" "-"\n' + line(1))
    await sensor.poll()
    // an over-long line split across reads is dropped too
    await appendFile(log, `1.2.3.4 - - [22/Nov/2026:10:00:00 +0000] "GET /${'B'.repeat(150)}`)
    await sensor.poll()
    await appendFile(log, `${'B'.repeat(150)} HTTP/1.1" 200 1\n` + line(2))
    await sensor.poll()
    expect(ids()).toEqual([0, 1, 2])
    expect(sensor.stats()).toMatchObject({ observations: 3, tooLong: 2, empty: 1, malformed: { syntax: 1, request: 1, time: 0, status: 0 } })
  })

  it('keeps emitting when the consumer throws', async () => {
    await writeFile(log, lines(0, 3))
    let n = 0
    const sensor = createAccessLogSensor({ clock: createManualClock(), emit: () => { n++; if (n === 2) throw new Error('boom') } }, { path: log, watch: false, fromStart: true })
    sensors.push(sensor)
    await sensor.start()
    expect(n).toBe(3)
    expect(sensor.stats().emitErrors).toBe(1)
  })

  it('reacts to fs.watch events without polling (real clock, bounded wait)', async () => {
    await writeFile(log, '')
    const { sensor, ids } = make({ watch: true, pollIntervalMs: 600_000 }, undefined, createSystemClock())
    await sensor.start()
    await appendFile(log, lines(0, 3))
    for (let i = 0; i < 250 && ids().length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(ids()).toEqual([0, 1, 2])
    await rename(log, `${log}.1`)
    await writeFile(log, lines(3, 5))
    for (let i = 0; i < 250 && ids().length < 5; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(ids()).toEqual(range(0, 5))
  })

  it('validates its params with a field name', () => {
    const clock = createManualClock()
    expect(() => createAccessLogSensor({ clock, emit: () => {} }, { path: '' })).toThrow(InvalidParamsError)
    expect(() => createAccessLogSensor({ clock, emit: () => {} }, { path: log, pollIntervalMs: -1 })).toThrow(expect.objectContaining({
      code: 'IMMUNE_ERR_INVALID_PARAMS',
      details: expect.objectContaining({ field: 'pollIntervalMs' })
    }))
  })
})

describe('access-log sensor: a missing or unreadable log is named', () => {
  const recorder = (): { logger: { debug: () => void, info: () => void, warn: (o: unknown, m?: string) => void, error: (o: unknown, m?: string) => void }, errors: Array<{ o: unknown, m: string }> } => {
    const errors: Array<{ o: unknown, m: string }> = []
    return { errors, logger: { debug: () => {}, info: () => {}, warn: () => {}, error: (o, m) => { errors.push({ o, m: m ?? "" }) } } }
  }

  it('a log that does not exist yet: an error naming the path, then it is read from its start once it appears', async () => {
    const clock = createManualClock()
    const seen: HttpObservation[] = []
    const { logger, errors } = recorder()
    const sensor = createAccessLogSensor({ clock, logger, emit: (o: Observation) => { if (o.kind === 'http') seen.push(o) } }, { path: log, watch: false, pollIntervalMs: 1000 })
    sensors.push(sensor)
    await sensor.start()
    expect(errors).toHaveLength(1)
    expect(errors[0].m).toBe(`log ${log} does not exist (yet): it is read from its start once it appears`)
    expect(errors[0].o).toEqual({ path: log })
    await writeFile(log, lines(0, 2))
    clock.advance(1000)
    await sensor.poll()
    expect(seen.map((o) => o.path)).toEqual(['/item/0', '/item/1'])
  })

  it('a path that cannot be read as a file fails start-up naming the path', async () => {
    const clock = createManualClock()
    const { logger } = recorder()
    const { mkdir } = await import('node:fs/promises')
    await mkdir(log)
    const sensor = createAccessLogSensor({ clock, logger, emit: () => {} }, { path: log, watch: false })
    await expect(sensor.start()).rejects.toMatchObject({ code: 'IMMUNE_ERR_STARTUP', message: expect.stringContaining(`cannot read the log ${log} (it is a directory)`) })
  })
})
