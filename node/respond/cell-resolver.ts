/**
 * Which processes make up a cell right now: the supervised child, a
 * configured pid, or every process of a given name. Quarantine and
 * terminate-and-renew act on what this returns.
 */
import { findPidsByName, isAlive } from '../../core/index.js'

/** What the resolver needs to know of a cell (node/config's CellConfig fits; respond/ does not import config/). */
export type CellSpec =
  | { name: string, type: 'supervised', cgroup?: string | null }
  | { name: string, type: 'pid', pid: number, cgroup?: string | null }
  | { name: string, type: 'process-name', processName: string, cgroup?: string | null }
  | { name: string, type: 'http' | 'host' }

/** The part of a supervisor the responders use (node/supervisor's Supervisor fits; respond/ does not import supervisor/). */
export interface CellSupervisor {
  renew: (reason?: 'terminate', opts?: { graceMs?: number }) => Promise<{ oldPid: number | null, newPid: number | null }>
  setFrozen: (frozen: boolean) => void
  pid: () => number | null
  /** The current instance's own cgroup (when the supervisor runs it in one). */
  cgroupDir?: () => string | null
  /** True while the supervisor replaces the instance. */
  renewing?: () => boolean
}

export interface CellTargets {
  cell: string
  /** Root processes of the cell (their descendants belong to it too). */
  pids: number[]
  /** Present when the node supervises the cell (renewal is possible). */
  supervisor?: CellSupervisor
  /** A cgroup v2 directory holding only this cell (enables the cgroup freezer). */
  cgroupDir?: string | null
}

export interface CellProcessResolver {
  /** null when the cell is unknown or has no process (http, host). */
  resolve: (cell: string) => CellTargets | null
}

export interface CellResolverInit {
  cells: readonly CellSpec[]
  supervisors?: ReadonlyMap<string, CellSupervisor>
}

export function createCellResolver (init: CellResolverInit): CellProcessResolver {
  const byName = new Map(init.cells.map(c => [c.name, c]))
  return {
    resolve (name) {
      const cell = byName.get(name)
      if (cell == null) return null
      switch (cell.type) {
        case 'supervised': {
          const sup = init.supervisors?.get(name)
          if (sup == null) return null
          const pid = sup.pid()
          return { cell: name, pids: pid != null ? [pid] : [], supervisor: sup, cgroupDir: cell.cgroup ?? sup.cgroupDir?.() ?? null }
        }
        case 'pid':
          return { cell: name, pids: isAlive(cell.pid) ? [cell.pid] : [], cgroupDir: cell.cgroup ?? null }
        case 'process-name':
          return { cell: name, pids: findPidsByName(cell.processName), cgroupDir: cell.cgroup ?? null }
        default:
          return null
      }
    }
  }
}
