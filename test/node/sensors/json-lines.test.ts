import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createManualClock } from '../../../core/index.js'
import { ConfigError, InvalidParamsError } from '../../../node/errors.js'
import type { HttpObservation, Observation } from '../../../node/observation.js'
import { createJsonLinesSensor, createSensorRegistry, parseJsonLine } from '../../../node/sensors/index.js'
import type { JsonLinesSensor } from '../../../node/sensors/index.js'
import { validateConfig } from '../../../node/config/index.js'

const NOW = 1_800_000_000_000
const caddy = (uri: string, ip = '203.0.113.7'): string => JSON.stringify({
  level: 'info', ts: 1_764_000_000.25, logger: 'http.log.access', msg: 'handled request',
  request: { remote_ip: '10.0.0.1', remote_port: '52100', client_ip: ip, proto: 'HTTP/1.1', method: 'GET', host: 'shop.example', uri, headers: { 'User-Agent': ['curl/8.5'], Accept: ['*/*'] } },
  bytes_read: 0, duration: 0.0012, size: 512, status: 200, resp_headers: { Server: ['Caddy'] }
})
const traefik = (path: string): string => JSON.stringify({
  ClientAddr: '198.51.100.4:40112', ClientHost: '198.51.100.4', DownstreamStatus: 404, RequestMethod: 'POST', RequestPath: path,
  RequestProtocol: 'HTTP/1.1', StartUTC: '2025-11-24T16:00:00.5Z', 'request_User-Agent': 'Mozilla/5.0', level: 'info', msg: '', time: '2025-11-24T16:00:01Z'
})

describe('json-lines parsing', () => {
  it('reads Caddy access-log lines: method, path and query, the client ip, headers, time and status', () => {
    const r = parseJsonLine(caddy('/item?id=1%27+or+1%3D1'), 'auto', NOW)
    expect(r).toEqual({
      ok: true,
      format: 'caddy',
      obs: { kind: 'http', time: 1_764_000_000_250, method: 'GET', path: '/item', query: 'id=1%27+or+1%3D1', body: '', headers: { 'user-agent': 'curl/8.5', accept: '*/*' }, source: '203.0.113.7', status: 200 }
    })
  })

  it('reads Traefik access-log lines (ClientHost, RequestPath, request_<Header>, StartUTC)', () => {
    const r = parseJsonLine(traefik('/login?next=%2F'), 'auto', NOW)
    expect(r.ok && r.format).toBe('traefik')
    expect(r.ok && r.obs).toMatchObject({ method: 'POST', path: '/login', query: 'next=%2F', source: '198.51.100.4', status: 404, time: Date.parse('2025-11-24T16:00:00.5Z'), headers: { 'user-agent': 'Mozilla/5.0' } })
  })

  it('reads a custom app\'s observations (the ingest API\'s shape); no time in the line means now', () => {
    const r = parseJsonLine(JSON.stringify({ method: 'post', path: '/api/order', query: '?x=1', body: 'qty=2', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, source: '::ffff:192.0.2.9', cell: 'shop' }), 'observation', NOW)
    expect(r).toEqual({ ok: true, format: 'observation', obs: { kind: 'http', time: NOW, method: 'POST', path: '/api/order', query: 'x=1', body: 'qty=2', headers: { 'content-type': 'application/x-www-form-urlencoded' }, source: '192.0.2.9', cell: 'shop' } })
  })

  it('skips what is not a request, with a reason, and drops a source that is not an IP', () => {
    expect(parseJsonLine('{not json', 'auto', NOW)).toEqual({ ok: false, reason: 'json' })
    expect(parseJsonLine('[1,2]', 'auto', NOW)).toEqual({ ok: false, reason: 'shape' })
    expect(parseJsonLine('{"level":"info","msg":"server started"}', 'auto', NOW)).toEqual({ ok: false, reason: 'shape' })
    expect(parseJsonLine(JSON.stringify({ method: 'GET', path: 'no-slash' }), 'auto', NOW)).toEqual({ ok: false, reason: 'request' })
    expect(parseJsonLine(JSON.stringify({ method: 'G E T', path: '/' }), 'auto', NOW)).toEqual({ ok: false, reason: 'request' })
    // a forced format that does not fit the line
    expect(parseJsonLine(caddy('/x'), 'traefik', NOW)).toEqual({ ok: false, reason: 'request' })
    const r = parseJsonLine(JSON.stringify({ method: 'GET', path: '/', source: 'proxy.internal' }), 'auto', NOW)
    expect(r.ok && r.obs.source).toBeUndefined()
  })
})

let dir: string
let file: string
let sensors: JsonLinesSensor[] = []
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'immune-jsonl-')); file = join(dir, 'access.json'); sensors = [] })
afterEach(async () => { for (const s of sensors) await s.stop(); await rm(dir, { recursive: true, force: true }) })

describe('json-lines sensor', () => {
  it('follows a file across a rotation, emits one observation per request line for its cell, counts the rest', async () => {
    const clock = createManualClock(NOW)
    const seen: HttpObservation[] = []
    const sensor = createJsonLinesSensor({ clock, emit: (o: Observation) => { if (o.kind === 'http') seen.push(o) } }, { path: file, cell: 'shop', fromStart: true, watch: false, rotateWaitMs: 0 })
    sensors.push(sensor)
    await writeFile(file, `${caddy('/a?id=1')}\n{"msg":"not a request"}\n${traefik('/b')}\n`)
    await sensor.start()
    await sensor.poll()
    expect(seen.map(o => [o.path, o.cell])).toEqual([['/a', 'shop'], ['/b', 'shop']])
    await rename(file, `${file}.1`)
    await writeFile(file, `${caddy('/c')}\n`)
    await sensor.poll()
    await sensor.poll()
    await appendFile(file, `${caddy('/d')}\nnot json\n`)
    await sensor.poll()
    expect(seen.map(o => o.path)).toEqual(['/a', '/b', '/c', '/d'])
    expect(sensor.stats()).toMatchObject({ observations: 4, skipped: { json: 1, shape: 1, request: 0 }, formats: { caddy: 3, traefik: 1, observation: 0 } })
  })

  it('is built through the registry from a validated config entry; bad entries name their field', () => {
    const config = validateConfig({ dataDir: dir, cells: [{ name: 'web', type: 'http' }], sensors: [{ type: 'json-lines', cell: 'web', path: 'access.json', format: 'caddy' }] }, { baseDir: dir })
    expect(config.sensors).toEqual([{ type: 'json-lines', cell: 'web', init: { path: file, format: 'caddy', fromStart: false, pollIntervalMs: 1000 } }])
    const registry = createSensorRegistry()
    const s = registry.create('json-lines', { clock: createManualClock(), emit: () => {} }, { ...(config.sensors[0].init as object), cell: 'web' })
    expect(s.name).toBe(`json-lines:${file}`)
    const bad = (sensors: unknown): ConfigError => { try { validateConfig({ dataDir: dir, sensors }); throw new Error('accepted') } catch (err) { return err as ConfigError } }
    expect(bad([{ type: 'json-lines', cell: 'ingest' }]).issues.map(i => i.field)).toEqual(['sensors[0].path'])
    expect(bad([{ type: 'json-lines', path: 'x', format: 'xml' }]).issues.map(i => i.field)).toEqual(['sensors[0].format'])
    expect(bad([{ type: 'json-lines', path: 'x', cell: 'nope' }]).issues.map(i => i.field)).toEqual(['sensors[0].cell'])
    expect(bad([{ type: 'kafka', path: 'x' }]).issues.map(i => [i.field, i.accepted])).toEqual([['sensors[0].type', 'one of "access-log", "json-lines"']])
    expect(bad([{ type: 'json-lines', path: 'x', colour: 'red' }]).code).toBe('IMMUNE_ERR_CONFIG')
    expect(() => createJsonLinesSensor({ clock: createManualClock(), emit: () => {} }, { path: file, format: 'xml' as never })).toThrow(InvalidParamsError)
  })
})
