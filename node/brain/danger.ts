/**
 * What the brain reacts to, and the signals it names in every reaction.
 * A body (the daemon's pipeline, the simulator's host model) turns what it
 * saw into one of these records; the brain does the rest (brain.ts).
 */
import type { SignatureIndicator } from '../../protocol/alert/index.js'
import type { DangerLevel, Phase } from '../observation.js'
import type { ShareableReason } from '../intake/index.js'

/** Where an adopted signature came from: made here from local evidence, or adopted from a peer after vetting. */
export type SignatureOrigin = 'local' | 'peer'

/** Local evidence about one observation: the profile's judgement and/or an adopted signature that matched. */
export interface Danger {
  /** The cell the observation belongs to (policy rules are per cell). */
  cell: string
  /** The community the cell shares with (publications, corroboration, sensitivity). */
  community: string
  /** What was observed: an HTTP request or a process sample. */
  observation: 'http' | 'process'
  context: string
  parameter?: string
  /** The client address of the offending request, when known. */
  source?: string
  /**
   * The profile's verdict on this observation: its danger level and score
   * (null when the profile has not scored it: still learning, or a body that
   * does not model it).
   */
  profile: { level: DangerLevel, score: number, phase?: Phase } | null
  /** An adopted signature that matched the observation. */
  signature?: MatchedSignature
  /** The detector's explanation (kept verbatim in local decisions; never published: alerts carry `reasons` only). */
  explanation: string
  /** The evidence as structured reasons (parameter, feature, surprise): what an alert may say about it (node/intake/shareable.ts). */
  reasons?: readonly ShareableReason[]
  /** When it was observed (event time: escalation and the policy's windows count by it); default: now. */
  atMs?: number
  /** The danger rests on evidence that blocks the request only (an innate probe finding alone): never bans the source on its own. */
  requestOnly?: true
  /** The profile's score over its context's level-2 threshold, when it guards. */
  scoreMargin?: number
}

/**
 * An adopted signature that matched, with what the brain needs to weigh it
 * (KIS's two types, docs/reputation.md "Signature types"):
 *   type 2 blocks alone; type 1 blocks only when the profile also scores the
 *   request ≥ 1, or, at a member still learning (profile null), when the body
 *   says the signature may act alone there (`alone`: vetted against at least
 *   the vetting floor of own normal observations of the context, and the
 *   request is not from a known normal client).
 */
export interface MatchedSignature {
  indicator: SignatureIndicator
  origin: SignatureOrigin
  /** Default: 2 for 'local', 1 for 'peer'. */
  type?: 1 | 2
  /** The peer that sent it (its first origin), for the decision's refs. */
  from?: string
  /** Type 1 at a learning member: the body's vetting floor and self-check passed. */
  alone?: boolean
}

/** The alert intake's quorum: peers' independent warnings about a source reached the reputation-weighted quorum. */
export interface RemoteBlock {
  address: string
  /** When the peers' claim ends (the intake's vote expiry). */
  untilMs: number
  why: string
}

/** Peers warned about a context: raise its sensitivity (bounded) and the threat level (to 1 at most). */
export interface PeerWarning {
  community: string
  context: string
  factor: number
  untilMs: number
}

/** One piece of evidence behind a reaction, named in it (and in its decisions' refs). */
export interface Signal {
  kind: 'profile' | 'signature'
  /** The level this signal alone argues for. */
  level: DangerLevel
  /** The profile's score (profile signals). */
  score?: number
  signature?: { id: string, origin: SignatureOrigin, type: 1 | 2, from?: string, alone?: boolean }
}
