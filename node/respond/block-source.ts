/** block-source: the source address goes on the deny list (and the nftables set when enabled) until the decision expires. */
import type { Clock } from '../../core/index.js'
import { ResponderError } from '../errors.js'
import type { DenyList } from './deny-list.js'
import { silentLog } from '../../core/index.js'
import type { LogSink } from '../../core/index.js'
import type { Firewall } from './nftables.js'
import type { Responder } from './responder.js'
import type { ActionKind } from './action-kind.js'
import { readDurationSec } from './action-kind.js'
import { isAllowlisted } from './policy.js'
import type { BlockSourceAction } from './policy-types.js'

export interface BlockSourceComponents {
  clock: Clock
  denyList: DenyList
  firewall?: Firewall | null
  logger?: LogSink
}

export function createBlockSourceResponder (components: BlockSourceComponents): Responder {
  const { clock, denyList } = components
  const log = components.logger ?? silentLog
  return {
    name: 'block-source',
    async apply (decision) {
      if (decision.target.kind !== 'source') throw new ResponderError('block-source', decision.id, 'the decision has no source address')
      const address = decision.target.address
      const expiresAtMs = decision.expiresAtMs ?? clock.now()
      const added = denyList.add(address, expiresAtMs, decision.id)
      if (!added) {
        const why = denyList.isAllowlisted(address) ? 'allowlisted' : denyList.full() ? `deny list full (${denyList.maxEntries} entries, each lasting longer: budgets.denyListEntries)` : 'not blockable (invalid address or already expired)'
        return { added: false, why }
      }
      let firewall: string | null = null
      if (components.firewall != null) {
        try {
          await components.firewall.add(address, (expiresAtMs - clock.now()) / 1000)
          firewall = 'nftables'
        } catch (err) {
          log.warn({ address, err: (err as Error).message }, 'nftables: cannot add the blocked source (the deny list still blocks it)')
        }
      }
      return { added: true, firewall }
    },
    async undo (decision) {
      if (decision.target.kind !== 'source') return
      const gone = denyList.remove(decision.target.address, decision.id)
      if (gone && components.firewall != null) {
        try { await components.firewall.remove(decision.target.address) } catch {}
      }
    }
  }
}

export const DEFAULT_BLOCK_SEC = 3600

/**
 * block-source in a policy rule: `{ type: block-source, durationSec: 3600 }`
 * (escalated for repeat offenders). Taken only on strong evidence
 * (policy.sourceBan: repeated offences, a signature hit, a quorum, a very
 * high score, a scanner); one live block per source.
 */
export const blockSourceAction: ActionKind<BlockSourceAction> = {
  type: 'block-source',
  localOnly: false,
  keys: ['durationSec'],
  read: (c, f, raw) => ({ type: 'block-source', durationSec: readDurationSec(c, f, raw, DEFAULT_BLOCK_SEC) }),
  createResponder: (ctx) => createBlockSourceResponder({ clock: ctx.clock, denyList: ctx.denyList, get firewall () { return ctx.firewall() }, logger: ctx.logger }),
  plan (spec, ctx) {
    const e = ctx.event
    if (e.source == null || e.source === '') return { skip: 'no-source', detail: 'the event has no source address' }
    if (ctx.source == null) return { skip: 'invalid-source', detail: `${JSON.stringify(e.source)} is not an IP address` }
    if (isAllowlisted(ctx.policy, ctx.source)) return { skip: 'allowlisted', detail: `${ctx.source} is on the allowlist` }
    // blocking the source is a sterner decision than blocking the request (policy.sourceBan)
    const ban = ctx.ban
    if (ban == null || !ban.ban) {
      return e.requestOnly === true
        ? { skip: 'request-only', detail: `the request is blocked; ${ctx.source} is not: ${ban?.detail ?? 'request-only evidence'}` }
        : { skip: 'insufficient-evidence', detail: `the request is blocked; ${ctx.source} is not: ${ban?.detail ?? 'no evidence'}` }
    }
    if (ctx.liveBlockUntilMs != null) return { skip: 'already-blocked', detail: `${ctx.source} is already blocked until ${new Date(ctx.liveBlockUntilMs).toISOString()} (one live block per source)` }
    const durationSec = ctx.escalated(spec.durationSec)
    return {
      target: { kind: 'source', address: ctx.source },
      params: { durationSec, baseDurationSec: spec.durationSec, basis: ban.basis, evidence: ban.detail },
      expiresAtMs: ctx.nowMs + durationSec * 1000,
      what: `block ${ctx.source} for ${durationSec}s (${ban.detail})`
    }
  }
}
