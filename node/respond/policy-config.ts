/**
 * The default response policy and its validation (params pattern:
 * `defaultPolicyConfig`, `createPolicyConfig`, `validatePolicyConfig`).
 *
 * Defaults, and why:
 * - level 1 (danger signal one, calibrated to ~1% false positives on normal
 *   traffic) only logs and raises the threat level: never blocks anyone.
 * - level 2 (signal two, ~0.1%) blocks the request and raises the threat
 *   level; supervised cells are also terminated and renewed (TNO's
 *   disposability: a fresh instance costs little). Quarantine is opt-in
 *   because freezing a process the node does not own is an outage.
 * - the level-2 rule's block-source acts only on strong evidence
 *   (sourceBan): 3 level-2 offences within 10 minutes (fail2ban's defaults
 *   are maxretry 5 / findtime 10 m for a failed login, a weaker signal than
 *   a level-2 verdict), an adopted signature hit, a peer quorum, or a
 *   scanner (scanner.ts). At the measured level-2 false-positive rate on
 *   CSIC non-copies (~0.17%, issue 11) a normal client needs ~1,800
 *   requests in 10 minutes to be blocked by chance.
 * - repeat offenders: each earlier block of the same source (a burst of
 *   60 s is one) within a day doubles the next (fail2ban's
 *   bantime.increment), capped at 7 days.
 */
import { isIP } from 'node:net'
import { ConfigError } from '../errors.js'
import { Checker, joinPath } from '../../core/index.js'
import { CELL_TYPES } from './policy-types.js'
import { actionKind, BUILTIN_ACTIONS } from './action-kinds.js'
import { DEFAULT_BLOCK_SEC } from './block-source.js'
import { DEFAULT_RAISE_THREAT_SEC } from './basic-responders.js'
import { DEFAULT_GRACE_SEC } from './terminate-and-renew.js'
import type { ActionSpec, CellType, EscalationConfig, PolicyConfig, PolicyRule, ScannerConfig, SourceBanConfig } from './policy-types.js'

// each action's defaults live in its responder's module (action-kinds.ts lists them)
export { DEFAULT_BLOCK_SEC } from './block-source.js'
export { DEFAULT_RAISE_THREAT_SEC } from './basic-responders.js'
export { DEFAULT_QUARANTINE_SEC, DEFAULT_HOOK_TIMEOUT_SEC } from './quarantine.js'
export { DEFAULT_GRACE_SEC } from './terminate-and-renew.js'
const MAX_DURATION_SEC = 365 * 86400

export const defaultEscalationConfig: Readonly<EscalationConfig> = Object.freeze({
  windowSec: 86_400,
  durationMultiplier: 2,
  maxDurationSec: 7 * 86_400,
  burstSec: 60,
  maxTracked: 10_000
})

/**
 * The scanner rule's defaults: 20 anomalies in 10 minutes at least (a page
 * with a few broken links never gets there), and a binomial tail below 1e-9
 * at the learned rate (started at level 1's calibrated 1%, capped at 20%).
 */
export const defaultScannerConfig: Readonly<ScannerConfig> = Object.freeze({
  enabled: true,
  windowSec: 600,
  minAnomalies: 20,
  alpha: 1e-9,
  priorRate: 0.01,
  priorRequests: 1000,
  maxRate: 0.2,
  halfLifeSec: 3600
})

export function defaultSourceBanConfig (): SourceBanConfig {
  return { maxRetry: 3, findTimeSec: 600, onSignature: true, onQuorum: true, scoreMargin: 0, scanner: { ...defaultScannerConfig } }
}

export function defaultPolicyRules (): PolicyRule[] {
  return [
    { cell: '*', level: 1, dryRun: null, actions: [{ type: 'log' }, { type: 'raise-threat', durationSec: 600 }] },
    { cell: '*', level: 2, dryRun: null, actions: [{ type: 'log' }, { type: 'block-source', durationSec: DEFAULT_BLOCK_SEC }, { type: 'raise-threat', durationSec: DEFAULT_RAISE_THREAT_SEC }] },
    {
      cell: 'type:supervised',
      level: 2,
      dryRun: null,
      actions: [
        { type: 'log' },
        { type: 'block-source', durationSec: DEFAULT_BLOCK_SEC },
        { type: 'raise-threat', durationSec: DEFAULT_RAISE_THREAT_SEC },
        { type: 'terminate-and-renew', graceSec: DEFAULT_GRACE_SEC }
      ]
    }
  ]
}

export function defaultPolicyConfig (): PolicyConfig {
  return {
    dryRun: false,
    allowlist: ['127.0.0.1', '::1'],
    escalation: { ...defaultEscalationConfig },
    sourceBan: defaultSourceBanConfig(),
    rules: defaultPolicyRules(),
    nftables: 'off',
    nftablesTable: null
  }
}

const POLICY_KEYS = ['dryRun', 'allowlist', 'escalation', 'sourceBan', 'rules', 'nftables', 'nftablesTable'] as const
const ESCALATION_KEYS = Object.keys(defaultEscalationConfig)
const SOURCE_BAN_KEYS = ['maxRetry', 'findTimeSec', 'onSignature', 'onQuorum', 'scoreMargin', 'scanner']
const SCANNER_KEYS = Object.keys(defaultScannerConfig)
/** nft identifiers: a letter, then letters, digits, `_` (at most 64 here). */
const NFT_TABLE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/
const RULE_KEYS = ['cell', 'level', 'actions', 'dryRun']
const CELL_NAME = /^[A-Za-z0-9._-]{1,64}$/

/** null when `s` is an IPv4/IPv6 address or CIDR block, else what is accepted. */
export function checkAllowlistEntry (s: string): string | null {
  const accepted = 'an IPv4/IPv6 address or CIDR block (e.g. 10.0.0.0/8, fd00::/8)'
  const slash = s.indexOf('/')
  if (slash < 0) return isIP(s) !== 0 ? null : accepted
  const addr = s.slice(0, slash)
  const bitsText = s.slice(slash + 1)
  const family = isIP(addr)
  if (family === 0 || !/^\d{1,3}$/.test(bitsText)) return accepted
  const bits = Number(bitsText)
  return bits <= (family === 4 ? 32 : 128) ? null : accepted
}

export interface PolicyCellInfo {
  name: string
  type: CellType
}

/** Reads `raw` (a partial policy) into a full PolicyConfig, reporting every problem to `c` under `field`. */
export function readPolicyConfig (c: Checker, field: string, raw: unknown, cells: readonly PolicyCellInfo[] | null): PolicyConfig {
  const def = defaultPolicyConfig()
  const o = c.object(field, raw, POLICY_KEYS)
  const dryRun = c.boolean(joinPath(field, 'dryRun'), o.dryRun, def.dryRun)
  const allowlist = c.stringList(joinPath(field, 'allowlist'), o.allowlist, def.allowlist, checkAllowlistEntry, 'an IPv4/IPv6 address or CIDR block')
  const nftables = c.oneOf(joinPath(field, 'nftables'), o.nftables, ['off', 'on', 'auto'] as const, def.nftables)
  let nftablesTable: string | null = null
  if (o.nftablesTable != null) {
    if (typeof o.nftablesTable === 'string' && NFT_TABLE.test(o.nftablesTable)) nftablesTable = o.nftablesTable
    else c.add(joinPath(field, 'nftablesTable'), o.nftablesTable, 'an nftables table name: a letter, then letters, digits or _ (at most 64), or null for immune_<hash of the data dir>')
  }

  const ef = joinPath(field, 'escalation')
  const e = c.object(ef, o.escalation, ESCALATION_KEYS)
  const escalation: EscalationConfig = {
    windowSec: c.number(joinPath(ef, 'windowSec'), e.windowSec, def.escalation.windowSec, { integer: true, min: 1, max: MAX_DURATION_SEC }),
    durationMultiplier: c.number(joinPath(ef, 'durationMultiplier'), e.durationMultiplier, def.escalation.durationMultiplier, { min: 1, max: 100 }),
    maxDurationSec: c.number(joinPath(ef, 'maxDurationSec'), e.maxDurationSec, def.escalation.maxDurationSec, { integer: true, min: 1, max: MAX_DURATION_SEC }),
    burstSec: c.number(joinPath(ef, 'burstSec'), e.burstSec, def.escalation.burstSec, { integer: true, min: 0, max: 86_400 }),
    maxTracked: c.number(joinPath(ef, 'maxTracked'), e.maxTracked, def.escalation.maxTracked, { integer: true, min: 1, max: 10_000_000 })
  }

  const bf = joinPath(field, 'sourceBan')
  const b = c.object(bf, o.sourceBan, SOURCE_BAN_KEYS)
  const sf = joinPath(bf, 'scanner')
  const sc = c.object(sf, b.scanner, SCANNER_KEYS)
  const ds = def.sourceBan.scanner
  const scanner: ScannerConfig = {
    enabled: c.boolean(joinPath(sf, 'enabled'), sc.enabled, ds.enabled),
    windowSec: c.number(joinPath(sf, 'windowSec'), sc.windowSec, ds.windowSec, { integer: true, min: 6, max: 86_400 }),
    minAnomalies: c.number(joinPath(sf, 'minAnomalies'), sc.minAnomalies, ds.minAnomalies, { integer: true, min: 1, max: 1_000_000 }),
    alpha: c.number(joinPath(sf, 'alpha'), sc.alpha, ds.alpha, { min: 1e-300, max: 0.5 }),
    priorRate: c.number(joinPath(sf, 'priorRate'), sc.priorRate, ds.priorRate, { min: 1e-6, max: 0.5 }),
    priorRequests: c.number(joinPath(sf, 'priorRequests'), sc.priorRequests, ds.priorRequests, { integer: true, min: 1, max: 1e9 }),
    maxRate: c.number(joinPath(sf, 'maxRate'), sc.maxRate, ds.maxRate, { min: 1e-6, max: 0.9 }),
    halfLifeSec: c.number(joinPath(sf, 'halfLifeSec'), sc.halfLifeSec, ds.halfLifeSec, { integer: true, min: 1, max: MAX_DURATION_SEC })
  }
  const sourceBan: SourceBanConfig = {
    maxRetry: c.number(joinPath(bf, 'maxRetry'), b.maxRetry, def.sourceBan.maxRetry, { integer: true, min: 0, max: 1_000_000 }),
    findTimeSec: c.number(joinPath(bf, 'findTimeSec'), b.findTimeSec, def.sourceBan.findTimeSec, { integer: true, min: 1, max: MAX_DURATION_SEC }),
    onSignature: c.boolean(joinPath(bf, 'onSignature'), b.onSignature, def.sourceBan.onSignature),
    onQuorum: c.boolean(joinPath(bf, 'onQuorum'), b.onQuorum, def.sourceBan.onQuorum),
    scoreMargin: c.number(joinPath(bf, 'scoreMargin'), b.scoreMargin, def.sourceBan.scoreMargin, { min: 0, max: 1e6 }),
    scanner
  }

  const names = cells != null ? [...new Set(cells.map(x => x.name))] : undefined
  const ruleCellAccepted = `"*", "type:<${CELL_TYPES.join('|')}>"` + (names != null ? `, or a configured cell name (${names.length > 0 ? names.join(', ') : 'none configured'})` : ', or a cell name')
  const seen = new Map<string, number>()
  const rules = c.array(joinPath(field, 'rules'), o.rules, def.rules, (rf, rv, i) => {
    const r = c.object(rf, rv, RULE_KEYS)
    if (Object.keys(r).length === 0 && (rv == null || typeof rv !== 'object')) return undefined
    let ok = true
    const cellField = joinPath(rf, 'cell')
    let cell = '*'
    if (typeof r.cell !== 'string') { c.add(cellField, r.cell, ruleCellAccepted); ok = false } else if (r.cell === '*') {
      cell = '*'
    } else if (r.cell.startsWith('type:')) {
      if (!(CELL_TYPES as readonly string[]).includes(r.cell.slice(5))) { c.add(cellField, r.cell, ruleCellAccepted); ok = false } else cell = r.cell
    } else if (!CELL_NAME.test(r.cell) || (names != null && !names.includes(r.cell))) {
      c.add(cellField, r.cell, ruleCellAccepted); ok = false
    } else cell = r.cell
    const level: 1 | 2 | undefined = r.level === 1 ? 1 : r.level === 2 ? 2 : undefined
    if (level == null) { c.add(joinPath(rf, 'level'), r.level, '1 or 2'); ok = false }
    const ruleDry = r.dryRun === undefined || r.dryRun === null ? null : c.boolean(joinPath(rf, 'dryRun'), r.dryRun, false)
    if (!Array.isArray(r.actions)) { c.add(joinPath(rf, 'actions'), r.actions, `an array of actions (${BUILTIN_ACTIONS.map(k => k.type).join(', ')})`); ok = false }
    const actions = c.array(joinPath(rf, 'actions'), Array.isArray(r.actions) ? r.actions : [], [], (af, av) => readAction(c, af, av))
    if (ok && level != null) {
      const key = `${cell}/${level}`
      const prev = seen.get(key)
      if (prev != null) c.add(cellField, r.cell, `a (cell, level) pair not used by another rule (rules[${prev}] already covers ${key})`)
      else seen.set(key, i)
    }
    if (!ok || level == null) return undefined
    return { cell, level, actions, dryRun: ruleDry }
  }, { maxItems: 1000, accepted: 'an array of rules {cell, level, actions, dryRun?}' })

  return { dryRun, allowlist, escalation, sourceBan, rules, nftables, nftablesTable }
}

function readAction (c: Checker, af: string, av: unknown): ActionSpec | undefined {
  const types = BUILTIN_ACTIONS.map(k => k.type)
  const accepted = `an action: a string (${types.join(', ')}) or an object {type, ...parameters}`
  const raw = typeof av === 'string' ? { type: av } : av
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) { c.add(af, av, accepted); return undefined }
  const type = (raw as Record<string, unknown>).type
  const kind = typeof type === 'string' ? actionKind(type) : undefined
  if (kind == null) {
    c.add(joinPath(af, 'type'), type, `one of ${types.join(', ')}`)
    return undefined
  }
  // the action's own schema (its responder's module)
  return kind.read(c, af, c.object(af, raw, ['type', ...kind.keys])) as ActionSpec
}

/** Merges `partial` over the defaults and validates; throws ConfigError (every problem, fields under `policy.`). */
export function createPolicyConfig (partial: unknown = {}, cells: readonly PolicyCellInfo[] | null = null): PolicyConfig {
  const c = new Checker()
  const p = readPolicyConfig(c, 'policy', partial, cells)
  if (!c.ok) throw new ConfigError(c.issues)
  return p
}

/** Throws ConfigError unless `p` is a valid full or partial policy. */
export function validatePolicyConfig (p: unknown, cells: readonly PolicyCellInfo[] | null = null): void {
  createPolicyConfig(p, cells)
}
