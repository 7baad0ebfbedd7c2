/**
 * The small interface the node's decision logic uses to talk to its peers.
 * libp2p gossipsub implements it for real (libp2p-mesh.ts); the simulator
 * gives another implementation on virtual time ("one brain, two bodies").
 */
import type { Alert, AlertDraft } from '../alert/index.js'
import type { AlertValidationCode } from '../alert/index.js'

export interface MeshPeer {
  id: string
  /** Communities (not raw topics) this peer is subscribed to, as far as we know. */
  communities: string[]
  /** gossipsub's score for this peer (0 where there is no gossipsub). */
  gossipsubScore: number
  /** Whether the peer is in our mesh for at least one of our communities. */
  inMesh: boolean
}

export interface AlertEvent {
  alert: Alert
  /** The signed envelope bytes as received (re-verifiable by anyone). */
  envelope: Uint8Array
  /** The peer that forwarded it to us (not necessarily the origin). */
  from: string
  receivedAtMs: number
}

export type AlertHandler = (event: AlertEvent) => void

/** An alert from a peer that the validator did not accept. */
export interface RejectEvent {
  /** The peer that forwarded it to us (gossipsub penalises this one on 'reject'). */
  from: string
  /** The community of the topic it came on (null if not a community topic). */
  community: string | null
  /** 'reject': invalid, the sender pays in gossipsub score; 'ignore': dropped without penalty (stale, duplicate). */
  action: 'reject' | 'ignore'
  /** The validator's code: always one of the one validation-code table (protocol/alert/validation-code.ts). */
  code: AlertValidationCode
  /** Human-readable detail for logs. */
  reason?: string
  receivedAtMs: number
  /** Present when the alert could be decoded. */
  alertId?: string
  origin?: string
}

export type RejectHandler = (event: RejectEvent) => void

/** P5 hook: the node's own reputation of a peer, mapped to gossipsub's application-specific score. */
export type ApplicationScoreFn = (peerId: string) => number

export interface Mesh {
  readonly peerId: string
  start: () => Promise<void>
  stop: () => Promise<void>
  subscribe: (community: string) => void
  unsubscribe: (community: string) => void
  communities: () => string[]
  /** Signs, validates with our own validator, and publishes. Resolves to the alert as sent. */
  publish: (draft: AlertDraft) => Promise<AlertEvent>
  /** Every valid alert from a peer reaches the handlers exactly once. Returns an unsubscribe function. */
  onAlert: (handler: AlertHandler) => () => void
  peers: () => MeshPeer[]
  setApplicationScore: (fn: ApplicationScoreFn) => void
  /** Full multiaddrs ending in /p2p/<peerId> (empty in the simulator). */
  addresses: () => string[]
  /** Optional: observe alerts from peers that were rejected or ignored. Returns an unsubscribe function. */
  onReject?: (handler: RejectHandler) => () => void
}
