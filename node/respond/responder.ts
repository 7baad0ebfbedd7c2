/**
 * Responders are plug-ins registered by name (DESIGN.md: small interfaces).
 * Each applies one kind of decision and undoes it when it expires or is
 * released. `apply` may return a receipt (JSON): it is persisted with the
 * decision and handed back to `undo`, even after a restart.
 */
import type { Decision } from './policy-types.js'

export type ResponderReceipt = Record<string, unknown>

export interface Responder {
  /** The action it implements: block-source, quarantine, terminate-and-renew, raise-threat, log (or a custom one). */
  readonly name: string
  apply: (decision: Decision) => Promise<ResponderReceipt | void>
  undo: (decision: Decision, receipt?: ResponderReceipt | null) => Promise<void>
}

export interface ResponderRegistry {
  register: (responder: Responder) => void
  get: (name: string) => Responder | undefined
  names: () => string[]
}

export function createResponderRegistry (responders: Responder[] = []): ResponderRegistry {
  const map = new Map<string, Responder>()
  const registry: ResponderRegistry = {
    register (r) { map.set(r.name, r) },
    get (name) { return map.get(name) },
    names () { return [...map.keys()] }
  }
  for (const r of responders) registry.register(r)
  return registry
}
