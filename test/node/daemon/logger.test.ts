/**
 * Issue 11: a JSON log record has one `level` key (pino's); the danger level
 * of a decision goes under `danger`, so jq and Python read the right one.
 */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../node/daemon/logger.js'
import { createLogResponder } from '../../../node/respond/basic-responders.js'
import type { Decision } from '../../../node/respond/index.js'

function capture (): { stream: PassThrough, lines: () => string[] } {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (c: Buffer) => { text += c.toString('utf8') })
  return { stream, lines: () => text.split('\n').filter((l) => l !== '') }
}

describe('logger', () => {
  it('the log responder writes the danger under `danger`; pino\'s level is the only `level`', async () => {
    const { stream, lines } = capture()
    const logger = createLogger({ level: 'info', format: 'json' }, stream)
    const d = { id: 'd1', action: 'log', cell: 'web', level: 2, origin: 'local', context: 'get /x', target: { kind: 'source', address: '192.0.2.1' }, explanation: 'q: sql', reason: 'rule */2: log' } as unknown as Decision
    await createLogResponder({ logger }).apply(d)
    const raw = lines()[0]
    expect(raw.match(/"level":/g)).toHaveLength(1)
    const rec = JSON.parse(raw) as Record<string, unknown>
    expect(rec.level).toBe(40) // warn
    expect(rec.danger).toBe(2)
    expect(rec.msg).toBe('rule */2: log')
  })

  it('any object logged with its own `level` keeps it, as `danger`, without a second `level` key', () => {
    const { stream, lines } = capture()
    const logger = createLogger({ level: 'info', format: 'json' }, stream)
    logger.info({ level: 1, cell: 'web' }, 'something')
    const raw = lines()[0]
    expect(raw.match(/"level":/g)).toHaveLength(1)
    expect(JSON.parse(raw)).toMatchObject({ level: 30, danger: 1, cell: 'web', msg: 'something' })
  })
})
