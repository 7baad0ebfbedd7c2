/**
 * The config's `memory` section: the memory protocol (protocol/memory,
 * docs/protocol.md "Memory"), by which newcomers and returning members catch
 * up on their communities' live alerts. Type, defaults, reader and the
 * conversion to the service's params (seconds → milliseconds), in one place.
 */
import { defaultMemoryParams } from '../../protocol/memory/index.js'
import type { MemoryParams } from '../../protocol/memory/index.js'
import type { Checker } from '../../core/index.js'

export interface MemoryConfig {
  /** Answer peers' memory requests and catch up from them (default true). */
  enabled: boolean
  /** Anti-entropy: compare digests with antiEntropyPeers mesh peers per community this often. */
  antiEntropyIntervalSec: number
  antiEntropyPeers: number
  /** Peers asked at once when catching up (start, after being cut off). */
  catchUpPeers: number
  /** Live alerts remembered per community, and per origin in a community. */
  maxItemsPerCommunity: number
  maxItemsPerOrigin: number
  /** Items per answer this node sends (and accepts). */
  maxItemsPerAnswer: number
  /** Answers given to one peer per minute. */
  answersPerPeerPerMinute: number
  /** Requests answered at once (beyond: BUSY), and peers synced with at once. */
  maxConcurrentServe: number
  maxConcurrentSyncs: number
}

export const MEMORY_CONFIG_KEYS = ['enabled', 'antiEntropyIntervalSec', 'antiEntropyPeers', 'catchUpPeers', 'maxItemsPerCommunity', 'maxItemsPerOrigin', 'maxItemsPerAnswer', 'answersPerPeerPerMinute', 'maxConcurrentServe', 'maxConcurrentSyncs'] as const

export function defaultMemoryConfig (): MemoryConfig {
  const p = defaultMemoryParams
  return {
    enabled: true,
    antiEntropyIntervalSec: p.antiEntropyIntervalMs / 1000,
    antiEntropyPeers: p.antiEntropyPeers,
    catchUpPeers: p.catchUpPeers,
    maxItemsPerCommunity: p.maxItemsPerCommunity,
    maxItemsPerOrigin: p.maxItemsPerOrigin,
    maxItemsPerAnswer: p.maxItemsPerAnswer,
    answersPerPeerPerMinute: p.answersPerPeerPerMinute,
    maxConcurrentServe: p.maxConcurrentServe,
    maxConcurrentSyncs: p.maxConcurrentSyncs
  }
}

export function readMemoryConfig (c: Checker, raw: unknown): MemoryConfig {
  const d = defaultMemoryConfig()
  const o = c.object('memory', raw, MEMORY_CONFIG_KEYS)
  const int = (k: Exclude<keyof MemoryConfig, 'enabled' | 'antiEntropyIntervalSec'>, min: number, max: number): number =>
    c.number(`memory.${k}`, o[k], d[k], { integer: true, min, max })
  return {
    enabled: c.boolean('memory.enabled', o.enabled, d.enabled),
    antiEntropyIntervalSec: c.number('memory.antiEntropyIntervalSec', o.antiEntropyIntervalSec, d.antiEntropyIntervalSec, { min: 1, max: 86_400 }),
    antiEntropyPeers: int('antiEntropyPeers', 0, 64),
    catchUpPeers: int('catchUpPeers', 1, 64),
    maxItemsPerCommunity: int('maxItemsPerCommunity', 1, 1_000_000),
    maxItemsPerOrigin: int('maxItemsPerOrigin', 1, 1_000_000),
    maxItemsPerAnswer: int('maxItemsPerAnswer', 1, 10_000),
    answersPerPeerPerMinute: int('answersPerPeerPerMinute', 1, 100_000),
    maxConcurrentServe: int('maxConcurrentServe', 1, 1024),
    maxConcurrentSyncs: int('maxConcurrentSyncs', 1, 1024)
  }
}

/** The `memory` section as the memory service's params. */
export function memoryParamsFromConfig (m: MemoryConfig): Partial<MemoryParams> {
  return {
    antiEntropyIntervalMs: Math.round(m.antiEntropyIntervalSec * 1000),
    antiEntropyPeers: m.antiEntropyPeers,
    catchUpPeers: m.catchUpPeers,
    maxItemsPerCommunity: m.maxItemsPerCommunity,
    maxItemsPerOrigin: m.maxItemsPerOrigin,
    maxItemsPerAnswer: m.maxItemsPerAnswer,
    answersPerPeerPerMinute: m.answersPerPeerPerMinute,
    maxConcurrentServe: m.maxConcurrentServe,
    maxConcurrentSyncs: m.maxConcurrentSyncs
  }
}
