import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { InvalidParamsError } from '../../../node/errors.js'
import { createClonalSelection } from '../../../node/signatures/clonal-selection.js'
import { createReservoir } from '../../../node/signatures/reservoir.js'
import type { Reservoir } from '../../../node/signatures/reservoir.js'
import { makeSignature } from '../../../node/signatures/signature.js'
import { createSignatureVetter, createVettingParams, vetSignature } from '../../../node/signatures/vetting.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import type { SignatureIndicator } from '../../../protocol/alert/types.js'
import { FILE, ITEM, SEARCH, fileRequest, itemRequest, memorySample, normalTraffic, searchRequest } from './traffic.js'

let dir: string
let store: Store
let reservoir: Reservoir

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immune-vetting-'))
  store = createStore({ dataDir: dir })
  await store.open()
  reservoir = createReservoir({ store, clock: createManualClock() })
  await reservoir.start()
  for (const { context, obs } of normalTraffic(11, 300)) reservoir.add(context, obs)
})

afterAll(async () => {
  await reservoir.stop()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const sig = (context: string, parameter: string, tokens: string[], extra: Partial<SignatureIndicator> = {}): SignatureIndicator =>
  ({ ...makeSignature({ context, parameter, tokens, generator: 'clonal-token-set/1', sampleCount: 1 }), ...extra })

describe('signature vetting', () => {
  it('adopts a good signature made by a peer with its own normal traffic', () => {
    // the "peer" learned from a different seed of the same software's traffic
    const peer = createClonalSelection({ reservoir: memorySample(normalTraffic(12345, 300)), clock: createManualClock() })
    const made = [
      ...peer.generate(ITEM, itemRequest("1'+OR+'1'%3D'1"), ['id']).signatures,
      ...peer.generate(SEARCH, searchRequest('%3Cscript%3Ealert(1)%3C%2Fscript%3E'), ['q']).signatures,
      ...peer.generate(FILE, fileRequest('..%2F..%2Fetc%2Fpasswd'), ['file']).signatures
    ]
    expect(made).toHaveLength(3)
    const vetter = createSignatureVetter({ reservoir })
    for (const s of made) {
      const v = vetter.vet(s)
      expect(v, JSON.stringify(s.tokens)).toMatchObject({ adopted: true, code: 'adopted', normalMatches: 0 })
      expect(v.normalChecked).toBe(reservoir.values(s.context).length)
    }
  })

  it('rejects a poisoned signature that matches normal traffic, with the count and a sample', () => {
    const poisoned = sig('', '', ['shop', 'id'])
    const v = vetSignature(poisoned, reservoir)
    expect(v.adopted).toBe(false)
    expect(v.code).toBe('matches-normal')
    // every item request holds both ("/shop/item.jsp?id=...")
    expect(v.normalMatches).toBeGreaterThanOrEqual(reservoir.values(ITEM).length)
    expect(v.normalChecked).toBe(reservoir.size)
    expect(v.sample).toHaveLength(3)
    expect(v.reason).toMatch(/matches \d+ of \d+ normal observations/)
    // scoped to a context and parameter: a normal product name
    const enumValue = vetSignature(sig(ITEM, 'name', ['turrón']), reservoir)
    expect(enumValue).toMatchObject({ adopted: false, code: 'matches-normal' })
    expect(enumValue.normalMatches).toBeGreaterThan(0)
    expect(enumValue.sample[0].context).toBe(ITEM)
  })

  it('rejects malformed signatures', () => {
    const good = sig(ITEM, 'id', ["' or", "'='"])
    expect(vetSignature(good, reservoir).adopted).toBe(true)
    const cases: Array<[SignatureIndicator, RegExp]> = [
      [sig(ITEM, 'id', []), /0 token/],
      [{ ...good, id: 'ffffffffffffffffffffffffffffffff' }, /id is not the digest/],
      [sig(ITEM, 'id', ["' or", 'xy']), /shorter than 3/],
      [sig(ITEM, 'id', ["' OR", "'='"]), /lower-case/],
      [sig(ITEM, 'ID', ["' or", "'='"]), /parameter/],
      [sig(ITEM, 'id', ["'='"]), /characters of tokens in total/],
      [sig(ITEM, 'id', Array.from({ length: 9 }, (_, i) => `zz${i}q`)), /at most 8/],
      [sig(ITEM, 'id', ["' or", "'='"], { sampleCount: 0 }), /sampleCount/],
      [{ ...good, tokens: [1, 2] as unknown as string[] }, /array of strings/]
    ]
    for (const [s, why] of cases) {
      const v = vetSignature(s, reservoir)
      expect(v.adopted, why.source).toBe(false)
      expect(v.code, why.source).toBe('malformed')
      expect(v.reason).toMatch(why)
    }
  })

  it('rejects tokens that are too generic even when the whole set matches nothing', () => {
    // 'tienda' never occurs, but 'shop' is in every request of the context
    const v = vetSignature(sig(ITEM, 'id', ['shop', 'tienda']), reservoir)
    expect(v).toMatchObject({ adopted: false, code: 'too-generic', normalMatches: 0 })
    expect(v.reason).toMatch(/"shop" occurs in \d+ of \d+ normal requests/)
    expect(vetSignature(sig(ITEM, 'id', ['index', "' or"]), reservoir)).toMatchObject({ code: 'too-generic' })
    expect(vetSignature(sig(ITEM, 'id', ['12345', "' or"]), reservoir)).toMatchObject({ code: 'too-generic' })
  })

  it('does not adopt what it cannot vet yet (pending, not the peer\'s fault)', () => {
    const v = vetSignature(sig('GET /unknown.jsp', 'id', ["' or", "'='"]), reservoir)
    expect(v).toMatchObject({ adopted: false, code: 'insufficient-normal', normalChecked: 0 })
    const loose = vetSignature(sig('GET /unknown.jsp', 'id', ["' or", "'='"]), reservoir, createVettingParams({ minNormalSamples: 0 }))
    expect(loose.adopted).toBe(true)
  })

  it('validates its params', () => {
    expect(() => createVettingParams({ maxTokenContextRate: -1 })).toThrow(InvalidParamsError)
    expect(() => createVettingParams({ minTokenLength: 0 })).toThrow(InvalidParamsError)
  })
})
