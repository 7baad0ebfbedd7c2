import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { SignaturesNotStartedError } from '../../../node/errors.js'
import { createSignatureMatcher } from '../../../node/signatures/matcher.js'
import { makeSignature } from '../../../node/signatures/signature.js'
import { createSignatureStore, SIGNATURES_SUBLEVEL } from '../../../node/signatures/signature-store.js'
import type { VetResult } from '../../../node/signatures/vetting.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import { ITEM, itemRequest } from './traffic.js'

let dir: string
let stores: Store[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'immune-sigstore-'))
  stores = []
})

afterEach(async () => {
  for (const s of stores) await s.close()
  rmSync(dir, { recursive: true, force: true })
})

async function openStore (): Promise<Store> {
  const s = createStore({ dataDir: dir })
  await s.open()
  stores.push(s)
  return s
}

const sqli = makeSignature({ context: ITEM, parameter: 'id', tokens: ["' or", "'='"], generator: 'clonal-token-set/1', sampleCount: 1 })
const xss = makeSignature({ context: '', parameter: 'q', tokens: ['script', 'alert'], generator: 'clonal-token-set/1', sampleCount: 2 })
const poison = makeSignature({ context: '', parameter: '', tokens: ['shop', 'item'], generator: 'clonal-token-set/1', sampleCount: 1 })
const verdict = (code: VetResult['code'], normalMatches = 0): VetResult =>
  ({ adopted: code === 'adopted', code, reason: `because ${code}`, normalMatches, normalChecked: 100, sample: [] })

describe('signature store', () => {
  it('records local and peer signatures with their status, and feeds the matcher only the adopted ones', async () => {
    const store = await openStore()
    const clock = createManualClock()
    const s = createSignatureStore({ store, clock })
    await expect(s.addLocal(sqli)).rejects.toBeInstanceOf(SignaturesNotStartedError)
    await s.start()
    const v0 = s.version
    const local = await s.addLocal(sqli)
    expect(local).toMatchObject({ origin: 'local', status: 'adopted', code: 'local', hits: 0, firstSeenMs: clock.now() })
    expect(s.version).toBeGreaterThan(v0)
    clock.advance(1000)
    expect((await s.record(xss, 'peerA', verdict('adopted'))).status).toBe('adopted')
    const v1 = s.version
    const rejected = await s.record(poison, 'liar', verdict('matches-normal', 250))
    expect(rejected).toMatchObject({ status: 'rejected', origin: 'liar', normalMatches: 250, reason: 'because matches-normal' })
    expect(s.version).toBe(v1) // the adopted set did not change
    expect(s.adopted().map((x) => x.id).sort()).toEqual([sqli.id, xss.id].sort())

    // a second origin is added; a local signature stays adopted whatever a peer's copy was judged
    const again = await s.record(sqli, 'peerB', verdict('too-generic'))
    expect(again).toMatchObject({ status: 'adopted', origin: 'local', origins: ['local', 'peerB'] })
    // the latest vetting of a peer's signature wins
    await s.record(xss, 'peerC', verdict('insufficient-normal'))
    expect(s.get(xss.id)).toMatchObject({ status: 'pending', origins: ['peerA', 'peerC'] })
    expect(s.pending().map((r) => r.signature.id)).toEqual([xss.id])
    expect(s.adopted().map((x) => x.id)).toEqual([sqli.id])

    const matcher = createSignatureMatcher(s.adopted())
    const hits = matcher.match(ITEM, itemRequest("1'+or+'1'%3D'1"))
    expect(hits.map((h) => h.signature.id)).toEqual([sqli.id])
    for (const h of hits) s.recordHit(h.signature.id)
    s.recordHit('unknown')
    expect(s.get(sqli.id)?.hits).toBe(1)
    await s.stop()
  })

  it('survives a real level close and reopen, hit counters included', async () => {
    const clock = createManualClock()
    let store = await openStore()
    let s = createSignatureStore({ store, clock })
    await s.start()
    await s.addLocal(sqli)
    await s.record(xss, 'peerA', verdict('adopted'))
    await s.record(poison, 'liar', verdict('matches-normal', 3))
    clock.advance(500)
    s.recordHit(sqli.id)
    s.recordHit(sqli.id, 2)
    const before = s.all().sort((a, b) => a.signature.id.localeCompare(b.signature.id))
    await s.stop()
    await store.close()

    store = await openStore()
    // a corrupt record is dropped on start, not fatal
    await store.sub(SIGNATURES_SUBLEVEL).put('garbage', { nope: true })
    s = createSignatureStore({ store, clock })
    await s.start()
    expect(s.all().sort((a, b) => a.signature.id.localeCompare(b.signature.id))).toEqual(before)
    expect(s.get(sqli.id)?.hits).toBe(3)
    expect(s.get(sqli.id)?.lastHitMs).toBe(clock.now())
    expect(s.adopted().map((x) => x.id).sort()).toEqual([sqli.id, xss.id].sort())
    expect(s.get(poison.id)?.status).toBe('rejected')
    expect(await store.sub(SIGNATURES_SUBLEVEL).keys().all()).not.toContain('garbage')
    await s.stop()
  })

  it('is bounded, dropping rejected records before adopted ones and never local ones', async () => {
    const store = await openStore()
    const clock = createManualClock()
    const s = createSignatureStore({ store, clock }, { maxSignatures: 3 })
    await s.start()
    await s.addLocal(sqli)
    clock.advance(1)
    await s.record(poison, 'liar', verdict('matches-normal', 1))
    clock.advance(1)
    await s.record(xss, 'peerA', verdict('adopted'))
    clock.advance(1)
    const extra = makeSignature({ context: ITEM, parameter: 'qty', tokens: ['sleep(', 'benchmark'], generator: 'g/1', sampleCount: 1 })
    await s.record(extra, 'peerB', verdict('adopted'))
    expect(s.size).toBe(3)
    expect(s.has(poison.id)).toBe(false)
    expect(s.has(sqli.id)).toBe(true)
    expect(await store.sub(SIGNATURES_SUBLEVEL).keys().all()).toHaveLength(3)
    await s.stop()
  })
})
