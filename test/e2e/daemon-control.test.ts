/**
 * Operator control (issue 11) with the real CLI as processes against a real
 * daemon (real level db, real HTTP, API token on): decisions list|add|delete,
 * unblock, allowlist list|add|remove (persisted across a restart), alerts,
 * peers, signatures list|show|revoke, the control audit log, --json and
 * -o json, --version, --api host:port, `config` listing its subcommands, bad
 * input naming the field (exit 2), and the token rules on the new routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDaemonPool, runImmuneNode } from './support/daemon.js'
import type { CliResult, RunningDaemon } from './support/daemon.js'
import { httpRequest } from './support/http.js'
import { NORMAL_ENDPOINTS, createNormalTraffic, sqlInjection } from './support/traffic.js'
import type { IngestItem } from './support/traffic.js'

const TOKEN = 'control-test-token-0123456789'
const MIN_OBS = 150
const ATTACKER = '198.51.100.20'
const OTHER = '198.51.100.21'
const MANUAL = '203.0.113.50'
/** Each CLI run starts node + tsx: seconds on a loaded machine (bounds, not timings). */
const CLI_TIMEOUT_MS = 150_000
const TEST_TIMEOUT_MS = 600_000

interface Answer { verdict: string, danger: number, reasons: Array<{ feature: string }> }
interface DecisionRow { id: string, action: string, target: { kind: string, address?: string }, status: string, origin: string, rule: string, remainingSec: number | null, explanation: string }

const pool = createDaemonPool()
let node: RunningDaemon
const auth = { authorization: `Bearer ${TOKEN}` }

const config = {
  api: { token: TOKEN },
  learning: { minObservations: MIN_OBS, minDurationSec: 0 },
  policy: {
    allowlist: ['127.0.0.1', '::1'],
    // the point here is the operator's control over blocks, not the evidence a ban needs: one verdict blocks the source
    sourceBan: { maxRetry: 1 },
    rules: [
      { cell: '*', level: 1, actions: ['log'] },
      { cell: '*', level: 2, actions: ['log', { type: 'block-source', durationSec: 3600 }] }
    ]
  }
}

/** The CLI against the node, with its token and `--api host:port` (no scheme). */
const cli = async (...args: string[]): Promise<CliResult> => await runImmuneNode([...args, '--api', node.apiUrl.replace(/^http:\/\//, ''), '--token', TOKEN], { timeoutMs: CLI_TIMEOUT_MS })
/** The CLI's JSON output (`--json` added unless the call says `-o json`). */
const cliJson = async <T>(...args: string[]): Promise<T> => {
  const r = await cli(...args, ...(args.includes('-o') || args.includes('--json') ? [] : ['--json']))
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as T
}
const observe = async (item: IngestItem): Promise<Answer> => {
  const r = await httpRequest(node.apiUrl, 'POST', '/v1/observe', item, { headers: auth })
  expect(r.status).toBe(200)
  return r.body as Answer
}

beforeAll(async () => {
  node = await pool.start({ name: 'control', config })
  // learn the shop through the ingest API until every endpoint guards
  const gen = createNormalTraffic({ seed: 11 })
  for (let sent = 0; sent < MIN_OBS * NORMAL_ENDPOINTS; sent += 200) {
    const r = await httpRequest(node.apiUrl, 'POST', '/v1/observe', gen(200), { headers: auth })
    expect(r.status).toBe(200)
  }
  const guarding = async (): Promise<boolean> => {
    const s = (await httpRequest(node.apiUrl, 'GET', '/status', undefined, { headers: auth })).body as { contexts: Array<{ cell?: string, phase: string, context: string }> }
    const own = s.contexts.filter((c) => c.cell === 'ingest')
    return own.length === NORMAL_ENDPOINTS && own.every((c) => c.phase === 'guarding')
  }
  for (let i = 0; i < 50 && !await guarding(); i++) await httpRequest(node.apiUrl, 'POST', '/v1/observe', gen(NORMAL_ENDPOINTS), { headers: auth })
  expect(await guarding()).toBe(true)
}, TEST_TIMEOUT_MS)

afterAll(async () => { await pool.cleanup() })

describe('operator control: decisions, unblock, allowlist, signatures, audit', { timeout: TEST_TIMEOUT_MS }, () => {
  it('--version, `config` and `decisions` alone list their subcommands, a bad verb is exit 2', async () => {
    const [v, c, d, bad] = await Promise.all([runImmuneNode(['--version'], { timeoutMs: CLI_TIMEOUT_MS }), runImmuneNode(['config'], { timeoutMs: CLI_TIMEOUT_MS }), runImmuneNode(['decisions'], { timeoutMs: CLI_TIMEOUT_MS }), runImmuneNode(['decisions', 'frob'], { timeoutMs: CLI_TIMEOUT_MS })])
    expect(v.code).toBe(0)
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
    expect(c.code).toBe(0)
    expect(c.stdout).toMatch(/config check .*\n.*config default/)
    expect(d.code).toBe(0)
    for (const verb of ['list', 'add', 'delete']) expect(d.stdout).toContain(`decisions ${verb}`)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/unknown subcommand "decisions frob"/)
  })

  it('an attack is blocked; decisions list shows it in one flat shape; unblock lets the source back in and forgets its offences', async () => {
    const atk = await observe(sqlInjection(ATTACKER))
    expect(atk.danger).toBe(2)
    expect(atk.verdict).toBe('block')
    expect((await observe({ ...createNormalTraffic({ seed: 99 })(1)[0], source: ATTACKER })).reasons[0].feature).toBe('source-blocked')

    const active = await cliJson<DecisionRow[]>('decisions', 'list', '--json')
    const block = active.find((d) => d.action === 'block-source' && d.target.address === ATTACKER)
    expect(block).toMatchObject({ status: 'active', origin: 'local' })
    expect(block!.remainingSec).toBeGreaterThan(3000)
    // -o json is the same as --json; /decisions has one shape for active and recent
    expect((await cliJson<DecisionRow[]>('decisions', 'list', '-o', 'json')).map((d) => d.id)).toEqual(active.map((d) => d.id))
    const api = (await httpRequest(node.apiUrl, 'GET', '/decisions', undefined, { headers: auth })).body as { active: DecisionRow[], recent: DecisionRow[] }
    const recent = api.recent.find((d) => d.id === block!.id)!
    expect(Object.keys(recent).sort()).toEqual(Object.keys(api.active.find((d) => d.id === block!.id)!).sort())
    // status prints decisions readably (not "[object Object]")
    const st = await cli('status')
    expect(st.code).toBe(0)
    expect(st.stdout).not.toContain('[object Object]')
    expect(st.stdout).toMatch(new RegExp(`block-source +${ATTACKER.replace(/\./g, '\\.')} \\(\\d+m( \\d+s)? left\\)  ${block!.id}`))

    const un = await cli('unblock', ATTACKER, '--reason', 'false positive')
    expect(un.stderr).toBe('')
    expect(un.code).toBe(0)
    expect(un.stdout).toContain(`${ATTACKER}: unblocked (1 decision(s) revoked: ${block!.id}; offences forgotten)`)
    expect((await observe({ ...createNormalTraffic({ seed: 98 })(1)[0], source: ATTACKER })).verdict).toBe('allow')
    const after = await cliJson<DecisionRow[]>('decisions', 'list', '--all', '--json')
    expect(after.find((d) => d.id === block!.id)?.status).toBe('revoked')
    // a repeat offence after the unblock is a first offence again (its history was forgotten): the base hour, not 2 h
    await observe(sqlInjection(ATTACKER))
    const again = (await cliJson<DecisionRow[]>('decisions', 'list', '--json')).find((d) => d.action === 'block-source' && d.target.address === ATTACKER)!
    expect(again.remainingSec).toBeLessThanOrEqual(3600)
    expect((await cli('unblock', ATTACKER)).code).toBe(0)
  })

  it('decisions add blocks an address now; decisions delete (CLI and DELETE /decisions/<id>) undoes it', async () => {
    const add = await cliJson<DecisionRow>('decisions', 'add', '--ip', MANUAL, '--duration', '2h', '--reason', 'seen in our WAF')
    expect(add).toMatchObject({ action: 'block-source', target: { kind: 'source', address: MANUAL }, status: 'active', rule: 'operator' })
    expect(add.remainingSec).toBe(7200)
    expect(add.explanation).toMatch(/^blocked by the operator \(cli:.+\): seen in our WAF$/)
    expect((await observe({ ...createNormalTraffic({ seed: 97 })(1)[0], source: MANUAL })).reasons[0].feature).toBe('source-blocked')

    const del = await httpRequest(node.apiUrl, 'DELETE', `/decisions/${add.id}`, undefined, { headers: auth })
    expect(del.status).toBe(200)
    expect((del.body as DecisionRow).status).toBe('revoked')
    expect((await observe({ ...createNormalTraffic({ seed: 96 })(1)[0], source: MANUAL })).verdict).toBe('allow')
    // deleting it again: not in force (409), exit 2 from the CLI
    const again = await cli('decisions', 'delete', add.id)
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/is not in force \(status revoked\)/)
    const unknown = await cli('decisions', 'delete', 'nope')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/no decision nope \(IMMUNE_ERR_NOT_FOUND\)/)

    // the CLI's own delete, by id
    const second = await cliJson<DecisionRow>('decisions', 'add', '--ip', MANUAL, '--duration', '10m')
    const d = await cli('decisions', 'delete', second.id, '--reason', 'done')
    expect(d.code).toBe(0)
    expect(d.stdout).toContain(`decision ${second.id}: block-source ${MANUAL} revoked`)
  })

  it('bad input names the field, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['decisions', 'add', '--ip', 'not-an-ip'], /address "not-an-ip" \(accepted: an IPv4 or IPv6 address\)/],
      [['decisions', 'add', '--ip', MANUAL, '--duration', '5x'], /--duration: "5x" \(accepted: a duration/],
      [['decisions', 'add'], /--ip ADDRESS is required/],
      [['decisions', 'list', '-o', 'yaml'], /-o\/--output: "yaml" \(accepted: human, json\)/],
      [['allowlist', 'add', '10.0.0.0/99'], /entry "10.0.0.0\/99" \(accepted: an IPv4\/IPv6 address or CIDR block/],
      [['unblock', 'nope'], /address "nope"/]
    ]
    const results = await Promise.all(cases.map(async ([args]) => await cli(...args)))
    results.forEach((r, i) => {
      expect(r.code, cases[i][0].join(' ')).toBe(2)
      expect(r.stderr).toMatch(cases[i][1])
    })
    const badApi = await runImmuneNode(['decisions', 'list', '--api', 'http://'], { timeoutMs: CLI_TIMEOUT_MS })
    expect(badApi.code).toBe(2)
    expect(badApi.stderr).toMatch(/--api: "http:\/\/"/)
  })

  it('the new routes follow the token rules', async () => {
    for (const [method, path] of [['POST', '/decisions'], ['DELETE', '/decisions/x'], ['POST', '/unblock'], ['GET', '/allowlist'], ['POST', '/allowlist'], ['DELETE', '/allowlist/10.0.0.1'], ['GET', '/signatures/x'], ['POST', '/signatures/x/revoke'], ['GET', '/audit/control']]) {
      const r = await httpRequest(node.apiUrl, method, path, method === 'GET' || method === 'DELETE' ? undefined : {})
      expect(r.status, `${method} ${path}`).toBe(401)
    }
    const noToken = await runImmuneNode(['allowlist', 'list', '--api', node.apiUrl], { timeoutMs: CLI_TIMEOUT_MS })
    expect(noToken.code).toBe(1)
    expect(noToken.stderr).toMatch(/IMMUNE_ERR_UNAUTHORIZED/)
  })

  it('allowlist add: never blocked (the request still is), persisted across a restart; remove', async () => {
    const add = await cliJson<{ entry: { entry: string, origin: string, reason: string } }>('allowlist', 'add', '198.51.100.0/24', '--reason', 'partner office', '-o', 'json')
    expect(add.entry).toMatchObject({ entry: '198.51.100.0/24', origin: 'runtime', reason: 'partner office' })
    const atk = await observe(sqlInjection(OTHER))
    expect(atk.verdict).toBe('block')
    const active = await cliJson<DecisionRow[]>('decisions', 'list', '--json')
    expect(active.some((d) => d.target.address === OTHER)).toBe(false)
    // blocking an allowlisted address by hand is a conflict
    const conflict = await cli('decisions', 'add', '--ip', OTHER)
    expect(conflict.code).toBe(2)
    expect(conflict.stderr).toMatch(/is on the allowlist \(198\.51\.100\.0\/24, runtime\)/)
    // a config entry is removed in the config file, not here
    const cfg = await cli('allowlist', 'remove', '127.0.0.1')
    expect(cfg.code).toBe(2)
    expect(cfg.stderr).toMatch(/comes from the config file/)

    // restart on the same data dir: the runtime entry is still there
    await node.stop()
    node = await pool.start({ name: 'control-again', dataDir: node.dataDir, config })
    const list = await cliJson<Array<{ entry: string, origin: string }>>('allowlist', 'list', '--json')
    expect(list).toEqual([{ entry: '127.0.0.1', origin: 'config' }, { entry: '::1', origin: 'config' }, expect.objectContaining({ entry: '198.51.100.0/24', origin: 'runtime' })])
    const human = await cli('allowlist', 'list')
    expect(human.stdout).toMatch(/^ENTRY +ORIGIN +ADDED +REASON\n/)
    expect(human.stdout).toMatch(/198\.51\.100\.0\/24 +runtime .* partner office/)

    const rm = await cli('allowlist', 'remove', '198.51.100.0/24')
    expect(rm.code).toBe(0)
    expect((await cliJson<unknown[]>('allowlist', 'list', '--json'))).toHaveLength(2)
    const gone = await cli('allowlist', 'remove', '198.51.100.0/24')
    expect(gone.code).toBe(2)
    expect(gone.stderr).toMatch(/is not on the allowlist/)
  }, TEST_TIMEOUT_MS)

  it('signatures list|show|revoke: a signature made from the attack, revoked for good', async () => {
    const list = await cliJson<Array<{ id: string, origin: string, status: string }>>('signatures', 'list', '--json')
    const local = list.find((s) => s.origin === 'local' && s.status === 'adopted')
    expect(local).toBeDefined()
    const show = await cli('signatures', 'show', local!.id)
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(new RegExp(`^signature ${local!.id} {2}adopted`))
    const rev = await cliJson<{ status: string, code: string, reason: string }>('signatures', 'revoke', local!.id, '--reason', 'too broad', '--json')
    expect(rev).toMatchObject({ status: 'rejected', code: 'retired' })
    expect(rev.reason).toMatch(/revoked by the operator \(cli:.+\): too broad/)
    const again = await cli('signatures', 'revoke', local!.id)
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already retired/)
    expect((await cli('signatures', 'show', 'nope')).code).toBe(2)
  })

  it('alerts list and peers list|show on a node without peers', async () => {
    expect(await cliJson<unknown[]>('alerts', 'list', '--since', '1h', '--json')).toEqual([])
    expect(await cliJson<unknown[]>('peers', 'list', '--json')).toEqual([])
    expect((await cli('peers', 'list')).stdout.trim()).toBe('no peers known')
    const show = await cli('peers', 'show', '12D3KooWNope')
    expect(show.code).toBe(2)
    expect(show.stderr).toMatch(/no peer 12D3KooWNope known/)
  })

  it('every change is in the audit log, with who and why, and it survived the restart', async () => {
    const audit = await cliJson<Array<{ op: string, subject: string, actor: string, reason: string | null, result: string }>>('audit', 'list', '--json')
    expect(audit.map((a) => a.op)).toEqual([
      'unblock', 'unblock', 'decisions.add', 'decisions.delete', 'decisions.add', 'decisions.delete',
      'allowlist.add', 'allowlist.remove', 'signatures.revoke'
    ])
    // the CLI names its user; a plain API client is "api" (the DELETE /decisions/<id> above)
    expect(audit.filter((a) => !a.actor.startsWith('cli:')).map((a) => [a.op, a.actor])).toEqual([['decisions.delete', 'api']])
    expect(audit[0]).toMatchObject({ subject: ATTACKER, reason: 'false positive' })
    expect(audit[6]).toMatchObject({ subject: '198.51.100.0/24', reason: 'partner office' })
    const human = await cli('audit', 'list')
    expect(human.stdout).toMatch(/^TIME +OPERATION +SUBJECT +BY +REASON +RESULT\n/)
    // the decisions' own trail says who revoked them
    const trail = await cliJson<Array<{ event: string, detail?: string }>>('audit', 'list', '--decisions', '--limit', '10000', '--json')
    expect(trail.some((a) => a.event === 'revoked' && /unblocked by the operator/.test(a.detail ?? ''))).toBe(true)
  })
})
