/**
 * Which processes make up a cell right now: the supervised child, a
 * configured pid, or every process of a given name. Quarantine and
 * terminate-and-renew act on what this returns.
 */
import type { CellConfig } from '../config/config-types.js'
import type { Supervisor } from '../supervisor/supervisor.js'
import { findPidsByName, isAlive } from '../../core/index.js'

export interface CellTargets {
  cell: string
  /** Root processes of the cell (their descendants belong to it too). */
  pids: number[]
  /** Present when the node supervises the cell (renewal is possible). */
  supervisor?: Pick<Supervisor, 'renew' | 'setFrozen' | 'pid'>
  /** A cgroup v2 directory holding only this cell (enables the cgroup freezer). */
  cgroupDir?: string | null
}

export interface CellProcessResolver {
  /** null when the cell is unknown or has no process (http, host). */
  resolve: (cell: string) => CellTargets | null
}

export interface CellResolverInit {
  cells: readonly CellConfig[]
  supervisors?: ReadonlyMap<string, Pick<Supervisor, 'renew' | 'setFrozen' | 'pid'>>
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
          return { cell: name, pids: pid != null ? [pid] : [], supervisor: sup, cgroupDir: cell.cgroup }
        }
        case 'pid':
          return { cell: name, pids: isAlive(cell.pid) ? [cell.pid] : [], cgroupDir: cell.cgroup }
        case 'process-name':
          return { cell: name, pids: findPidsByName(cell.processName), cgroupDir: cell.cgroup }
        default:
          return null
      }
    }
  }
}
