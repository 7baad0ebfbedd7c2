/**
 * Per-origin rate limit of the alert mesh (issue 15): a token bucket per
 * origin peer id (the alert's signed origin, not the peer that forwarded it),
 * `burst` alerts at once and `perSec` after that. An honest node publishes at
 * most 30 alerts a minute (node/intake/alert-publisher.ts, maxPerMinute), so
 * the defaults (burst 60, 1 per second) never touch one; a flooder is cut off
 * after its first `burst` alerts.
 *
 * What exceeds the limit (libp2p-mesh.ts validator):
 *   - sent by the origin itself: `reject` (over-rate), so it costs the sender
 *     gossipsub P4 (-10·n², score-params.ts): about 4 alerts over the limit
 *     take a fresh peer below the graylist threshold (-100), and gossipsub
 *     then drops its RPCs unread;
 *   - relayed by another peer: `ignore` (over-rate-relayed). Every node runs
 *     the same limit, so an honest relay forwards no more than its own bucket
 *     let through; the two buckets only differ by timing, which is not the
 *     relay's fault. Ignored alerts are not forwarded either, so a flood
 *     travels one hop at most.
 * Only accepted alerts consume tokens (a forgery never reaches this check),
 * so nobody can spend an honest origin's budget. Memory is bounded: at most
 * `maxOrigins` buckets (least recently used dropped; a dropped origin starts
 * again with a full bucket, which costs a flooder nothing it had not already).
 */
import { InvalidParamsError } from '../errors.js'

export interface OriginRateParams {
  /** Alerts an origin may send at once (bucket size). */
  burst: number
  /** Sustained alerts per second per origin (refill). */
  perSec: number
  /** Origins whose bucket is kept. */
  maxOrigins: number
}

export const defaultOriginRateParams: Readonly<OriginRateParams> = Object.freeze({
  burst: 60,
  perSec: 1,
  maxOrigins: 10_000
})

export function validateOriginRateParams (p: OriginRateParams): void {
  if (typeof p.burst !== 'number' || !Number.isFinite(p.burst) || p.burst < 1) throw new InvalidParamsError('originRate.burst', p.burst, 'a finite number >= 1')
  if (typeof p.perSec !== 'number' || !Number.isFinite(p.perSec) || p.perSec <= 0) throw new InvalidParamsError('originRate.perSec', p.perSec, 'a finite number > 0')
  if (typeof p.maxOrigins !== 'number' || !Number.isInteger(p.maxOrigins) || p.maxOrigins < 1) throw new InvalidParamsError('originRate.maxOrigins', p.maxOrigins, 'an integer >= 1')
}

export function createOriginRateParams (partial: Partial<OriginRateParams> = {}): Readonly<OriginRateParams> {
  const p: OriginRateParams = { ...defaultOriginRateParams }
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v
  validateOriginRateParams(p)
  return Object.freeze(p)
}

interface Bucket { tokens: number, atMs: number }

export class OriginRateLimiter {
  readonly params: Readonly<OriginRateParams>
  private readonly buckets = new Map<string, Bucket>()
  private limited = 0

  constructor (params: Partial<OriginRateParams> = {}) {
    this.params = createOriginRateParams(params)
  }

  /** Take one token for `origin` at nowMs: true if within its rate (and counted), false if over. */
  take (origin: string, nowMs: number): boolean {
    const { burst, perSec, maxOrigins } = this.params
    let b = this.buckets.get(origin)
    if (b == null) {
      b = { tokens: burst, atMs: nowMs }
      if (this.buckets.size >= maxOrigins) this.buckets.delete(this.buckets.keys().next().value as string)
    } else {
      this.buckets.delete(origin)
      b.tokens = Math.min(burst, b.tokens + Math.max(0, nowMs - b.atMs) / 1000 * perSec)
      b.atMs = Math.max(b.atMs, nowMs)
    }
    this.buckets.set(origin, b)
    if (b.tokens < 1) { this.limited++; return false }
    b.tokens -= 1
    return true
  }

  /** Alerts refused so far, and origins tracked. */
  stats (): { limited: number, origins: number } { return { limited: this.limited, origins: this.buckets.size } }
}
