/**
 * The immune-node CLI as real processes (issue 4): --help, start --help,
 * status [--json] against a running node, status/release without a node,
 * release of an unknown cell, config check on good and bad files, unknown
 * commands and options (exit code 2).
 */
import type { Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDaemonPool, occupiedPort as occupyPort, runImmuneNode, writeConfigFile } from './support/daemon.js'
import { httpRequest } from './support/http.js'
import type { RunningDaemon } from './support/daemon.js'

const pool = createDaemonPool()
let node: RunningDaemon
let dir: string
const servers: Server[] = []

const occupiedPort = async (): Promise<number> => await occupyPort(servers)
const writeConfig = (name: string, obj: unknown): string => writeConfigFile(dir, name, obj)

beforeAll(async () => {
  dir = pool.tempDir('cli')
  node = await pool.start({ name: 'cli' })
})

afterAll(async () => {
  for (const s of servers) s.close()
  await pool.cleanup()
})

describe('immune-node CLI', () => {
  it('--help lists every command; no command is bad usage', async () => {
    const [r, none] = await Promise.all([runImmuneNode(['--help']), runImmuneNode([])])
    expect(r.code).toBe(0)
    for (const c of ['start', 'status', 'release', 'config check', 'config default', 'version']) expect(r.stdout).toContain(`  ${c} `)
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^usage: immune-node <command>/)
  })

  it('start --help shows its options', async () => {
    const r = await runImmuneNode(['start', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^usage: immune-node start /)
    for (const o of ['--config', '--data-dir', '--listen', '--bootstrap', '--api-port']) expect(r.stdout).toContain(o)
  })

  it('status --json against a running node, and status for a person', async () => {
    const [r, human] = await Promise.all([runImmuneNode(['status', '--json', '--api', node.apiUrl]), runImmuneNode(['status', '--api', node.apiUrl])])
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout) as { peerId: string, addresses: string[], version: string, cells: Array<{ name: string }>, threatLevel: number }
    expect(s.peerId).toBe(node.peerId)
    expect(s.addresses).toEqual(node.addresses)
    expect(s.addresses[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${node.peerId}$`))
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/)
    // no config: the embedded default protects the host itself
    expect(s.cells.map((c) => c.name)).toEqual(['host'])
    expect(s.threatLevel).toBe(0)
    // the API reports the address it is bound to, not the configured port (0 in tests)
    expect(`http://${(s as unknown as { api: string }).api}`).toBe(node.apiUrl)
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(`peer ${node.peerId}`)
    expect(human.stdout).toMatch(/cells \(1\):\n {2}host/)
  })

  it('an observation naming an unconfigured cell is a 400 with a reason, counted in /metrics', async () => {
    const r = await httpRequest(node.apiUrl, 'POST', '/v1/observe', { kind: 'http', method: 'GET', path: '/x', query: '', body: '', headers: {}, cell: 'nope' })
    expect(r.status).toBe(400)
    expect((r.body as { error: { code: string, message: string } }).error).toMatchObject({ code: 'IMMUNE_ERR_INGEST_INVALID' })
    expect((r.body as { error: { message: string } }).error.message).toContain('"nope"')
    const metrics = await httpRequest(node.apiUrl, 'GET', '/metrics')
    expect(metrics.text).toMatch(/immune_api_ingest_errors_total\{code="IMMUNE_ERR_INGEST_INVALID"\} 1/)
  })

  it('status and release against no running node: one line, exit 1', async () => {
    const port = await occupiedPort() // a port where no node answers HTTP...
    servers.pop()!.close() // ...and then nothing at all
    const cmds = [['status'], ['release', 'web']]
    const results = await Promise.all(cmds.map(async (args) => await runImmuneNode([...args, '--api', `http://127.0.0.1:${port}`])))
    results.forEach((r, i) => {
      expect(r.code).toBe(1)
      expect(r.stderr.trim().split('\n')).toEqual([`immune-node ${cmds[i][0]}: no immune-node is listening at http://127.0.0.1:${port} (is it running? see --api / --config)`])
    })
  })

  it('release of an unknown cell is bad usage (exit 2)', async () => {
    const r = await runImmuneNode(['release', 'nope', '--api', node.apiUrl])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/nope/)
  })

  it('config check: exit 0 on a good file, 2 naming every problem on a bad one', async () => {
    const good = writeConfig('good.yaml', 'dataDir: ./data\napi: { port: 7171 }\ncells:\n  - { name: web, type: supervised, command: /bin/true }\n')
    const bad = writeConfig('bad.json', { api: { port: 70000 }, cells: [{ name: 'web', type: 'supervisd' }] })
    const [ok, r] = await Promise.all([runImmuneNode(['config', 'check', good]), runImmuneNode(['config', 'check', bad])])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/good\.yaml: ok \(1 cell\(s\).*API 127\.0\.0\.1:7171\)/)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    // one problem per line, then the count
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/bad\.json: api\.port: 70000 \(accepted: /)
    expect(lines[1]).toMatch(/bad\.json: cells\[0\]\.type: "supervisd" \(accepted: /)
    expect(lines[2]).toMatch(/bad\.json: 2 problem\(s\)/)
  })

  it('config check checks paths, nesting and alias bombs, non-finite numbers and a null root: exit 2, no stack trace', async () => {
    const paths = writeConfig('paths.yaml', [
      'cells:',
      '  - { name: web, type: supervised, command: /bin/sleep, cwd: ./no-such-dir, accessLog: ./no-such.log }',
      '  - { name: app, type: supervised, command: no-such-command-xyz }',
      'policy:',
      '  rules:',
      '    - { cell: web, level: 2, actions: [{ type: quarantine, hook: /no/such/hook }] }',
      ''
    ].join('\n'))
    const deep = writeConfig('deep.json', '['.repeat(200_000) + ']'.repeat(200_000))
    const aliases = writeConfig('bomb.yaml', 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n')
    const nul = writeConfig('null.json', 'null')
    const inf = writeConfig('inf.json', '{"api":{"port":1e309},"learning":{"minDurationSec":1e309}}')
    const [p, d, a, n, i] = await Promise.all([paths, deep, aliases, nul, inf].map(async (f) => await runImmuneNode(['config', 'check', f])))
    for (const r of [p, d, a, n, i]) {
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
    const pl = p.stderr.trim().split('\n')
    expect(pl).toHaveLength(5)
    expect(pl[0]).toMatch(/cells\[0\]\.cwd: ".*no-such-dir" \(accepted: an existing directory/)
    expect(pl[1]).toMatch(/cells\[0\]\.accessLog\.path: ".*no-such\.log" \(accepted: a readable access log file .*does not exist/)
    expect(pl[2]).toMatch(/cells\[1\]\.command: "no-such-command-xyz" \(accepted: an executable file, or a name on PATH/)
    expect(pl[3]).toMatch(/policy\.rules\[0\]\.actions\[0\]\.hook\.command: "\/no\/such\/hook"/)
    expect(d.stderr).toMatch(/nested deeper than 32 levels/)
    expect(a.stderr).toMatch(/<file>: "YAML aliases expand to more than 100 nodes"/)
    expect(n.stderr).toMatch(/\(root\): null \(accepted: a config object/)
    expect(i.stderr).toMatch(/api\.port: Infinity \(not a finite number\)/)
    expect(i.stderr).toMatch(/learning\.minDurationSec: Infinity \(not a finite number\)/)
  })

  it('an unknown command or option is bad usage (exit 2)', async () => {
    const [r, o] = await Promise.all([runImmuneNode(['frobnicate']), runImmuneNode(['status', '--frob'])])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^immune-node: unknown command "frobnicate"/)
    expect(o.code).toBe(2)
    expect(o.stderr).toMatch(/--frob/)
  })
})
