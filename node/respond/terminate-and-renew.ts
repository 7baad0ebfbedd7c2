/**
 * terminate-and-renew: the cell ends (SIGTERM, then SIGKILL after the grace
 * period) and, where the node supervises it, a fresh instance starts
 * (disposability, TNO's self-healing software). Nothing to undo.
 */
import type { Clock } from '../clock.js'
import { ResponderError } from '../errors.js'
import type { CellProcessResolver } from './cell-resolver.js'
import { silentLog } from './log-sink.js'
import type { LogSink } from './log-sink.js'
import { descendantsOf, isAlive, procRef, signalRef } from './proc.js'
import type { ProcRef } from './proc.js'
import type { Responder } from './responder.js'

export interface TerminateComponents {
  clock: Clock
  cells: CellProcessResolver
  logger?: LogSink
}

/** SIGTERM (+SIGCONT) every process, then SIGKILL whatever is left after graceMs. Polls /proc through the clock. */
export async function terminateProcesses (clock: Clock, refs: ProcRef[], graceMs: number, pollMs = 50): Promise<{ terminated: number[], killed: number[] }> {
  for (const r of refs) { signalRef(r, 'SIGTERM'); signalRef(r, 'SIGCONT') }
  const alive = (): ProcRef[] => refs.filter(r => isAlive(r.pid, r.startTime))
  let waited = 0
  while (alive().length > 0 && waited < graceMs) {
    const step = Math.min(pollMs, graceMs - waited)
    await new Promise<void>(resolve => clock.setTimeout(resolve, step))
    waited += step
  }
  const left = alive()
  for (const r of left) signalRef(r, 'SIGKILL')
  return { terminated: refs.map(r => r.pid), killed: left.map(r => r.pid) }
}

export function createTerminateAndRenewResponder (components: TerminateComponents): Responder {
  const { clock, cells } = components
  const log = components.logger ?? silentLog
  return {
    name: 'terminate-and-renew',
    async apply (decision) {
      const t = cells.resolve(decision.cell)
      if (t == null) throw new ResponderError('terminate-and-renew', decision.id, `cell ${decision.cell} has no process the node can terminate`)
      const graceMs = Math.max(0, Number(decision.params.graceSec ?? 5) * 1000)
      if (t.supervisor != null) {
        const r = await t.supervisor.renew('terminate', { graceMs })
        log.warn({ cell: decision.cell, decisionId: decision.id, ...r }, `cell ${decision.cell} terminated and renewed`)
        return { renewed: true, oldPid: r.oldPid, newPid: r.newPid }
      }
      const refs: ProcRef[] = []
      for (const root of t.pids) {
        for (const p of [root, ...descendantsOf(root)]) {
          const r = procRef(p)
          if (r != null && p !== process.pid) refs.push(r)
        }
      }
      if (refs.length === 0) throw new ResponderError('terminate-and-renew', decision.id, `cell ${decision.cell} has no running process`)
      const r = await terminateProcesses(clock, refs, graceMs)
      log.warn({ cell: decision.cell, decisionId: decision.id, ...r }, `cell ${decision.cell} terminated (not supervised: nothing renews it)`)
      return { renewed: false, ...r }
    },
    async undo () {}
  }
}
