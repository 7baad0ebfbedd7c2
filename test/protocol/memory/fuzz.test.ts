/**
 * Fuzz: 100,000+ seeded malformed memory messages (requests for the server's
 * decoder, answers for the client's decoder and item validator), from a
 * seeded PRNG (reproducible). Nothing may throw, and nothing invalid may be
 * accepted: a request that decodes has fields of the right shape, and an item
 * the client would adopt is byte for byte a genuine, live, signed envelope of
 * the asked community and buckets.
 */
import { deflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../core/prng.js'
import { ALERT_COMMUNITY_PATTERN, createAlert, signAlert } from '../../../protocol/alert/index.js'
import {
  BUCKET_BITMAP_BYTES, SetDigest, bucketBitmap, bucketOf, createMemoryParams, decodeMemoryRequest, decodeMemoryResponse, encodeMemoryRequest, encodeMemoryResponse, idHash
} from '../../../protocol/memory/index.js'
import { checkAnswerItems } from '../../../protocol/memory/answer-check.js'
import type { MemoryRequest } from '../../../protocol/memory/index.js'
import { NOW_MS, peer, typicalDraft } from '../alert/fixtures.js'

type Rng = () => number
const int = (rng: Rng, n: number): number => Math.floor(rng() * n)
const randomBytes = (rng: Rng, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(rng, 256))
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))

function mutate (rng: Rng, input: Uint8Array, pool: Uint8Array[]): Uint8Array {
  const b = Uint8Array.from(input)
  const at = (): number => int(rng, Math.max(1, b.byteLength))
  switch (int(rng, 7)) {
    case 0: { const n = 1 + int(rng, 4); for (let i = 0; i < n && b.byteLength > 0; i++) b[at()] ^= 1 << int(rng, 8); return b }
    case 1: { const v = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32]; if (b.byteLength > 0) b[at()] = rng() < 0.5 ? v[int(rng, v.length)] : int(rng, 256); return b }
    case 2: return b.subarray(0, at())
    case 3: { const i = at(); return concat(b.subarray(0, i), randomBytes(rng, 1 + int(rng, 16)), b.subarray(i)) }
    case 4: { const i = at(); return concat(b.subarray(0, i), b.subarray(Math.min(b.byteLength, i + 1 + int(rng, 8)))) }
    case 5: { const o = pool[int(rng, pool.length)]; return concat(b.subarray(0, at()), o.subarray(int(rng, Math.max(1, o.byteLength)))) }
    default: return randomBytes(rng, int(rng, 64))
  }
}

const varint = (n: number): Uint8Array => { const out: number[] = []; while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n >>>= 7 } out.push(n); return Uint8Array.from(out) }
const rawPack = (items: Uint8Array[]): Uint8Array => concat(...items.flatMap((i) => [varint(i.byteLength), i]))

describe('memory protocol fuzz (seeded)', () => {
  const params = createMemoryParams({})

  it('100,000+ malformed requests and answers: nothing throws, nothing invalid is accepted', async () => {
    const prng = createPrng(14)
    const rng: Rng = () => prng.next()
    const a = await peer(1)
    const b = await peer(2)
    const nowMs = NOW_MS + 10 * 60_000 // ten minutes after issue: 'stale' to gossip, live to memory
    const genuine: Array<{ id: string, env: Uint8Array }> = []
    for (let i = 0; i < 8; i++) {
      const from = i % 2 === 0 ? a : b
      const alert = createAlert(typicalDraft({ community: 'shop' }), { origin: from.id, seq: BigInt(i + 1), nowMs: NOW_MS, id: `${((i * 37) % 256).toString(16).padStart(2, '0')}${'0'.repeat(28)}${i.toString(16).padStart(2, '0')}` })
      genuine.push({ id: alert.id, env: await signAlert(alert, from.key) })
    }
    genuine.sort((x, y) => x.id < y.id ? -1 : 1)
    const expired = await signAlert(createAlert(typicalDraft({ community: 'shop', ttlSec: 60 }), { origin: a.id, seq: 99n, nowMs: NOW_MS - 3_600_000, id: 'ff'.repeat(16) }), a.key)
    const otherCommunity = await signAlert(createAlert(typicalDraft({ community: 'other' }), { origin: a.id, seq: 100n, nowMs: NOW_MS, id: '01'.repeat(16) }), a.key)
    const genuineBytes = new Set(genuine.map((g) => Buffer.from(g.env).toString('hex')))
    const allBuckets = bucketBitmap(Array.from({ length: 256 }, (_, i) => i))
    const digest = new SetDigest()
    for (const g of genuine) digest.add(g.id, idHash(g.id))

    const requests: MemoryRequest[] = [
      { mode: 'digest', community: 'shop', count: 8, fingerprint: digest.sum },
      { mode: 'fetch', community: 'shop', buckets: allBuckets, have: [genuine[0].id], after: null, maxItems: 64 },
      { mode: 'fetch', community: 'shop', buckets: bucketBitmap([bucketOf(genuine[3].id)]), have: [], after: genuine[2].id, maxItems: 2 }
    ]
    const reqPool = requests.map(encodeMemoryRequest)
    const fetchAll = requests[1] as Extract<MemoryRequest, { mode: 'fetch' }>
    const answers = [
      encodeMemoryResponse({ status: 'different', count: 8, fingerprint: digest.sum, buckets: digest.table() }),
      encodeMemoryResponse({ status: 'in-sync', count: 8, fingerprint: digest.sum }),
      encodeMemoryResponse({ status: 'ok', items: genuine.slice(1).map((g) => g.env), more: false }),
      encodeMemoryResponse({ status: 'busy', retryAfterMs: 1000 })
    ]
    const itemPool = [...genuine.map((g) => g.env), expired, otherCommunity]

    let requestsTried = 0
    let answersTried = 0
    let itemsChecked = 0
    let adopted = 0
    let junk = 0
    const check = async (bytes: Uint8Array, req: MemoryRequest): Promise<void> => {
      answersTried++
      let d: ReturnType<typeof decodeMemoryResponse>
      try { d = decodeMemoryResponse(bytes, req, params, 16 * 1024) } catch (e) { throw new Error(`decodeMemoryResponse threw: ${(e as Error).message}`) }
      if (!d.ok) { junk++; return }
      if (d.value.status !== 'ok' || req.mode !== 'fetch') return
      itemsChecked += d.value.items.length
      const r = await checkAnswerItems(d.value.items, { nowMs, community: 'shop', request: req, held: () => false, expiredGraceMs: 60_000 })
      if (r.junk != null) { expect(r.adopt).toEqual([]); junk++; return }
      for (const x of r.adopt) {
        // only genuine, live, asked-for envelopes, byte for byte
        expect(genuineBytes.has(Buffer.from(x.envelope).toString('hex'))).toBe(true)
        expect(x.alert.community).toBe('shop')
        expect(req.have).not.toContain(x.alert.id)
        expect(x.alert.issuedAtMs + x.alert.ttlSec * 1000).toBeGreaterThan(nowMs)
        adopted++
      }
    }

    // requests (the server's decoder)
    for (let i = 0; i < 40_000; i++) {
      requestsTried++
      const bytes = mutate(rng, reqPool[int(rng, reqPool.length)], reqPool)
      let d: ReturnType<typeof decodeMemoryRequest>
      try { d = decodeMemoryRequest(bytes, params) } catch (e) { throw new Error(`decodeMemoryRequest threw: ${(e as Error).message}`) }
      if (!d.ok) continue
      const r = d.value
      expect(ALERT_COMMUNITY_PATTERN.test(r.community)).toBe(true)
      if (r.mode === 'fetch') {
        expect(r.buckets.byteLength).toBe(BUCKET_BITMAP_BYTES)
        expect(r.have.length).toBeLessThanOrEqual(params.maxHaveIds)
        for (const id of r.have) expect(id).toMatch(/^[0-9a-f]{32}$/)
        if (r.after != null) expect(r.after).toMatch(/^[0-9a-f]{32}$/)
        expect(r.maxItems).toBeGreaterThanOrEqual(1)
      } else {
        expect(typeof r.fingerprint).toBe('bigint')
      }
    }
    // answers mutated on the wire
    for (let i = 0; i < 40_000; i++) {
      await check(mutate(rng, answers[int(rng, answers.length)], answers), requests[int(rng, requests.length)])
    }
    // answers whose items are mutated, reordered, forged, expired, foreign, repeated, or framed wrongly inside a valid deflate
    for (let i = 0; i < 22_000; i++) {
      const n = 1 + int(rng, 3)
      const items: Uint8Array[] = []
      for (let k = 0; k < n; k++) {
        const base = itemPool[int(rng, itemPool.length)]
        items.push(rng() < 0.6 ? mutate(rng, base, itemPool) : base)
      }
      let packed = rawPack(items)
      if (rng() < 0.2) packed = mutate(rng, packed, itemPool)
      const pb = encodeMemoryResponse({ status: 'ok', items: [new Uint8Array(1)] })
      // the same answer with our `items` (deflated) and a claimed count
      const answer = rng() < 0.5
        ? encodeMemoryResponse({ status: 'ok', items })
        : concat(pb.subarray(0, 4), Uint8Array.from([0x32]), varint(deflateRawSync(packed).byteLength), deflateRawSync(packed), Uint8Array.from([0x38]), varint(int(rng, 5)))
      await check(answer, fetchAll)
    }
    // deflate bombs: far more than maxAnswerBytes once inflated
    const bomb = deflateRawSync(Buffer.alloc(params.maxAnswerBytes * 8))
    for (let i = 0; i < 10; i++) {
      const d = decodeMemoryResponse(concat(Uint8Array.from([0x08, 0x01, 0x10, 0x01, 0x32]), varint(bomb.byteLength), bomb, Uint8Array.from([0x38, 0x05])), fetchAll, params, 16 * 1024)
      expect(d.ok).toBe(false)
      if (!d.ok) expect(d.code).toBe('bad-items')
      answersTried++
    }

    expect(requestsTried + answersTried).toBeGreaterThanOrEqual(100_000)
    expect(itemsChecked).toBeGreaterThan(1000)
    expect(junk).toBeGreaterThan(10_000)
    expect(adopted).toBeGreaterThan(0) // the unmutated genuine items still get through
    process.stdout.write(`memory fuzz: ${requestsTried} requests, ${answersTried} answers, ${itemsChecked} items checked, ${adopted} adopted (all genuine), ${junk} junk\n`)
  }, 600_000)
})
