import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../node/errors.js'
import { checkConfig, defaultConfig, loadConfig, mergeOverrides, validateConfig } from '../../../node/config/index.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-config-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

const PEER = '12D3KooWGRUVh4dRXGy2Gy84tVyvpTnr9TLy1bR7y5Y7cmYWJz6u'

function issuesOf (fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('IMMUNE_ERR_CONFIG')
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('config: the embedded default', () => {
  it('protects the host, serves the API on 127.0.0.1:7070, joins community default', () => {
    const c = loadConfig()
    expect(c.cells).toEqual([{ name: 'host', type: 'host', community: 'default', sampleIntervalSec: 10 }])
    expect(c.api).toMatchObject({ host: '127.0.0.1', port: 7070, token: null })
    expect(c.communities).toEqual(['default'])
    expect(c.ingest.community).toBe('default')
    expect(c.dataDir).toBe(join(homedir(), '.immune-mesh'))
    expect(c.listen).toEqual(['/ip4/127.0.0.1/tcp/0'])
    expect(c.mdns).toBe(false)
    expect(c.policy.rules.length).toBeGreaterThan(0)
  })

  it('is frozen (deeply) and equal to defaultConfig() validated', () => {
    const c = loadConfig()
    expect(Object.isFrozen(c)).toBe(true)
    expect(Object.isFrozen(c.api)).toBe(true)
    expect(Object.isFrozen(c.policy.rules[0].actions)).toBe(true)
    expect(() => { (c.api as { port: number }).port = 1 }).toThrow(TypeError)
    expect(validateConfig(defaultConfig())).toEqual(c)
  })
})

describe('config: files', () => {
  it('loads YAML and JSON with the same meaning, merged over the defaults', () => {
    const yaml = join(dir, 'node.yaml')
    writeFileSync(yaml, `
dataDir: ./data
listen: [/ip4/127.0.0.1/tcp/4101]
bootstrap:
  - /ip4/127.0.0.1/tcp/4102/p2p/${PEER}
api: { port: 7171 }
communities: [shop]
cells:
  - name: web
    type: supervised
    command: node
    args: [server.js, --port, 8080]
    env: { PORT: 8080 }
    renewIntervalSec: 60
    accessLog: logs/access.log
  - { name: legacy, type: pid, pid: 1 }
learning: { minObservations: 50, mode: hard, priors: [{ context: GET /search, parameter: q, maxLength: 64, charClasses: [lower, digit] }] }
policy:
  dryRun: true
  rules:
    - { cell: web, level: 2, actions: [log, { type: quarantine, durationSec: 30, hook: { command: /bin/true, timeoutSec: 2 } }] }
`)
    const json = join(dir, 'node.json')
    writeFileSync(json, JSON.stringify({
      dataDir: './data',
      listen: '/ip4/127.0.0.1/tcp/4101',
      bootstrap: [`/ip4/127.0.0.1/tcp/4102/p2p/${PEER}`],
      api: { port: 7171 },
      communities: ['shop'],
      cells: [
        { name: 'web', type: 'supervised', command: 'node', args: ['server.js', '--port', 8080], env: { PORT: '8080' }, renewIntervalSec: 60, accessLog: { path: 'logs/access.log' } },
        { name: 'legacy', type: 'pid', pid: 1 }
      ],
      learning: { minObservations: 50, mode: 'hard', priors: [{ context: 'GET /search', parameter: 'q', maxLength: 64, charClasses: ['lower', 'digit'] }] },
      policy: { dryRun: true, rules: [{ cell: 'web', level: 2, actions: ['log', { type: 'quarantine', durationSec: 30, hook: { command: '/bin/true', timeoutSec: 2 } }] }] }
    }))
    const a = loadConfig(yaml)
    const b = loadConfig(json)
    expect(a).toEqual(b)
    expect(a.dataDir).toBe(join(dir, 'data'))
    expect(a.api).toMatchObject({ host: '127.0.0.1', port: 7171 })
    const web = a.cells[0]
    expect(web).toMatchObject({ name: 'web', type: 'supervised', community: 'shop', args: ['server.js', '--port', '8080'], env: { PORT: '8080' }, renewIntervalSec: 60, renewMode: 'stop-then-start', stopGraceSec: 5 })
    expect(web.type === 'supervised' ? web.accessLog : null).toEqual({ path: join(dir, 'logs/access.log'), format: 'combined' })
    expect(a.communities).toEqual(['shop'])
    expect(a.ingest.community).toBe('shop')
    expect(a.learning).toMatchObject({ minObservations: 50, minDurationSec: 900, mode: 'hard' })
    expect(a.policy.dryRun).toBe(true)
    expect(a.policy.rules[0].actions[1]).toEqual({ type: 'quarantine', durationSec: 30, hook: { command: '/bin/true', args: [], timeoutSec: 2 } })
    expect(a.policy.escalation.durationMultiplier).toBe(2)
  })

  it('a missing file, bad JSON and bad YAML are ConfigErrors naming the file and the line', () => {
    expect(issuesOf(() => loadConfig(join(dir, 'nope.yaml'))).issues[0]).toMatchObject({ field: '<file>', accepted: expect.stringContaining('not found') })
    const badJson = join(dir, 'bad.json')
    writeFileSync(badJson, '{\n  "api": { "port": 7070,, }\n}')
    const ej = issuesOf(() => loadConfig(badJson))
    expect(ej.message).toContain(badJson)
    expect(String(ej.details.value)).toMatch(/JSON syntax error at line 2/)
    const badYaml = join(dir, 'bad.yaml')
    writeFileSync(badYaml, 'api:\n  port: 7070\n   host: x\n')
    expect(String(issuesOf(() => loadConfig(badYaml)).details.value)).toMatch(/YAML syntax error at line/)
    const dupYaml = join(dir, 'dup.yaml')
    writeFileSync(dupYaml, 'mdns: true\nmdns: false\n')
    expect(issuesOf(() => loadConfig(dupYaml)).details.field).toBe('<file>')
  })
})

describe('config: validation errors name the field, the value and what is accepted', () => {
  it('collects every problem, not just the first', () => {
    const e = issuesOf(() => validateConfig({
      listen: ['/ip4/1.2.3.4/tcp/99999', 'not-a-multiaddr'],
      bootstrap: ['/ip4/127.0.0.1/tcp/4001'],
      mdns: 'yes',
      api: { port: 70000 },
      communities: ['Shop!'],
      cells: [{ name: 'web', type: 'supervised' }, { name: 'web', type: 'pid', pid: 0 }, { name: 'x', type: 'container' }, { name: 'bad name', type: 'host' }],
      learning: { minObservations: 0, mode: 'firm', targetFpr: { level1: 0.01, level2: 0.05 } },
      logging: { level: 'loud' },
      extra: true
    }))
    const byField = Object.fromEntries(e.issues.map(i => [i.field, i]))
    expect(byField['listen[0]']).toMatchObject({ value: '/ip4/1.2.3.4/tcp/99999', accepted: expect.stringContaining('multiaddr') })
    expect(byField['listen[1]'].value).toBe('not-a-multiaddr')
    expect(byField['bootstrap[0]'].accepted).toContain('/p2p/<peerId>')
    expect(byField.mdns).toMatchObject({ value: 'yes', accepted: 'true or false' })
    expect(byField['api.port']).toMatchObject({ value: 70000, accepted: 'an integer >= 0 and <= 65535' })
    expect(byField['communities[0]'].accepted).toContain('[a-z0-9._-]{1,64}')
    expect(byField['cells[0].command']).toMatchObject({ value: undefined })
    expect(byField['cells[1].pid']).toMatchObject({ value: 0 })
    expect(byField['cells[1].name'].accepted).toContain('not already used')
    expect(byField['cells[2].type']).toMatchObject({ value: 'container', accepted: expect.stringContaining('supervised') })
    expect(byField['cells[3].name'].value).toBe('bad name')
    expect(byField['learning.minObservations'].value).toBe(0)
    expect(byField['learning.mode'].accepted).toBe('one of "soft", "hard"')
    expect(byField['learning.targetFpr.level2'].accepted).toContain('< learning.targetFpr.level1')
    expect(byField['logging.level'].value).toBe('loud')
    expect(byField.extra.accepted).toContain('unknown key')
    expect(e.issues.length).toBeGreaterThanOrEqual(16)
    // the message is one line that names each field
    expect(e.message).not.toContain('\n')
    expect(e.message).toContain('api.port: 70000 (accepted: an integer >= 0 and <= 65535)')
    expect(e.details).toMatchObject({ field: e.issues[0].field, accepted: e.issues[0].accepted })
  })

  it('refuses a non-loopback API without a token, and accepts it with one', () => {
    for (const host of ['0.0.0.0', '192.0.2.10', '::']) {
      const e = issuesOf(() => validateConfig({ api: { host } }))
      expect(e.issues).toHaveLength(1)
      expect(e.issues[0]).toMatchObject({ field: 'api.token', value: null })
      expect(e.issues[0].accepted).toContain('required because api.host')
    }
    expect(validateConfig({ api: { host: '0.0.0.0', token: 'a-long-enough-secret-token' } }).api.token).toBe('a-long-enough-secret-token')
    expect(validateConfig({ api: { host: '::1' } }).api.token).toBeNull()
    expect(validateConfig({ api: { host: 'localhost' } }).api.host).toBe('localhost')
    expect(issuesOf(() => validateConfig({ api: { host: 'example.com', token: 'a-long-enough-secret-token' } })).issues[0].field).toBe('api.host')
    expect(issuesOf(() => validateConfig({ api: { token: 'short' } })).issues[0].field).toBe('api.token')
  })

  it('communities: the joined set includes every cell community and the ingest one', () => {
    const c = validateConfig({ communities: ['shop'], cells: [{ name: 'blog', type: 'http', community: 'wordpress' }], ingest: { community: 'misc' } })
    expect(c.communities).toEqual(['shop', 'wordpress', 'misc'])
    expect(checkConfig({ cells: [] }).issues).toEqual([])
  })
})

describe('config: overrides', () => {
  it('replaces dataDir, listen, bootstrap and api.port, validating each', () => {
    const base = loadConfig()
    const c = mergeOverrides(base, { dataDir: 'rel/data', listen: '/ip4/127.0.0.1/tcp/4201', bootstrap: `/ip4/127.0.0.1/tcp/4202/p2p/${PEER}`, apiPort: '7300' }, { baseDir: dir })
    expect(c.dataDir).toBe(join(dir, 'rel/data'))
    expect(c.listen).toEqual(['/ip4/127.0.0.1/tcp/4201'])
    expect(c.bootstrap).toEqual([`/ip4/127.0.0.1/tcp/4202/p2p/${PEER}`])
    expect(c.api.port).toBe(7300)
    expect(Object.isFrozen(c)).toBe(true)
    expect(base.api.port).toBe(7070)
    const e = issuesOf(() => mergeOverrides(base, { apiPort: 'http', listen: '/ip4/x/tcp/1', apiHost: '0.0.0.0' }))
    expect(e.issues.map(i => i.field)).toEqual(['listen[0]', 'api.port', 'api.token'])
  })
})

describe('config units', () => {
  it('durations are seconds; the former millisecond backoff keys are still read, and converted in one place', async () => {
    const { validateConfig, supervisorParamsFromCell, secToMs } = await import('../../../node/config/index.js')
    const cell = { name: 'web', type: 'supervised', command: 'sleep', args: ['60'] }
    const now = validateConfig({ dataDir: '/tmp/x', cells: [{ ...cell, restartBackoffInitialSec: 0.25, restartBackoffMaxSec: 8 }] }).cells[0]
    const old = validateConfig({ dataDir: '/tmp/x', cells: [{ ...cell, restartBackoffInitialMs: 250, restartBackoffMaxMs: 8000 }] }).cells[0]
    expect(old).toEqual(now)
    const p = supervisorParamsFromCell(now as never, '/tmp/x')
    expect([p.restartBackoffInitialMs, p.restartBackoffMaxMs, p.stopGraceMs]).toEqual([250, 8000, secToMs((now as { stopGraceSec: number }).stopGraceSec)])
    expect(() => validateConfig({ dataDir: '/tmp/x', cells: [{ ...cell, restartBackoffMaxSec: 0.1, restartBackoffInitialSec: 1 }] })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_CONFIG', details: expect.objectContaining({ field: 'cells[0].restartBackoffMaxSec' }) }))
  })
})
