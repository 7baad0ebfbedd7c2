/**
 * The client's validator of the items of one FETCH answer: pure apart from
 * the signature checks (no clock: nowMs is passed in; nothing recorded).
 * Every item is validated as an alert (protocol/alert validateAlert: size,
 * canonical envelope, signature, origin, schema, values), then against the
 * request: the answer's community, an asked bucket, after the cursor and in
 * ascending order, not one the requester listed as held. The first junk item
 * makes the whole answer junk (`junk` set, `adopt` empty): nothing of it is
 * adopted. Items that are fine but not for adoption (an alert of a newer
 * minor version, issued in the future by the origin's clock, expired within
 * the grace, already held) are `skipped` without blame.
 */
import { AlertValidationCode, MAX_ALERT_BYTES, validateAlert } from '../alert/index.js'
import type { Alert, AlertValidationParams } from '../alert/index.js'
import { bucketOf, inBitmap } from './digest.js'
import type { MemoryRequest } from './codec.js'
import { MemoryValidationCode } from './validation-code.js'

export interface AnswerCheckContext {
  nowMs: number
  community: string
  request: Extract<MemoryRequest, { mode: 'fetch' }>
  /** Already held (memory store or replay guard ids): skipped, not adopted again. */
  held: (alert: Alert) => boolean
  expiredGraceMs: number
  validationParams?: Readonly<AlertValidationParams>
}

export interface AnswerCheck {
  adopt: Array<{ alert: Alert, envelope: Uint8Array }>
  skipped: number
  /** The last id of the answer (the next page's cursor). */
  last: string | null
  junk?: { code: MemoryValidationCode, reason: string }
}

const noReplay = { check: () => AlertValidationCode.OK }

export async function checkAnswerItems (items: Uint8Array[], ctx: AnswerCheckContext): Promise<AnswerCheck> {
  const { nowMs: now, request: req } = ctx
  const have = new Set(req.have)
  const adopt: AnswerCheck['adopt'] = []
  let skipped = 0
  let prev = req.after
  const junk = (code: MemoryValidationCode, reason: string): AnswerCheck => ({ adopt: [], skipped, last: prev, junk: { code, reason } })
  for (const [i, env] of items.entries()) {
    if (env.byteLength > MAX_ALERT_BYTES) return junk(MemoryValidationCode.ITEM_OVERSIZE, `item ${i}: ${env.byteLength} bytes`)
    // the replay window is not for memory: old alerts of an origin arrive after its newer ones by design; ids are checked below
    const r = await validateAlert(env, { nowMs: now, replay: noReplay, ...(ctx.validationParams != null ? { params: ctx.validationParams } : {}) })
    if (r.action === 'reject' || r.alert == null) return junk(MemoryValidationCode.ITEM_INVALID, `item ${i}: ${r.code}${r.reason != null ? `: ${r.reason}` : ''}`)
    const a = r.alert
    if (prev != null && a.id <= prev) return junk(MemoryValidationCode.ITEM_ORDER, `item ${i}: id ${a.id} not after ${prev}`)
    prev = a.id
    if (a.community !== ctx.community || !inBitmap(req.buckets, bucketOf(a.id)) || have.has(a.id)) return junk(MemoryValidationCode.ITEM_UNASKED, `item ${i}: ${a.id} of ${a.community} was not asked for`)
    if (r.code === AlertValidationCode.EXPIRED) {
      const ago = now - (a.issuedAtMs + a.ttlSec * 1000)
      if (ago > ctx.expiredGraceMs) return junk(MemoryValidationCode.ITEM_EXPIRED, `item ${i}: ${a.id} expired ${ago} ms ago`)
      skipped++
      continue
    }
    // an old alert is what memory is for: 'stale' in the past is fine; in the future it is the origin's clock, not ours to adopt
    const oldButLive = r.code === AlertValidationCode.STALE && a.issuedAtMs <= now
    if (r.code !== AlertValidationCode.OK && !oldButLive) { skipped++; continue }
    if (ctx.held(a)) { skipped++; continue }
    adopt.push({ alert: a, envelope: env })
  }
  return { adopt, skipped, last: prev }
}
