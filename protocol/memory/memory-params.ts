/**
 * Limits and timings of the memory protocol (params pattern: interface,
 * defaults, create, validate). Every message has a size cap checked before
 * decoding; every table and every kind of work has a budget.
 */
import { InvalidParamsError } from '../errors.js'

export interface MemoryParams {
  /** A request above this many bytes is refused before decoding (oversize). 3,072 ids of 16 bytes + slack. */
  maxRequestBytes: number
  /** An answer above this many bytes on the wire is junk before decoding (oversize). */
  maxResponseBytes: number
  /** The items of one answer, inflated, at most this many bytes (the inflater stops there: a deflate bomb is junk). */
  maxAnswerBytes: number
  /** Items per answer (server side: it sends at most this many; client side: more is junk). */
  maxItemsPerAnswer: number
  /** Ids a FETCH may list as already held (`have`). */
  maxHaveIds: number
  /** Answers a server gives one peer per minute (token bucket, burst = this); beyond: RATE_LIMITED. */
  answersPerPeerPerMinute: number
  /** Requests a server answers at once; beyond: BUSY (cheap answer, nothing read from the store). */
  maxConcurrentServe: number
  /** Peers this node syncs with at once (client side). */
  maxConcurrentSyncs: number
  /** Peers asked at once when a member catches up (start, rejoin); the buckets to fetch are split among them. */
  catchUpPeers: number
  /** Live items held per community; beyond: the one that expires soonest goes. */
  maxItemsPerCommunity: number
  /** Live items held per origin per community (no single origin can fill the memory). */
  maxItemsPerOrigin: number
  /** Anti-entropy: every this many ms, compare digests with a few mesh peers of each community. */
  antiEntropyIntervalMs: number
  /** Anti-entropy: mesh peers per community per round. */
  antiEntropyPeers: number
  /** How often the node looks for a reason to catch up (a community peer after none, a pending start). */
  checkIntervalMs: number
  /** One request/response exchange is abandoned after this long. */
  requestTimeoutMs: number
  /** A peer that answered junk is not asked again for this long. */
  penaltyCooldownMs: number
  /** An item that expired less than this long ago is dropped without blaming the peer (it may have expired in transit). */
  expiredGraceMs: number
  /** Peers remembered for rate limits, cooldowns and last answers (LRU). */
  maxTrackedPeers: number
}

export const defaultMemoryParams: Readonly<MemoryParams> = Object.freeze({
  maxRequestBytes: 64 * 1024,
  maxResponseBytes: 1024 * 1024 + 4096,
  maxAnswerBytes: 1024 * 1024,
  maxItemsPerAnswer: 1024,
  maxHaveIds: 3072,
  answersPerPeerPerMinute: 60,
  maxConcurrentServe: 4,
  maxConcurrentSyncs: 5,
  catchUpPeers: 5,
  maxItemsPerCommunity: 20_000,
  maxItemsPerOrigin: 2_000,
  antiEntropyIntervalMs: 60_000,
  antiEntropyPeers: 2,
  checkIntervalMs: 1000,
  requestTimeoutMs: 10_000,
  penaltyCooldownMs: 10 * 60_000,
  expiredGraceMs: 60_000,
  maxTrackedPeers: 4096
})

const BOUNDS: Record<keyof MemoryParams, [number, number]> = {
  maxRequestBytes: [1024, 16 * 1024 * 1024],
  maxResponseBytes: [1024, 64 * 1024 * 1024],
  maxAnswerBytes: [1024, 64 * 1024 * 1024],
  maxItemsPerAnswer: [1, 100_000],
  maxHaveIds: [1, 1_000_000],
  answersPerPeerPerMinute: [1, 100_000],
  maxConcurrentServe: [1, 1024],
  maxConcurrentSyncs: [1, 1024],
  catchUpPeers: [1, 64],
  maxItemsPerCommunity: [1, 10_000_000],
  maxItemsPerOrigin: [1, 10_000_000],
  antiEntropyIntervalMs: [1, 7 * 86_400_000],
  antiEntropyPeers: [0, 64],
  checkIntervalMs: [1, 3_600_000],
  requestTimeoutMs: [1, 3_600_000],
  penaltyCooldownMs: [0, 7 * 86_400_000],
  expiredGraceMs: [0, 3_600_000],
  maxTrackedPeers: [1, 1_000_000]
}

export function validateMemoryParams (p: MemoryParams): void {
  for (const [k, [min, max]] of Object.entries(BOUNDS) as Array<[keyof MemoryParams, [number, number]]>) {
    const v = p[k]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidParamsError(`memory.${k}`, v, `an integer ${min}..${max}`)
  }
  if (p.maxHaveIds * 16 + 256 > p.maxRequestBytes) throw new InvalidParamsError('memory.maxHaveIds', p.maxHaveIds, `at most (maxRequestBytes - 256) / 16 = ${Math.floor((p.maxRequestBytes - 256) / 16)}`)
  if (p.maxResponseBytes < p.maxAnswerBytes) throw new InvalidParamsError('memory.maxResponseBytes', p.maxResponseBytes, `>= maxAnswerBytes (${p.maxAnswerBytes})`)
}

export function createMemoryParams (partial: Partial<MemoryParams> = {}): Readonly<MemoryParams> {
  const p: MemoryParams = { ...defaultMemoryParams }
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v
  validateMemoryParams(p)
  return Object.freeze(p)
}
