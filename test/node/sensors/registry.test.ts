import { describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createManualClock } from '../../../core/clock.js'
import { UnknownSensorError } from '../../../node/errors.js'
import type { Observation } from '../../../node/observation.js'
import { createSensorRegistry } from '../../../node/sensors/index.js'
import type { Sensor, SensorComponents } from '../../../node/sensors/index.js'

describe('sensor registry', () => {
  it('creates the built-in sensors by type name, with a pino logger', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'immune-registry-'))
    try {
      const log = join(dir, 'access.log')
      await writeFile(log, '192.0.2.1 - - [22/Nov/2026:10:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 1\n')
      const seen: Observation[] = []
      const components: SensorComponents = { clock: createManualClock(), emit: (o) => { seen.push(o) }, logger: pino({ level: 'silent' }) }
      const registry = createSensorRegistry()
      expect(registry.types().sort()).toEqual(['access-log', 'json-lines', 'proc'])
      const a = registry.create('access-log', components, { path: log, fromStart: true, watch: false })
      const p = registry.create('proc', components, { host: true })
      expect(a.name).toBe(`access-log:${log}`)
      expect(p.name).toBe('proc')
      await a.start(); await a.start()
      await p.start()
      expect(seen.map((o) => o.kind)).toEqual(['http'])
      await a.stop(); await a.stop()
      await p.stop(); await p.stop()
      expect(() => registry.create('access-log', components, { path: log, maxLineBytes: 0 })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('rejects unknown types with a stable code and accepts new plug-ins', async () => {
    const registry = createSensorRegistry({ builtins: false })
    expect(() => registry.create('access-log', { clock: createManualClock(), emit: () => {} }, {})).toThrow(UnknownSensorError)
    expect(() => registry.create('nope', { clock: createManualClock(), emit: () => {} }, {})).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_UNKNOWN_SENSOR', details: { type: 'nope', known: [] } }))
    let started = 0
    registry.register('custom', (c, init: { n: number }): Sensor => ({
      name: 'custom',
      start: async () => { started++; c.emit({ kind: 'process', time: c.clock.now(), cell: 'x', metrics: { cpuPct: init.n, rssBytes: 0, threads: 0, openFiles: 0, sockets: 0, readBytesPerSec: 0, writeBytesPerSec: 0, children: 0 } }) },
      stop: async () => {}
    }))
    const got: Observation[] = []
    const s = registry.create('custom', { clock: createManualClock(), emit: (o) => { got.push(o) } }, { n: 7 })
    await s.start()
    expect(started).toBe(1)
    expect(got[0]).toMatchObject({ kind: 'process', metrics: { cpuPct: 7 } })
    expect(registry.has('custom')).toBe(true)
  })
})
