/** The `log` and `raise-threat` responders. */
import type { Clock } from '../../core/index.js'
import { silentLog } from '../../core/index.js'
import type { LogSink } from '../../core/index.js'
import type { Responder } from './responder.js'
import type { ActionKind } from './action-kind.js'
import { readDurationSec } from './action-kind.js'
import type { LogAction, RaiseThreatAction } from './policy-types.js'
import type { ThreatLevel } from './threat-level.js'

export function createLogResponder (components: { logger?: LogSink }): Responder {
  const log = components.logger ?? silentLog
  return {
    name: 'log',
    async apply (d) {
      log.warn({ decisionId: d.id, cell: d.cell, danger: d.level, origin: d.origin, context: d.context, source: d.target.kind === 'source' ? d.target.address : undefined, explanation: d.explanation }, d.reason)
    },
    async undo () {}
  }
}

/** Raises the threat level until the decision expires; it decays on its own (undo has nothing to do). */
export function createRaiseThreatResponder (components: { clock: Clock, threat: ThreatLevel }): Responder {
  return {
    name: 'raise-threat',
    async apply (d) {
      const level = d.params.threatLevel === 1 || d.params.threatLevel === 2 ? d.params.threatLevel : d.level
      const durationMs = (d.expiresAtMs ?? components.clock.now()) - components.clock.now()
      const now = components.threat.raise({ level, durationMs, origin: d.origin, reason: d.reason })
      return { threatLevel: now }
    },
    async undo () {}
  }
}

export const DEFAULT_RAISE_THREAT_SEC = 1800

/** log in a policy rule: `log` (no parameters). */
export const logAction: ActionKind<LogAction> = {
  type: 'log',
  localOnly: false,
  keys: [],
  read: () => ({ type: 'log' }),
  createResponder: (ctx) => createLogResponder({ logger: ctx.logger }),
  plan: (_spec, ctx) => ({
    target: { kind: 'cell', cell: ctx.event.cell },
    params: {},
    expiresAtMs: null,
    what: `log ${ctx.escalation.levelBumped ? 'level 2 (bumped from 1: the source is scanning)' : `level ${ctx.effectiveLevel}`} danger on ${ctx.event.cell}`
  })
}

/** raise-threat in a policy rule: `{ type: raise-threat, durationSec: 1800 }` (to the danger's level). */
export const raiseThreatAction: ActionKind<RaiseThreatAction> = {
  type: 'raise-threat',
  localOnly: false,
  keys: ['durationSec'],
  read: (c, f, raw) => ({ type: 'raise-threat', durationSec: readDurationSec(c, f, raw, DEFAULT_RAISE_THREAT_SEC) }),
  createResponder: (ctx) => createRaiseThreatResponder({ clock: ctx.clock, threat: ctx.threat }),
  plan: (spec, ctx) => ({
    target: { kind: 'cell', cell: ctx.event.cell },
    params: { durationSec: spec.durationSec, threatLevel: ctx.effectiveLevel },
    expiresAtMs: ctx.nowMs + spec.durationSec * 1000,
    what: `raise the threat level to ${ctx.effectiveLevel} for ${spec.durationSec}s`
  })
}
