/**
 * packaging/systemd: the hardened unit, its firewall drop-in, the sysusers
 * file and the example config, checked with systemd's own tools where they
 * exist (`systemd-analyze verify` and `security --offline`, `systemd-sysusers`
 * on a temp root) and with the node's own CLI and config checker. Nothing is
 * started, enabled or installed on this host: every file goes to a temp root.
 */
import { execFile, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startCommand } from '../../node/cli/start.js'
import { loadConfig } from '../../node/config/index.js'
import { detectNftables, effectiveCapabilities } from '../../node/respond/index.js'
import { REPO_ROOT } from '../e2e/support/daemon.js'

const DIR = join(REPO_ROOT, 'packaging', 'systemd')
const UNIT = 'immune-node.service'
const DROP_IN = join(`${UNIT}.d`, 'firewall.conf')

type Unit = Record<string, Record<string, string[]>>

/** systemd's unit syntax, enough for these files: [Section], Key=Value (repeatable), # and ; comments. */
function parseUnit (text: string): Unit {
  const out: Unit = {}
  let section = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const s = /^\[(.+)\]$/.exec(line)
    if (s != null) { section = s[1]; out[section] ??= {}; continue }
    const eq = line.indexOf('=')
    const key = line.slice(0, eq)
    ;((out[section] ??= {})[key] ??= []).push(line.slice(eq + 1))
  }
  return out
}

const unit = parseUnit(readFileSync(join(DIR, UNIT), 'utf8'))
const dropIn = parseUnit(readFileSync(join(DIR, DROP_IN), 'utf8'))
const svc = unit.Service
const one = (k: string): string | undefined => svc[k]?.at(-1)
const execStart = one('ExecStart')!.split(/\s+/)

function which (cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

async function run (cmd: string, args: string[]): Promise<{ code: number | null, out: string }> {
  return await new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null, out: stdout + stderr })
    })
  })
}

const roots: string[] = []
afterAll(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }) })

/** A temp root with the system's own unit library, our unit (and drop-in), and an executable where ExecStart points. */
function fakeRoot (opts: { dropIn: boolean, unitText?: string }): string {
  const root = mkdtempSync(join(tmpdir(), 'immune-systemd-'))
  roots.push(root)
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true })
  const etc = join(root, 'etc/systemd/system')
  mkdirSync(etc, { recursive: true })
  writeFileSync(join(etc, UNIT), opts.unitText ?? readFileSync(join(DIR, UNIT), 'utf8'))
  if (opts.dropIn) cpSync(join(DIR, `${UNIT}.d`), join(etc, `${UNIT}.d`), { recursive: true })
  const bin = join(root, execStart[0])
  mkdirSync(dirname(bin), { recursive: true })
  writeFileSync(bin, '#!/bin/sh\n')
  chmodSync(bin, 0o755)
  return root
}

describe('systemd unit: what it promises', () => {
  it('runs as a dedicated user with no capabilities, no privilege escalation and a read-only system', () => {
    expect(one('User')).toBe('immune-mesh')
    expect(one('Group')).toBe('immune-mesh')
    expect(one('NoNewPrivileges')).toBe('yes')
    expect(one('ProtectSystem')).toBe('strict')
    expect(one('ProtectHome')).toBe('yes')
    expect(one('CapabilityBoundingSet')).toBe('')
    expect(one('AmbientCapabilities')).toBe('')
    expect(one('StateDirectory')).toBe('immune-mesh')
    expect(one('SystemCallFilter')).toBe('@system-service')
    // V8's JIT needs writable+executable memory: this one would crash the daemon
    expect(svc.MemoryDenyWriteExecute).toBeUndefined()
  })

  it('only the firewall drop-in adds CAP_NET_ADMIN, and nothing else', () => {
    expect(Object.keys(dropIn)).toEqual(['Service'])
    expect(dropIn.Service).toEqual({ AmbientCapabilities: ['CAP_NET_ADMIN'], CapabilityBoundingSet: ['CAP_NET_ADMIN'] })
  })

  it('ExecStart uses only options the real start command has, and the example config passes the real checker', () => {
    expect(execStart.slice(1, 2)).toEqual(['start'])
    const known = new Set(Object.keys(startCommand.options ?? {}))
    const flags = execStart.filter((a) => a.startsWith('--')).map((a) => a.slice(2))
    expect(flags.length).toBeGreaterThan(0)
    for (const f of flags) expect(known, `--${f}`).toContain(f)
    const dataDir = execStart[execStart.indexOf('--data-dir') + 1]
    expect(dataDir).toBe(`/var/lib/${one('StateDirectory')!}`)
    expect(execStart[execStart.indexOf('--config') + 1]).toBe(`/etc/${one('ConfigurationDirectory')!}/node.yaml`)
    const config = loadConfig(join(REPO_ROOT, 'packaging', 'node.yaml'))
    expect(config.dataDir).toBe(dataDir)
    expect(config.api.host).toBe('127.0.0.1')
  })
})

const analyze = which('systemd-analyze')
describe.skipIf(analyze == null)(`systemd-analyze (${analyze ?? 'not installed here: skipped; .ci/run installs Debian\'s systemd package'})`, () => {
  it('verify passes without and with the firewall drop-in, and catches a misspelt key', async () => {
    for (const withDropIn of [false, true]) {
      const root = fakeRoot({ dropIn: withDropIn })
      const r = await run(analyze!, ['verify', `--root=${root}`, UNIT])
      expect(r, `drop-in ${String(withDropIn)}`).toEqual({ code: 0, out: '' })
    }
    // the check is live: the same unit with one key misspelt is reported
    const typo = readFileSync(join(DIR, UNIT), 'utf8').replace('ProtectSystem=strict', 'ProtectSytem=strict')
    const r = await run(analyze!, ['verify', `--root=${fakeRoot({ dropIn: false, unitText: typo })}`, UNIT])
    expect(r.out).toContain("Unknown key 'ProtectSytem'")
  }, 120_000)

  it('security --offline rates the exposure OK: lower without the drop-in than with it, far below the defaults', async () => {
    const exposure = async (root: string): Promise<number> => {
      const r = await run(analyze!, ['security', '--offline=yes', `--root=${root}`, UNIT])
      const m = /Overall exposure level for immune-node\.service: ([\d.]+) (\w+)/.exec(r.out)
      expect(m, r.out.slice(-500)).not.toBeNull()
      return Number(m![1])
    }
    const base = await exposure(fakeRoot({ dropIn: false }))
    const firewall = await exposure(fakeRoot({ dropIn: true }))
    const bare = await exposure(fakeRoot({ dropIn: false, unitText: `[Service]\nExecStart=${execStart.join(' ')}\n` }))
    expect(base).toBeLessThanOrEqual(2.5)
    expect(firewall).toBeGreaterThan(base)
    expect(firewall).toBeLessThanOrEqual(2.5)
    expect(bare).toBeGreaterThan(9)
  }, 120_000)
})

const sysusers = which('systemd-sysusers')
describe.skipIf(sysusers == null)('systemd-sysusers (on a temp root)', () => {
  it('creates the dedicated system user with no login shell, its home the state directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'immune-sysusers-'))
    roots.push(root)
    mkdirSync(join(root, 'etc'))
    const r = await run(sysusers!, [`--root=${root}`, join(DIR, 'immune-mesh.sysusers.conf')])
    expect(r.code, r.out).toBe(0)
    const entry = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith('immune-mesh:'))!.split(':')
    expect(Number(entry[2])).toBeLessThan(1000)
    expect(entry[5]).toBe('/var/lib/immune-mesh')
    expect(entry[6]).toMatch(/nologin$/)
  })
})

// setpriv gives a process what the unit gives the daemon: a non-root uid, NoNewPrivileges,
// the bounding and ambient sets of the drop-in (or of the base unit: none)
const setpriv = which('setpriv')
const isRoot = process.getuid?.() === 0
describe.skipIf(setpriv == null || !isRoot)('capabilities as the unit grants them (setpriv, uid 65534)', () => {
  const probe = (caps: string): { uid: number, own: string, child: string } => {
    const capArgs = caps === '' ? ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all'] : [`--inh-caps=-all,+${caps}`, `--ambient-caps=-all,+${caps}`, `--bounding-set=-all,+${caps}`]
    const script = "const fs=require('fs');const cp=require('child_process');console.log(JSON.stringify({uid:process.getuid(),own:fs.readFileSync('/proc/self/status','utf8'),child:cp.execFileSync('/bin/sh',['-c','cat /proc/self/status'],{encoding:'utf8'})}))"
    const r = spawnSync(setpriv!, ['--reuid=65534', '--regid=65534', '--clear-groups', ...capArgs, '--no-new-privs', process.execPath, '-e', script], { encoding: 'utf8', timeout: 30_000 })
    expect(r.status, r.stderr).toBe(0)
    return JSON.parse(r.stdout) as { uid: number, own: string, child: string }
  }
  const nft = (): string => '/usr/sbin/nft'

  it('with the drop-in the daemon holds CAP_NET_ADMIN as a non-root user, so does the nft it runs, and the firewall responder turns on', () => {
    const p = probe('net_admin')
    expect(p.uid).toBe(65534)
    const own = effectiveCapabilities(p.own)!
    expect(own).toBe(1n << 12n)
    expect(effectiveCapabilities(p.child)).toBe(1n << 12n)
    expect(detectNftables({ mode: 'auto', uid: p.uid, capEff: own, which: nft })).toMatchObject({ enabled: true, netAdmin: true })
  })

  it('without it the daemon holds nothing and says why the firewall is not used', () => {
    const p = probe('')
    const own = effectiveCapabilities(p.own)!
    expect(own).toBe(0n)
    const d = detectNftables({ mode: 'auto', uid: p.uid, capEff: own, which: nft })
    expect(d.enabled).toBe(false)
    expect(d.reason).toContain('without CAP_NET_ADMIN')
  })
})

it('the files the docs tell a user to install exist', () => {
  for (const f of [UNIT, DROP_IN, 'immune-mesh.sysusers.conf']) expect(existsSync(join(DIR, f)), f).toBe(true)
  expect(existsSync(join(REPO_ROOT, 'packaging', 'node.yaml'))).toBe(true)
})
