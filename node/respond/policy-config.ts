/**
 * The default response policy and its validation (params pattern:
 * `defaultPolicyConfig`, `createPolicyConfig`, `validatePolicyConfig`).
 *
 * Defaults, and why:
 * - level 1 (danger signal one, calibrated to ~1% false positives on normal
 *   traffic) only logs and raises the threat level: never blocks anyone.
 * - level 2 (signal two, ~0.1%) blocks the source for an hour and raises the
 *   threat level; supervised cells are also terminated and renewed (TNO's
 *   disposability: a fresh instance costs little). Quarantine is opt-in
 *   because freezing a process the node does not own is an outage.
 * - repeat offenders: durations double per earlier level-2 offence within a
 *   day (fail2ban's bantime.increment), capped at 7 days; 10 level-1 offences
 *   within 10 minutes count as level 2 (a normal client at a 1% level-1 false
 *   positive rate needs ~1,000 requests in 10 minutes to get there).
 */
import { isIP } from 'node:net'
import { ConfigError } from '../errors.js'
import { Checker, joinPath } from '../../core/index.js'
import { CELL_TYPES } from './policy-types.js'
import { actionKind, BUILTIN_ACTIONS } from './action-kinds.js'
import { DEFAULT_BLOCK_SEC } from './block-source.js'
import { DEFAULT_RAISE_THREAT_SEC } from './basic-responders.js'
import { DEFAULT_GRACE_SEC } from './terminate-and-renew.js'
import type { ActionSpec, CellType, EscalationConfig, PolicyConfig, PolicyRule } from './policy-types.js'

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
  bumpLevelAfter: 10,
  bumpWindowSec: 600,
  maxTracked: 10_000
})

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
    rules: defaultPolicyRules(),
    nftables: 'auto'
  }
}

const POLICY_KEYS = ['dryRun', 'allowlist', 'escalation', 'rules', 'nftables'] as const
const ESCALATION_KEYS = Object.keys(defaultEscalationConfig)
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
  const nftables = c.oneOf(joinPath(field, 'nftables'), o.nftables, ['auto', 'off'] as const, def.nftables)

  const ef = joinPath(field, 'escalation')
  const e = c.object(ef, o.escalation, ESCALATION_KEYS)
  const escalation: EscalationConfig = {
    windowSec: c.number(joinPath(ef, 'windowSec'), e.windowSec, def.escalation.windowSec, { integer: true, min: 1, max: MAX_DURATION_SEC }),
    durationMultiplier: c.number(joinPath(ef, 'durationMultiplier'), e.durationMultiplier, def.escalation.durationMultiplier, { min: 1, max: 100 }),
    maxDurationSec: c.number(joinPath(ef, 'maxDurationSec'), e.maxDurationSec, def.escalation.maxDurationSec, { integer: true, min: 1, max: MAX_DURATION_SEC }),
    bumpLevelAfter: c.number(joinPath(ef, 'bumpLevelAfter'), e.bumpLevelAfter, def.escalation.bumpLevelAfter, { integer: true, min: 0, max: 1_000_000 }),
    bumpWindowSec: c.number(joinPath(ef, 'bumpWindowSec'), e.bumpWindowSec, def.escalation.bumpWindowSec, { integer: true, min: 1, max: MAX_DURATION_SEC }),
    maxTracked: c.number(joinPath(ef, 'maxTracked'), e.maxTracked, def.escalation.maxTracked, { integer: true, min: 1, max: 10_000_000 })
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

  return { dryRun, allowlist, escalation, rules, nftables }
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
