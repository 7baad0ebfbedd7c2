import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { InvalidParamsError } from '../../../node/errors.js'
import type { HttpObservation } from '../../../node/observation.js'
import { createPrng } from '../../../core/prng.js'
import { createClonalSelection, createClonalSelectionParams, selectTokens } from '../../../node/signatures/clonal-selection.js'
import { createReservoir } from '../../../node/signatures/reservoir.js'
import type { Reservoir } from '../../../node/signatures/reservoir.js'
import { signatureId, signatureMatches } from '../../../node/signatures/signature.js'
import { createStore } from '../../../node/store/store.js'
import type { Store } from '../../../node/store/store.js'
import type { SignatureIndicator } from '../../../protocol/alert/types.js'
import { FILE, ITEM, LOGIN, SEARCH, fileRequest, itemRequest, loginRequest, memorySample, normalTraffic, searchRequest } from './traffic.js'

let dir: string
let store: Store
let reservoir: Reservoir
const normal = normalTraffic(7, 400)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'immune-clonal-'))
  store = createStore({ dataDir: dir })
  await store.open()
  reservoir = createReservoir({ store, clock: createManualClock() })
  await reservoir.start()
  for (const { context, obs } of normal) reservoir.add(context, obs)
})

afterAll(async () => {
  await reservoir.stop()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

function normalMatches (sig: SignatureIndicator): number {
  return reservoir.all().filter((e) => signatureMatches(sig, e.context, e.obs)).length
}

function only (sigs: SignatureIndicator[]): SignatureIndicator {
  expect(sigs).toHaveLength(1)
  return sigs[0]
}

describe('clonal selection', () => {
  it('SQL injection: distinctive tokens, no normal match, matches the attack and close variants', () => {
    const cs = createClonalSelection({ reservoir, clock: createManualClock() })
    const attack = itemRequest("1'+OR+'1'%3D'1")
    const sig = only(cs.generate(ITEM, attack, [{ context: ITEM, parameter: 'id', feature: 'chars', observed: 1, expected: '0', surprise: 9 }]).signatures)
    expect(sig.context).toBe(ITEM)
    expect(sig.parameter).toBe('id')
    expect(sig.generator).toBe('clonal-token-set/1')
    expect(sig.sampleCount).toBe(1)
    expect(sig.id).toBe(signatureId(ITEM, 'id', sig.tokens))
    expect(sig.id).toMatch(/^[0-9a-f]{32}$/)
    expect(sig.tokens).toEqual(expect.arrayContaining(["' or", "'='"]))
    expect(sig.tokens.every((t) => t.length >= 3 && t === t.toLowerCase())).toBe(true)
    expect(normalMatches(sig)).toBe(0)
    expect(signatureMatches(sig, ITEM, attack)).toBe(true)
    for (const variant of ["2'+or+'a'%3D'a", "abc'+OR+'x'='x", '1%2527%2520OR%2520%25271%2527%253D%25271', "9'%20Or%20'z'%3d'z'--"]) {
      expect(signatureMatches(sig, ITEM, itemRequest(variant)), variant).toBe(true)
    }
    // another context, or the injection in another parameter, is not this signature's business
    expect(signatureMatches(sig, SEARCH, itemRequest("1'+OR+'1'%3D'1"))).toBe(false)
    expect(signatureMatches(sig, ITEM, itemRequest('5', "x'+or+'y'='y"))).toBe(false)
  })

  it('UNION SELECT: one sample is specific; a cluster of three similar injections yields their shared tokens', () => {
    const clock = createManualClock()
    const cs = createClonalSelection({ reservoir, clock })
    const a = itemRequest('1+UNION+SELECT+password+FROM+users--')
    const b = itemRequest('7+union+select+name+from+accounts')
    const c = itemRequest('3+UnIoN+SeLeCt+email+FrOm+admins')
    const first = only(cs.generate(ITEM, a, ['id']).signatures)
    expect(first.tokens).toEqual(expect.arrayContaining(['union', 'select', 'password', 'users']))
    expect(signatureMatches(first, ITEM, b)).toBe(false)
    clock.advance(1000)
    expect(only(cs.generate(ITEM, b, ['id']).signatures).sampleCount).toBe(2)
    clock.advance(1000)
    const shared = only(cs.generate(ITEM, c, ['id']).signatures)
    expect(shared.sampleCount).toBe(3)
    expect([...shared.tokens].sort()).toEqual(['from', 'select', 'union'])
    for (const obs of [a, b, c, itemRequest('9+union+all+select+x+from+y'), itemRequest('9%2520UNION%2520SELECT%2520*%2520FROM%2520t')]) {
      expect(signatureMatches(shared, ITEM, obs)).toBe(true)
    }
    expect(normalMatches(shared)).toBe(0)
  })

  it('a dissimilar or stale anomaly does not join the cluster', () => {
    const clock = createManualClock()
    const cs = createClonalSelection({ reservoir, clock }, { clusterWindowMs: 60_000 })
    cs.generate(ITEM, itemRequest('1+UNION+SELECT+password+FROM+users--'), ['id'])
    // dissimilar: the SQL-injection cluster must not swallow it
    const xss = only(cs.generate(ITEM, itemRequest('%3Cscript%3Ealert(1)%3C%2Fscript%3E'), ['id']).signatures)
    expect(xss.sampleCount).toBe(1)
    expect(xss.tokens).toEqual(expect.arrayContaining(['script', 'alert']))
    clock.advance(120_000)
    // similar but outside the window
    expect(only(cs.generate(ITEM, itemRequest('7+union+select+name+from+accounts'), ['id']).signatures).sampleCount).toBe(1)
  })

  it('XSS and path traversal, plain and double encoded', () => {
    const cs = createClonalSelection({ reservoir, clock: createManualClock() })
    const xss = only(cs.generate(SEARCH, searchRequest('%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E'), ['q']).signatures)
    expect(xss.parameter).toBe('q')
    expect(xss.tokens).toEqual(expect.arrayContaining(['script', 'alert', 'document', 'cookie']))
    expect(normalMatches(xss)).toBe(0)
    expect(signatureMatches(xss, SEARCH, searchRequest('%3CScRiPt%3Ealert(document.cookie)%3C/SCRIPT%3E'))).toBe(true)
    expect(signatureMatches(xss, SEARCH, searchRequest('%253Cscript%253Ealert%2528document.cookie%2529%253C%252Fscript%253E'))).toBe(true)

    const trav = only(cs.generate(FILE, fileRequest('..%2F..%2F..%2F..%2Fetc%2Fpasswd'), ['file']).signatures)
    expect(trav.tokens).toEqual(expect.arrayContaining(['passwd', '../']))
    expect(normalMatches(trav)).toBe(0)
    expect(signatureMatches(trav, FILE, fileRequest('../../etc/passwd'))).toBe(true)
    expect(signatureMatches(trav, FILE, fileRequest('..%252F..%252F..%252Fetc%252Fpasswd'))).toBe(true)
  })

  it('only evidence worth sharing: never the whole request, never novelty-only reasons (issue 9)', () => {
    const cs = createClonalSelection({ reservoir, clock: createManualClock() })
    const attack = fileRequest('..%252F..%252Fetc%252Fshadow')
    // no parameter named: no signature (the whole request, normal fields included, is never mined)
    expect(cs.generate(FILE, attack).signatures).toEqual([])
    expect(cs.generate(FILE, attack, ['nope']).outcomes[0].reason).toMatch(/never mined/)
    // a reason marked novelty (a new value of an enumeration, an unknown parameter) does not count
    const novelty = [{ context: FILE, parameter: 'file', feature: 'enumeration', observed: 'x', expected: 'y', surprise: 3, novelty: true }]
    const r = cs.generate(FILE, attack, novelty)
    expect(r.signatures).toEqual([])
    expect(r.outcomes[0].reason).toMatch(/novelty only/)
    // the same parameter with an evidence reason does
    const evidence = [{ context: FILE, parameter: 'file', feature: 'unseen-characters', observed: '"/"', expected: 'y', surprise: 3 }]
    expect(only(cs.generate(FILE, attack, evidence).signatures).tokens).toContain('shadow')
  })

  it('nothing that looks like personal data: not the name before the injection, no e-mail address, no long number', () => {
    const cs = createClonalSelection({ reservoir, clock: createManualClock() })
    const sig = only(cs.generate(LOGIN, loginRequest("zebulonkowalczyk'+UNION+SELECT+password+FROM+users--"), ['user']).signatures)
    expect(sig.tokens.join(' ')).not.toMatch(/zebulon|kowalczyk/)
    expect(sig.tokens).toEqual(expect.arrayContaining(['union', 'select']))
    const mail = cs.generate(LOGIN, loginRequest("x'+OR+email%3D'zoe.quux@corp.example'--"), ['user'])
    for (const t of mail.signatures.flatMap((x) => x.tokens)) expect(t).not.toMatch(/@|zoe|quux/)
    const card = cs.generate(LOGIN, loginRequest("x'%3B+UPDATE+cards+SET+pan%3D4111111111111111--"), ['user'])
    for (const t of card.signatures.flatMap((x) => x.tokens)) expect(t).not.toMatch(/[0-9]{3}/)
    expect(card.signatures.length).toBe(1)
  })

  it('gives up with a reason: too little normal traffic, or nothing distinctive', () => {
    const few = createClonalSelection({ reservoir: memorySample(normalTraffic(1, 5)), clock: createManualClock() })
    const r = few.generate(ITEM, itemRequest("1'+or+'1'='1"), ['id'])
    expect(r.signatures).toEqual([])
    expect(r.outcomes[0].reason).toMatch(/insufficient normal sample/)

    const cs = createClonalSelection({ reservoir, clock: createManualClock() })
    // anomalous by size only: every token is normal
    const big = cs.generate(ITEM, itemRequest('99999999', 'Turrón', '77777'), ['id', 'qty'])
    expect(big.signatures).toEqual([])
    expect(big.outcomes.map((o) => o.parameter)).toEqual(['id', 'qty'])
    expect(big.outcomes[0].reason).toMatch(/no candidate token/)
  })

  it('refines or refuses a token set that matches the normal sample when rare tokens are allowed', () => {
    const cs = createClonalSelection({ reservoir, clock: createManualClock() }, { maxNormalDocFreq: 1, maxContextDocFreq: 1, maxTokens: 2 })
    // every word is normal; as a pair they occur together in normal searches
    const r = cs.generate(SEARCH, searchRequest('cheap+wine+box'), ['q'])
    for (const sig of r.signatures) expect(normalMatches(sig)).toBe(0)
    const pair = cs.generate(SEARCH, searchRequest('cheap+wine'), ['q'])
    expect(pair.signatures).toEqual([])
    expect(pair.outcomes.find((o) => o.parameter === 'q')?.reason).toMatch(/matches the normal sample/)
  })

  it('never returns a signature that matches normal traffic or misses its own request (seeded random attacks)', () => {
    const rng = createPrng(99)
    const pieces = ["'", '"', '<', '>', '(', ')', ';', '--', '../', 'union', 'select', 'or', 'and', 'sleep', 'wine', 'cheap', 'admin', 'etc', 'passwd', '%27', '%3C', '+', '1', '=', 'x']
    const cs = createClonalSelection({ reservoir, clock: createManualClock() })
    let made = 0
    for (let i = 0; i < 60; i++) {
      const value = Array.from({ length: 2 + rng.nextInt(8) }, () => pieces[rng.nextInt(pieces.length)]).join('')
      const [context, obs, param]: [string, HttpObservation, string] = [
        [ITEM, itemRequest(value), 'id'] as [string, HttpObservation, string],
        [SEARCH, searchRequest(value), 'q'] as [string, HttpObservation, string],
        [LOGIN, loginRequest(value), 'user'] as [string, HttpObservation, string]
      ][rng.nextInt(3)]
      for (const sig of cs.generate(context, obs, [param]).signatures) {
        made++
        expect(normalMatches(sig), `${context} ${value} ${JSON.stringify(sig.tokens)}`).toBe(0)
        expect(signatureMatches(sig, context, obs)).toBe(true)
        expect(sig.tokens.length).toBeLessThanOrEqual(8)
      }
    }
    expect(made).toBeGreaterThan(20)
  })

  it('selectTokens is pure and reports its breakdown', () => {
    const params = createClonalSelectionParams()
    const normalDocs = ['12', '7', '300']
    const sel = selectTokens({ value: "1' or '1'='1", cluster: [], normalDocs, contextDocs: normalDocs }, params)
    expect(sel.tokens).toEqual(["' or", "or '", "'='"])
    expect(sel.members).toBe(1)
    expect(sel.rare).toBeGreaterThanOrEqual(sel.minimal)
    expect(sel.candidates).toBeGreaterThanOrEqual(sel.rare)
    expect(selectTokens({ value: "1' or '1'='1", cluster: [], normalDocs, contextDocs: normalDocs }, params)).toEqual(sel)
  })

  it('cuts the signature around the breaking tokens the innate layer found (focus), not around the rest of the value', () => {
    const params = createClonalSelectionParams()
    const normalDocs = ['ana', 'bob', 'carla']
    const value = "zebulon_x9 quartermaster' union select password from users--"
    const plain = selectTokens({ value, cluster: [], normalDocs, contextDocs: normalDocs }, params)
    // even without a focus, the value's leading data (the user name before the quote) is never a token (issue 9)
    expect(plain.tokens.some((t) => t.includes('quartermaster') || t.includes('zebulon'))).toBe(false)
    const focus = ["' union select password from users--"]
    const cut = selectTokens({ value, cluster: [], normalDocs, contextDocs: normalDocs, focus }, params)
    expect(cut.tokens.length).toBeGreaterThan(0)
    for (const t of cut.tokens) expect(focus[0].includes(t), t).toBe(true)
    // a focus that holds no candidate (decoded differently) falls back to the whole value
    expect(selectTokens({ value, cluster: [], normalDocs, contextDocs: normalDocs, focus: ['<script>'] }, params).tokens).toEqual(plain.tokens)
  })

  it('validates its params', () => {
    try {
      createClonalSelectionParams({ maxTokens: 0 })
      expect.unreachable()
    } catch (err) {
      expect((err as InvalidParamsError).code).toBe('IMMUNE_ERR_INVALID_PARAMS')
    }
    expect(() => createClonalSelectionParams({ maxNormalDocFreq: 2 })).toThrow(InvalidParamsError)
  })
})
