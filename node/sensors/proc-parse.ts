/**
 * Pure parsers for the /proc files the process sampler reads (proc(5)), and
 * the pure arithmetic that turns two samples into ProcessMetrics. No I/O here,
 * so every function is tested on fixture strings.
 */
import type { ProcessMetrics } from '../observation.js'

/** /proc/<pid>/stat, the fields we use (proc(5) numbering in comments). */
export interface ProcStat {
  pid: number
  /** (2) command name, up to 15 chars, may contain spaces and parentheses. */
  comm: string
  /** (3) R, S, D, Z, T, t, X, I... */
  state: string
  /** (4) */
  ppid: number
  /** (14) user-mode clock ticks */
  utime: number
  /** (15) kernel-mode clock ticks */
  stime: number
  /** (20) */
  threads: number
  /** (22) clock ticks after boot: with pid, identifies a process across pid reuse */
  starttime: number
  /** (24) resident pages */
  rssPages: number
}

/** Parses /proc/<pid>/stat; null when the text is not a stat line. */
export function parseProcStat (text: string): ProcStat | null {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open <= 0 || close < open) return null
  const pid = Number(text.slice(0, open).trim())
  if (!Number.isInteger(pid)) return null
  const comm = text.slice(open + 1, close)
  const f = text.slice(close + 2).trim().split(/\s+/)
  // f[0] is field (3)
  if (f.length < 22) return null
  const num = (field: number): number => Number(f[field - 3])
  const r: ProcStat = {
    pid,
    comm,
    state: f[0],
    ppid: num(4),
    utime: num(14),
    stime: num(15),
    threads: num(20),
    starttime: num(22),
    rssPages: num(24)
  }
  for (const v of [r.ppid, r.utime, r.stime, r.threads, r.starttime, r.rssPages]) if (!Number.isFinite(v)) return null
  return r
}

/** /proc/<pid>/status: `VmRSS` in bytes (0 for kernel threads) and `Threads`. */
export function parseProcStatus (text: string): { rssBytes: number, threads: number, name?: string } {
  let rssBytes = 0
  let threads = 0
  let name: string | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('VmRSS:')) rssBytes = parseKb(line.slice(6))
    else if (line.startsWith('Threads:')) threads = Number(line.slice(8).trim()) || 0
    else if (line.startsWith('Name:')) name = line.slice(5).trim()
  }
  return name != null ? { rssBytes, threads, name } : { rssBytes, threads }
}

function parseKb (s: string): number {
  const m = /(\d+)\s*kB/.exec(s)
  return m != null ? Number(m[1]) * 1024 : 0
}

/** /proc/<pid>/statm: resident pages (field 2). */
export function parseStatm (text: string): { residentPages: number } | null {
  const f = text.trim().split(/\s+/)
  const v = Number(f[1])
  return f.length >= 2 && Number.isFinite(v) ? { residentPages: v } : null
}

/**
 * /proc/<pid>/io. `rchar`/`wchar` count bytes through read/write syscalls
 * (files, pipes, sockets); `readBytes`/`writeBytes` only storage I/O.
 */
export interface ProcIo { rchar: number, wchar: number, readBytes: number, writeBytes: number }

export function parseProcIo (text: string): ProcIo | null {
  const kv = parseKeyValues(text)
  if (kv.rchar === undefined || kv.wchar === undefined) return null
  return { rchar: kv.rchar, wchar: kv.wchar, readBytes: kv.read_bytes ?? 0, writeBytes: kv.write_bytes ?? 0 }
}

function parseKeyValues (text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const c = line.indexOf(':')
    if (c <= 0) continue
    const v = Number(line.slice(c + 1).trim().split(/\s+/)[0])
    if (Number.isFinite(v)) out[line.slice(0, c).trim()] = v
  }
  return out
}

/** /proc/<pid>/task/<tid>/children: space-separated child pids. */
export function parseChildren (text: string): number[] {
  return text.trim().split(/\s+/).filter((s) => s.length > 0).map(Number).filter((n) => Number.isInteger(n) && n > 0)
}

/** /proc/<pid>/cmdline: NUL-separated argv. */
export function parseCmdline (text: string): string[] {
  const parts = text.split('\0')
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop()
  return parts
}

/** The basename of argv[0] ('' when the cmdline is empty, as for kernel threads and zombies). */
export function argv0Basename (cmdline: string): string {
  const argv0 = parseCmdline(cmdline)[0] ?? ''
  const slash = argv0.lastIndexOf('/')
  return slash >= 0 ? argv0.slice(slash + 1) : argv0
}

/** Does a process match a configured command name? /proc/<pid>/comm is cut to 15 characters. */
export function matchesCommand (command: string, comm: string, cmdline: string): boolean {
  if (comm === command || (command.length > 15 && comm === command.slice(0, 15))) return true
  return cmdline.length > 0 && argv0Basename(cmdline) === command
}

/** /proc/stat: aggregate CPU jiffies, number of CPUs, processes forked since boot. */
export interface HostCpu {
  total: number
  /** total minus idle and iowait */
  busy: number
  cpus: number
}

export function parseHostStat (text: string): HostCpu | null {
  let total = 0
  let busy = 0
  let cpus = 0
  let found = false
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) {
      // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user/nice
      const v = line.slice(4).trim().split(/\s+/).map(Number)
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v
      total = user + nice + system + idle + iowait + irq + softirq + steal
      busy = total - idle - iowait
      found = Number.isFinite(total)
    } else if (/^cpu\d+ /.test(line)) {
      cpus++
    }
  }
  return found ? { total, busy, cpus: Math.max(1, cpus) } : null
}

/** /proc/meminfo: used memory = MemTotal - MemAvailable (falls back to MemFree + Buffers + Cached). */
export function parseMeminfo (text: string): { totalBytes: number, usedBytes: number } | null {
  const kv: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)(?:\s+kB)?/.exec(line)
    if (m != null) kv[m[1]] = Number(m[2]) * 1024
  }
  if (kv.MemTotal === undefined) return null
  const available = kv.MemAvailable ?? ((kv.MemFree ?? 0) + (kv.Buffers ?? 0) + (kv.Cached ?? 0))
  return { totalBytes: kv.MemTotal, usedBytes: Math.max(0, kv.MemTotal - available) }
}

/** /proc/loadavg: `0.80 0.35 0.15 6/120 7667` → load and the number of scheduling entities (threads). */
export function parseLoadavg (text: string): { load1: number, running: number, threads: number } | null {
  const m = /^([\d.]+)\s+[\d.]+\s+[\d.]+\s+(\d+)\/(\d+)/.exec(text.trim())
  return m != null ? { load1: Number(m[1]), running: Number(m[2]), threads: Number(m[3]) } : null
}

/** /proc/net/sockstat: `sockets: used N`. */
export function parseSockstat (text: string): number | null {
  const m = /^sockets:\s+used\s+(\d+)/m.exec(text)
  return m != null ? Number(m[1]) : null
}

/** /proc/sys/fs/file-nr: allocated file handles (first field). */
export function parseFileNr (text: string): number | null {
  const v = Number(text.trim().split(/\s+/)[0])
  return Number.isFinite(v) ? v : null
}

const VIRTUAL_DISK = /^(loop|ram|zram|sr|fd|dm-|md|nbd)/

/**
 * /proc/diskstats: bytes read and written by whole disks (sectors are 512 bytes
 * in this file whatever the device's sector size). Partitions, loop, RAM,
 * device-mapper and md devices are skipped so nothing is counted twice.
 */
export function parseDiskstats (text: string): { readBytes: number, writeBytes: number } {
  const rows: Array<{ name: string, read: number, write: number }> = []
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 10) continue
    const read = Number(f[5])
    const write = Number(f[9])
    if (!Number.isFinite(read) || !Number.isFinite(write)) continue
    rows.push({ name: f[2], read, write })
  }
  const names = new Set(rows.map((r) => r.name))
  let readBytes = 0
  let writeBytes = 0
  for (const r of rows) {
    if (VIRTUAL_DISK.test(r.name)) continue
    if (isPartition(r.name, names)) continue
    readBytes += r.read * 512
    writeBytes += r.write * 512
  }
  return { readBytes, writeBytes }
}

function isPartition (name: string, names: Set<string>): boolean {
  if (!/\d$/.test(name)) return false
  for (let cut = name.length - 1; cut > 0; cut--) {
    const parent = name.slice(0, cut)
    if (names.has(parent) && /^p?\d+$/.test(name.slice(cut))) return true
  }
  return false
}

/** /proc/uptime: seconds since boot (first field). */
export function parseUptime (text: string): number | null {
  const v = Number(text.trim().split(/\s+/)[0])
  return Number.isFinite(v) ? v : null
}

/** Per-second rate of a cumulative counter; a counter that went backwards (reset) yields 0. */
export function ratePerSec (prev: number, cur: number, elapsedMs: number): number {
  if (!(elapsedMs > 0) || cur < prev) return 0
  return ((cur - prev) * 1000) / elapsedMs
}

/** Host CPU percent of one core (so 2 busy cores = 200), from /proc/stat deltas. */
export function hostCpuPct (prev: HostCpu, cur: HostCpu): number {
  const dt = cur.total - prev.total
  const db = cur.busy - prev.busy
  if (!(dt > 0) || db < 0) return 0
  return (db / dt) * 100 * cur.cpus
}

/** Cumulative counters of one process. */
export interface ProcCounters {
  /** (22) of stat: with the pid, tells a process from a later one that reuses its pid. */
  starttime: number
  /** utime + stime, clock ticks */
  cpuTicks: number
  /** rchar/wchar of /proc/<pid>/io (0 when unreadable) */
  readBytes: number
  writeBytes: number
}

/** One sample of a cell's process tree: gauges summed over the tree, and each member's counters. */
export interface TreeSample {
  /** Clock time of the sample, ms. */
  at: number
  /** Seconds since boot at the sample (from /proc/uptime), when known. */
  uptimeSec?: number
  procs: Map<number, ProcCounters>
  rssBytes: number
  threads: number
  openFiles: number
  sockets: number
  /** Descendants of the root. */
  children: number
}

/**
 * Counter growth of a tree between two samples, member by member, so a child
 * that exits does not make the sum go backwards. A member new since `prev`
 * counts in full when it started after `prev` (its whole life lies in the
 * interval); otherwise (re-resolved root, missed member) it only sets its
 * baseline.
 */
export function treeDelta (prev: TreeSample, cur: TreeSample, ticksPerSec: number): { cpuTicks: number, readBytes: number, writeBytes: number } {
  let cpuTicks = 0
  let readBytes = 0
  let writeBytes = 0
  const prevUptimeTicks = prev.uptimeSec != null ? prev.uptimeSec * ticksPerSec : undefined
  for (const [pid, c] of cur.procs) {
    const p = prev.procs.get(pid)
    if (p != null && p.starttime === c.starttime) {
      cpuTicks += Math.max(0, c.cpuTicks - p.cpuTicks)
      readBytes += Math.max(0, c.readBytes - p.readBytes)
      writeBytes += Math.max(0, c.writeBytes - p.writeBytes)
    } else if (prevUptimeTicks != null && c.starttime >= prevUptimeTicks) {
      cpuTicks += c.cpuTicks
      readBytes += c.readBytes
      writeBytes += c.writeBytes
    }
  }
  return { cpuTicks, readBytes, writeBytes }
}

/** The metrics of the interval between two samples of the same cell. CPU is percent of one core. */
export function cellMetrics (prev: TreeSample, cur: TreeSample, ticksPerSec: number): ProcessMetrics {
  const elapsedMs = cur.at - prev.at
  const d = treeDelta(prev, cur, ticksPerSec)
  const perSec = elapsedMs > 0 ? 1000 / elapsedMs : 0
  return {
    cpuPct: (d.cpuTicks / ticksPerSec) * perSec * 100,
    rssBytes: cur.rssBytes,
    threads: cur.threads,
    openFiles: cur.openFiles,
    sockets: cur.sockets,
    readBytesPerSec: d.readBytes * perSec,
    writeBytesPerSec: d.writeBytes * perSec,
    children: cur.children
  }
}
