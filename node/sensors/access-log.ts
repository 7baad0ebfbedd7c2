/**
 * The access-log sensor: follows an nginx/Apache access log (common or
 * combined format, detected per line) across rotations and emits one
 * HttpObservation per request line. Malformed lines are counted by reason and
 * skipped; they never stop the sensor.
 */
import type { Checker, Raw } from '../../core/index.js'
import { joinPath } from '../../core/index.js'
import { InvalidParamsError } from '../errors.js'
import type { SensorConfigContext, SensorPlugin } from './sensor-plugin.js'
import { accessLineToObservation, parseAccessLogLine } from './access-log-parse.js'
import type { AccessLogSkipReason } from './access-log-parse.js'
import { createLogTailer, defaultLogTailerParams, validateLogTailerParams } from './log-tailer.js'
import type { LogTailer, LogTailerParams, LogTailerStats, TailPosition } from './log-tailer.js'
import { silentLogger } from './sensor.js'
import type { Sensor, SensorCheckpoint, SensorComponents } from './sensor.js'

export interface AccessLogParams extends LogTailerParams {
  /** The protected cell these requests belong to (set on every observation). */
  cell?: string
}

export const defaultAccessLogParams = defaultLogTailerParams

export function validateAccessLogParams (p: AccessLogParams): void {
  validateLogTailerParams(p)
  if (p.cell !== undefined && (typeof p.cell !== 'string' || p.cell.length === 0)) throw new InvalidParamsError('cell', p.cell, 'a non-empty cell name')
}

export function createAccessLogParams (partial: Partial<AccessLogParams> & { path: string }): AccessLogParams {
  if (partial == null || typeof partial !== 'object') throw new InvalidParamsError('access-log', partial, 'an object with at least `path`')
  const p = { ...defaultAccessLogParams, ...partial }
  validateAccessLogParams(p)
  return Object.freeze(p)
}

export interface AccessLogStats extends LogTailerStats {
  observations: number
  /** Lines that could not be parsed, by reason. */
  malformed: Record<AccessLogSkipReason, number>
  /** Empty lines (ignored, not malformed). */
  empty: number
  /** Observations whose consumer (`emit`) threw. */
  emitErrors: number
  formats: { common: number, combined: number }
}

export interface AccessLogSensor extends Sensor {
  /** One check for rotation and new lines; resolves when the lines read have been emitted. */
  poll: () => Promise<void>
  position: () => TailPosition | undefined
  stats: () => AccessLogStats
}

export interface AccessLogComponents extends SensorComponents {
  checkpoint?: SensorCheckpoint<TailPosition>
}

export function createAccessLogSensor (components: AccessLogComponents, init: Partial<AccessLogParams> & { path: string }): AccessLogSensor {
  const params = createAccessLogParams(init)
  const logger = components.logger ?? silentLogger
  const malformed: Record<AccessLogSkipReason, number> = { syntax: 0, time: 0, request: 0, status: 0 }
  const formats = { common: 0, combined: 0 }
  let observations = 0
  let empty = 0
  let emitErrors = 0
  let warned = false

  const onLines = (lines: string[]): void => {
    for (const line of lines) {
      if (line.length === 0 || line === '\r') { empty++; continue }
      const r = parseAccessLogLine(line)
      if (!r.ok) {
        malformed[r.reason]++
        if (!warned) {
          warned = true
          logger.warn({ path: params.path, reason: r.reason, line: line.slice(0, 200) }, 'skipping malformed access-log line (further ones are only counted)')
        }
        continue
      }
      formats[r.line.format]++
      observations++
      try {
        components.emit(accessLineToObservation(r.line, params.cell))
      } catch (err) {
        emitErrors++
        if (emitErrors === 1) logger.error({ path: params.path, err: String(err) }, 'observation consumer threw (further errors are only counted)')
      }
    }
  }

  const tailer: LogTailer = createLogTailer({
    clock: components.clock,
    logger,
    checkpoint: components.checkpoint,
    onLines
  }, params)

  return {
    name: `access-log:${params.path}`,
    start: tailer.start,
    stop: tailer.stop,
    poll: tailer.poll,
    position: tailer.position,
    stats: () => ({ ...tailer.stats(), observations, malformed: { ...malformed }, empty, emitErrors, formats: { ...formats } })
  }
}

/** Reads one `sensors[]` entry of type access-log: `{ type: access-log, cell, path, fromStart }`. */
export function readAccessLogConfig (c: Checker, field: string, raw: Raw, ctx: SensorConfigContext): Partial<AccessLogParams> & { path: string } {
  const o = c.object(field, raw, ['type', 'cell', 'path', 'fromStart'])
  if (o.path === undefined) c.add(joinPath(field, 'path'), undefined, 'a file path (an nginx/Apache access log)')
  return { path: ctx.resolvePath(c.string(joinPath(field, 'path'), o.path, '', { accepted: 'a file path' })), fromStart: c.boolean(joinPath(field, 'fromStart'), o.fromStart, false) }
}

export const accessLogSensor: SensorPlugin<Partial<AccessLogParams> & { path: string }> = {
  type: 'access-log',
  description: 'an nginx/Apache access log (common or combined format), followed across rotations',
  readConfig: readAccessLogConfig,
  create: (components, init) => createAccessLogSensor(components, init),
  checkpointKey: (cell, init) => `access-log:${cell}:${init.path}`
}
