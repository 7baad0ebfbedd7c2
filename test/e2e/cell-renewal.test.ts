/**
 * Issue 11, process cells, as a user meets them: `immune-node start` as a real
 * process supervising a cell whose processes escape its process group and
 * session (setsid, a detached node child, a double fork re-parented away).
 * `immune-node release <cell> --renew` (the real CLI) replaces the instance:
 * every escapee is gone afterwards, /status says how the old instance ended;
 * `release` alone says that it does not remove the cause. A cell stopped by
 * someone else's SIGSTOP shows `suspended` in /status, never `running`.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CellView, StatusView } from '../../node/daemon/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDaemonPool, runImmuneNode } from './support/daemon.js'
import type { RunningDaemon } from './support/daemon.js'
import { getOk, isAlive, killIfAlive, procState, waitFor } from './support/http.js'

const pool = createDaemonPool()
let node: RunningDaemon
let dir: string
const started = new Set<number>()

const pidsIn = (file: string): number[] => {
  const pids = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((s) => /^\d+$/.test(s)).map(Number) : []
  for (const p of pids) started.add(p)
  return pids
}
const cell = async (name: string): Promise<CellView> => {
  const c = (await getOk<StatusView>(node.apiUrl, '/status')).cells.find((x) => x.name === name)
  if (c == null) throw new Error(`no cell ${name}`)
  if (c.pid != null) started.add(c.pid)
  return c
}

beforeAll(async () => {
  dir = pool.tempDir('renewal')
  const file = join(dir, 'escapees')
  const node24 = JSON.stringify(process.execPath)
  const script = [
    // each instance appends its escapees' pids to the same file
    `setsid sleep 1001 & echo $! >> ${file}`,
    `${node24} -e "const c=require('child_process').spawn('sleep',['1002'],{detached:true,stdio:'ignore'});require('fs').appendFileSync('${file}',c.pid+'\\n');c.unref()"`,
    `( sleep 1003 & echo $! >> ${file} )`,
    'exec sleep 1000'
  ].join('\n')
  node = await pool.start({
    name: 'renewal',
    config: {
      cells: [
        { name: 'web', type: 'supervised', command: 'sh', args: ['-c', script], stdio: 'ignore', stopGraceSec: 1, sampleIntervalSec: 3600, renewIntervalSec: 0 },
        { name: 'calm', type: 'supervised', command: 'sleep', args: ['1000'], stdio: 'ignore', stopGraceSec: 1, sampleIntervalSec: 3600, renewIntervalSec: 0 }
      ]
    }
  })
})

afterAll(async () => {
  await pool.cleanup()
  // nothing this test started outlives it (by pid: only what it recorded)
  for (const pid of started) killIfAlive(pid)
})

describe('process cells: renewal ends the whole instance', () => {
  it('release --renew: setsid, detached and double-forked escapees of the old instance are all gone', async () => {
    const file = join(dir, 'escapees')
    const before = await cell('web')
    const oldPid = before.pid as number
    const escapees = await waitFor('the three escapees', () => { const p = pidsIn(file); return p.length >= 3 ? p.slice(0, 3) : null }, { timeoutMs: 20_000 })
    for (const p of escapees) expect(isAlive(p)).toBe(true)
    expect(escapees.some((p) => procState(p) != null)).toBe(true)
    const r = await runImmuneNode(['release', 'web', '--renew', '--api', node.apiUrl])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^cell web: nothing to release$/m)
    expect(r.stdout).toMatch(new RegExp(`^cell web: renewed: pid ${oldPid} -> \\d+; ended \\d+ process\\(es\\), \\d+ of them outside its process group \\((tree|cgroup)\\), none left$`, 'm'))
    for (const p of [oldPid, ...escapees]) expect(isAlive(p), `process ${p} of the old instance`).toBe(false)
    const after = await cell('web')
    expect(after.pid).not.toBe(oldPid)
    expect(after.state).toBe('running')
    expect(after.renewals).toBe((before.renewals ?? 0) + 1)
    expect(after.lastKill).toMatchObject({ remaining: [] })
    expect(after.lastKill?.escaped).toBeGreaterThanOrEqual(1)
    // the new instance started its own escapees; they are the new instance's, alive
    const fresh = await waitFor('the new instance\'s escapees', () => { const p = pidsIn(file); return p.length >= 6 ? p.slice(3, 6) : null }, { timeoutMs: 20_000 })
    for (const p of fresh) expect(isAlive(p)).toBe(true)
    await waitFor('the new instance\'s members tracked', async () => ((await cell('web')).members ?? 0) >= 2, { timeoutMs: 10_000 })
  })

  it('release without a quarantine is bad usage; --json answers with the note', async () => {
    const r = await runImmuneNode(['release', 'calm', '--api', node.apiUrl])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/calm.*not quarantined/)
    const j = await runImmuneNode(['release', 'calm', '--renew', '--json', '--api', node.apiUrl])
    expect(j.code).toBe(0)
    const body = JSON.parse(j.stdout) as { renewed: { oldPid: number, newPid: number }, note: string }
    expect(body.renewed.newPid).not.toBe(body.renewed.oldPid)
    started.add(body.renewed.newPid)
  })

  it('a cell SIGSTOPped by someone else shows suspended, not running', async () => {
    const pid = (await cell('calm')).pid as number
    process.kill(pid, 'SIGSTOP')
    try {
      await waitFor('the stop', () => procState(pid) === 'T', { timeoutMs: 10_000 })
      const c = await cell('calm')
      expect(c.state).toBe('suspended')
      expect(c.supervisorState).toBe('running')
      expect(c.frozen).toBe(false)
      const human = await runImmuneNode(['status', '--api', node.apiUrl])
      expect(human.stdout).toMatch(/calm .* suspended/)
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    await waitFor('running again', async () => (await cell('calm')).state === 'running', { timeoutMs: 10_000 })
  })
})
