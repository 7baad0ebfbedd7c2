/**
 * Small, synchronous /proc readers and signal helpers for the responders and
 * the supervisor (Linux). A process is identified by (pid, start time) so a
 * recycled pid is never signalled by mistake.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'

export interface ProcStat {
  pid: number
  comm: string
  /** R running, S sleeping, D disk sleep, T stopped, t traced, Z zombie, X dead, I idle. */
  state: string
  ppid: number
  pgrp: number
  /** Clock ticks since boot (field 22): with the pid, a unique process identity. */
  startTime: number
}

/** /proc/<pid>/stat, or null when the process does not exist. */
export function readProcStat (pid: number): ProcStat | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < 0) return null
  const rest = text.slice(close + 2).split(' ')
  // rest[0] is field 3 (state); field n is rest[n - 3]
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    startTime: Number(rest[19])
  }
}

export function processState (pid: number): string | null {
  return readProcStat(pid)?.state ?? null
}

/** True when pid exists, is not a zombie, and (if given) has this start time. */
export function isAlive (pid: number, startTime?: number): boolean {
  const st = readProcStat(pid)
  if (st == null || st.state === 'Z' || st.state === 'X') return false
  return startTime == null || st.startTime === startTime
}

export function listPids (): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (/^\d+$/.test(name)) out.push(Number(name))
  }
  return out
}

/** One scan of /proc: the stat of every process (those that vanish meanwhile are left out). */
export function listProcStats (): ProcStat[] {
  const out: ProcStat[] = []
  for (const p of listPids()) {
    const st = readProcStat(p)
    if (st != null) out.push(st)
  }
  return out
}

/**
 * True when the process's initial environment (/proc/<pid>/environ, what it
 * was exec'd with) holds `entry` (`NAME=value`). Children inherit it through
 * fork and exec, whatever session or process group they move to.
 */
export function environHas (pid: number, entry: string): boolean {
  let buf: Buffer
  try {
    buf = readFileSync(`/proc/${pid}/environ`)
  } catch {
    return false
  }
  const needle = Buffer.from(entry + '\0')
  const at = buf.indexOf(needle)
  return at === 0 || (at > 0 && buf[at - 1] === 0)
}

/** The mount point of the cgroup v2 hierarchy (from /proc/self/mountinfo), or null. */
export function cgroup2Mount (): string | null {
  let text: string
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8')
  } catch {
    return null
  }
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ')
    if (sep < 0) continue
    if (line.slice(sep + 3).split(' ')[0] === 'cgroup2') return line.slice(0, sep).split(' ')[4] ?? null
  }
  return null
}

/** All descendants of `pid` (children, grandchildren...), from one scan of /proc. */
export function descendantsOf (pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const p of listPids()) {
    const st = readProcStat(p)
    if (st == null) continue
    const list = children.get(st.ppid)
    if (list == null) children.set(st.ppid, [p])
    else list.push(p)
  }
  const out: number[] = []
  const stack = [...(children.get(pid) ?? [])]
  const seen = new Set<number>([pid])
  while (stack.length > 0) {
    const p = stack.pop() as number
    if (seen.has(p)) continue
    seen.add(p)
    out.push(p)
    stack.push(...(children.get(p) ?? []))
  }
  return out
}

/** Processes whose comm (15 chars) or argv[0] basename equals `name`. */
export function findPidsByName (name: string): number[] {
  const out: number[] = []
  const comm = name.slice(0, 15)
  for (const p of listPids()) {
    if (p === process.pid) continue
    const st = readProcStat(p)
    if (st == null || st.state === 'Z') continue
    if (st.comm === comm && name.length <= 15) { out.push(p); continue }
    try {
      const argv0 = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0]
      if (argv0 !== '' && basename(argv0) === name) out.push(p)
    } catch {}
  }
  return out
}

/** process.kill that returns false instead of throwing when the process (group) is gone (ESRCH) or not ours (EPERM). */
export function signal (pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ESRCH' || code === 'EPERM') return false
    throw err
  }
}

/** A process identity to remember across time (and restarts). */
export interface ProcRef {
  pid: number
  startTime: number
}

export function procRef (pid: number): ProcRef | null {
  const st = readProcStat(pid)
  return st == null ? null : { pid, startTime: st.startTime }
}

/** Signals `ref` only if it is still the same process; false otherwise. */
export function signalRef (ref: ProcRef, sig: NodeJS.Signals): boolean {
  if (!isAlive(ref.pid, ref.startTime)) return false
  return signal(ref.pid, sig)
}
