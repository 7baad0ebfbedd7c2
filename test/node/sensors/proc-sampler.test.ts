import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createManualClock } from '../../../core/clock.js'
import type { ProcessObservation } from '../../../node/observation.js'
import { createProcSampler, readClockTicksPerSec } from '../../../node/sensors/proc-sampler.js'
import type { CellState } from '../../../node/sensors/proc-sampler.js'

interface FakeProc { pid: number, ppid: number, comm: string, argv0?: string, utime: number, stime: number, starttime: number, threads: number, rssKb: number, rchar: number, wchar: number, fds: string[] }

/** A fake /proc tree: the sampler's I/O on files we control. */
async function writeProc (root: string, procs: FakeProc[], host: { busy: number, idle: number, diskSectors: number, uptime: number }): Promise<void> {
  await mkdir(join(root, 'net'), { recursive: true })
  await mkdir(join(root, 'sys', 'fs'), { recursive: true })
  await writeFile(join(root, 'stat'), `cpu  ${host.busy} 0 0 ${host.idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\n`)
  await writeFile(join(root, 'meminfo'), 'MemTotal: 1000 kB\nMemAvailable: 400 kB\n')
  await writeFile(join(root, 'loadavg'), '0.10 0.10 0.10 1/42 999\n')
  await writeFile(join(root, 'net', 'sockstat'), 'sockets: used 7\n')
  await writeFile(join(root, 'sys', 'fs', 'file-nr'), '300\t0\t1000\n')
  await writeFile(join(root, 'diskstats'), ` 252 0 vda 1 0 ${host.diskSectors} 0 1 0 ${host.diskSectors * 2} 0 0 0 0\n`)
  await writeFile(join(root, 'uptime'), `${host.uptime}.00 1.00\n`)
  for (const p of procs) {
    const dir = join(root, String(p.pid))
    await mkdir(join(dir, 'fd'), { recursive: true })
    await mkdir(join(dir, 'task', String(p.pid)), { recursive: true })
    const f = Array(52).fill('0')
    f[0] = 'S'; f[1] = String(p.ppid); f[11] = String(p.utime); f[12] = String(p.stime); f[17] = String(p.threads); f[19] = String(p.starttime); f[21] = '10'
    await writeFile(join(dir, 'stat'), `${p.pid} (${p.comm}) ${f.join(' ')}\n`)
    await writeFile(join(dir, 'status'), `Name:\t${p.comm}\nVmRSS:\t${p.rssKb} kB\nThreads:\t${p.threads}\n`)
    await writeFile(join(dir, 'io'), `rchar: ${p.rchar}\nwchar: ${p.wchar}\nread_bytes: 0\nwrite_bytes: 0\n`)
    await writeFile(join(dir, 'cmdline'), `${p.argv0 ?? p.comm}\0--flag\0`)
    for (let i = 0; i < p.fds.length; i++) {
      await symlink(p.fds[i], join(dir, 'fd', String(i))).catch(() => {})
    }
  }
}

describe('proc sampler on a fixture /proc', () => {
  let root: string
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'immune-proc-')) })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  const base = (): FakeProc[] => [
    { pid: 100, ppid: 1, comm: 'app', utime: 100, stime: 0, starttime: 1000, threads: 2, rssKb: 100, rchar: 0, wchar: 0, fds: ['/dev/null', 'socket:[1]', 'socket:[2]'] },
    { pid: 101, ppid: 100, comm: 'worker', utime: 0, stime: 0, starttime: 1100, threads: 1, rssKb: 50, rchar: 0, wchar: 0, fds: ['socket:[2]', 'pipe:[9]'] },
    { pid: 102, ppid: 101, comm: 'helper', utime: 0, stime: 0, starttime: 1200, threads: 1, rssKb: 10, rchar: 0, wchar: 0, fds: [] },
    { pid: 200, ppid: 1, comm: 'other', argv0: '/usr/bin/other', utime: 0, stime: 0, starttime: 900, threads: 1, rssKb: 1, rchar: 0, wchar: 0, fds: [] }
  ]

  it('samples a process tree and the host, with rates over the interval', async () => {
    const procs = base()
    await writeProc(root, procs, { busy: 100, idle: 900, diskSectors: 0, uptime: 100 })
    const clock = createManualClock()
    const seen: ProcessObservation[] = []
    const sampler = createProcSampler({ clock, emit: (o) => { if (o.kind === 'process') seen.push(o) } }, { procRoot: root, cells: [{ name: 'app', pid: 100 }], intervalMs: 5000 })
    await sampler.start()
    expect(seen).toEqual([]) // the first round only sets baselines
    procs[0].utime += 250; procs[1].stime += 100; procs[0].rchar += 5000; procs[1].wchar += 1000
    await writeProc(root, procs, { busy: 300, idle: 1700, diskSectors: 10, uptime: 105 })
    clock.advance(5000) // the interval fires a round
    const out = await sampler.sample() // joins the running round
    expect(out.length).toBe(2)
    const host = seen.find((o) => o.cell === 'host')
    const app = seen.find((o) => o.cell === 'app')
    expect(app).toEqual({
      kind: 'process', time: clock.now(), cell: 'app', pid: 100,
      metrics: { cpuPct: 70, rssBytes: 160 * 1024, threads: 4, openFiles: 5, sockets: 2, readBytesPerSec: 1000, writeBytesPerSec: 200, children: 2 }
    })
    expect(host?.metrics).toEqual({ cpuPct: 40, rssBytes: 600 * 1024, threads: 42, openFiles: 300, sockets: 7, readBytesPerSec: 1024, writeBytesPerSec: 2048, children: 4 })
    expect(sampler.cells()).toEqual([{ name: 'app', state: 'up', pid: 100, members: 3 }])
    await sampler.stop()
    expect(clock.pending()).toBe(0)
  })

  it('marks a vanished cell down and emits nothing for it; a command cell is found again', async () => {
    const procs = base()
    await writeProc(root, procs, { busy: 1, idle: 1, diskSectors: 0, uptime: 100 })
    const clock = createManualClock()
    const states: Array<[string, CellState, number | undefined]> = []
    const sampler = createProcSampler({ clock, emit: () => {}, onCellState: (c, s, p) => { states.push([c, s, p]) } }, {
      procRoot: root, host: false, cells: [{ name: 'bypid', pid: 100 }, { name: 'bycmd', command: 'other' }]
    })
    await sampler.sample()
    clock.advance(5000)
    expect((await sampler.sample()).map((o) => o.cell).sort()).toEqual(['bycmd', 'bypid'])
    // both processes vanish
    await rm(join(root, '100'), { recursive: true })
    await rm(join(root, '200'), { recursive: true })
    clock.advance(5000)
    expect(await sampler.sample()).toEqual([])
    expect(sampler.cells().map((c) => c.state)).toEqual(['down', 'down'])
    // "other" comes back as a new process (matched by argv0 basename); pid 100 reappears but it is a different process (pid reuse)
    await writeProc(root, [
      { ...procs[0], starttime: 5000 },
      { pid: 300, ppid: 1, comm: 'other-renamed', argv0: '/usr/bin/other', utime: 0, stime: 0, starttime: 5100, threads: 1, rssKb: 1, rchar: 0, wchar: 0, fds: [] }
    ], { busy: 1, idle: 1, diskSectors: 0, uptime: 200 })
    clock.advance(5000)
    expect(await sampler.sample()).toEqual([]) // baseline for the new process
    clock.advance(5000)
    const out = await sampler.sample()
    expect(out.map((o) => [o.cell, o.pid])).toEqual([['bycmd', 300]])
    expect(states).toEqual([['bypid', 'up', 100], ['bycmd', 'up', 200], ['bypid', 'down', 100], ['bycmd', 'down', 200], ['bycmd', 'up', 300]])
  })

  it('a supervised cell waits for setPid', async () => {
    await writeProc(root, base(), { busy: 1, idle: 1, diskSectors: 0, uptime: 100 })
    const clock = createManualClock()
    const sampler = createProcSampler({ clock, emit: () => {} }, { procRoot: root, host: false, cells: [{ name: 'sup', supervised: true }] })
    await sampler.sample()
    expect(sampler.cells()).toEqual([{ name: 'sup', state: 'waiting' }])
    sampler.setPid('sup', 101)
    await sampler.sample()
    clock.advance(5000)
    const out = await sampler.sample()
    expect(out.map((o) => [o.cell, o.pid, o.metrics.children])).toEqual([['sup', 101, 1]])
    expect(() => { sampler.setPid('nope', 1) }).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
    sampler.setPid('sup', undefined)
    expect(sampler.cells()[0].state).toBe('waiting')
  })

  it('validates cells', () => {
    const clock = createManualClock()
    const bad = [
      [{ name: 'host', pid: 1 }],
      [{ name: 'a', pid: 1, command: 'x' }],
      [{ name: 'a' }],
      [{ name: 'a', pid: 1 }, { name: 'a', pid: 2 }],
      [{ name: 'a', command: '/usr/bin/x' }]
    ]
    for (const cells of bad) {
      expect(() => createProcSampler({ clock, emit: () => {} }, { cells: cells as any })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
    }
  })
})

describe('proc sampler on the real /proc', () => {
  const children: ChildProcess[] = []
  const extraPids: number[] = []
  afterAll(() => {
    for (const pid of extraPids) { try { process.kill(pid, 'SIGKILL') } catch {} }
    for (const c of children) { if (c.exitCode == null && c.pid != null) { try { process.kill(c.pid, 'SIGKILL') } catch {} } }
  })

  it('samples a real child process tree (by pid, by argv0, supervised) and the host', async () => {
    // a child that starts a grandchild and prints its pid
    const child = spawn(process.execPath, ['-e', "const c=require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});console.log(c.pid);setInterval(()=>{},1000)"], { stdio: ['ignore', 'pipe', 'ignore'], argv0: 'immune-test-cell' })
    children.push(child)
    const grandchild = await new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve(Number(out.trim())) })
      child.once('exit', () => { reject(new Error('child exited')) })
    })
    extraPids.push(grandchild)
    const clock = createManualClock()
    const ticks = await readClockTicksPerSec()
    expect(ticks).toBeGreaterThan(0)
    const sampler = createProcSampler({ clock, emit: () => {} }, {
      clockTicksPerSec: ticks,
      cells: [{ name: 'bypid', pid: child.pid! }, { name: 'bycmd', command: 'immune-test-cell' }, { name: 'sup', supervised: true }]
    })
    sampler.setPid('sup', child.pid!)
    await sampler.start()
    clock.advance(5000)
    const out = await sampler.sample()
    const byCell = new Map(out.map((o) => [o.cell, o]))
    expect([...byCell.keys()].sort()).toEqual(['bycmd', 'bypid', 'host', 'sup'])
    for (const name of ['bypid', 'bycmd', 'sup']) {
      const o = byCell.get(name)!
      expect(o.pid).toBe(child.pid)
      expect(o.metrics.threads).toBeGreaterThan(1) // node runs several threads, plus the grandchild's
      expect(o.metrics.rssBytes).toBeGreaterThan(1024 * 1024)
      expect(o.metrics.openFiles).toBeGreaterThan(0)
      expect(o.metrics.children).toBe(1)
      expect(o.metrics.cpuPct).toBeGreaterThanOrEqual(0)
    }
    const host = byCell.get('host')!.metrics
    expect(host.rssBytes).toBeGreaterThan(0)
    expect(host.threads).toBeGreaterThan(0)
    expect(host.children).toBeGreaterThan(2)
    expect(host.openFiles).toBeGreaterThan(0)
    expect(host.cpuPct).toBeGreaterThanOrEqual(0)

    // the cell vanishes: nothing for it, the cell is down
    process.kill(grandchild, 'SIGKILL')
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    clock.advance(5000)
    const after = await sampler.sample()
    expect(after.map((o) => o.cell)).toEqual(['host'])
    expect(sampler.cells().map((c) => c.state)).toEqual(['down', 'down', 'down'])
    await sampler.stop()
    expect(clock.pending()).toBe(0)
  })
})
