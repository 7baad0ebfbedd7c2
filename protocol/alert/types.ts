/**
 * The in-memory form of the wire Alert (see alert.proto). Validation turns
 * bytes into this; publishing turns a draft into this.
 */

export const PROTOCOL_VERSION = 1

export type AlertDanger = 1 | 2
export type AlertKind = 'anomaly' | 'signature' | 'source'

/** What was seen: the context (endpoint, parameter), the score and a short explanation. */
export interface AlertSeen {
  /** e.g. "GET /shop/item.jsp" or "cell:web" */
  context: string
  parameter: string
  score: number
  explanation: string
}

/** A source address to block, with how long the indicator is worth acting on. */
export interface SourceIndicator {
  address: string
  ttlSec: number
}

/** An attack signature: a token set (Autograph/Polygraph style) that all must appear in one value. */
export interface SignatureIndicator {
  /** Stable id: a digest of (context, parameter, tokens). */
  id: string
  context: string
  /** Parameter the tokens were taken from ('' for any). */
  parameter: string
  tokens: string[]
  /** How the signature was generated, e.g. "clonal-token-set/1". */
  generator: string
  /** How many anomalous observations it was generalised over. */
  sampleCount: number
}

export interface Alert {
  version: number
  /** 16 random bytes, hex. */
  id: string
  /** Origin peer id (base58btc); must match the envelope's signing key. */
  origin: string
  /** Per-origin sequence number, strictly increasing per origin (persisted across restarts). */
  seq: bigint
  issuedAtMs: number
  community: string
  danger: AlertDanger
  kind: AlertKind
  seen: AlertSeen
  sources: SourceIndicator[]
  signatures: SignatureIndicator[]
  /** Optional digest of the evidence (e.g. sha-256 of the offending request). */
  evidenceDigest?: Uint8Array
  ttlSec: number
}

/** What the application asks the mesh to publish; id, origin, seq, time and version are filled in. */
export type AlertDraft = Omit<Alert, 'version' | 'id' | 'origin' | 'seq' | 'issuedAtMs'> & { ttlSec?: number }

/** Validation outcome, as gossipsub's topic validators want it. */
export type ValidationAction = 'accept' | 'reject' | 'ignore'
