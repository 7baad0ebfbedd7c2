/**
 * quarantine: freeze the cell (every process of its tree with SIGSTOP, or the
 * cgroup v2 freezer when the cell has its own writable cgroup), run the
 * optional hook, and resume (SIGCONT) on release or expiry. Overlapping
 * quarantines of one cell are counted: the cell resumes when the last ends.
 */
import { setTimeout as sleepRealMs } from 'node:timers/promises'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Clock } from '../../core/index.js'
import { ResponderError } from '../errors.js'
import type { CellProcessResolver } from './cell-resolver.js'
import { decisionEnv, runHook } from './hook.js'
import { silentLog } from '../../core/index.js'
import type { LogSink } from '../../core/index.js'
import type { HookConfig, QuarantineAction } from './policy-types.js'
import type { Checker } from '../../core/index.js'
import { joinPath } from '../../core/index.js'
import type { ActionKind } from './action-kind.js'
import { readDurationSec } from './action-kind.js'
import { descendantsOf, procRef, readProcStat, signal, signalRef } from '../../core/index.js'
import type { ProcRef } from '../../core/index.js'
import type { Responder, ResponderReceipt } from './responder.js'

export interface QuarantineComponents {
  clock: Clock
  cells: CellProcessResolver
  logger?: LogSink
}

export interface QuarantineParams {
  /** Use `cgroup.freeze` when the cell has a writable cgroup v2 directory. */
  useCgroupFreezer: boolean
}

export interface QuarantineResponder extends Responder {
  /** Cells currently frozen, with the decisions holding each. */
  frozen: () => Array<{ cell: string, decisionIds: string[] }>
}

function writeFreeze (dir: string, value: '0' | '1'): boolean {
  try {
    writeFileSync(join(dir, 'cgroup.freeze'), value)
    return true
  } catch {
    return false
  }
}

function treeOf (pids: number[]): ProcRef[] {
  const seen = new Set<number>()
  const refs: ProcRef[] = []
  for (const root of pids) {
    for (const p of [root, ...descendantsOf(root)]) {
      if (seen.has(p) || p === process.pid) continue
      seen.add(p)
      const r = procRef(p)
      if (r != null) refs.push(r)
    }
  }
  return refs
}

/**
 * Signals are delivered asynchronously: wait until every process shows state T
 * or is gone. The kernel acts on real time, not on the node's Clock (a virtual
 * clock would never let it happen), so this polls on real time: 2,000 event-loop
 * turns first, then 1 ms sleeps, for at most CONFIRM_WAIT_MS on a loaded machine.
 */
const CONFIRM_WAIT_MS = 2000
async function confirmStopped (refs: ProcRef[], fastTurns = 2000): Promise<boolean> {
  const done = (): boolean => refs.every(r => { const st = readProcStat(r.pid); return st == null || st.startTime !== r.startTime || st.state === 'T' || st.state === 'Z' })
  for (let i = 0; i < fastTurns; i++) {
    if (done()) return true
    await new Promise<void>(resolve => setImmediate(resolve))
  }
  for (let waited = 0; waited < CONFIRM_WAIT_MS; waited++) {
    if (done()) return true
    await sleepRealMs(1)
  }
  return done()
}

export function createQuarantineResponder (components: QuarantineComponents, params: Partial<QuarantineParams> = {}): QuarantineResponder {
  const { clock, cells } = components
  const log = components.logger ?? silentLog
  const useCgroup = params.useCgroupFreezer ?? true
  /** cell → decision id → receipt */
  const holds = new Map<string, Map<string, ResponderReceipt>>()

  const hook = async (decisionHook: unknown, env: Record<string, string>): Promise<unknown> => {
    if (decisionHook == null) return null
    const r = await runHook(clock, decisionHook as HookConfig, env)
    if (r.error != null || r.timedOut || r.code !== 0) log.warn({ hook: r }, `quarantine hook (${env.IMMUNE_EVENT}) did not succeed`)
    return r
  }

  return {
    name: 'quarantine',
    async apply (decision) {
      const t = cells.resolve(decision.cell)
      if (t == null) throw new ResponderError('quarantine', decision.id, `cell ${decision.cell} has no process the node can freeze`)
      let receipt: ResponderReceipt
      if (useCgroup && t.cgroupDir != null && writeFreeze(t.cgroupDir, '1')) {
        receipt = { method: 'cgroup', cgroupDir: t.cgroupDir, procs: [] }
      } else {
        const refs = treeOf(t.pids)
        if (refs.length === 0) throw new ResponderError('quarantine', decision.id, `cell ${decision.cell} has no running process`)
        for (const r of refs) signal(r.pid, 'SIGSTOP')
        receipt = { method: 'signal', procs: refs, confirmed: await confirmStopped(refs) }
      }
      t.supervisor?.setFrozen(true)
      let m = holds.get(decision.cell)
      if (m == null) { m = new Map(); holds.set(decision.cell, m) }
      m.set(decision.id, receipt)
      log.warn({ cell: decision.cell, decisionId: decision.id, receipt }, `cell ${decision.cell} quarantined`)
      const h = await hook(decision.params.hook, { ...decisionEnv(decision, 'quarantine'), IMMUNE_PIDS: ((receipt.procs as ProcRef[]).map(p => p.pid)).join(',') })
      return h != null ? { ...receipt, hook: h } : receipt
    },
    async undo (decision, receipt) {
      const m = holds.get(decision.cell)
      m?.delete(decision.id)
      if (m != null && m.size > 0) return // another quarantine still holds the cell
      holds.delete(decision.cell)
      const receipts = receipt != null ? [receipt] : []
      for (const r of receipts) {
        if (r.method === 'cgroup' && typeof r.cgroupDir === 'string') writeFreeze(r.cgroupDir, '0')
        for (const ref of (r.procs as ProcRef[] | undefined) ?? []) signalRef(ref, 'SIGCONT')
      }
      // and whatever makes up the cell now (a restart may have changed pids)
      const t = cells.resolve(decision.cell)
      if (t != null) {
        if (t.cgroupDir != null) writeFreeze(t.cgroupDir, '0')
        for (const ref of treeOf(t.pids)) signalRef(ref, 'SIGCONT')
        t.supervisor?.setFrozen(false)
      }
      log.info({ cell: decision.cell, decisionId: decision.id }, `cell ${decision.cell} released from quarantine`)
      await hook(decision.params.hook, decisionEnv(decision, 'release'))
    },
    frozen () {
      return [...holds.entries()].map(([cell, m]) => ({ cell, decisionIds: [...m.keys()] }))
    }
  }
}

export const DEFAULT_QUARANTINE_SEC = 300
export const DEFAULT_HOOK_TIMEOUT_SEC = 10

function readHook (c: Checker, hf: string, hv: unknown): HookConfig | null {
  if (hv === undefined || hv === null) return null
  const raw = typeof hv === 'string' ? { command: hv } : hv
  const h = c.object(hf, raw, ['command', 'args', 'timeoutSec'])
  const command = c.string(joinPath(hf, 'command'), h.command, '', { accepted: 'a command (path or name on PATH)' })
  if (h.command === undefined) c.add(joinPath(hf, 'command'), undefined, 'a command (path or name on PATH)')
  const args = c.array(joinPath(hf, 'args'), h.args, [] as string[], (f, x) => {
    if (typeof x !== 'string') { c.add(f, x, 'a string'); return undefined }
    return x
  }, { maxItems: 256, accepted: 'an array of strings' })
  const timeoutSec = c.number(joinPath(hf, 'timeoutSec'), h.timeoutSec, DEFAULT_HOOK_TIMEOUT_SEC, { min: 0.1, max: 3600 })
  return { command, args, timeoutSec }
}

/** quarantine in a policy rule: `{ type: quarantine, durationSec: 300, hook: {command, args, timeoutSec} }` (local evidence only). */
export const quarantineAction: ActionKind<QuarantineAction> = {
  type: 'quarantine',
  localOnly: true,
  keys: ['durationSec', 'hook'],
  read: (c, f, raw) => ({ type: 'quarantine', durationSec: readDurationSec(c, f, raw, DEFAULT_QUARANTINE_SEC), hook: readHook(c, joinPath(f, 'hook'), raw.hook) }),
  createResponder: (ctx) => createQuarantineResponder({ clock: ctx.clock, cells: ctx.cells, logger: ctx.logger }, ctx.options.quarantine as Partial<QuarantineParams> | undefined),
  plan (spec, ctx) {
    const durationSec = ctx.escalated(spec.durationSec)
    return { target: { kind: 'cell', cell: ctx.event.cell }, params: { durationSec, baseDurationSec: spec.durationSec, hook: spec.hook }, expiresAtMs: ctx.nowMs + durationSec * 1000, what: `quarantine cell ${ctx.event.cell} for ${durationSec}s` }
  }
}
