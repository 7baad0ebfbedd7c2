/** The `log` and `raise-threat` responders. */
import type { Clock } from '../../core/index.js'
import { silentLog } from '../../core/index.js'
import type { LogSink } from '../../core/index.js'
import type { Responder } from './responder.js'
import type { ThreatLevel } from './threat-level.js'

export function createLogResponder (components: { logger?: LogSink }): Responder {
  const log = components.logger ?? silentLog
  return {
    name: 'log',
    async apply (d) {
      log.warn({ decisionId: d.id, cell: d.cell, level: d.level, origin: d.origin, context: d.context, source: d.target.kind === 'source' ? d.target.address : undefined, explanation: d.explanation }, d.reason)
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
