/**
 * What validation of the config's shape cannot see: whether the files and
 * commands it names exist. `config check` reports every problem found here
 * (one per line), and `start` refuses a config whose supervised commands,
 * working directories or hooks are missing (exit 2, naming the field), so a
 * missing `cwd` is never blamed on the command ("spawn /bin/sleep ENOENT").
 *
 * Access logs are reported by `config check` only (`start` waits for a log
 * that does not exist yet, and says so: a web server creates it on its first
 * request).
 */
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import type { ConfigIssue } from '../errors.js'
import type { Config } from './config-types.js'

export interface PathCheckOptions {
  /** Also check access-log paths (config check: yes; start: no, it waits for them). */
  accessLogs?: boolean
  /** PATH to resolve bare command names against (default: process.env.PATH). */
  pathEnv?: string
}

function errnoText (err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? 'error'
  return code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of it is not a directory' : code
}

/** null when `command` (a path, or a name on PATH) is an executable file, else why not. */
export function commandProblem (command: string, cwd: string | null, pathEnv = process.env.PATH ?? ''): string | null {
  const check = (p: string): string | null => {
    try {
      const st = statSync(p)
      if (!st.isFile()) return `${p} is not a file`
      accessSync(p, constants.X_OK)
      return null
    } catch (err) {
      return `${p}: ${errnoText(err)}`
    }
  }
  if (command.includes('/')) return check(isAbsolute(command) ? command : resolve(cwd ?? process.cwd(), command))
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === '') continue
    if (check(join(dir, command)) == null) return null
  }
  return `no executable ${JSON.stringify(command)} on PATH (${pathEnv === '' ? 'empty' : pathEnv})`
}

/** null when `dir` is a directory the node can enter, else why not. */
export function directoryProblem (dir: string): string | null {
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`
    accessSync(dir, constants.X_OK)
    return null
  } catch (err) {
    return `${dir}: ${errnoText(err)}`
  }
}

/** null when `file` is a readable file, else why not. */
export function readableFileProblem (file: string): string | null {
  try {
    if (!statSync(file).isFile()) return `${file} is not a regular file`
    accessSync(file, constants.R_OK)
    return null
  } catch (err) {
    return `${file}: ${errnoText(err)}`
  }
}

/** Every path problem of a validated config (empty when none). */
export function checkConfigPaths (config: Config, opts: PathCheckOptions = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const pathEnv = opts.pathEnv ?? process.env.PATH ?? ''
  config.cells.forEach((cell, i) => {
    const f = `cells[${i}]`
    if (cell.type === 'supervised') {
      const cwdProblem = cell.cwd != null ? directoryProblem(cell.cwd) : null
      if (cwdProblem != null) issues.push({ field: `${f}.cwd`, value: cell.cwd, accepted: `an existing directory (${cwdProblem})` })
      const cmd = commandProblem(cell.command, cwdProblem == null ? cell.cwd : null, pathEnv)
      if (cmd != null) issues.push({ field: `${f}.command`, value: cell.command, accepted: `an executable file, or a name on PATH (${cmd})` })
      if (cell.cgroupParent != null) {
        const cg = directoryProblem(cell.cgroupParent) ?? (readableFileProblem(join(cell.cgroupParent, 'cgroup.procs')) != null ? `${cell.cgroupParent} is not a cgroup v2 directory (no cgroup.procs)` : null)
        if (cg != null) issues.push({ field: `${f}.cgroupParent`, value: cell.cgroupParent, accepted: `a cgroup v2 directory delegated to the node (${cg})` })
      }
    }
    if (opts.accessLogs === true && 'accessLog' in cell && cell.accessLog != null && cell.accessLog.path !== '') {
      const p = readableFileProblem(cell.accessLog.path)
      if (p != null) issues.push({ field: `${f}.accessLog.path`, value: cell.accessLog.path, accepted: `a readable access log file (${p})` })
    }
  })
  if (opts.accessLogs === true) {
    config.sensors.forEach((s, i) => {
      const path = (s.init as { path?: unknown } | null)?.path
      if (typeof path !== 'string' || path === '') return
      const p = readableFileProblem(path)
      if (p != null) issues.push({ field: `sensors[${i}].path`, value: path, accepted: `a readable log file (${p})` })
    })
  }
  config.policy.rules.forEach((rule, ri) => {
    rule.actions.forEach((a, ai) => {
      if (a.type !== 'quarantine' || a.hook == null) return
      const p = commandProblem(a.hook.command, null, pathEnv)
      if (p != null) issues.push({ field: `policy.rules[${ri}].actions[${ai}].hook.command`, value: a.hook.command, accepted: `an executable file, or a name on PATH (${p})` })
    })
  })
  return issues
}
