import { describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { createAlertPublisher, createSourceFilter, isReservedAddress, shareableExplanation } from '../../../node/intake/index.js'
import { InvalidParamsError } from '../../../node/errors.js'
import { createFakeMesh, makeSignature } from './fake-mesh.js'

const T0 = 1_700_000_000_000

describe('what leaves a host: source addresses', () => {
  const excluded = [
    '127.0.0.1', '127.8.9.10', '::1', '[::1]', '0:0::1', '::ffff:127.0.0.1', '0.0.0.0', '::',
    '10.0.0.5', '10.255.255.255', '172.16.0.1', '172.31.255.254', '192.168.1.20', '::ffff:192.168.1.20', '::ffff:c0a8:0114',
    '100.64.0.1', '100.127.255.254', '169.254.10.20', 'fe80::1', 'fe80::1%eth0',
    'fc00::1', 'fd12:3456:789a::1', '224.0.0.251', '255.255.255.255', 'ff02::1',
    'not-an-address', ''
  ]
  const published = ['203.0.113.7', '198.51.100.20', '192.0.2.1', '8.8.8.8', '172.32.0.1', '172.15.255.255', '100.63.255.255', '100.128.0.1', '2001:db8::7', '::ffff:203.0.113.7']

  it('never publishes loopback, private (RFC 1918, 4193), shared (RFC 6598), link-local, multicast or invalid addresses', () => {
    const f = createSourceFilter()
    for (const a of excluded) expect(f.shareable(a), a).toBe(false)
    for (const a of published) expect(f.shareable(a), a).toBe(true)
    for (const a of excluded) expect(isReservedAddress(a), a).toBe(true)
  })

  it('never publishes the allowlist or the trusted proxies, and says why', () => {
    const f = createSourceFilter({ allowlist: ['203.0.113.0/28', '2001:db8::/64'], trustedProxies: ['198.51.100.20'] })
    expect(f.exclusion('203.0.113.7')).toBe('allowlisted')
    expect(f.exclusion('2001:db8::7')).toBe('allowlisted')
    expect(f.exclusion('198.51.100.20')).toBe('trusted-proxy')
    expect(f.exclusion('10.1.2.3')).toBe('reserved')
    expect(f.exclusion('nope')).toBe('invalid')
    expect(f.exclusion('203.0.113.77')).toBeNull()
  })

  it('names the bad entry of a bad list', () => {
    expect(() => createSourceFilter({ trustedProxies: ['198.51.100.20', '1.2.3.4/99'] })).toThrow(InvalidParamsError)
    expect(() => createSourceFilter({ trustedProxies: ['198.51.100.20', 'proxy.local'] })).toThrow(/collaboration\.trustedProxies\[1\]/)
  })
})

describe('what leaves a host: explanations', () => {
  it('is made of names, features and surprise only: no value, no expected set', () => {
    const text = shareableExplanation([
      { parameter: 'id', feature: 'unseen-3grams', surprise: 9.53 },
      { parameter: 'size', feature: 'enumeration', surprise: 4, novelty: true },
      { parameter: "x' or 1=1 --", feature: 'length', surprise: 2 },
      { parameter: 'q', feature: 'expected one of {"socks","jacket"}', surprise: 3 }
    ])
    expect(text).toBe('id: unseen-3grams (surprise 9.5); length (surprise 2.0)')
    expect(text).not.toMatch(/socks|jacket|or 1=1/)
  })

  it('the publisher builds every alert\'s explanation and sources through those rules', async () => {
    const clock = createManualClock(T0)
    const mesh = createFakeMesh('self', () => clock.now())
    const pub = createAlertPublisher({ clock, mesh, sourceFilter: createSourceFilter({ allowlist: ['203.0.113.1'] }) })
    const sig = makeSignature('0123abcd', ['union', 'select'])
    // an allowlisted source: the signature still goes out, the address does not
    await pub.onDanger({ community: 'shop', level: 2, context: 'GET /item', parameter: 'id', score: 12, source: '203.0.113.1', signature: sig, reasons: [{ parameter: 'id', feature: 'structure', surprise: 7 }] })
    // a private source with nothing else new: an anomaly alert without it
    await pub.onDanger({ community: 'shop', level: 2, context: 'GET /cart', parameter: 'qty', score: 9, source: '192.168.0.7' })
    // a loopback source alone: no 'source' alert naming it
    clock.advance(60_000)
    await pub.onDanger({ community: 'shop', level: 2, context: 'GET /cart', parameter: 'qty', score: 9, source: '127.0.0.1' })
    expect(mesh.published.map((a) => a.kind)).toEqual(['signature', 'anomaly', 'anomaly'])
    for (const a of mesh.published) expect(a.sources).toEqual([])
    expect(mesh.published[0].seen.explanation).toBe('matches signature 0123abcd; id: structure (surprise 7.0)')
    expect(pub.stats().withheldSources).toBe(3)
  })
})
