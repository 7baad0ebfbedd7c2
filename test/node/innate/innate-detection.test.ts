/**
 * The innate layer on the daemon's detection path (node/daemon/detection.ts
 * through node/innate/innate-gate.ts), with a real level db: the combination
 * rules C0–C3 as a member meets them, the config turn-downs, and that an
 * observation blocked while learning is never learned (nor journaled).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/index.js'
import type { ManualClock } from '../../../core/index.js'
import { ConfigError } from '../../../node/errors.js'
import { checkConfig, validateConfig } from '../../../node/config/index.js'
import { createDetection } from '../../../node/daemon/detection.js'
import type { CellRef } from '../../../node/daemon/detection-types.js'
import { createLogger } from '../../../node/daemon/logger.js'
import type { HttpObservation } from '../../../node/observation.js'
import { createPrng } from '../../../core/index.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'

const WEB: CellRef = { name: 'web', community: 'default' }
const logger = createLogger({ level: 'silent', format: 'json' })
let dir: string
let clock: ManualClock
const stores: Store[] = []

beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'immune-innate-')); clock = createManualClock(1_700_000_000_000) })
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
  rmSync(dir, { recursive: true, force: true })
})

async function open (innate: Record<string, unknown> = {}): Promise<ReturnType<typeof createDetection>> {
  const store = createStore({ dataDir: dir })
  await store.open()
  stores.push(store)
  const config = validateConfig({ dataDir: dir, cells: [{ name: 'web', type: 'http' }], learning: { minObservations: 60, minDurationSec: 0 }, innate })
  const det = createDetection({ clock, store, logger }, { config, snapshotIntervalMs: 3_600_000 })
  await det.start()
  return det
}

const rng = createPrng(11)
const NAMES = ['ana', 'bob', 'carla', 'dmitri', 'eve', 'farid', 'gus', 'hana']
const req = (path: string, query: string): HttpObservation => ({ kind: 'http', time: clock.now(), method: 'GET', path, query, body: '', headers: {}, source: `192.0.2.${1 + rng.nextInt(200)}` })
const normal = (): HttpObservation => req('/item', `id=${1 + rng.nextInt(500)}&user=${NAMES[rng.nextInt(NAMES.length)]}`)
const post = (): HttpObservation => ({ ...req('/admin/page', ''), method: 'POST', body: `html=${encodeURIComponent(`<p>${NAMES[rng.nextInt(8)]}</p><script>track(${rng.nextInt(99)})</script>`)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })

async function train (det: ReturnType<typeof createDetection>, n = 120, extra?: () => HttpObservation): Promise<void> {
  for (let i = 0; i < n; i++) { clock.advance(1000); det.observeHttp(WEB, normal()); if (extra != null) det.observeHttp(WEB, extra()) }
  await det.commit()
}

describe('innate layer in the daemon', () => {
  it('C1: a learning member blocks a strong finding from its first request, names it, and does not learn it', async () => {
    const det = await open()
    const attack = req('/item', "id=1%27+OR+%271%27%3D%271&user=ana")
    const r = det.observeHttp(WEB, attack)
    expect(r.danger).toBe(2)
    expect(r.score.phase).toBe('learning')
    expect(r.learned).toBe(false)
    expect(r.innate?.[0]).toMatchObject({ grammar: 'sql', location: 'query', name: 'id', token: "'", decodings: ['url-decode', 'plus-as-space'] })
    expect(r.score.reasons[0]).toMatchObject({ parameter: 'id', feature: 'innate:sql' })
    // not learned: the endpoint was not even created, and a normal request is learned as usual
    expect(det.contexts().filter((c) => c.cell === 'web')).toEqual([])
    expect(det.observeHttp(WEB, normal()).learned).toBe(true)
    // a weak finding while learning is suspicious only (and learned)
    const weak = det.observeHttp(WEB, req('/item', 'id=3&user=%3Cb%3Eana%3C%2Fb%3E'))
    expect(weak.danger).toBe(1)
    expect(weak.learned).toBe(true)
  })

  it('C2 and C0 at a guarding endpoint; C3 at an unknown endpoint', async () => {
    const det = await open()
    // long enough that a never-seen endpoint is rarer than 1 % (level 1, capped there: D4)
    await train(det, 400)
    expect(det.contexts().find((c) => c.context === 'get /item')?.phase).toBe('guarding')
    // an injection that the profile also finds odd: level 2
    const r = det.observeHttp(WEB, req('/item', 'id=5&user=ana%27+OR+%27a%27%3D%27a'))
    expect(r.danger).toBe(2)
    expect(r.innate?.[0]).toMatchObject({ grammar: 'sql', name: 'user' })
    // an unknown endpoint is capped at level 1 by the profile (D4); a weak injection there lifts it to 2 (C3); a plain request stays below 2
    const u = det.observeHttp(WEB, req('/other', 'q=%3Cb%3Etea'))
    expect(u.danger).toBe(2)
    expect(det.observeHttp(WEB, req('/new', 'q=tea')).danger).toBeLessThan(2)
    expect(u.score.reasons[0].feature).toBe('innate:html')
  })

  it('probes: a backup copy or a write on a script is blocked (request only) and never learned; new REST methods and paths are not', async () => {
    const det = await open()
    // a learning member: a strong probe blocks from the first request, a weak one is suspicious
    const git = det.observeHttp(WEB, req('/.git/config', ''))
    expect(git).toMatchObject({ danger: 2, requestOnly: true, learned: false })
    expect(git.innate?.[0]).toMatchObject({ grammar: 'probe', location: 'path', token: '.git' })
    expect(det.observeHttp(WEB, req('/report.tmp', '')).danger).toBe(1)
    await train(det, 400)
    // a guarding member: at an unknown endpoint (level 1, D4) the probe lifts to level 2 (C3), and the scan path creates no context
    const bak = det.observeHttp(WEB, req('/item.bak', ''))
    expect(bak).toMatchObject({ danger: 2, requestOnly: true })
    expect(bak.score.reasons[0].feature).toBe('innate:probe')
    const put = det.observeHttp(WEB, { ...req('/admin/page.jsp', 'a=1'), method: 'PUT' })
    expect(put).toMatchObject({ danger: 2, requestOnly: true })
    expect(put.innate?.[0]).toMatchObject({ location: 'method', fingerprint: 'write .jsp' })
    expect(det.contexts().map((c) => c.context).filter((c) => c.includes('.bak') || c.startsWith('put '))).toEqual([])
    // living change: a new method on a REST route and a new page are suspicious at most
    expect(det.observeHttp(WEB, { ...req('/item/7', ''), method: 'DELETE' }).danger).toBeLessThan(2)
    expect(det.observeHttp(WEB, req('/item/7/reviews', 'page=2')).danger).toBeLessThan(2)
  })

  it('two signals agree at a renamed parameter: novelty (a new name, a missing one) plus an injection finding is level 2; novelty alone is not', async () => {
    const det = await open()
    await train(det, 400)
    const renamed = det.observeHttp(WEB, req('/item', 'id=5&userA=ana'))
    expect(renamed.danger, JSON.stringify(renamed.score.reasons)).toBeLessThan(2)
    const injected = det.observeHttp(WEB, req('/item', 'id=5&userA=ana%27+OR+%27a%27%3D%27a'))
    expect(injected.danger).toBe(2)
    expect(injected.innate?.[0]).toMatchObject({ grammar: 'sql', name: 'userA' })
    // a weak in-value signal (a system file after a separator) needs the same second signal
    expect(det.observeHttp(WEB, req('/item', 'id=5&userA=ana%2Fetc%2Fshadow')).danger).toBe(2)
  })

  it('probes turned off for a prefix of endpoints (an application that stores users\' files)', async () => {
    const det = await open({ ignore: [{ context: 'GET /files/*', grammars: ['probe'] }] })
    await train(det, 400)
    const own = det.observeHttp(WEB, req('/files/ana/thesis.old', ''))
    expect(own.danger).toBeLessThan(2)
    expect(own.innate).toBeUndefined()
    expect(det.observeHttp(WEB, req('/thesis.old', '')).danger).toBe(2)
  })

  it('C0: where the application takes HTML in a field and the profile learned it, learning wins', async () => {
    // the field is turned down while the member learns it, then turned back on: the learned values never block
    let det = await open({ ignore: [{ context: 'POST /admin/page', parameter: 'html' }] })
    await train(det, 120, post)
    expect(det.observeHttp(WEB, post()).danger).toBe(0)
    await det.stop()
    for (const s of stores.splice(0)) await s.close()
    det = await open()
    let lifted = 0
    for (let i = 0; i < 50; i++) { const r = det.observeHttp(WEB, post()); if (r.danger === 2) lifted++; expect(r.innate?.[0]?.grammar).toBe('html') }
    expect(lifted).toBe(0)
    // the same script in a field that never had HTML is blocked
    expect(det.observeHttp(WEB, req('/item', 'id=4&user=%3Cscript%3Etrack(1)%3C%2Fscript%3E')).danger).toBe(2)
  })

  it('turns down per cell and per parameter from config', async () => {
    const off = await open({ cells: { web: { enabled: false } } })
    expect(off.observeHttp(WEB, req('/item', "id=1'+OR+'1'='1")).danger).toBe(0)
    await off.stop()
    for (const s of stores.splice(0)) await s.close()
    const det = await open({ cells: { web: { learningBlock: 'off' } }, ignore: [{ cell: 'web', parameter: 'q', grammars: ['sql'] }] })
    expect(det.observeHttp(WEB, req('/item', "id=1'+OR+'1'='1")).danger).toBe(0)
    expect(det.observeHttp(WEB, req('/item', "q=1'+OR+'1'='1")).innate).toBeUndefined()
  })

  it('config errors name the field (IMMUNE_ERR_CONFIG)', () => {
    const { issues } = checkConfig({ cells: [{ name: 'web', type: 'http' }], innate: { learningBlock: 'always', grammars: ['sql', 'cobol'], cells: { nope: {} }, ignore: [{}, { context: 'GET /a*b' }] } })
    expect(issues.map((i) => i.field).sort()).toEqual(['innate.cells.nope', 'innate.grammars[1]', 'innate.ignore[0]', 'innate.ignore[1].context', 'innate.learningBlock'])
    try { validateConfig({ innate: { guardingLift: 3 } }); expect.fail('accepted') } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).code).toBe('IMMUNE_ERR_CONFIG')
      expect((err as Error).message).toContain('innate.guardingLift')
    }
  })
})
