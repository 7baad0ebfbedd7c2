/**
 * Supervises one command: spawns it in its own process group, restarts it on
 * an unexpected exit (exponential backoff), renews it periodically (sooner
 * while the threat level is raised), and terminates it gracefully (SIGTERM,
 * then SIGKILL to the whole group after a grace period). The current pid is
 * exposed, and every pid change is reported, so the /proc sampler can follow.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Clock, TimerHandle } from '../../core/index.js'
import { SupervisorError } from '../errors.js'
import { silentLog } from '../../core/index.js'
import type { LogSink } from '../../core/index.js'
import { isAlive, procRef, readProcStat, signal } from '../../core/index.js'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createInstanceTree } from './process-tree.js'
import type { InstanceTree, KillReport } from './process-tree.js'
import type { RenewMode } from './supervisor-params.js'
import type { SupervisorParams } from './supervisor-params.js'
import { validateSupervisorParams } from './supervisor-params.js'

export type PidChangeReason = 'start' | 'restart' | 'renew' | 'terminate' | 'exit' | 'stop'
export type RenewReason = 'periodic' | 'terminate' | 'manual'

export interface PidChange {
  cell: string
  oldPid: number | null
  newPid: number | null
  reason: PidChangeReason
  atMs: number
}

export interface ExitInfo {
  pid: number
  code: number | null
  signal: NodeJS.Signals | null
  atMs: number
  expected: boolean
}

export type SupervisorState = 'stopped' | 'running' | 'backoff' | 'stopping'

/**
 * What the cell's process is really doing (status shows this, not only what
 * the supervisor intends): `frozen` (quarantined by the node), `suspended`
 * (stopped by a signal the node did not send, e.g. SIGSTOP from someone
 * else), `renewing`, `gone` (the supervisor believes it runs but /proc has no
 * such process).
 */
export type CellProcessState = 'running' | 'frozen' | 'suspended' | 'renewing' | 'backoff' | 'stopping' | 'stopped' | 'gone'

export interface SupervisorInfo {
  cell: string
  state: SupervisorState
  pid: number | null
  startedAtMs: number | null
  restarts: number
  renewals: number
  lastRenewAtMs: number | null
  nextRenewAtMs: number | null
  lastExit: ExitInfo | null
  frozen: boolean
  threatLevel: number
  /** From /proc: the real state of the current instance. */
  processState: CellProcessState
  /** Live processes of the current instance (the child and its tracked descendants). */
  members: number
  /** The instance's own cgroup, when the node runs it in one. */
  cgroupDir: string | null
  /** How the last renewal ended the old instance. */
  lastKill: KillReport | null
}

export interface RenewResult {
  oldPid: number | null
  newPid: number | null
  reason: RenewReason
  /** How the old instance was ended, and what (if anything) survived it. */
  kill?: KillReport
}

export interface Supervisor {
  readonly name: string
  /** Spawns the command (after ending an orphan left by a crashed node); rejects with SupervisorError when it cannot start. Idempotent. */
  start: () => Promise<void>
  /** Stops the child (graceful) and every timer. Idempotent. */
  stop: () => Promise<void>
  /** Replaces the running instance; serialised with other renewals. */
  renew: (reason?: RenewReason, opts?: { graceMs?: number, mode?: RenewMode }) => Promise<RenewResult>
  pid: () => number | null
  info: () => SupervisorInfo
  /** Renewal runs every interval / factor while level > 0. */
  setThreatLevel: (level: number) => void
  /** While frozen (quarantined), periodic renewal waits. */
  setFrozen: (frozen: boolean) => void
  /** True from the start of a renewal until the new instance runs. */
  renewing: () => boolean
  /** The current instance's own cgroup v2 directory (quarantine freezes it), or null. */
  cgroupDir: () => string | null
  onPidChange: (listener: (change: PidChange) => void) => () => void
}

export interface SupervisorComponents {
  clock: Clock
  logger?: LogSink
}

interface Instance {
  child: ChildProcess
  pid: number
  startedAtMs: number
  done: boolean
  expected: boolean
  exited: Promise<ExitInfo>
  tree: InstanceTree
  /** Set once the tree has been killed (after the leader's exit or a stop). */
  reaped: Promise<KillReport> | null
}

export function createSupervisor (components: SupervisorComponents, params: SupervisorParams): Supervisor {
  validateSupervisorParams(params)
  const { clock } = components
  const log = components.logger ?? silentLog
  const cell = params.name
  const listeners = new Set<(c: PidChange) => void>()

  let state: SupervisorState = 'stopped'
  let current: Instance | null = null
  let restarts = 0
  let renewals = 0
  let failures = 0
  let lastRenewAtMs: number | null = null
  let renewBaseMs = 0
  let nextRenewAtMs: number | null = null
  let lastExit: ExitInfo | null = null
  let frozen = false
  let threatLevel = 0
  let renewTimer: TimerHandle | null = null
  let restartTimer: TimerHandle | null = null
  let chain: Promise<unknown> = Promise.resolve()
  let renewingNow = false
  let lastKill: KillReport | null = null
  let trackTimer: TimerHandle | null = null
  let instanceSeq = 0
  let lastExitedInst: Instance | null = null

  const emit = (oldPid: number | null, newPid: number | null, reason: PidChangeReason): void => {
    const change: PidChange = { cell, oldPid, newPid, reason, atMs: clock.now() }
    log.info({ cell, oldPid, newPid, reason }, `cell ${cell}: pid ${oldPid ?? '-'} -> ${newPid ?? '-'} (${reason})`)
    for (const l of listeners) {
      try { l(change) } catch (err) { log.error({ cell, err }, 'pid change listener failed') }
    }
  }

  const writePidFile = (pid: number | null, tree?: InstanceTree): void => {
    if (params.pidFile == null) return
    try {
      if (pid == null) { rmSync(params.pidFile, { force: true }); return }
      const st = readProcStat(pid)
      mkdirSync(dirname(params.pidFile), { recursive: true })
      writeFileSync(params.pidFile, JSON.stringify({ pid, startTime: st?.startTime ?? null, command: params.command, marker: tree?.marker ?? null, cgroupDir: tree?.cgroupDir ?? null }) + '\n', { mode: 0o600 })
    } catch (err) {
      log.warn({ cell, err: String(err) }, 'cannot write the cell pid file')
    }
  }

  const spawnInstance = async (): Promise<Instance> => {
    // spawn reports a missing cwd as ENOENT of the command: say what is missing
    if (params.cwd != null) {
      let isDir = false
      try { isDir = statSync(params.cwd).isDirectory() } catch {}
      if (!isDir) throw new SupervisorError(cell, params.command, `its working directory (cwd) ${params.cwd} does not exist or is not a directory`)
    }
    const token = `${cell}.${randomBytes(8).toString('hex')}`
    const marker = `IMMUNE_INSTANCE=${token}`
    let cgroupDir: string | null = null
    let command = params.command
    let args = params.args
    if (params.cgroupParent != null) {
      // the instance's own cgroup: the shell joins it, then exec's the command (no fork can happen before)
      cgroupDir = join(params.cgroupParent, `immune-${cell}-${process.pid}-${++instanceSeq}`)
      try {
        mkdirSync(cgroupDir)
      } catch (err) {
        throw new SupervisorError(cell, params.command, `cannot create the instance cgroup ${cgroupDir} (${(err as NodeJS.ErrnoException).code ?? String(err)}): supervisor cgroupParent must be a cgroup v2 directory delegated to the node`)
      }
      command = '/bin/sh'
      args = ['-c', 'echo $$ > "$1/cgroup.procs" || exit 126; shift; exec "$@"', 'immune-cell', cgroupDir, params.command, ...params.args]
    }
    const child = spawn(command, args, {
      cwd: params.cwd ?? undefined,
      env: { ...process.env, ...params.env, IMMUNE_CELL: cell, IMMUNE_INSTANCE: token },
      detached: true,
      stdio: params.stdio
    })
    let resolveExit!: (e: ExitInfo) => void
    const exited = new Promise<ExitInfo>(resolve => { resolveExit = resolve })
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        child.off('spawn', onSpawn)
        if (cgroupDir != null) try { rmSync(cgroupDir, { recursive: false }) } catch {}
        reject(new SupervisorError(cell, params.command, err.message))
      }
      const onSpawn = (): void => { child.off('error', onError); resolve() }
      child.once('error', onError)
      child.once('spawn', onSpawn)
    })
    child.on('error', (err) => { log.warn({ cell, err: err.message }, 'supervised child error') })
    const pid = child.pid as number
    const root = procRef(pid) ?? { pid, startTime: 0 }
    const inst: Instance = { child, pid, startedAtMs: clock.now(), done: false, expected: false, exited, tree: createInstanceTree({ root, marker, cgroupDir }), reaped: null }
    child.once('exit', (code, sig) => {
      inst.done = true
      const info: ExitInfo = { pid: inst.pid, code, signal: sig, atMs: clock.now(), expected: inst.expected }
      lastExit = info
      resolveExit(info)
      onExit(inst, info)
    })
    writePidFile(inst.pid, inst.tree)
    return inst
  }

  /** Ends every process of the instance (its leader's exit does not end children that left the group). */
  const reap = (inst: Instance): Promise<KillReport> => {
    inst.reaped ??= inst.tree.kill().then((report) => {
      lastKill = report
      if (report.remaining.length > 0) log.error({ cell, pid: inst.pid, remaining: report.remaining }, `cell ${cell}: ${report.remaining.length} process(es) of the old instance survived SIGKILL`)
      else if (report.escaped > 0) log.warn({ cell, pid: inst.pid, escaped: report.escaped, killed: report.killed, method: report.method }, `cell ${cell}: ended ${report.escaped} process(es) that had left the instance's process group`)
      return report
    })
    return inst.reaped
  }

  const onExit = (inst: Instance, info: ExitInfo): void => {
    // whatever is left of the instance goes with its leader (the group, and descendants that left it)
    signal(-inst.pid, 'SIGKILL')
    void reap(inst)
    if (inst !== current || inst.expected || state === 'stopped' || state === 'stopping') return
    current = null
    lastExitedInst = inst
    writePidFile(null)
    log.warn({ cell, pid: inst.pid, code: info.code, signal: info.signal }, `cell ${cell} exited unexpectedly`)
    emit(inst.pid, null, 'exit')
    const ranMs = info.atMs - inst.startedAtMs
    if (ranMs >= params.restartResetAfterMs) failures = 0
    scheduleRestart()
  }

  const scheduleRestart = (): void => {
    if (state === 'stopped' || state === 'stopping') return
    state = 'backoff'
    const delay = Math.min(params.restartBackoffMaxMs, params.restartBackoffInitialMs * Math.pow(params.restartBackoffFactor, failures))
    failures++
    clearRenewTimer()
    if (restartTimer != null) clock.clearTimeout(restartTimer)
    restartTimer = clock.setTimeout(() => {
      restartTimer = null
      chain = chain.then(async () => {
        if (state !== 'backoff') return
        if (lastExitedInst?.reaped != null) await lastExitedInst.reaped
        try {
          const inst = await spawnInstance()
          if (state !== 'backoff') { await stopInstance(inst, params.stopGraceMs); return }
          current = inst
          state = 'running'
          restarts++
          renewBaseMs = clock.now()
          emit(null, inst.pid, 'restart')
          scheduleRenewal()
        } catch (err) {
          log.error({ cell, err: (err as Error).message }, `cell ${cell} cannot be restarted`)
          scheduleRestart()
        }
      })
    }, delay)
  }

  /**
   * SIGTERM (and SIGCONT, so a stopped process can act on it) to the group
   * and to every tracked member outside it; SIGKILL to the group after the
   * grace period; then every process of the instance that is left is frozen
   * and killed, and the kill verified (process-tree.ts).
   */
  const stopInstance = async (inst: Instance, graceMs: number): Promise<ExitInfo> => {
    inst.expected = true
    if (!inst.done) {
      signal(-inst.pid, 'SIGTERM')
      signal(-inst.pid, 'SIGCONT')
    }
    inst.tree.signalAll('SIGTERM')
    inst.tree.signalAll('SIGCONT')
    const killTimer = clock.setTimeout(() => {
      if (!inst.done) {
        log.warn({ cell, pid: inst.pid, graceMs }, `cell ${cell} ignored SIGTERM for ${graceMs} ms: SIGKILL`)
        signal(-inst.pid, 'SIGKILL')
      }
    }, graceMs)
    try {
      const exit = await inst.exited
      await reap(inst)
      return exit
    } finally {
      clock.clearTimeout(killTimer)
    }
  }

  const startTracking = (): void => {
    if (trackTimer != null) return
    trackTimer = clock.setInterval(() => { current?.tree.track() }, params.trackIntervalMs)
  }
  const stopTracking = (): void => {
    if (trackTimer != null) { clock.clearInterval(trackTimer); trackTimer = null }
  }

  const processStateOf = (): CellProcessState => {
    if (renewingNow) return 'renewing'
    if (state !== 'running') return state
    const inst = current
    if (inst == null) return 'gone'
    const st = readProcStat(inst.pid)
    if (st == null || st.state === 'Z' || st.state === 'X' || st.startTime !== inst.tree.root.startTime) return 'gone'
    if (st.state === 'T' || st.state === 't') return frozen ? 'frozen' : 'suspended'
    if (frozen) return 'frozen'
    return 'running'
  }

  const clearRenewTimer = (): void => {
    if (renewTimer != null) { clock.clearTimeout(renewTimer); renewTimer = null }
    nextRenewAtMs = null
  }

  const scheduleRenewal = (): void => {
    clearRenewTimer()
    if (params.renewIntervalMs <= 0 || state !== 'running' || frozen) return
    const interval = threatLevel > 0 ? params.renewIntervalMs / params.renewUnderThreatFactor : params.renewIntervalMs
    nextRenewAtMs = renewBaseMs + interval
    renewTimer = clock.setTimeout(() => {
      renewTimer = null
      nextRenewAtMs = null
      renew('periodic').catch((err) => { log.error({ cell, err: (err as Error).message }, `periodic renewal of ${cell} failed`) })
    }, Math.max(0, nextRenewAtMs - clock.now()))
  }

  const doRenew = async (reason: RenewReason, graceMs: number, mode: RenewMode): Promise<RenewResult> => {
    if (state === 'stopped' || state === 'stopping') throw new SupervisorError(cell, params.command, `cannot renew: the cell is ${state}`)
    renewingNow = true
    try {
      return await renewNow(reason, graceMs, mode)
    } finally {
      renewingNow = false
    }
  }

  const renewNow = async (reason: RenewReason, graceMs: number, mode: RenewMode): Promise<RenewResult> => {
    clearRenewTimer()
    if (restartTimer != null) { clock.clearTimeout(restartTimer); restartTimer = null }
    const old = current
    const oldPid = old?.pid ?? null
    const pidReason: PidChangeReason = reason === 'terminate' ? 'terminate' : 'renew'
    let inst: Instance
    try {
      if (mode === 'stop-then-start' || old == null) {
        if (old != null) await stopInstance(old, graceMs)
        if ((state as SupervisorState) === 'stopping' || (state as SupervisorState) === 'stopped') return { oldPid, newPid: null, reason }
        current = null
        inst = await spawnInstance()
        current = inst
      } else {
        inst = await spawnInstance()
        current = inst
        await stopInstance(old, graceMs)
      }
    } catch (err) {
      current = null
      writePidFile(null)
      emit(oldPid, null, pidReason)
      scheduleRestart()
      throw err
    }
    state = 'running'
    renewals++
    lastRenewAtMs = clock.now()
    renewBaseMs = lastRenewAtMs
    failures = 0
    emit(oldPid, inst.pid, pidReason)
    scheduleRenewal()
    const kill = old?.reaped != null ? await old.reaped : undefined
    return { oldPid, newPid: inst.pid, reason, ...(kill != null ? { kill } : {}) }
  }

  const renew = async (reason: RenewReason = 'manual', opts: { graceMs?: number, mode?: RenewMode } = {}): Promise<RenewResult> => {
    const graceMs = opts.graceMs ?? params.stopGraceMs
    const mode = opts.mode ?? (reason === 'terminate' ? 'stop-then-start' : params.renewMode)
    const p = chain.then(async () => await doRenew(reason, graceMs, mode))
    chain = p.catch(() => {})
    return await p
  }

  /** Ends a child left running by a node that crashed (same pid and start time as recorded). */
  const endOrphan = async (): Promise<void> => {
    if (params.pidFile == null) return
    let rec: { pid?: number, startTime?: number } | null = null
    try { rec = JSON.parse(readFileSync(params.pidFile, 'utf8')) } catch { return }
    if (rec?.pid == null || rec.startTime == null || !isAlive(rec.pid, rec.startTime)) return
    const pid = rec.pid
    log.warn({ cell, pid }, `cell ${cell}: ending instance ${pid} left by a previous run of the node`)
    signal(-pid, 'SIGTERM')
    signal(-pid, 'SIGCONT')
    const step = 50
    for (let waited = 0; waited < params.stopGraceMs && isAlive(pid, rec.startTime); waited += step) {
      await new Promise<void>(resolve => clock.setTimeout(resolve, step))
    }
    if (isAlive(pid, rec.startTime)) signal(-pid, 'SIGKILL')
    signal(-pid, 'SIGKILL')
    // and every process of that instance that left its group (its environment marker, its cgroup)
    const r2 = rec as { marker?: unknown, cgroupDir?: unknown }
    const tree = createInstanceTree({ root: { pid, startTime: rec.startTime }, marker: typeof r2.marker === 'string' ? r2.marker : null, cgroupDir: typeof r2.cgroupDir === 'string' ? r2.cgroupDir : null })
    const report = await tree.kill()
    if (report.killed > 0) log.warn({ cell, killed: report.killed, remaining: report.remaining.length }, `cell ${cell}: ended ${report.killed} process(es) of the instance left by a previous run`)
  }

  return {
    name: cell,
    async start () {
      if (state !== 'stopped') return
      state = 'running'
      const p = chain.then(async () => {
        await endOrphan()
        try {
          current = await spawnInstance()
        } catch (err) {
          state = 'stopped'
          throw err
        }
        renewBaseMs = clock.now()
        emit(null, current.pid, 'start')
        scheduleRenewal()
        startTracking()
      })
      chain = p.catch(() => {})
      await p
    },
    async stop () {
      if (state === 'stopped' || state === 'stopping') { await chain; return }
      state = 'stopping'
      stopTracking()
      clearRenewTimer()
      if (restartTimer != null) { clock.clearTimeout(restartTimer); restartTimer = null }
      await chain
      const inst = current
      if (inst != null) {
        await stopInstance(inst, params.stopGraceMs)
        current = null
        emit(inst.pid, null, 'stop')
      }
      writePidFile(null)
      state = 'stopped'
    },
    renew,
    pid: () => current?.pid ?? null,
    info: () => ({
      cell,
      state,
      processState: processStateOf(),
      members: current?.tree.members().length ?? 0,
      cgroupDir: current?.tree.cgroupDir ?? null,
      lastKill,
      pid: current?.pid ?? null,
      startedAtMs: current?.startedAtMs ?? null,
      restarts,
      renewals,
      lastRenewAtMs,
      nextRenewAtMs,
      lastExit,
      frozen,
      threatLevel
    }),
    setThreatLevel (level) {
      if (level === threatLevel) return
      threatLevel = level
      if (state === 'running') scheduleRenewal()
    },
    renewing: () => renewingNow,
    cgroupDir: () => current?.tree.cgroupDir ?? null,
    setFrozen (f) {
      if (f === frozen) return
      frozen = f
      if (frozen) clearRenewTimer()
      else if (state === 'running') scheduleRenewal()
    },
    onPidChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
