/**
 * Issue 15 item 8: every config problem is a ConfigError naming the field
 * (exit 2 at the CLI), never a stack trace: nesting bombs (JSON and YAML),
 * YAML alias bombs, a null root, non-finite numbers, and commands, working
 * directories, hooks and access logs that do not exist.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkConfig, checkConfigFile, checkConfigPaths, parseConfigText, validateConfig, MAX_CONFIG_DEPTH } from '../../../node/config/index.js'
import { ConfigError } from '../../../node/errors.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-config-bombs-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function configError (fn: () => unknown): ConfigError {
  try { fn() } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('IMMUNE_ERR_CONFIG')
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('config: hostile documents', () => {
  it('deep JSON nesting is refused, naming where', () => {
    const e = configError(() => parseConfigText('['.repeat(100_000) + ']'.repeat(100_000), 'json', 'deep.json'))
    expect(e.issues).toHaveLength(1)
    expect(e.issues[0].field).toMatch(/^\[0\]\[0\]/)
    expect(e.message).toMatch(/nested deeper than 32 levels/)
    // an object nested in a real field
    const nested = `{"cells":[{"env":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}]}`
    const e2 = configError(() => parseConfigText(nested, 'json'))
    expect(e2.issues[0].field).toMatch(/^cells\[0\]\.env\.a\.a/)
  })

  it('deep YAML nesting is refused', () => {
    const e = configError(() => parseConfigText('a: ' + '['.repeat(5000) + ']'.repeat(5000), 'yaml'))
    expect(e.message).toMatch(/nested (deeper than 32 levels|too deep to parse)/)
  })

  it('a YAML alias bomb is refused as a config problem, not a ReferenceError', () => {
    const bomb = 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
    const e = configError(() => parseConfigText(bomb, 'yaml', 'bomb.yaml'))
    expect(e.issues[0].field).toBe('<file>')
    expect(e.message).toMatch(/aliases expand to more than 100 nodes/)
    // a few aliases are fine
    expect(parseConfigText('x: &p 5\ny: *p\n', 'yaml')).toEqual({ x: 5, y: 5 })
  })

  it('a null root is refused; an empty file is the default config', () => {
    for (const [text, format] of [['null', 'json'], ['null\n', 'yaml'], ['~\n', 'yaml']] as const) {
      const e = configError(() => validateConfig(parseConfigText(text, format)))
      expect(e.issues[0].field).toBe('')
      expect(e.message).toMatch(/\(root\): null \(accepted: a config object/)
    }
    expect(() => validateConfig(parseConfigText('', 'yaml'))).not.toThrow()
    expect(() => validateConfig(parseConfigText('# only a comment\n', 'yaml'))).not.toThrow()
  })

  it('non-finite numbers are named as such (1e309 is not reported as null)', () => {
    const e = configError(() => validateConfig(parseConfigText('{"api":{"port":1e309}}', 'json')))
    expect(e.issues[0].field).toBe('api.port')
    expect(e.message).toContain('api.port: Infinity (not a finite number)')
    expect(e.message).not.toContain('null')
    const y = configError(() => validateConfig(parseConfigText('learning:\n  minDurationSec: .inf\npolicy:\n  escalation:\n    durationMultiplier: -.inf\n', 'yaml')))
    expect(y.issues.map(i => i.field).sort()).toEqual(['learning.minDurationSec', 'policy.escalation.durationMultiplier'])
    // a non-finite number where a string is expected is still named once
    const s = checkConfig({ cells: [{ name: 'w', type: 'supervised', command: 'x', args: [Infinity] }] })
    expect(s.issues.filter(i => i.field === 'cells[0].args[0]')).toHaveLength(1)
  })

  it('a deep object handed to validateConfig directly is refused without walking it recursively', () => {
    let o: Record<string, unknown> = {}
    const root = o
    for (let i = 0; i < 100_000; i++) { const n = {}; o.x = n; o = n }
    const e = configError(() => validateConfig({ logging: root }))
    expect(e.issues[0].field).toMatch(/^logging\.x\.x/)
    expect(MAX_CONFIG_DEPTH).toBe(32)
  })
})

describe('config: paths that do not exist', () => {
  const exe = join(dir, 'app.sh')
  writeFileSync(exe, '#!/bin/sh\nexit 0\n')
  chmodSync(exe, 0o755)
  const notExe = join(dir, 'data.txt')
  writeFileSync(notExe, 'x')
  const log = join(dir, 'access.log')
  writeFileSync(log, '')

  it('names a missing cwd, command and hook (and not the command for a missing cwd)', () => {
    const config = validateConfig({
      cells: [
        { name: 'a', type: 'supervised', command: '/bin/sleep', args: ['1'], cwd: join(dir, 'no-such-dir') },
        { name: 'b', type: 'supervised', command: join(dir, 'missing.sh') },
        { name: 'c', type: 'supervised', command: notExe },
        { name: 'd', type: 'supervised', command: 'no-such-command-on-path-xyz' },
        { name: 'e', type: 'supervised', command: exe, cwd: dir },
        { name: 'f', type: 'supervised', command: 'sh' }
      ],
      policy: { rules: [{ cell: 'a', level: 2, actions: [{ type: 'quarantine', hook: { command: join(dir, 'no-hook') } }] }] }
    })
    const issues = checkConfigPaths(config)
    expect(issues.map(i => i.field)).toEqual(['cells[0].cwd', 'cells[1].command', 'cells[2].command', 'cells[3].command', 'policy.rules[0].actions[0].hook.command'])
    expect(issues[0].accepted).toMatch(/an existing directory \(.*no-such-dir: it does not exist\)/)
    expect(issues[1].accepted).toMatch(/missing\.sh: it does not exist/)
    expect(issues[2].accepted).toMatch(/data\.txt: (permission denied|EACCES)/)
    expect(issues[3].accepted).toMatch(/no executable "no-such-command-on-path-xyz" on PATH/)
  })

  it('config check also checks access logs; start-up does not (it waits for the web server to create one)', () => {
    const file = join(dir, 'logs.yaml')
    writeFileSync(file, `cells:\n  - { name: web, type: http, accessLog: ./no-such.log }\n  - { name: api, type: http, accessLog: ${log} }\n`)
    const r = checkConfigFile(file)
    expect(r.issues.map(i => i.field)).toEqual(['cells[0].accessLog.path'])
    expect(r.issues[0].value).toBe(join(dir, 'no-such.log'))
    expect(checkConfigPaths(r.config)).toEqual([])
  })

  it('a field wrong in shape is not reported again as a path', () => {
    const file = join(dir, 'shape.json')
    writeFileSync(file, JSON.stringify({ cells: [{ name: 'w', type: 'supervised', command: 7, cwd: '/no/such' }] }))
    const r = checkConfigFile(file)
    expect(r.issues.map(i => i.field)).toEqual(['cells[0].command'])
  })
})
