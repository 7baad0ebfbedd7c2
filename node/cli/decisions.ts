/**
 * `immune-node decisions list|add|delete` and `immune-node unblock <address>`
 * (noun-verb as cscli): what the node has decided, and the operator's own
 * decisions and undo. Each has its API route (GET/POST /decisions,
 * DELETE /decisions/<id>, POST /unblock) and each change is in the control
 * audit log (`immune-node audit list`).
 */
import { EXIT_OK, UsageError } from './command.js'
import type { Command } from './command.js'
import { outputOptions, outputOptionsHelp, parseDurationSec, request, span, table, wantsJson, when } from './output.js'

/** A decision as GET /decisions gives it (node/daemon/control.ts DecisionView). */
export interface DecisionRow {
  id: string
  action: string
  target: { kind: 'source', address: string } | { kind: 'cell', cell: string }
  cell: string
  level: number
  origin: string
  rule: string
  reason: string
  explanation: string
  status: string
  createdAtMs: number
  expiresAtMs: number | null
  remainingSec: number | null
  dryRun: boolean
}

export function targetText (t: DecisionRow['target'] | unknown): string {
  const x = t as { kind?: string, address?: string, cell?: string } | null
  if (x?.kind === 'source') return String(x.address)
  if (x?.kind === 'cell') return `cell ${String(x.cell)}`
  return typeof t === 'string' ? t : JSON.stringify(t)
}

export function decisionRows (list: DecisionRow[]): string {
  if (list.length === 0) return 'no decisions'
  return table(['ID', 'ACTION', 'TARGET', 'STATUS', 'LEFT', 'ORIGIN', 'RULE', 'CREATED', 'REASON'], list.map((d) => [
    d.id,
    d.action,
    targetText(d.target),
    d.dryRun ? `${d.status} (dry-run)` : d.status,
    d.remainingSec != null ? span(d.remainingSec) : '-',
    d.origin,
    d.rule,
    when(d.createdAtMs),
    d.explanation
  ]))
}

export const decisionsListCommand: Command = {
  name: 'decisions list',
  summary: 'List the decisions in force (--all: also the recent ended ones)',
  usage: 'decisions list [--all] [--limit N] [--json | -o json] [--api ADDR]',
  help: `options:
  --all            also the recent decisions that have ended (expired, revoked, released, done)
  --limit N        at most N recent decisions (default 200)
${outputOptionsHelp}`,
  options: { ...outputOptions, all: { type: 'boolean' }, limit: { type: 'string' } },
  async run (args, io) {
    const json = wantsJson(args)
    const limit = args.values.limit
    if (limit !== undefined && !/^\d+$/.test(String(limit))) throw new UsageError(`--limit: ${JSON.stringify(limit)} (accepted: a positive integer)`)
    const res = await request('immune-node decisions list', args, io, 'GET', `/decisions${limit !== undefined ? `?limit=${String(limit)}` : ''}`)
    if (typeof res === 'number') return res
    const body = res.body as { active: DecisionRow[], recent: DecisionRow[] }
    const list = args.values.all === true ? body.recent : body.active
    io.out(json ? JSON.stringify(list, null, 2) : decisionRows(list))
    return EXIT_OK
  }
}

export const decisionsAddCommand: Command = {
  name: 'decisions add',
  summary: 'Block a source address now, for a duration (an operator decision, audited)',
  usage: 'decisions add --ip ADDRESS [--duration 4h] [--reason TEXT] [--json | -o json] [--api ADDR]',
  help: `options:
  --ip ADDRESS     the IPv4/IPv6 address to block (on the node's deny list and, when enabled, its nftables set)
  --duration D     how long: 90s, 15m, 4h (default), 7d, 1h30m
  --reason TEXT    why (kept in the decision and the audit log)
  --type T         block-source (default; alias ban)
${outputOptionsHelp}

examples:
  immune-node decisions add --ip 203.0.113.7 --duration 24h --reason "credential stuffing"`,
  options: { ...outputOptions, ip: { type: 'string' }, duration: { type: 'string' }, reason: { type: 'string' }, type: { type: 'string' } },
  async run (args, io) {
    const json = wantsJson(args)
    const v = args.values
    if (typeof v.ip !== 'string' || v.ip === '') throw new UsageError('--ip ADDRESS is required (the address to block)')
    const durationSec = parseDurationSec(typeof v.duration === 'string' ? v.duration : '4h', '--duration')
    const res = await request('immune-node decisions add', args, io, 'POST', '/decisions', { address: v.ip, durationSec, ...(typeof v.reason === 'string' ? { reason: v.reason } : {}), ...(typeof v.type === 'string' ? { type: v.type } : {}) })
    if (typeof res === 'number') return res
    const d = res.body as DecisionRow
    io.out(json ? JSON.stringify(d, null, 2) : `decision ${d.id}: ${d.action} ${targetText(d.target)} for ${span((d.expiresAtMs ?? d.createdAtMs) / 1000 - d.createdAtMs / 1000)} (${d.status})`)
    return EXIT_OK
  }
}

export const decisionsDeleteCommand: Command = {
  name: 'decisions delete',
  summary: 'End a decision now and undo its effect (unblock, thaw); --ip ends every block of an address',
  usage: 'decisions delete <id> | --ip ADDRESS [--reason TEXT] [--json | -o json] [--api ADDR]',
  help: `options:
  --ip ADDRESS     delete every block of this address (the same as "immune-node unblock ADDRESS")
  --reason TEXT    why (kept in the audit log)
${outputOptionsHelp}`,
  options: { ...outputOptions, ip: { type: 'string' }, reason: { type: 'string' } },
  positionals: { min: 0, max: 1 },
  async run (args, io) {
    const json = wantsJson(args)
    const v = args.values
    const reason = typeof v.reason === 'string' ? v.reason : undefined
    if (typeof v.ip === 'string') {
      if (args.positionals.length > 0) throw new UsageError('give a decision id or --ip, not both')
      return await unblock('immune-node decisions delete', v.ip, reason, json, args, io)
    }
    if (args.positionals.length === 0) throw new UsageError('give the decision id (see "immune-node decisions list") or --ip ADDRESS')
    const id = args.positionals[0]
    const res = await request('immune-node decisions delete', args, io, 'DELETE', `/decisions/${encodeURIComponent(id)}${reason != null ? `?reason=${encodeURIComponent(reason)}` : ''}`)
    if (typeof res === 'number') return res
    const d = res.body as DecisionRow
    io.out(json ? JSON.stringify(d, null, 2) : `decision ${d.id}: ${d.action} ${targetText(d.target)} ${d.status}`)
    return EXIT_OK
  }
}

async function unblock (program: string, address: string, reason: string | undefined, json: boolean, args: Parameters<Command['run']>[0], io: Parameters<Command['run']>[1]): Promise<number> {
  const res = await request(program, args, io, 'POST', '/unblock', { address, ...(reason != null ? { reason } : {}) })
  if (typeof res === 'number') return res
  const r = res.body as { address: string, revoked: DecisionRow[], wasDenied: boolean, forgotOffences: boolean }
  if (json) io.out(JSON.stringify(r, null, 2))
  else if (!r.wasDenied && r.revoked.length === 0) io.out(`${r.address}: was not blocked${r.forgotOffences ? ' (its offences are forgotten)' : ''}`)
  else io.out(`${r.address}: unblocked (${r.revoked.length} decision(s) revoked: ${r.revoked.map((d) => d.id).join(', ') || '-'}; offences ${r.forgotOffences ? 'forgotten' : 'none'})`)
  return EXIT_OK
}

export const unblockCommand: Command = {
  name: 'unblock',
  summary: 'Unblock a source address now: revoke its blocks, clear it from the firewall, forget its offences',
  usage: 'unblock <address> [--reason TEXT] [--json | -o json] [--api ADDR]',
  help: `Its escalation history is forgotten too: its next offence counts as a first one.
To never block it again, also "immune-node allowlist add ADDRESS".

options:
  --reason TEXT    why (kept in the audit log)
${outputOptionsHelp}`,
  options: { ...outputOptions, reason: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    return await unblock('immune-node unblock', args.positionals[0], typeof args.values.reason === 'string' ? args.values.reason : undefined, wantsJson(args), args, io)
  }
}
