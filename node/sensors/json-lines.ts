/**
 * The JSON-lines sensor: follows a file with one JSON object per line (a
 * Caddy or Traefik JSON access log, or a custom app's log of observations;
 * see json-lines-parse.ts) across rotations, like the access-log sensor, and
 * emits one HttpObservation per request line. Bad lines are counted by reason
 * and skipped; they never stop the sensor.
 *
 * Config (`sensors[]`, validated by readJsonLinesConfig):
 *   { type: json-lines, cell: <cell>, path: <file>, format: auto | caddy | traefik | observation, fromStart: false }
 */
import type { Checker, Raw } from '../../core/index.js'
import { joinPath } from '../../core/index.js'
import { InvalidParamsError } from '../errors.js'
import { JSON_LINES_FORMATS, parseJsonLine } from './json-lines-parse.js'
import type { JsonLineSkipReason, JsonLinesFormat } from './json-lines-parse.js'
import { createLogTailer, defaultLogTailerParams, validateLogTailerParams } from './log-tailer.js'
import type { LogTailerParams, LogTailerStats, TailPosition } from './log-tailer.js'
import { silentLogger } from './sensor.js'
import type { Sensor, SensorCheckpoint, SensorComponents } from './sensor.js'
import type { SensorPlugin, SensorConfigContext } from './sensor-plugin.js'

export interface JsonLinesParams extends LogTailerParams {
  format: JsonLinesFormat
  /** The protected cell these requests belong to (set on every observation). */
  cell?: string
}

export const defaultJsonLinesParams: Omit<JsonLinesParams, 'path'> = Object.freeze({ ...defaultLogTailerParams, format: 'auto' as const })

export function validateJsonLinesParams (p: JsonLinesParams): void {
  validateLogTailerParams(p)
  if (!(JSON_LINES_FORMATS as readonly string[]).includes(p.format)) throw new InvalidParamsError('format', p.format, JSON_LINES_FORMATS.join(', '))
  if (p.cell !== undefined && (typeof p.cell !== 'string' || p.cell.length === 0)) throw new InvalidParamsError('cell', p.cell, 'a non-empty cell name')
}

export function createJsonLinesParams (partial: Partial<JsonLinesParams> & { path: string }): JsonLinesParams {
  if (partial == null || typeof partial !== 'object') throw new InvalidParamsError('json-lines', partial, 'an object with at least `path`')
  const p = { ...defaultJsonLinesParams, ...partial }
  validateJsonLinesParams(p)
  return Object.freeze(p)
}

export interface JsonLinesStats extends LogTailerStats {
  observations: number
  skipped: Record<JsonLineSkipReason, number>
  formats: { caddy: number, traefik: number, observation: number }
  emitErrors: number
}

export interface JsonLinesSensor extends Sensor {
  poll: () => Promise<void>
  position: () => TailPosition | undefined
  stats: () => JsonLinesStats
}

export function createJsonLinesSensor (components: SensorComponents & { checkpoint?: SensorCheckpoint<TailPosition> }, init: Partial<JsonLinesParams> & { path: string }): JsonLinesSensor {
  const params = createJsonLinesParams(init)
  const logger = components.logger ?? silentLogger
  const skipped: Record<JsonLineSkipReason, number> = { json: 0, shape: 0, request: 0 }
  const formats = { caddy: 0, traefik: 0, observation: 0 }
  let observations = 0
  let emitErrors = 0
  let warned = false

  const onLines = (lines: string[]): void => {
    for (const line of lines) {
      if (line.trim().length === 0) continue
      const r = parseJsonLine(line, params.format, components.clock.now())
      if (!r.ok) {
        skipped[r.reason]++
        if (!warned) {
          warned = true
          logger.warn({ path: params.path, reason: r.reason, line: line.slice(0, 200) }, 'skipping a JSON line that is not a request (further ones are only counted)')
        }
        continue
      }
      formats[r.format]++
      observations++
      if (params.cell != null) r.obs.cell = params.cell
      try {
        components.emit(r.obs)
      } catch (err) {
        emitErrors++
        if (emitErrors === 1) logger.error({ path: params.path, err: String(err) }, 'observation consumer threw (further errors are only counted)')
      }
    }
  }

  const tailer = createLogTailer({ clock: components.clock, logger, checkpoint: components.checkpoint, onLines }, params)
  return {
    name: `json-lines:${params.path}`,
    start: tailer.start,
    stop: tailer.stop,
    poll: tailer.poll,
    position: tailer.position,
    stats: () => ({ ...tailer.stats(), observations, skipped: { ...skipped }, formats: { ...formats }, emitErrors })
  }
}

const CONFIG_KEYS = ['type', 'cell', 'path', 'format', 'fromStart', 'pollIntervalMs'] as const

/** Reads one `sensors[]` entry of type json-lines (every problem reported to the checker). */
export function readJsonLinesConfig (c: Checker, field: string, raw: Raw, ctx: SensorConfigContext): Partial<JsonLinesParams> & { path: string } {
  const o = c.object(field, raw, CONFIG_KEYS)
  const path = ctx.resolvePath(c.string(joinPath(field, 'path'), o.path, '', { accepted: 'a file path' }))
  if (o.path === undefined) c.add(joinPath(field, 'path'), undefined, 'a file path (one JSON object per line)')
  return {
    path,
    format: c.oneOf(joinPath(field, 'format'), o.format, JSON_LINES_FORMATS, 'auto'),
    fromStart: c.boolean(joinPath(field, 'fromStart'), o.fromStart, false),
    pollIntervalMs: c.number(joinPath(field, 'pollIntervalMs'), o.pollIntervalMs, defaultLogTailerParams.pollIntervalMs, { integer: true, min: 10, max: 3_600_000 })
  }
}

export const jsonLinesSensor: SensorPlugin<Partial<JsonLinesParams> & { path: string }> = {
  type: 'json-lines',
  description: 'one JSON object per line: Caddy or Traefik JSON access logs, or a custom app\'s observations',
  readConfig: readJsonLinesConfig,
  create: (components, init) => createJsonLinesSensor(components, init),
  checkpointKey: (cell, init) => `json-lines:${cell}:${init.path}`
}
