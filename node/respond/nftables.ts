/**
 * Optional firewall mirror of the deny list: an nftables set (with per-element
 * timeouts) dropped at input. Used only when the node holds CAP_NET_ADMIN (root,
 * or a dedicated user given that one capability, as the systemd drop-in
 * packaging/systemd/immune-node.service.d/firewall.conf does), `nft` exists and
 * `policy.nftables` is `auto`. Detection never fails start-up; it
 * says what it found, so the log explains why the firewall is or is not used.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { NftablesMode } from './policy-types.js'
import { addressFamily, normalizeAddress } from './address.js'

export interface NftablesDetection {
  /** True when the firewall mirror will be used. */
  enabled: boolean
  mode: NftablesMode
  uid: number | null
  /** Whether the process holds CAP_NET_ADMIN (null: unknown, e.g. no /proc; then uid 0 counts as holding it). */
  netAdmin: boolean | null
  nftPath: string | null
  /** One line for the log: what was found and what follows. */
  reason: string
}

/** The first executable `name` on PATH, or null. */
export function which (name: string, pathEnv = process.env.PATH ?? ''): string | null {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === '') continue
    const p = join(dir, name)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {}
  }
  return null
}

/** The capability nft needs to change the ruleset (linux/capability.h). */
export const CAP_NET_ADMIN = 12

/** The effective capability set from the text of /proc/<pid>/status (`CapEff:` in hex), or null. */
export function effectiveCapabilities (statusText: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(statusText)
  return m == null ? null : BigInt('0x' + m[1])
}

function ownCapabilities (): bigint | null {
  try {
    return effectiveCapabilities(readFileSync('/proc/self/status', 'utf8'))
  } catch {
    return null
  }
}

export interface DetectOptions {
  mode?: NftablesMode
  /** Injected for tests; default process.getuid(). */
  uid?: number | null
  /** Injected for tests: the effective capability set; default read from /proc/self/status (null: unknown). */
  capEff?: bigint | null
  /** Injected for tests; default a PATH search. */
  which?: (name: string) => string | null
}

export function detectNftables (opts: DetectOptions = {}): NftablesDetection {
  const mode = opts.mode ?? 'auto'
  const uid = opts.uid !== undefined ? opts.uid : (typeof process.getuid === 'function' ? process.getuid() : null)
  const capEff = opts.capEff !== undefined ? opts.capEff : ownCapabilities()
  const netAdmin = capEff == null ? null : (capEff & (1n << BigInt(CAP_NET_ADMIN))) !== 0n
  const base = { mode, uid, netAdmin }
  if (mode === 'off') return { ...base, enabled: false, nftPath: null, reason: 'nftables: off (policy.nftables = off); blocked sources are enforced by the node\'s deny list only' }
  const nftPath = (opts.which ?? which)('nft')
  if (nftPath == null) return { ...base, enabled: false, nftPath, reason: 'nftables: nft not found on PATH; blocked sources are enforced by the node\'s deny list only' }
  const allowed = netAdmin ?? uid === 0
  if (!allowed) {
    return { ...base, enabled: false, nftPath, reason: `nftables: ${nftPath} found but the node runs as uid ${String(uid)} without CAP_NET_ADMIN (run as root or grant that capability, e.g. the systemd drop-in firewall.conf); blocked sources are enforced by the node's deny list only` }
  }
  return { ...base, enabled: true, nftPath, reason: `nftables: ${nftPath} found and ${netAdmin === true ? `CAP_NET_ADMIN held (uid ${String(uid)})` : 'running as root'}; blocked sources also go to the set inet immune_mesh deny4/deny6` }
}

export interface Firewall {
  setup: () => Promise<void>
  add: (address: string, ttlSec: number) => Promise<void>
  remove: (address: string) => Promise<void>
  /** Deletes the table (and everything in it). */
  teardown: () => Promise<void>
}

export type NftExec = (args: string[]) => Promise<void>

function defaultExec (nftPath: string, timeoutMs: number): NftExec {
  return async (args) => {
    await new Promise<void>((resolve, reject) => {
      execFile(nftPath, args, { timeout: timeoutMs }, (err, _stdout, stderr) => {
        if (err != null) reject(new Error(`nft ${args.join(' ')}: ${stderr.trim() !== '' ? stderr.trim() : err.message}`))
        else resolve()
      })
    })
  }
}

/** An nftables firewall in its own table (`inet immune_mesh`), so it never touches other rules. */
export function createNftablesFirewall (init: { nftPath: string, table?: string, exec?: NftExec, timeoutMs?: number }): Firewall {
  const table = init.table ?? 'immune_mesh'
  const exec = init.exec ?? defaultExec(init.nftPath, init.timeoutMs ?? 5000)
  const setOf = (a: string): string => addressFamily(a) === 'ipv4' ? 'deny4' : 'deny6'
  return {
    async setup () {
      await exec(['add', 'table', 'inet', table])
      await exec(['add', 'set', 'inet', table, 'deny4', '{ type ipv4_addr; flags timeout; }'])
      await exec(['add', 'set', 'inet', table, 'deny6', '{ type ipv6_addr; flags timeout; }'])
      await exec(['add', 'chain', 'inet', table, 'input', '{ type filter hook input priority -10; policy accept; }'])
      await exec(['flush', 'chain', 'inet', table, 'input'])
      await exec(['add', 'rule', 'inet', table, 'input', 'ip', 'saddr', '@deny4', 'drop'])
      await exec(['add', 'rule', 'inet', table, 'input', 'ip6', 'saddr', '@deny6', 'drop'])
    },
    async add (address, ttlSec) {
      const a = normalizeAddress(address)
      if (a == null) return
      await exec(['add', 'element', 'inet', table, setOf(a), `{ ${a} timeout ${Math.max(1, Math.ceil(ttlSec))}s }`])
    },
    async remove (address) {
      const a = normalizeAddress(address)
      if (a == null) return
      await exec(['delete', 'element', 'inet', table, setOf(a), `{ ${a} }`]).catch(() => {})
    },
    async teardown () {
      await exec(['delete', 'table', 'inet', table]).catch(() => {})
    }
  }
}
