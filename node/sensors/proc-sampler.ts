/**
 * The /proc sampler (KIS's "cells"): every `intervalMs` it samples each
 * watched process tree and the host itself and emits one ProcessObservation per
 * cell. A cell is chosen by pid, by command name (/proc/<pid>/comm or the
 * basename of argv[0]), or is a supervised process whose pid the daemon sets
 * later with `setPid`. The first sample of a cell only sets the baseline for
 * the rates, so a cell's first observation comes one interval after it is up.
 *
 * A process that vanishes mid-read yields nothing and marks the cell down
 * (`onCellState`); a command cell is looked up again on the next round.
 * Parsing lives in proc-parse.ts; this file only does the reading.
 */
import type { SensorPlugin } from './sensor-plugin.js'
import { execFile } from 'node:child_process'
import { readFile, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { TimerHandle } from '../../core/index.js'
import { InvalidParamsError, ProcessGoneError } from '../errors.js'
import type { ProcessObservation } from '../observation.js'
import {
  cellMetrics, hostCpuPct, matchesCommand, parseDiskstats, parseFileNr, parseHostStat, parseLoadavg,
  parseMeminfo, parseChildren, parseProcIo, parseProcStat, parseProcStatus, parseSockstat, parseUptime, ratePerSec
} from './proc-parse.js'
import type { HostCpu, ProcCounters, ProcStat, TreeSample } from './proc-parse.js'
import { silentLogger } from './sensor.js'
import type { Sensor, SensorComponents } from './sensor.js'

export interface ProcCellSpec {
  /** Cell name, unique; 'host' is reserved for the host itself. */
  name: string
  pid?: number
  command?: string
  /** The daemon supervises this cell and tells its pid with setPid(). */
  supervised?: boolean
}

export interface ProcSamplerParams {
  /** KIS samples every few seconds; 5 s keeps idle CPU well under 1%. */
  intervalMs: number
  /** Also emit the host cell ('host'). */
  host: boolean
  cells: ProcCellSpec[]
  procRoot: string
  /** USER_HZ: 100 on every mainstream Linux architecture (`getconf CLK_TCK`; see readClockTicksPerSec). */
  clockTicksPerSec: number
  /** Members of one tree beyond this are ignored (a fork bomb must not stall the sampler). */
  maxTreeSize: number
  /** fds beyond this are not inspected for sockets. */
  maxFdsPerProcess: number
}

export const HOST_CELL = 'host'

export const defaultProcSamplerParams: ProcSamplerParams = Object.freeze({
  intervalMs: 5000,
  host: true,
  cells: [],
  procRoot: '/proc',
  clockTicksPerSec: 100,
  maxTreeSize: 4096,
  maxFdsPerProcess: 65536
})

export function validateProcSamplerParams (p: ProcSamplerParams): void {
  for (const k of ['intervalMs', 'clockTicksPerSec', 'maxTreeSize', 'maxFdsPerProcess'] as const) {
    if (typeof p[k] !== 'number' || !Number.isFinite(p[k]) || p[k] <= 0) throw new InvalidParamsError(k, p[k], 'a positive number')
  }
  if (typeof p.host !== 'boolean') throw new InvalidParamsError('host', p.host, 'true or false')
  if (typeof p.procRoot !== 'string' || p.procRoot.length === 0) throw new InvalidParamsError('procRoot', p.procRoot, 'a directory path')
  if (!Array.isArray(p.cells)) throw new InvalidParamsError('cells', p.cells, 'an array of {name, pid | command | supervised}')
  const names = new Set<string>()
  p.cells.forEach((c, i) => {
    const at = `cells[${i}]`
    if (c == null || typeof c !== 'object') throw new InvalidParamsError(at, c, '{name, pid | command | supervised}')
    if (typeof c.name !== 'string' || c.name.length === 0 || c.name === HOST_CELL) throw new InvalidParamsError(`${at}.name`, c.name, `a non-empty name other than "${HOST_CELL}"`)
    if (names.has(c.name)) throw new InvalidParamsError(`${at}.name`, c.name, 'a name not used by another cell')
    names.add(c.name)
    const ways = [c.pid !== undefined, c.command !== undefined, c.supervised === true].filter(Boolean).length
    if (ways !== 1) throw new InvalidParamsError(at, c, 'exactly one of pid, command, supervised: true')
    if (c.pid !== undefined && (!Number.isInteger(c.pid) || c.pid <= 0)) throw new InvalidParamsError(`${at}.pid`, c.pid, 'a positive integer')
    if (c.command !== undefined && (typeof c.command !== 'string' || c.command.length === 0 || c.command.includes('/'))) throw new InvalidParamsError(`${at}.command`, c.command, 'a command name without slashes (as in /proc/<pid>/comm or the basename of argv[0])')
  })
}

export function createProcSamplerParams (partial: Partial<ProcSamplerParams> = {}): ProcSamplerParams {
  const p = { ...defaultProcSamplerParams, ...partial }
  validateProcSamplerParams(p)
  return Object.freeze({ ...p, cells: p.cells.map((c) => Object.freeze({ ...c })) })
}

/** `waiting`: a supervised cell without a pid yet; `down`: its process is gone (or not found). */
export type CellState = 'up' | 'down' | 'waiting'

export interface CellStatus {
  name: string
  state: CellState
  pid?: number
  /** Processes in the tree at the last sample. */
  members?: number
}

export interface ProcSamplerComponents extends SensorComponents {
  onCellState?: (cell: string, state: CellState, pid?: number) => void
}

export interface ProcSampler extends Sensor {
  /** One sampling round now; returns (and emits) the observations it made. */
  sample: () => Promise<ProcessObservation[]>
  /** Set (or clear) the pid of a supervised cell, e.g. after the supervisor (re)started it. */
  setPid: (cell: string, pid: number | undefined) => void
  cells: () => CellStatus[]
}

interface CellRuntime {
  spec: ProcCellSpec
  state: CellState
  pid?: number
  starttime?: number
  prev?: TreeSample
  members?: number
}

interface HostPrev { at: number, cpu: HostCpu, readBytes: number, writeBytes: number }

const isGone = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException)?.code
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR'
}

/** USER_HZ from `getconf CLK_TCK`, or 100 when getconf is missing. Call once at start-up. */
export async function readClockTicksPerSec (): Promise<number> {
  return await new Promise((resolve) => {
    execFile('getconf', ['CLK_TCK'], { timeout: 2000 }, (err, stdout) => {
      const v = Number(String(stdout).trim())
      resolve(err == null && Number.isInteger(v) && v > 0 ? v : 100)
    })
  })
}

export function createProcSampler (components: ProcSamplerComponents, init: Partial<ProcSamplerParams> = {}): ProcSampler {
  const params = createProcSamplerParams(init)
  const { clock } = components
  const logger = components.logger ?? silentLogger
  const root = params.procRoot
  const cells = new Map<string, CellRuntime>()
  for (const spec of params.cells) {
    cells.set(spec.name, { spec, state: spec.supervised === true ? 'waiting' : 'down', ...(spec.pid != null ? { pid: spec.pid } : {}) })
  }
  let hostPrev: HostPrev | undefined
  let started = false
  let timer: TimerHandle | null = null
  let running: Promise<ProcessObservation[]> | null = null
  let childrenFiles: boolean | undefined
  const warned = new Set<string>()

  const warnOnce = (key: string, obj: Record<string, unknown>, msg: string): void => {
    if (warned.has(key)) return
    warned.add(key)
    logger.warn(obj, msg)
  }

  const read = async (...parts: Array<string | number>): Promise<string> => await readFile(join(root, ...parts.map(String)), 'utf8')

  const readOptional = async (what: string, ...parts: Array<string | number>): Promise<string | null> => {
    try {
      return await read(...parts)
    } catch (err) {
      warnOnce(`host:${what}`, { file: join(root, ...parts.map(String)), err: String(err) }, `cannot read ${what}; reporting 0`)
      return null
    }
  }

  const setState = (c: CellRuntime, state: CellState): void => {
    if (c.state === state) return
    c.state = state
    if (state !== 'up') { c.prev = undefined; c.members = undefined }
    logger.info({ cell: c.spec.name, state, pid: c.pid }, `cell ${state}`)
    components.onCellState?.(c.spec.name, state, c.pid)
  }

  const readStat = async (pid: number): Promise<ProcStat | null> => {
    try {
      return parseProcStat(await read(pid, 'stat'))
    } catch (err) {
      if (isGone(err)) return null
      throw err
    }
  }

  const listPids = async (): Promise<number[]> => {
    const names = await readdir(root)
    const pids: number[] = []
    for (const n of names) {
      const c = n.charCodeAt(0)
      if (c >= 48 && c <= 57) {
        const pid = Number(n)
        if (Number.isInteger(pid)) pids.push(pid)
      }
    }
    return pids
  }

  /** All processes' stat lines, read at most once per round. */
  let table: Map<number, ProcStat> | null = null
  const processTable = async (): Promise<Map<number, ProcStat>> => {
    if (table != null) return table
    const t = new Map<number, ProcStat>()
    for (const pid of await listPids()) {
      const st = await readStat(pid)
      if (st != null) t.set(pid, st)
    }
    table = t
    return t
  }

  const childrenOf = async (pid: number): Promise<number[]> => {
    if (childrenFiles === undefined) {
      // tell "kernel without CONFIG_PROC_CHILDREN" from "process gone"
      try {
        await read(pid, 'task', pid, 'children')
        childrenFiles = true
      } catch (err) {
        if (!isGone(err)) throw err
        if (await readStat(pid) != null) {
          childrenFiles = false
          logger.debug({}, '/proc/<pid>/task/<tid>/children unavailable; finding children by ppid')
        }
      }
    }
    if (childrenFiles === true) {
      let tids: string[]
      try { tids = await readdir(join(root, String(pid), 'task')) } catch (err) { if (isGone(err)) return []; throw err }
      const out: number[] = []
      for (const tid of tids) {
        try { out.push(...parseChildren(await read(pid, 'task', tid, 'children'))) } catch (err) { if (!isGone(err)) throw err }
      }
      return out
    }
    const t = await processTable()
    const out: number[] = []
    for (const st of t.values()) if (st.ppid === pid) out.push(st.pid)
    return out
  }

  const descendants = async (pid: number): Promise<number[]> => {
    const seen = new Set<number>([pid])
    const out: number[] = []
    const queue = [pid]
    while (queue.length > 0 && out.length < params.maxTreeSize) {
      const p = queue.shift() as number
      for (const c of await childrenOf(p)) {
        if (seen.has(c) || out.length >= params.maxTreeSize) continue
        seen.add(c)
        out.push(c)
        queue.push(c)
      }
    }
    return out
  }

  const resolveCommand = async (command: string): Promise<ProcStat | null> => {
    const t = await processTable()
    const matches = new Map<number, ProcStat>()
    for (const st of t.values()) {
      if (st.pid === process.pid) continue
      let cmdline = ''
      if (st.comm !== command && !(command.length > 15 && st.comm === command.slice(0, 15))) {
        try { cmdline = await read(st.pid, 'cmdline') } catch { continue }
      }
      if (matchesCommand(command, st.comm, cmdline)) matches.set(st.pid, st)
    }
    let best: ProcStat | null = null
    for (const st of matches.values()) {
      if (matches.has(st.ppid)) continue // a child of another match belongs to that match's tree
      if (best == null || st.starttime < best.starttime) best = st
    }
    return best
  }

  /** Reads one member; null when it vanished. */
  const readMember = async (pid: number, sockets: Set<string>): Promise<{ stat: ProcStat, rssBytes: number, threads: number, openFiles: number, io: { r: number, w: number } } | null> => {
    try {
      const stat = parseProcStat(await read(pid, 'stat'))
      if (stat == null) return null
      const status = parseProcStatus(await read(pid, 'status'))
      let io = { r: 0, w: 0 }
      try {
        const parsed = parseProcIo(await read(pid, 'io'))
        if (parsed != null) io = { r: parsed.rchar, w: parsed.wchar }
      } catch (err) {
        if (isGone(err)) return null
        warnOnce('io', { pid, err: String(err) }, '/proc/<pid>/io is not readable (needs the same user or CAP_SYS_PTRACE); read/write rates report 0')
      }
      let openFiles = 0
      try {
        const fds = await readdir(join(root, String(pid), 'fd'))
        openFiles = fds.length
        for (const fd of fds.slice(0, params.maxFdsPerProcess)) {
          try {
            const target = await readlink(join(root, String(pid), 'fd', fd))
            if (target.startsWith('socket:')) sockets.add(target)
          } catch { /* fd closed meanwhile */ }
        }
      } catch (err) {
        if (isGone(err)) return null
        warnOnce('fd', { pid, err: String(err) }, '/proc/<pid>/fd is not readable; open files and sockets report 0')
      }
      return { stat, rssBytes: status.rssBytes, threads: status.threads > 0 ? status.threads : stat.threads, openFiles, io }
    } catch (err) {
      if (isGone(err)) return null
      throw err
    }
  }

  const sampleTree = async (rootPid: number, at: number, uptimeSec: number | undefined): Promise<TreeSample> => {
    const sockets = new Set<string>()
    const rootMember = await readMember(rootPid, sockets)
    if (rootMember == null) throw new ProcessGoneError(rootPid)
    const members = [rootMember]
    for (const pid of await descendants(rootPid)) {
      const m = await readMember(pid, sockets)
      if (m != null) members.push(m)
    }
    // the root may have exited while its children were read
    if (await readStat(rootPid) == null) throw new ProcessGoneError(rootPid)
    const procs = new Map<number, ProcCounters>()
    let rssBytes = 0; let threads = 0; let openFiles = 0
    for (const m of members) {
      procs.set(m.stat.pid, { starttime: m.stat.starttime, cpuTicks: m.stat.utime + m.stat.stime, readBytes: m.io.r, writeBytes: m.io.w })
      rssBytes += m.rssBytes
      threads += m.threads
      openFiles += m.openFiles
    }
    return { at, ...(uptimeSec != null ? { uptimeSec } : {}), procs, rssBytes, threads, openFiles, sockets: sockets.size, children: members.length - 1 }
  }

  const sampleCell = async (c: CellRuntime, at: number, uptimeSec: number | undefined): Promise<ProcessObservation | null> => {
    // find (or re-check) the root process
    if (c.spec.supervised === true && c.pid == null) { setState(c, 'waiting'); return null }
    let st: ProcStat | null = null
    if (c.spec.command != null) {
      if (c.pid != null) {
        st = await readStat(c.pid)
        if (st != null && st.starttime !== c.starttime) st = null
      }
      if (st == null) {
        if (c.state === 'up') setState(c, 'down')
        st = await resolveCommand(c.spec.command)
        if (st == null) { c.pid = undefined; c.starttime = undefined; return null }
        c.pid = st.pid
        c.starttime = st.starttime
      }
    } else {
      if (c.state === 'down' && c.starttime != null) return null // this process is gone for good (pid reuse guard)
      st = await readStat(c.pid as number)
      if (st == null || st.state === 'Z' || (c.starttime != null && st.starttime !== c.starttime)) {
        if (c.starttime == null) c.starttime = st?.starttime ?? -1
        setState(c, 'down')
        return null
      }
      c.starttime = st.starttime
    }
    if (st.state === 'Z') { setState(c, 'down'); return null }
    let sample: TreeSample
    try {
      sample = await sampleTree(c.pid as number, at, uptimeSec)
    } catch (err) {
      if (err instanceof ProcessGoneError) { setState(c, 'down'); return null }
      throw err
    }
    const prev = c.prev
    setState(c, 'up')
    c.prev = sample
    c.members = sample.procs.size
    if (prev == null) return null
    return { kind: 'process', time: at, cell: c.spec.name, pid: c.pid, metrics: cellMetrics(prev, sample, params.clockTicksPerSec) }
  }

  const sampleHost = async (at: number): Promise<ProcessObservation | null> => {
    const statText = await readOptional('/proc/stat', 'stat')
    const cpu = statText != null ? parseHostStat(statText) : null
    if (cpu == null) return null
    const mem = parseMeminfo(await readOptional('/proc/meminfo', 'meminfo') ?? '')
    const load = parseLoadavg(await readOptional('/proc/loadavg', 'loadavg') ?? '')
    const sockets = parseSockstat(await readOptional('/proc/net/sockstat', 'net', 'sockstat') ?? '')
    const files = parseFileNr(await readOptional('/proc/sys/fs/file-nr', 'sys', 'fs', 'file-nr') ?? '')
    const disk = parseDiskstats(await readOptional('/proc/diskstats', 'diskstats') ?? '')
    const procs = (await listPids()).length
    const prev = hostPrev
    hostPrev = { at, cpu, readBytes: disk.readBytes, writeBytes: disk.writeBytes }
    if (prev == null) return null
    const elapsedMs = at - prev.at
    return {
      kind: 'process',
      time: at,
      cell: HOST_CELL,
      metrics: {
        cpuPct: hostCpuPct(prev.cpu, cpu),
        rssBytes: mem?.usedBytes ?? 0,
        threads: load?.threads ?? 0,
        openFiles: files ?? 0,
        sockets: sockets ?? 0,
        readBytesPerSec: ratePerSec(prev.readBytes, disk.readBytes, elapsedMs),
        writeBytesPerSec: ratePerSec(prev.writeBytes, disk.writeBytes, elapsedMs),
        children: procs
      }
    }
  }

  const round = async (): Promise<ProcessObservation[]> => {
    table = null
    const at = clock.now()
    const out: ProcessObservation[] = []
    if (params.host) {
      const h = await sampleHost(at)
      if (h != null) out.push(h)
    }
    if (cells.size > 0) {
      let uptimeSec: number | undefined
      try { uptimeSec = parseUptime(await read('uptime')) ?? undefined } catch { uptimeSec = undefined }
      for (const c of cells.values()) {
        try {
          const o = await sampleCell(c, at, uptimeSec)
          if (o != null) out.push(o)
        } catch (err) {
          logger.error({ cell: c.spec.name, err: String(err) }, 'sampling a cell failed')
        }
      }
    }
    table = null
    for (const o of out) {
      try {
        components.emit(o)
      } catch (err) {
        warnOnce('emit', { err: String(err) }, 'observation consumer threw')
      }
    }
    return out
  }

  const sample = async (): Promise<ProcessObservation[]> => {
    if (running != null) return await running
    running = round().finally(() => { running = null })
    return await running
  }

  return {
    name: 'proc',
    async start () {
      if (started) return
      started = true
      try {
        await sample() // baselines
      } catch (err) {
        started = false
        throw err
      }
      timer = clock.setInterval(() => {
        if (running != null) return // a slow round: skip this tick rather than queue
        sample().catch((err: unknown) => { logger.error({ err: String(err) }, 'proc sampling round failed') })
      }, params.intervalMs)
    },
    async stop () {
      if (!started) return
      started = false
      if (timer != null) clock.clearInterval(timer)
      timer = null
      if (running != null) {
        try { await running } catch { /* logged */ }
      }
    },
    sample,
    setPid (cell, pid) {
      const c = cells.get(cell)
      if (c == null || c.spec.supervised !== true) throw new InvalidParamsError('cell', cell, `a supervised cell of the proc sensor (${[...cells.values()].filter((x) => x.spec.supervised === true).map((x) => x.spec.name).join(', ')})`)
      if (pid !== undefined && (!Number.isInteger(pid) || pid <= 0)) throw new InvalidParamsError('pid', pid, 'a positive integer')
      if (c.pid === pid) return
      c.pid = pid
      c.starttime = undefined
      c.prev = undefined
      if (pid == null) setState(c, 'waiting')
    },
    cells: () => [...cells.values()].map((c) => ({
      name: c.spec.name,
      state: c.state,
      ...(c.pid != null ? { pid: c.pid } : {}),
      ...(c.members != null ? { members: c.members } : {})
    }))
  }
}

/** The /proc sampler as a plug-in: built from the process-backed cells (not listed in `sensors[]`). */
export const procSensor: SensorPlugin<Partial<ProcSamplerParams>> = {
  type: 'proc',
  description: 'samples /proc for every process-backed cell and the host',
  create: (components, init) => createProcSampler(components as ProcSamplerComponents, init)
}
