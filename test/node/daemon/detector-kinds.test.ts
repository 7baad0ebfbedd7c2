/**
 * Detectors per observation kind: the daemon's detection builds, starts,
 * journals, replays and reports every detector through the registry
 * (node/daemon/detector-kinds.ts), with a real level db.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { validateConfig } from '../../../node/config/index.js'
import { createDetection } from '../../../node/daemon/detection.js'
import { BUILTIN_DETECTOR_KINDS, createDetectorKindRegistry, httpDetectorKind, processDetectorKind } from '../../../node/daemon/detector-kinds.js'
import type { DetectorKind } from '../../../node/daemon/detector-kinds.js'
import { createLogger } from '../../../node/daemon/logger.js'
import type { HttpObservation } from '../../../node/observation.js'
import { createStore } from '../../../node/store/store.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-kinds-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })
const logger = createLogger({ level: 'silent', format: 'json' })

describe('detector kinds: registered by observation kind, built through the registry', () => {
  it('lists the built-in kinds, each routing a cell to its detector', () => {
    const reg = createDetectorKindRegistry()
    expect(reg.kinds().sort()).toEqual(['http', 'process'])
    expect(httpDetectorKind.setName('web')).toBe('http:web')
    expect(processDetectorKind.setName('web')).toBe('process')
    expect(processDetectorKind.statusCell('process', 'process:app')).toBe('app')
  })

  it('the daemon builds every detector through the kinds it is given, and replays the journal through them after a crash', async () => {
    const config = validateConfig({ dataDir: join(dir, 'd'), cells: [{ name: 'web', type: 'http' }] })
    const made: string[] = []
    const counting: DetectorKind<HttpObservation> = { ...httpDetectorKind, create: (ctx, cell) => { made.push(cell); return httpDetectorKind.create(ctx, cell) } }
    const kinds = [counting, ...BUILTIN_DETECTOR_KINDS.filter(k => k.kind !== 'http')]
    const clock = createManualClock()
    const obs = (i: number): HttpObservation => ({ kind: 'http', time: clock.now(), method: 'GET', path: '/item', query: `id=${i % 7}`, body: '', headers: {}, source: `10.0.0.${i % 5}` })

    let store = createStore({ dataDir: config.dataDir })
    await store.open()
    let det = createDetection({ clock, store, logger }, { config, kinds, snapshotIntervalMs: 3_600_000 })
    await det.start()
    // both HTTP cells (the ingest pseudo-cell and web) were made by the registered kind at start
    expect(made.sort()).toEqual(['ingest', 'web'])
    for (let i = 0; i < 40; i++) det.observeHttp({ name: 'web', community: 'default' }, obs(i))
    await det.commit()
    const before = det.contexts().find(c => c.cell === 'web' && c.context.includes('/item'))
    expect(before?.count).toBe(40)
    // crash: no stop(), no snapshot; a new detection replays the journal through the registry
    await store.close()
    made.length = 0
    store = createStore({ dataDir: config.dataDir })
    await store.open()
    det = createDetection({ clock, store, logger }, { config, kinds, snapshotIntervalMs: 3_600_000 })
    await det.start()
    expect(made.sort()).toEqual(['ingest', 'web'])
    expect(det.contexts().find(c => c.cell === 'web' && c.context === before?.context)?.count).toBe(40)
    await det.stop()
    await store.close()
  })
})
