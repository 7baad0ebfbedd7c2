/**
 * Structured logs: JSON lines (pino) to stderr; human-readable (pino-pretty)
 * when stderr is a TTY, unless the config says otherwise.
 */
import { pino } from 'pino'
import type { Logger } from 'pino'
import pretty from 'pino-pretty'
import type { LoggingConfig } from '../config/index.js'

export type { Logger }

export function createLogger (config: LoggingConfig, stream: NodeJS.WritableStream = process.stderr): Logger {
  const usePretty = config.format === 'pretty' || (config.format === 'auto' && (stream as { isTTY?: boolean }).isTTY === true)
  const opts = {
    level: config.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      // one `level` per record, pino's: a danger level logged as `level` would make a second key (jq and Python read the last one)
      log: (obj: Record<string, unknown>): Record<string, unknown> => {
        if (!Object.hasOwn(obj, 'level')) return obj
        const { level, ...rest } = obj
        return { ...rest, danger: level }
      }
    }
  }
  if (usePretty) {
    return pino(opts, pretty({ destination: stream, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }))
  }
  // sync writes to fd 2: a log line is on its way before the next one, and nothing is held in a buffer at kill -9
  return pino(opts, stream === process.stderr ? pino.destination({ dest: 2, sync: true }) : stream)
}
