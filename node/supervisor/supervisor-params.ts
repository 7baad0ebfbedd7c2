/**
 * Params of a supervised cell (params pattern: SupervisorParams,
 * defaultSupervisorParams, createSupervisorParams, validateSupervisorParams).
 */
import { InvalidParamsError } from '../errors.js'
/** How a renewal replaces the running instance (see SupervisorParams.renewMode). */
export type RenewMode = 'stop-then-start' | 'start-then-stop'

export interface SupervisorParams {
  /** The cell's name (logs, env IMMUNE_CELL). */
  name: string
  command: string
  args: string[]
  /** Added to the node's environment. */
  env: Record<string, string>
  cwd: string | null
  /** Periodic renewal interval; 0 = never. TNO's self-healing software: 10 min. */
  renewIntervalMs: number
  /** While the threat level is raised (> 0), renew every renewIntervalMs / this. */
  renewUnderThreatFactor: number
  /**
   * `stop-then-start` (default): the old instance ends before the new one
   * starts, so single-port applications can bind their port again (a short
   * gap in service). `start-then-stop`: the new one starts first (no gap; the
   * application must tolerate two instances, e.g. SO_REUSEPORT or no port).
   */
  renewMode: RenewMode
  /** SIGTERM → SIGKILL grace when stopping or renewing. */
  stopGraceMs: number
  restartBackoffInitialMs: number
  restartBackoffMaxMs: number
  restartBackoffFactor: number
  /** A run that lasted at least this long resets the restart backoff. */
  restartResetAfterMs: number
  stdio: 'inherit' | 'ignore'
  /** Where the current child's (pid, start time) is remembered, so a restarted node can end an orphan left by a crash. */
  pidFile: string | null
  /**
   * A cgroup v2 directory delegated to the node (it may create child cgroups
   * in it): each instance then runs in a child cgroup of its own, and renewal
   * ends it with `cgroup.kill`. null: descendants are tracked by ancestry and
   * environment (node/supervisor/process-tree.ts).
   */
  cgroupParent: string | null
  /** How often the instance's descendants are looked up in /proc (ancestry tracking). */
  trackIntervalMs: number
}

export const defaultSupervisorParams: Readonly<Omit<SupervisorParams, 'name' | 'command'>> = Object.freeze({
  args: [],
  env: {},
  cwd: null,
  renewIntervalMs: 600_000,
  renewUnderThreatFactor: 4,
  renewMode: 'stop-then-start',
  stopGraceMs: 5000,
  restartBackoffInitialMs: 500,
  restartBackoffMaxMs: 30_000,
  restartBackoffFactor: 2,
  restartResetAfterMs: 10_000,
  stdio: 'inherit',
  pidFile: null,
  cgroupParent: null,
  trackIntervalMs: 1000
})

export function validateSupervisorParams (p: SupervisorParams): void {
  const need = (ok: boolean, field: string, value: unknown, accepted: string): void => {
    if (!ok) throw new InvalidParamsError(`supervisor.${field}`, value, accepted)
  }
  need(typeof p.name === 'string' && p.name.length > 0, 'name', p.name, 'a non-empty cell name')
  need(typeof p.command === 'string' && p.command.length > 0, 'command', p.command, 'a non-empty command')
  need(Array.isArray(p.args) && p.args.every(a => typeof a === 'string'), 'args', p.args, 'an array of strings')
  need(Number.isFinite(p.renewIntervalMs) && p.renewIntervalMs >= 0, 'renewIntervalMs', p.renewIntervalMs, 'a number >= 0 (0 = never)')
  need(Number.isFinite(p.renewUnderThreatFactor) && p.renewUnderThreatFactor >= 1, 'renewUnderThreatFactor', p.renewUnderThreatFactor, 'a number >= 1')
  need(p.renewMode === 'stop-then-start' || p.renewMode === 'start-then-stop', 'renewMode', p.renewMode, 'stop-then-start or start-then-stop')
  need(Number.isFinite(p.stopGraceMs) && p.stopGraceMs >= 0, 'stopGraceMs', p.stopGraceMs, 'a number >= 0')
  need(Number.isFinite(p.restartBackoffInitialMs) && p.restartBackoffInitialMs > 0, 'restartBackoffInitialMs', p.restartBackoffInitialMs, 'a number > 0')
  need(Number.isFinite(p.restartBackoffMaxMs) && p.restartBackoffMaxMs >= p.restartBackoffInitialMs, 'restartBackoffMaxMs', p.restartBackoffMaxMs, 'a number >= restartBackoffInitialMs')
  need(Number.isFinite(p.restartBackoffFactor) && p.restartBackoffFactor >= 1, 'restartBackoffFactor', p.restartBackoffFactor, 'a number >= 1')
  need(Number.isFinite(p.restartResetAfterMs) && p.restartResetAfterMs >= 0, 'restartResetAfterMs', p.restartResetAfterMs, 'a number >= 0')
  need(p.stdio === 'inherit' || p.stdio === 'ignore', 'stdio', p.stdio, 'inherit or ignore')
  need(p.cgroupParent === null || (typeof p.cgroupParent === 'string' && p.cgroupParent.startsWith('/')), 'cgroupParent', p.cgroupParent, 'an absolute cgroup v2 directory or null')
  need(Number.isFinite(p.trackIntervalMs) && p.trackIntervalMs >= 10, 'trackIntervalMs', p.trackIntervalMs, 'a number >= 10')
}

export function createSupervisorParams (partial: Partial<SupervisorParams> & Pick<SupervisorParams, 'name' | 'command'>): SupervisorParams {
  const p: SupervisorParams = { ...defaultSupervisorParams, ...partial, args: [...(partial.args ?? defaultSupervisorParams.args)], env: { ...(partial.env ?? {}) } }
  validateSupervisorParams(p)
  return Object.freeze(p)
}

/** Params for a `supervised` cell of the config; the pid file goes to `<dataDir>/cells/<name>.pid` when a data dir is given. */
