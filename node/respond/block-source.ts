/** block-source: the source address goes on the deny list (and the nftables set when enabled) until the decision expires. */
import type { Clock } from '../../core/index.js'
import { ResponderError } from '../errors.js'
import type { DenyList } from './deny-list.js'
import { silentLog } from '../../core/index.js'
import type { LogSink } from '../../core/index.js'
import type { Firewall } from './nftables.js'
import type { Responder } from './responder.js'

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
        const why = denyList.isAllowlisted(address) ? 'allowlisted' : 'not blockable (invalid address or already expired)'
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
