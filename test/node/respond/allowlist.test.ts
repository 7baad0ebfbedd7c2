import { describe, expect, it } from 'vitest'
import { createAllowlist, createDenyList, createPolicy, isAllowlisted } from '../../../node/respond/index.js'

const clock = { now: () => 1_000_000, setTimeout: () => 0 as never, clearTimeout: () => {} } as never

describe('allowlist: config entries plus runtime ones', () => {
  it('adds, matches, removes runtime entries; config entries stay', () => {
    const a = createAllowlist(['127.0.0.1', '::1'])
    expect(a.has('10.1.2.3')).toBe(false)
    const e = a.add('10.0.0.0/8', 5, 'lan')
    expect(e).toEqual({ entry: '10.0.0.0/8', origin: 'runtime', addedAtMs: 5, reason: 'lan' })
    expect(a.has('10.1.2.3')).toBe(true)
    expect(a.has('::ffff:10.1.2.3')).toBe(true)
    expect(a.match('10.1.2.3')).toMatchObject({ entry: '10.0.0.0/8', origin: 'runtime' })
    expect(a.match('127.0.0.1')).toMatchObject({ origin: 'config' })
    // adding what is there returns the existing entry
    expect(a.add('127.0.0.1', 9).origin).toBe('config')
    expect(a.remove('127.0.0.1')).toBe('config')
    expect(a.remove('192.0.2.1')).toBe('absent')
    expect(a.remove('10.0.0.0/8')).toBe('removed')
    expect(a.has('10.1.2.3')).toBe(false)
    expect(() => a.add('10.0.0.0/99', 1)).toThrow(RangeError)
    expect(() => a.add('nope', 1)).toThrow(/accepted/)
  })

  it('restores runtime entries, skipping unreadable ones', () => {
    const a = createAllowlist([])
    expect(a.restore([{ entry: 'fd00::/8', origin: 'runtime', addedAtMs: 1 }, { entry: 'bad', origin: 'runtime' }])).toEqual(['bad'])
    expect(a.has('fd00::1')).toBe(true)
    expect(a.runtime()).toEqual([{ entry: 'fd00::/8', origin: 'runtime', addedAtMs: 1 }])
  })

  it('the policy and the deny list see a runtime entry at once', () => {
    const policy = createPolicy({ allowlist: [] })
    const deny = createDenyList({ clock }, { allowlist: policy.allowlist })
    expect(isAllowlisted(policy, '203.0.113.7')).toBe(false)
    expect(deny.add('203.0.113.7', 2_000_000, 'd1')).toBe(true)
    policy.allowlist.add('203.0.113.0/24', 0)
    expect(isAllowlisted(policy, '203.0.113.7')).toBe(true)
    expect(deny.add('203.0.113.8', 2_000_000, 'd2')).toBe(false)
    expect(deny.isAllowlisted('203.0.113.8')).toBe(true)
  })
})
