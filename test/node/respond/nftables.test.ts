import { describe, expect, it } from 'vitest'
import { createNftablesFirewall, detectNftables, which } from '../../../node/respond/index.js'

describe('nftables detection (never touches the host firewall)', () => {
  it('is enabled only as root with nft on PATH, and says why not otherwise', () => {
    const found = (): string => '/usr/sbin/nft'
    const missing = (): null => null
    expect(detectNftables({ uid: 0, which: found })).toMatchObject({ enabled: true, nftPath: '/usr/sbin/nft' })
    const notRoot = detectNftables({ uid: 1000, which: found })
    expect(notRoot.enabled).toBe(false)
    expect(notRoot.reason).toContain('uid 1000')
    const noNft = detectNftables({ uid: 0, which: missing })
    expect(noNft.enabled).toBe(false)
    expect(noNft.reason).toContain('nft not found')
    expect(detectNftables({ mode: 'off', uid: 0, which: found })).toMatchObject({ enabled: false, reason: expect.stringContaining('off') })
  })

  it('real detection on this host agrees with PATH and uid', () => {
    const d = detectNftables()
    const nft = which('nft')
    expect(d.nftPath).toBe(nft)
    expect(d.enabled).toBe(nft != null && process.getuid?.() === 0)
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
    expect(calls).toContain('add set inet immune_mesh deny4 { type ipv4_addr; flags timeout; }')
    expect(calls).toContain('add rule inet immune_mesh input ip saddr @deny4 drop')
    expect(calls.slice(-3)).toEqual([
      'add element inet immune_mesh deny4 { 203.0.113.5 timeout 60s }',
      'add element inet immune_mesh deny6 { 2001:db8::1 timeout 10s }',
      'delete element inet immune_mesh deny4 { 203.0.113.5 }'
    ])
  })
})
