/**
 * A tiny in-memory Mesh for intake tests: alerts are delivered by hand
 * (deliver()), publish() records the drafts, peers() is a settable list.
 * Only what the intake and the publisher use; the real mesh is tested in test/protocol/mesh.
 */
import type { Alert, AlertDraft, SignatureIndicator, SourceIndicator } from '../../../protocol/alert/types.js'
import type { AlertEvent, AlertHandler, ApplicationScoreFn, Mesh, MeshPeer, RejectEvent, RejectHandler } from '../../../protocol/mesh/mesh.js'

export type FakeMesh = Pick<Mesh, 'peerId' | 'onAlert' | 'publish' | 'peers' | 'setApplicationScore'> & {
  onReject: (h: RejectHandler) => () => void
  rejectHandlers: Set<RejectHandler>
  reject: (ev: Omit<RejectEvent, 'receivedAtMs'>) => void
  handlers: Set<AlertHandler>
  published: AlertDraft[]
  peerList: MeshPeer[]
  scoreFn: ApplicationScoreFn | undefined
  deliver: (alert: Alert, from?: string) => void
}

export function createFakeMesh (peerId: string, now: () => number): FakeMesh {
  let seq = 0n
  const mesh: FakeMesh = {
    peerId,
    handlers: new Set(),
    rejectHandlers: new Set(),
    published: [],
    peerList: [],
    scoreFn: undefined,
    onAlert (h) {
      mesh.handlers.add(h)
      return () => { mesh.handlers.delete(h) }
    },
    async publish (draft) {
      mesh.published.push(draft)
      const alert: Alert = { ...draft, version: 1, id: `own-${++seq}`, origin: peerId, seq, issuedAtMs: now(), ttlSec: draft.ttlSec ?? 600 }
      return { alert, envelope: new Uint8Array(0), from: peerId, receivedAtMs: now() }
    },
    onReject (h) {
      mesh.rejectHandlers.add(h)
      return () => { mesh.rejectHandlers.delete(h) }
    },
    reject (ev) {
      for (const h of mesh.rejectHandlers) h({ ...ev, receivedAtMs: now() })
    },
    peers: () => mesh.peerList,
    setApplicationScore (fn) { mesh.scoreFn = fn },
    deliver (alert, from) {
      const ev: AlertEvent = { alert, envelope: new Uint8Array(0), from: from ?? alert.origin, receivedAtMs: now() }
      for (const h of mesh.handlers) h(ev)
    }
  }
  return mesh
}

let alertCounter = 0

export interface AlertSpec {
  origin: string
  community?: string
  context?: string
  kind?: Alert['kind']
  sources?: SourceIndicator[]
  signatures?: SignatureIndicator[]
  ttlSec?: number
  issuedAtMs?: number
}

export function makeAlert (s: AlertSpec): Alert {
  alertCounter++
  return {
    version: 1,
    id: `alert-${alertCounter.toString(16).padStart(8, '0')}`,
    origin: s.origin,
    seq: BigInt(alertCounter),
    issuedAtMs: s.issuedAtMs ?? 0,
    community: s.community ?? 'shop',
    danger: 2,
    kind: s.kind ?? ((s.signatures?.length ?? 0) > 0 ? 'signature' : (s.sources?.length ?? 0) > 0 ? 'source' : 'anomaly'),
    seen: { context: s.context ?? 'GET /item', parameter: 'id', score: 9, explanation: 'rare 3-grams' },
    sources: s.sources ?? [],
    signatures: s.signatures ?? [],
    ttlSec: s.ttlSec ?? 600
  }
}

export function makeSignature (id: string, tokens: string[], context = 'GET /item'): SignatureIndicator {
  return { id, context, parameter: 'id', tokens, generator: 'clonal-token-set/1', sampleCount: 3 }
}

export function toEvent (alert: Alert, now: number, from?: string): AlertEvent {
  return { alert, envelope: new Uint8Array(0), from: from ?? alert.origin, receivedAtMs: now }
}
