/**
 * Optional firewall mirror of the deny list: the node's own nftables table
 * (`inet immune_<hash of the data dir>`, or `policy.nftablesTable`) with two
 * sets (per-element timeouts: every entry ends by itself when its decision
 * does) dropped at input. An explicit choice (`policy.nftables`, off by
 * default): `on` needs CAP_NET_ADMIN (root, or a dedicated user given that
 * one capability, as the systemd drop-in
 * packaging/systemd/immune-node.service.d/firewall.conf does) and `nft`, and
 * start fails saying which is missing; `auto` uses it when it can and logs
 * why not otherwise. `stop` deletes the table: no entry outlives the node
 * (the decisions persist; the next start puts the live ones back).
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { accessSync, constants, readFileSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import type { NftablesMode } from './policy-types.js'
import { addressFamily, normalizeAddress } from './address.js'

export interface NftablesDetection {
  /** True when the firewall mirror will be used. */
  enabled: boolean
  /** `on` was asked for and cannot be had: start fails with `reason`. */
  failed?: true
  /** The node's own table (inet family). */
  table: string
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

/** The node's own table: `immune_` + 12 hex digits of SHA-256 of the data dir's absolute path. */
export function nftTableName (dataDir: string): string {
  return `immune_${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12)}`
}

export interface DetectOptions {
  mode?: NftablesMode
  /** The node's table (default `immune_mesh`; the response system passes policy.nftablesTable or nftTableName(dataDir)). */
  table?: string
  /** Injected for tests; default process.getuid(). */
  uid?: number | null
  /** Injected for tests: the effective capability set; default read from /proc/self/status (null: unknown). */
  capEff?: bigint | null
  /** Injected for tests; default a PATH search. */
  which?: (name: string) => string | null
}

export function detectNftables (opts: DetectOptions = {}): NftablesDetection {
  const mode = opts.mode ?? 'off'
  const table = opts.table ?? 'immune_mesh'
  const uid = opts.uid !== undefined ? opts.uid : (typeof process.getuid === 'function' ? process.getuid() : null)
  const capEff = opts.capEff !== undefined ? opts.capEff : ownCapabilities()
  const netAdmin = capEff == null ? null : (capEff & (1n << BigInt(CAP_NET_ADMIN))) !== 0n
  const base = { mode, uid, netAdmin, table }
  const denyOnly = 'blocked sources are refused by the node\'s deny list only (ingest API, agent, auth_request)'
  if (mode === 'off') return { ...base, enabled: false, nftPath: null, reason: `nftables: off (policy.nftables = off, the default): the host firewall is not touched; ${denyOnly}` }
  const cannot = (nftPath: string | null, why: string): NftablesDetection => mode === 'on'
    ? { ...base, enabled: false, failed: true, nftPath, reason: `nftables: policy.nftables = on, but ${why}; set policy.nftables to auto or off, or fix that` }
    : { ...base, enabled: false, nftPath, reason: `nftables: auto, but ${why}; ${denyOnly}` }
  const nftPath = (opts.which ?? which)('nft')
  if (nftPath == null) return cannot(null, 'nft is not found on PATH')
  const allowed = netAdmin ?? uid === 0
  if (!allowed) return cannot(nftPath, `${nftPath} is found but the node runs as uid ${String(uid)} without CAP_NET_ADMIN (run as root or grant that capability, e.g. the systemd drop-in firewall.conf)`)
  return { ...base, enabled: true, nftPath, reason: `nftables: ${mode}: ${nftPath} found and ${netAdmin === true ? `CAP_NET_ADMIN held (uid ${String(uid)})` : 'running as root'}; blocked sources also go to the node's own table inet ${table} (sets deny4/deny6, dropped at input, each entry with its decision's remaining time as timeout); stop deletes the table` }
}

export interface FirewallEntry { address: string, expiresAtMs: number }

export interface FirewallStatus {
  table: string
  sets: string[]
  /** What the node put in its sets and has not taken out (each entry also ends by its own timeout). */
  entries: FirewallEntry[]
}

export interface Firewall {
  readonly table: string
  /** Creates the node's table, sets and chain; empties the sets (entries of an earlier run: the live decisions are put back). */
  setup: () => Promise<void>
  add: (address: string, ttlSec: number) => Promise<void>
  remove: (address: string) => Promise<void>
  /** Deletes the table (and everything in it). */
  teardown: () => Promise<void>
  status: (nowMs?: number) => FirewallStatus
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

/**
 * An nftables firewall in its own table, so it never touches other rules nor
 * another node's entries. Every element carries a timeout (at least 1 s, at
 * most maxTimeoutSec); the sets' default timeout is maxTimeoutSec too, so no
 * entry can be timeless.
 */
export function createNftablesFirewall (init: { nftPath: string, table?: string, exec?: NftExec, timeoutMs?: number, maxTimeoutSec?: number, now?: () => number }): Firewall {
  const table = init.table ?? 'immune_mesh'
  const exec = init.exec ?? defaultExec(init.nftPath, init.timeoutMs ?? 5000)
  const maxTimeoutSec = Math.max(1, Math.floor(init.maxTimeoutSec ?? 365 * 86400))
  const now = init.now ?? (() => 0)
  const setOf = (a: string): string => addressFamily(a) === 'ipv4' ? 'deny4' : 'deny6'
  const entries = new Map<string, number>()
  return {
    table,
    async setup () {
      await exec(['add', 'table', 'inet', table])
      await exec(['add', 'set', 'inet', table, 'deny4', `{ type ipv4_addr; flags timeout; timeout ${maxTimeoutSec}s; }`])
      await exec(['add', 'set', 'inet', table, 'deny6', `{ type ipv6_addr; flags timeout; timeout ${maxTimeoutSec}s; }`])
      await exec(['flush', 'set', 'inet', table, 'deny4'])
      await exec(['flush', 'set', 'inet', table, 'deny6'])
      await exec(['add', 'chain', 'inet', table, 'input', '{ type filter hook input priority -10; policy accept; }'])
      await exec(['flush', 'chain', 'inet', table, 'input'])
      await exec(['add', 'rule', 'inet', table, 'input', 'ip', 'saddr', '@deny4', 'drop'])
      await exec(['add', 'rule', 'inet', table, 'input', 'ip6', 'saddr', '@deny6', 'drop'])
      entries.clear()
    },
    async add (address, ttlSec) {
      const a = normalizeAddress(address)
      if (a == null) return
      const ttl = Math.min(maxTimeoutSec, Math.max(1, Math.ceil(ttlSec)))
      // replace, so a shorter or longer decision sets the element's timeout exactly
      if (entries.has(a)) await exec(['delete', 'element', 'inet', table, setOf(a), `{ ${a} }`]).catch(() => {})
      await exec(['add', 'element', 'inet', table, setOf(a), `{ ${a} timeout ${ttl}s }`])
      entries.set(a, now() + ttl * 1000)
    },
    async remove (address) {
      const a = normalizeAddress(address)
      if (a == null) return
      entries.delete(a)
      await exec(['delete', 'element', 'inet', table, setOf(a), `{ ${a} }`]).catch(() => {})
    },
    async teardown () {
      entries.clear()
      await exec(['delete', 'table', 'inet', table]).catch(() => {})
    },
    status (nowMs = now()) {
      for (const [a, until] of entries) if (until <= nowMs) entries.delete(a)
      return { table, sets: ['deny4', 'deny6'], entries: [...entries].map(([address, expiresAtMs]) => ({ address, expiresAtMs })) }
    }
  }
}
