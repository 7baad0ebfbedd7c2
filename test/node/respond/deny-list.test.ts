import { describe, expect, it } from 'vitest'
import { createManualClock } from '../../../core/clock.js'
import { createDenyList, createThreatLevel, normalizeAddress } from '../../../node/respond/index.js'

describe('normalizeAddress', () => {
  it('gives one text per address', () => {
    expect(normalizeAddress('::ffff:10.1.2.3')).toBe('10.1.2.3')
    expect(normalizeAddress('::FFFF:7f00:1')).toBe('127.0.0.1')
    expect(normalizeAddress('[0:0::1]')).toBe('::1')
    expect(normalizeAddress('2001:DB8::0:1')).toBe('2001:db8::1')
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1')
    expect(normalizeAddress(' 192.0.2.1 ')).toBe('192.0.2.1')
    expect(normalizeAddress('example.com')).toBeNull()
    expect(normalizeAddress('1.2.3.256')).toBeNull()
  })
})

describe('DenyList', () => {
  it('denies until the expiry, then forgets (ManualClock)', () => {
    const clock = createManualClock()
    const dl = createDenyList({ clock })
    const t0 = clock.now()
    expect(dl.add('203.0.113.5', t0 + 60_000, 'd1')).toBe(true)
    expect(dl.isDenied('203.0.113.5')).toBe(true)
    expect(dl.isDenied('::ffff:203.0.113.5')).toBe(true)
    expect(dl.isDenied('203.0.113.6')).toBe(false)
    clock.advance(59_999)
    expect(dl.isDenied('203.0.113.5')).toBe(true)
    clock.advance(1)
    expect(dl.isDenied('203.0.113.5')).toBe(false)
    expect(dl.size()).toBe(0)
    // an explicit time is honoured too
    dl.add('2001:db8::7', clock.now() + 1000, 'd2')
    expect(dl.isDenied('2001:DB8::7', clock.now() + 999)).toBe(true)
    expect(dl.isDenied('2001:db8::7', clock.now() + 1000)).toBe(false)
  })

  it('never denies an allowlisted address (IPv4 and IPv6 CIDR)', () => {
    const clock = createManualClock()
    const dl = createDenyList({ clock }, { allowlist: ['10.0.0.0/8', 'fd00::/8', '192.0.2.1'] })
    expect(dl.add('10.20.30.40', clock.now() + 1000, 'a')).toBe(false)
    expect(dl.add('::ffff:10.20.30.40', clock.now() + 1000, 'b')).toBe(false)
    expect(dl.add('fd12::1', clock.now() + 1000, 'c')).toBe(false)
    expect(dl.add('192.0.2.1', clock.now() + 1000, 'd')).toBe(false)
    expect(dl.add('192.0.2.2', clock.now() + 1000, 'e')).toBe(true)
    expect(dl.add('not-an-ip', clock.now() + 1000, 'f')).toBe(false)
    expect(dl.list().map(e => e.address)).toEqual(['192.0.2.2'])
  })

  it('one address held by several decisions stays denied until the last ends', () => {
    const clock = createManualClock()
    const dl = createDenyList({ clock })
    const changes: string[] = []
    dl.onChange((c, e) => changes.push(`${c}:${e.address}`))
    dl.add('198.51.100.9', clock.now() + 10_000, 'short')
    dl.add('198.51.100.9', clock.now() + 60_000, 'long')
    expect(dl.get('198.51.100.9')?.expiresAtMs).toBe(clock.now() + 60_000)
    expect(dl.remove('198.51.100.9', 'long')).toBe(false)
    expect(dl.get('198.51.100.9')?.expiresAtMs).toBe(clock.now() + 10_000)
    clock.advance(10_000)
    expect(dl.isDenied('198.51.100.9')).toBe(false)
    expect(changes).toEqual(['add:198.51.100.9', 'add:198.51.100.9', 'expire:198.51.100.9'])
    dl.add('198.51.100.9', clock.now() + 5000, 'x')
    expect(dl.remove('198.51.100.9')).toBe(true)
    expect(dl.isDenied('198.51.100.9')).toBe(false)
  })
})

describe('ThreatLevel', () => {
  it('is raised for a bounded time and decays through the clock; remote raises reach 1 at most', () => {
    const clock = createManualClock()
    const threat = createThreatLevel({ clock })
    const seen: Array<[number, number]> = []
    threat.onChange((l, p) => seen.push([p, l]))
    expect(threat.level()).toBe(0)
    expect(threat.raise({ level: 2, durationMs: 5000, origin: 'remote', reason: 'peer alert' })).toBe(1)
    expect(threat.raise({ level: 2, durationMs: 2000, origin: 'local', reason: 'sql injection' })).toBe(2)
    expect(threat.snapshot()).toMatchObject({ level: 2, untilMs: clock.now() + 2000 })
    clock.advance(2000)
    expect(threat.level()).toBe(1)
    clock.advance(3000)
    expect(threat.level()).toBe(0)
    expect(seen).toEqual([[0, 1], [1, 2], [2, 1], [1, 0]])
    expect(clock.pending()).toBe(0)
    // a shorter raise does not cut a longer one short
    threat.raise({ level: 1, durationMs: 10_000, origin: 'local', reason: 'a' })
    threat.raise({ level: 1, durationMs: 1000, origin: 'local', reason: 'b' })
    clock.advance(5000)
    expect(threat.level()).toBe(1)
    threat.stop()
    expect(clock.pending()).toBe(0)
  })
})
