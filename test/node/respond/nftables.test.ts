import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CAP_NET_ADMIN, createNftablesFirewall, detectNftables, effectiveCapabilities, which } from '../../../node/respond/index.js'

describe('nftables detection (never touches the host firewall)', () => {
  it('is enabled only with CAP_NET_ADMIN (root, or a user granted it) and nft on PATH, and says why not otherwise', () => {
    const found = (): string => '/usr/sbin/nft'
    const missing = (): null => null
    const netAdmin = 1n << BigInt(CAP_NET_ADMIN)
    expect(detectNftables({ mode: 'auto', uid: 0, capEff: 0x1ffffffffffn, which: found })).toMatchObject({ enabled: true, netAdmin: true, nftPath: '/usr/sbin/nft' })
    // the systemd unit with firewall.conf: a dedicated user with that one capability
    const granted = detectNftables({ mode: 'auto', uid: 998, capEff: netAdmin, which: found })
    expect(granted).toMatchObject({ enabled: true, netAdmin: true })
    expect(granted.reason).toContain('CAP_NET_ADMIN held (uid 998)')
    const notGranted = detectNftables({ mode: 'auto', uid: 1000, capEff: 0n, which: found })
    expect(notGranted.enabled).toBe(false)
    expect(notGranted.reason).toContain('uid 1000 without CAP_NET_ADMIN')
    // root without the capability (an unprivileged container) cannot change the ruleset either
    expect(detectNftables({ mode: 'auto', uid: 0, capEff: 0x1ffffffffffn & ~netAdmin, which: found }).enabled).toBe(false)
    // capabilities unknown (no /proc): uid 0 stands for them
    expect(detectNftables({ mode: 'auto', uid: 0, capEff: null, which: found })).toMatchObject({ enabled: true, netAdmin: null })
    expect(detectNftables({ mode: 'auto', uid: 1000, capEff: null, which: found }).enabled).toBe(false)
    const noNft = detectNftables({ mode: 'auto', uid: 0, capEff: netAdmin, which: missing })
    expect(noNft.enabled).toBe(false)
    expect(noNft.reason).toContain('nft is not found')
    expect(detectNftables({ mode: 'off', uid: 0, capEff: netAdmin, which: found })).toMatchObject({ enabled: false, reason: expect.stringContaining('off') })
    // off is the default; on asks for it and fails start-up when it cannot be had
    expect(detectNftables({ uid: 0, capEff: netAdmin, which: found })).toMatchObject({ mode: 'off', enabled: false })
    expect(detectNftables({ mode: 'on', uid: 0, capEff: netAdmin, which: found })).toMatchObject({ enabled: true })
    expect(detectNftables({ mode: 'on', uid: 1000, capEff: 0n, which: found })).toMatchObject({ enabled: false, failed: true, reason: expect.stringContaining('policy.nftables = on') })
    expect(detectNftables({ mode: 'auto', uid: 0, capEff: netAdmin, which: missing }).failed).toBeUndefined()
  })

  it('reads the effective capability set from /proc/<pid>/status', () => {
    expect(effectiveCapabilities('Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t0000000000001000\nCapBnd:\t0000000000001000\n')).toBe(1n << 12n)
    expect(effectiveCapabilities('Name:\tnode\n')).toBeNull()
    expect(effectiveCapabilities(readFileSync('/proc/self/status', 'utf8'))).not.toBeNull()
  })

  it('real detection on this host agrees with PATH and the process\'s own capabilities', () => {
    const d = detectNftables()
    const nft = which('nft')
    const capEff = effectiveCapabilities(readFileSync('/proc/self/status', 'utf8'))!
    expect(d.nftPath).toBe(nft)
    expect(d.netAdmin).toBe((capEff & (1n << 12n)) !== 0n)
    expect(d.enabled).toBe(nft != null && d.netAdmin === true)
    expect(d.reason).toMatch(/^nftables: /)
  })

  it('which() finds executables on a given PATH only', () => {
    expect(which('sh', '/bin:/usr/bin')).toMatch(/\/sh$/)
    expect(which('sh', '/nonexistent')).toBeNull()
  })

  it('the firewall commands it would run (recorded, not executed)', async () => {
    const calls: string[] = []
    const fw = createNftablesFirewall({ nftPath: '/usr/sbin/nft', exec: async (args) => { calls.push(args.join(' ')) } })
    await fw.setup()
    await fw.add('::ffff:203.0.113.5', 59.2)
    await fw.add('2001:db8::1', 10)
    await fw.remove('203.0.113.5')
    expect(calls).toContain('add set inet immune_mesh deny4 { type ipv4_addr; flags timeout; timeout 31536000s; }')
    expect(calls).toContain('add rule inet immune_mesh input ip saddr @deny4 drop')
    expect(calls.slice(-3)).toEqual([
      'add element inet immune_mesh deny4 { 203.0.113.5 timeout 60s }',
      'add element inet immune_mesh deny6 { 2001:db8::1 timeout 10s }',
      'delete element inet immune_mesh deny4 { 203.0.113.5 }'
    ])
    expect(fw.status().entries.map((e) => e.address)).toEqual(['2001:db8::1'])
    await fw.teardown()
    expect(calls.at(-1)).toBe('delete table inet immune_mesh')
    expect(fw.status().entries).toEqual([])
  })
})
