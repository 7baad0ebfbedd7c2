/**
 * `immune-node start` failures as real processes (issue 4): a bad config, a
 * busy API or mesh port, an unusable data dir, a data dir in use by a running
 * node: each gives one clear line on stderr (naming the problem) and exit code 2.
 */
import type { Server } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDaemonPool, occupiedPort as occupyPort, runImmuneNode, writeConfigFile } from './support/daemon.js'
import type { CliResult, RunningDaemon } from './support/daemon.js'

const pool = createDaemonPool()
let node: RunningDaemon
let dir: string
const servers: Server[] = []

/** stderr lines that are not JSON log records: what a person reads as the error. */
const errorLines = (r: CliResult): string[] => r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'))

/** The start-up failure contract: exit code 2, and exactly one error line that matches. */
function expectOneErrorLine (r: CliResult, pattern: RegExp): void {
  const lines = errorLines(r)
  expect(r.code, r.stderr).toBe(2)
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^immune-node start: /)
  expect(lines[0]).toMatch(pattern)
  expect(r.stdout).toBe('')
}

const occupiedPort = async (): Promise<number> => await occupyPort(servers)
const writeConfig = (name: string, obj: unknown): string => writeConfigFile(dir, name, obj)

beforeAll(async () => {
  dir = pool.tempDir('startup')
  node = await pool.start({ name: 'startup' })
})

afterAll(async () => {
  for (const s of servers) s.close()
  await pool.cleanup()
})

describe('immune-node start: start-up failures (one line, exit 2)', () => {
  it('a config file with an unknown key names the key', async () => {
    const cfg = writeConfig('unknown-key.json', { dataDir: join(dir, 'd1'), api: { port: 0 }, lerning: { minObservations: 10 } })
    const r = await runImmuneNode(['start', '--config', cfg])
    expectOneErrorLine(r, /invalid config .*unknown-key\.json.*lerning.*unknown key/)
    expect(errorLines(r)[0]).toContain('learning')
  })

  it('a config value of the wrong type names the field, the value and what is accepted', async () => {
    const cfg = writeConfig('wrong-type.json', { dataDir: join(dir, 'd2'), api: { port: 'seventy' } })
    const r = await runImmuneNode(['start', '--config', cfg])
    expectOneErrorLine(r, /api\.port: "seventy" \(accepted: an integer/)
  })

  it('a config file that is not valid JSON or does not exist', async () => {
    const cfg = writeConfig('broken.json', '{"dataDir": "x",')
    const [broken, missing] = await Promise.all([runImmuneNode(['start', '--config', cfg]), runImmuneNode(['start', '--config', join(dir, 'missing.yaml')])])
    expectOneErrorLine(broken, /broken\.json/)
    expectOneErrorLine(missing, /missing\.yaml.*not found/)
  })

  it('a busy API port', async () => {
    const port = await occupiedPort()
    const r = await runImmuneNode(['start', '--data-dir', join(dir, 'd3'), '--api-port', String(port)])
    expectOneErrorLine(r, new RegExp(`127\\.0\\.0\\.1:${port}.*already in use`))
  })

  it('a busy mesh listen port', async () => {
    const port = await occupiedPort()
    const r = await runImmuneNode(['start', '--data-dir', join(dir, 'd4'), '--api-port', '0', '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    expectOneErrorLine(r, new RegExp(`/ip4/127\\.0\\.0\\.1/tcp/${port}`))
  })

  it('a data dir that cannot be created (its parent is a regular file; chmod would not stop root)', async () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'not a directory')
    const r = await runImmuneNode(['start', '--data-dir', join(file, 'data'), '--api-port', '0'])
    expectOneErrorLine(r, /data dir .*a-file\/data is not usable \(ENOTDIR\)/)
  })

  it('a supervised cell whose cwd does not exist names cells[0].cwd, not the command', async () => {
    const cfg = writeConfig('no-cwd.yaml', `dataDir: ${join(dir, 'd-cwd')}\napi: { port: 0 }\nlisten: [/ip4/127.0.0.1/tcp/0]\ncells:\n  - { name: web, type: supervised, command: /bin/sleep, args: ['100'], cwd: ${join(dir, 'no-such-dir')} }\n`)
    const r = await runImmuneNode(['start', '--config', cfg])
    expectOneErrorLine(r, /cells\[0\]\.cwd: ".*no-such-dir" \(accepted: an existing directory/)
    expect(r.stderr).not.toMatch(/ENOENT/)
  })

  it('a data dir in use by another running node', async () => {
    const r = await runImmuneNode(['start', '--data-dir', node.dataDir, '--api-port', '0'])
    expectOneErrorLine(r, new RegExp(`${node.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(in use|locked).*${node.pid}`))
    // the running node is unharmed
    expect(node.isRunning()).toBe(true)
    const s = await runImmuneNode(['status', '--json', '--api', node.apiUrl])
    expect(s.code).toBe(0)
  })
})
