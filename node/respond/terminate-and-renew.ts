/**
 * terminate-and-renew: the cell ends (SIGTERM, then SIGKILL after the grace
 * period) and, where the node supervises it, a fresh instance starts
 * (disposability, TNO's self-healing software). Nothing to undo.
 */
import type { Clock } from '../../core/index.js'
import { ResponderError } from '../errors.js'
import type { CellProcessResolver } from './cell-resolver.js'
import { silentLog } from '../../core/index.js'
import type { LogSink } from '../../core/index.js'
import { descendantsOf, isAlive, procRef, signalRef } from '../../core/index.js'
import type { ProcRef } from '../../core/index.js'
import type { Decision, TerminateAndRenewAction } from './policy-types.js'
import type { ActionKind } from './action-kind.js'
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

export interface TerminateParams {
  /**
   * A burst of danger events must not make a cell flap: while one
   * terminate-and-renew of a cell runs, later ones join it, and for this long
   * after it finished, new ones are recorded as coalesced instead of renewing again.
   */
  cooldownMs: number
}

export function createTerminateAndRenewResponder (components: TerminateComponents, params: Partial<TerminateParams> = {}): Responder {
  const { clock, cells } = components
  const log = components.logger ?? silentLog
  const cooldownMs = params.cooldownMs ?? 10_000
  const running = new Map<string, Promise<Record<string, unknown>>>()
  const lastDone = new Map<string, { atMs: number, decisionId: string }>()
  return {
    name: 'terminate-and-renew',
    async apply (decision) {
      const inflight = running.get(decision.cell)
      if (inflight != null) return { ...(await inflight), coalesced: true }
      const last = lastDone.get(decision.cell)
      if (last != null && clock.now() - last.atMs < cooldownMs) {
        return { coalesced: true, with: last.decisionId, cooldownMs }
      }
      const p = terminate(decision)
      running.set(decision.cell, p)
      try {
        const r = await p
        lastDone.set(decision.cell, { atMs: clock.now(), decisionId: decision.id })
        return r
      } finally {
        running.delete(decision.cell)
      }
    },
    async undo () {}
  }

  async function terminate (decision: Decision): Promise<Record<string, unknown>> {
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
  }
}

export const DEFAULT_GRACE_SEC = 5

/** terminate-and-renew in a policy rule: `{ type: terminate-and-renew, graceSec: 5 }` (local evidence only). */
export const terminateAndRenewAction: ActionKind<TerminateAndRenewAction> = {
  type: 'terminate-and-renew',
  localOnly: true,
  keys: ['graceSec'],
  read: (c, f, raw) => ({ type: 'terminate-and-renew', graceSec: c.number(`${f}.graceSec`, raw.graceSec, DEFAULT_GRACE_SEC, { min: 0, max: 3600 }) }),
  createResponder: (ctx) => createTerminateAndRenewResponder({ clock: ctx.clock, cells: ctx.cells, logger: ctx.logger }, ctx.options['terminate-and-renew'] as Partial<TerminateParams> | undefined),
  plan: (spec, ctx) => ({ target: { kind: 'cell', cell: ctx.event.cell }, params: { graceSec: spec.graceSec }, expiresAtMs: null, what: `terminate and renew cell ${ctx.event.cell} (grace ${spec.graceSec}s)` })
}
