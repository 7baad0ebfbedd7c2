/**
 * Every process of one instance of a supervised cell, including those that
 * left its process group or session (`setsid`, `detached: true`, a double
 * fork re-parented to pid 1), so that a renewal leaves nothing of the old
 * instance behind.
 *
 * Three ways to know a member, from the strongest:
 * 1. its cgroup: with a delegated cgroup v2 directory each instance runs in a
 *    child cgroup of its own, and `cgroup.kill` ends every process in it (no
 *    process can leave a cgroup without the node's privileges);
 * 2. its ancestry: a process whose parent is a member and that started after
 *    it (a pid is only reused by a younger process) is a member, remembered
 *    as (pid, start time) from then on: `track()` runs periodically, so a
 *    child re-parented to pid 1 is still known;
 * 3. its environment: every process of the instance inherits
 *    `IMMUNE_INSTANCE=<token>` (read from /proc/<pid>/environ, the
 *    environment it was exec'd with) unless it exec's with a cleared one.
 *
 * `kill()` freezes before it kills: SIGSTOP to every member, a fresh scan
 * (children forked meanwhile are members by ancestry), again until no new
 * member appears, then SIGKILL to all, then it verifies that none is left.
 */
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleepRealMs } from 'node:timers/promises'
import { environHas, listProcStats, readProcStat, signal } from '../../core/index.js'
import type { ProcRef, ProcStat } from '../../core/index.js'

export interface InstanceTreeInit {
  /** The instance's first process (the supervised child). */
  root: ProcRef
  /** `IMMUNE_INSTANCE=<token>` given to the instance's environment, or null. */
  marker: string | null
  /** The instance's own cgroup v2 directory, or null. */
  cgroupDir: string | null
}

export interface KillReport {
  /** `cgroup` when cgroup.kill was used (the tree walk runs too), else `tree`. */
  method: 'cgroup' | 'tree'
  /** Members signalled while ending the instance (SIGTERM or SIGKILL; the root included). */
  killed: number
  /** Members ever found outside the root's process group (they left it, or its session). */
  escaped: number
  /** Members still alive after the kill (empty = verified). */
  remaining: ProcRef[]
}

export interface InstanceTree {
  readonly root: ProcRef
  readonly marker: string | null
  readonly cgroupDir: string | null
  /** One /proc scan: adds the descendants of every known member. Returns the number of live members. */
  track: () => number
  /** Live members (after the last scan). */
  members: () => ProcRef[]
  /** Sends `sig` to every live member (a fresh scan first, the environment marker included). */
  signalAll: (sig: NodeJS.Signals) => number
  /** Ends every member and verifies none is left (real time: the kernel acts on it). Idempotent. */
  kill: () => Promise<KillReport>
}

/** Rounds of stop-and-rescan before the kill (a fork bomb cannot outgrow this: each round stops all it found). */
const MAX_FREEZE_ROUNDS = 50
/** How long to wait for stopped/killed processes to show it in /proc. */
const SETTLE_WAIT_MS = 3000

const key = (r: ProcRef): string => `${r.pid}:${r.startTime}`

function gone (r: ProcRef): boolean {
  const st = readProcStat(r.pid)
  return st == null || st.startTime !== r.startTime || st.state === 'Z' || st.state === 'X'
}

function stoppedOrGone (r: ProcRef): boolean {
  const st = readProcStat(r.pid)
  return st == null || st.startTime !== r.startTime || st.state === 'Z' || st.state === 'X' || st.state === 'T' || st.state === 't'
}

async function waitUntil (done: () => boolean, maxMs: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (done()) return true
    await new Promise<void>(resolve => setImmediate(resolve))
  }
  for (let waited = 0; waited < maxMs; waited += 2) {
    if (done()) return true
    await sleepRealMs(2)
  }
  return done()
}

function cgroupPids (dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(s => /^\d+$/.test(s)).map(Number)
  } catch {
    return []
  }
}

function cgroupPopulated (dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'))
  } catch {
    return false
  }
}

export function createInstanceTree (init: InstanceTreeInit): InstanceTree {
  const { root, marker, cgroupDir } = init
  const known = new Map<string, ProcRef>([[key(root), root]])
  /** Members seen outside the root's process group (the root is its group's leader: its pid). */
  const escapedSeen = new Set<string>()
  const signalled = new Set<string>()
  let killing: Promise<KillReport> | null = null

  const scan = (withMarker: boolean): ProcStat[] => {
    const stats = listProcStats()
    const byPid = new Map(stats.map(s => [s.pid, s]))
    const children = new Map<number, ProcStat[]>()
    for (const s of stats) {
      const list = children.get(s.ppid)
      if (list == null) children.set(s.ppid, [s])
      else list.push(s)
    }
    const alive = (r: ProcRef): boolean => { const s = byPid.get(r.pid); return s != null && s.startTime === r.startTime }
    const add = (s: ProcStat): boolean => {
      if (s.pid === process.pid) return false
      const k = key(s)
      if (known.has(k)) return false
      known.set(k, { pid: s.pid, startTime: s.startTime })
      if (s.pgrp !== root.pid) escapedSeen.add(k)
      return true
    }
    const stack: ProcStat[] = [...known.values()].filter(alive).map(r => byPid.get(r.pid) as ProcStat)
    if (withMarker && marker != null) {
      for (const s of stats) {
        if (s.startTime >= root.startTime && s.pid !== process.pid && !known.has(key(s)) && environHas(s.pid, marker)) { add(s); stack.push(s) }
      }
    }
    if (cgroupDir != null) {
      for (const pid of cgroupPids(cgroupDir)) {
        const s = byPid.get(pid)
        if (s != null && add(s)) stack.push(s)
      }
    }
    while (stack.length > 0) {
      const parent = stack.pop() as ProcStat
      for (const c of children.get(parent.pid) ?? []) {
        // a child is never older than its parent: an older process at a reused pid is someone else
        if (c.startTime < parent.startTime) continue
        if (add(c)) stack.push(c)
      }
    }
    // forget members that are gone (their pids may be reused)
    for (const [k, r] of known) if (!alive(r) && r !== root) known.delete(k)
    return stats
  }

  const liveMembers = (): ProcRef[] => [...known.values()].filter(r => !gone(r))

  return {
    root,
    marker,
    cgroupDir,
    track () {
      scan(false)
      return liveMembers().length
    },
    members: liveMembers,
    signalAll (sig) {
      scan(true)
      let n = 0
      for (const r of liveMembers()) if (signal(r.pid, sig)) { n++; signalled.add(key(r)) }
      return n
    },
    async kill () {
      killing ??= (async (): Promise<KillReport> => {
        let method: KillReport['method'] = 'tree'
        if (cgroupDir != null && existsSync(join(cgroupDir, 'cgroup.kill'))) {
          try { writeFileSync(join(cgroupDir, 'cgroup.kill'), '1'); method = 'cgroup' } catch {}
        }
        // freeze, rescan, until no new member appears
        for (let round = 0; round < MAX_FREEZE_ROUNDS; round++) {
          const before = known.size
          scan(true)
          const live = liveMembers()
          for (const r of live) signal(r.pid, 'SIGSTOP')
          await waitUntil(() => live.every(stoppedOrGone), SETTLE_WAIT_MS)
          scan(true)
          if (known.size === before && round > 0) break
        }
        const targets = liveMembers()
        for (const r of targets) if (signal(r.pid, 'SIGKILL')) signalled.add(key(r))
        await waitUntil(() => targets.every(gone), SETTLE_WAIT_MS)
        // a last look: anything the marker or ancestry still finds
        scan(true)
        for (const r of liveMembers()) if (signal(r.pid, 'SIGKILL')) signalled.add(key(r))
        await waitUntil(() => liveMembers().every(gone), SETTLE_WAIT_MS)
        if (cgroupDir != null) {
          await waitUntil(() => !cgroupPopulated(cgroupDir), SETTLE_WAIT_MS)
          try { rmdirSync(cgroupDir) } catch {}
        }
        return { method, killed: signalled.size, escaped: escapedSeen.size, remaining: liveMembers() }
      })()
      return await killing
    }
  }
}
