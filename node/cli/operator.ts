/**
 * The read-mostly operator nouns: `allowlist list|add|remove`, `alerts list`,
 * `peers list|show`, `signatures list|show|revoke`, `audit list`. Each has its
 * API route; each change is in the control audit log.
 */
import { EXIT_OK, UsageError } from './command.js'
import type { Command, ParsedArgs } from './command.js'
import { outputOptions, outputOptionsHelp, parseDurationSec, request, table, wantsJson, when } from './output.js'

const reasonOption = { reason: { type: 'string' as const } }
const reasonOf = (args: ParsedArgs): string | undefined => typeof args.values.reason === 'string' ? args.values.reason : undefined
const print = (io: Parameters<Command['run']>[1], json: boolean, body: unknown, human: () => string): void => { io.out(json ? JSON.stringify(body, null, 2) : human()) }

/** `--since` as a duration back from now (1h, 7d) or a date (ISO 8601) → epoch ms for the API. */
function sinceQuery (args: ParsedArgs): string {
  const v = args.values.since
  const limit = args.values.limit
  const q: string[] = []
  if (typeof v === 'string') {
    const t = /^\d+[smhd]/.test(v) ? Date.now() - parseDurationSec(v, '--since') * 1000 : Date.parse(v)
    if (Number.isNaN(t)) throw new UsageError(`--since: ${JSON.stringify(v)} (accepted: a duration back from now such as 1h or 7d, or an ISO 8601 date)`)
    q.push(`since=${t}`)
  }
  if (limit !== undefined) {
    if (!/^\d+$/.test(String(limit))) throw new UsageError(`--limit: ${JSON.stringify(limit)} (accepted: a positive integer)`)
    q.push(`limit=${String(limit)}`)
  }
  return q.length > 0 ? `?${q.join('&')}` : ''
}
const listOptions = { since: { type: 'string' as const }, limit: { type: 'string' as const } }
const listHelp = `  --since S        only since then: a duration back from now (1h, 7d) or an ISO 8601 date
  --limit N        at most N records (default 500)`

interface AllowEntry { entry: string, origin: string, addedAtMs?: number, reason?: string }

export const allowlistListCommand: Command = {
  name: 'allowlist list',
  summary: 'List the addresses and CIDR blocks never blocked (config and runtime entries)',
  usage: 'allowlist list [--json | -o json] [--api ADDR]',
  help: `options:\n${outputOptionsHelp}`,
  options: outputOptions,
  async run (args, io) {
    const json = wantsJson(args)
    const res = await request('immune-node allowlist list', args, io, 'GET', '/allowlist')
    if (typeof res === 'number') return res
    const list = res.body as AllowEntry[]
    print(io, json, list, () => list.length === 0 ? 'the allowlist is empty' : table(['ENTRY', 'ORIGIN', 'ADDED', 'REASON'], list.map((e) => [e.entry, e.origin, when(e.addedAtMs), e.reason ?? ''])))
    return EXIT_OK
  }
}

export const allowlistAddCommand: Command = {
  name: 'allowlist add',
  summary: 'Never block an address or CIDR block (at runtime, persisted); unblocks what it covers',
  usage: 'allowlist add <address|cidr> [--reason TEXT] [--json | -o json] [--api ADDR]',
  help: `options:\n  --reason TEXT    why (kept with the entry and in the audit log)\n${outputOptionsHelp}`,
  options: { ...outputOptions, ...reasonOption },
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const json = wantsJson(args)
    const reason = reasonOf(args)
    const res = await request('immune-node allowlist add', args, io, 'POST', '/allowlist', { entry: args.positionals[0], ...(reason != null ? { reason } : {}) })
    if (typeof res === 'number') return res
    const r = res.body as { entry: AllowEntry, unblocked: Array<{ address: string }> }
    print(io, json, r, () => `${r.entry.entry}: on the allowlist (${r.entry.origin})${r.unblocked.length > 0 ? `; unblocked ${r.unblocked.map((u) => u.address).join(', ')}` : ''}`)
    return EXIT_OK
  }
}

export const allowlistRemoveCommand: Command = {
  name: 'allowlist remove',
  summary: 'Remove a runtime allowlist entry (config entries are removed in the config file)',
  usage: 'allowlist remove <address|cidr> [--reason TEXT] [--json | -o json] [--api ADDR]',
  help: `options:\n  --reason TEXT    why (kept in the audit log)\n${outputOptionsHelp}`,
  options: { ...outputOptions, ...reasonOption },
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const json = wantsJson(args)
    const reason = reasonOf(args)
    const res = await request('immune-node allowlist remove', args, io, 'DELETE', `/allowlist/${encodeURIComponent(args.positionals[0])}${reason != null ? `?reason=${encodeURIComponent(reason)}` : ''}`)
    if (typeof res === 'number') return res
    print(io, json, res.body, () => `${args.positionals[0]}: removed from the allowlist`)
    return EXIT_OK
  }
}

interface AlertRow { id: string, origin: string, from: string, receivedAtMs: number, community: string, kind: string, danger: number, outcome?: string, sources?: unknown[], signatures?: unknown[] }

export const alertsListCommand: Command = {
  name: 'alerts list',
  summary: 'List the signed alerts received from peers, with what the node made of each',
  usage: 'alerts list [--since 1h] [--limit N] [--json | -o json] [--api ADDR]',
  help: `options:\n${listHelp}\n${outputOptionsHelp}`,
  options: { ...outputOptions, ...listOptions },
  async run (args, io) {
    const json = wantsJson(args)
    const res = await request('immune-node alerts list', args, io, 'GET', `/alerts${sinceQuery(args)}`)
    if (typeof res === 'number') return res
    const list = res.body as AlertRow[]
    print(io, json, list, () => list.length === 0 ? 'no alerts' : table(['RECEIVED', 'KIND', 'DANGER', 'COMMUNITY', 'ORIGIN', 'OUTCOME', 'ID'], list.map((a) => [when(a.receivedAtMs), a.kind, String(a.danger), a.community, a.origin, a.outcome ?? '-', a.id])))
    return EXIT_OK
  }
}

interface PeerRow { id: string, reputation: number, weight: number, blacklisted: boolean, selfish: boolean, gossipsubScore: number, lastSeen: number | null, connected: boolean, inMesh: boolean }

export const peersListCommand: Command = {
  name: 'peers list',
  summary: 'List the peers this node knows, with its local reputation of each and their gossipsub score',
  usage: 'peers list [--json | -o json] [--api ADDR]',
  help: `options:\n${outputOptionsHelp}`,
  options: outputOptions,
  async run (args, io) {
    const json = wantsJson(args)
    const res = await request('immune-node peers list', args, io, 'GET', '/peers')
    if (typeof res === 'number') return res
    const list = res.body as PeerRow[]
    print(io, json, list, () => list.length === 0 ? 'no peers known' : table(['PEER', 'CONNECTED', 'MESH', 'REPUTATION', 'WEIGHT', 'GOSSIPSUB', 'FLAGS', 'LAST SEEN'], list.map((p) => [
      p.id, p.connected ? 'yes' : 'no', p.inMesh ? 'yes' : 'no', p.reputation.toFixed(3), p.weight.toFixed(3), p.gossipsubScore.toFixed(1),
      [p.blacklisted ? 'BLACKLISTED' : '', p.selfish ? 'selfish' : ''].filter(Boolean).join(' ') || '-', when(p.lastSeen)
    ]), 80))
    return EXIT_OK
  }
}

export const peersShowCommand: Command = {
  name: 'peers show',
  summary: 'Show one peer: its reputation and the evidence behind it (R1..R5), selfishness test, gossipsub score',
  usage: 'peers show <peerId> [--json | -o json] [--api ADDR]',
  help: `options:\n${outputOptionsHelp}`,
  options: outputOptions,
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const json = wantsJson(args)
    const res = await request('immune-node peers show', args, io, 'GET', `/peers/${encodeURIComponent(args.positionals[0])}`)
    if (typeof res === 'number') return res
    const p = res.body as { peer: string, known: boolean, firstSeenMs?: number, reputation: { value: number, weight: number, confidence: number, blacklisted: boolean, positive: number, negative: number }, applicationScore: number, gossipsubScore: number, lastSeen: number | null, selfish?: { episodes: number, reported: number, selfish?: boolean }, events: Array<{ atMs: number, term: string, amount: number, note?: string }> }
    print(io, json, p, () => {
      const r = p.reputation
      const lines = [
        `peer ${p.peer}${p.known ? '' : ' (no evidence yet)'}`,
        `  reputation  ${r.value.toFixed(3)} (weight ${r.weight.toFixed(3)}, confidence ${r.confidence.toFixed(3)}, positive ${r.positive.toFixed(2)}, negative ${r.negative.toFixed(2)})${r.blacklisted ? '  BLACKLISTED' : ''}`,
        `  gossipsub   ${p.gossipsubScore.toFixed(2)} (application score ${p.applicationScore.toFixed(2)})`,
        `  first seen  ${when(p.firstSeenMs)}   last seen ${when(p.lastSeen)}`
      ]
      if (p.selfish != null) lines.push(`  selfish     ${p.selfish.selfish === true ? 'YES' : 'no'} (reported ${p.selfish.reported} of ${p.selfish.episodes} episodes)`)
      lines.push(`  evidence (${p.events.length}):`)
      for (const e of p.events) lines.push(`    ${when(e.atMs)}  ${e.term.padEnd(4)} ${e.amount > 0 ? '+' : ''}${e.amount}  ${e.note ?? ''}`)
      return lines.join('\n')
    })
    return EXIT_OK
  }
}

interface SignatureRow { id: string, origin: string, context: string, parameter?: string, tokens: string[], status: string, reason: string, code?: string, hits: number, firstSeenMs: number, lastHitMs: number | null }

export const signaturesListCommand: Command = {
  name: 'signatures list',
  summary: 'List the attack signatures: made here or received, adopted, pending or rejected, and why',
  usage: 'signatures list [--json | -o json] [--api ADDR]',
  help: `options:\n${outputOptionsHelp}`,
  options: outputOptions,
  async run (args, io) {
    const json = wantsJson(args)
    const res = await request('immune-node signatures list', args, io, 'GET', '/signatures')
    if (typeof res === 'number') return res
    const list = res.body as SignatureRow[]
    print(io, json, list, () => list.length === 0 ? 'no signatures' : table(['ID', 'STATUS', 'ORIGIN', 'CONTEXT', 'TOKENS', 'HITS', 'REASON'], list.map((s) => [
      s.id, s.status, s.origin === 'local' ? 'local' : s.origin.slice(0, 16) + '…', s.context + (s.parameter != null && s.parameter !== '' ? ` [${s.parameter}]` : ''), s.tokens.join(' '), String(s.hits), s.reason
    ])))
    return EXIT_OK
  }
}

export const signaturesShowCommand: Command = {
  name: 'signatures show',
  summary: 'Show one signature in full: tokens, origins, vetting result, hits',
  usage: 'signatures show <id> [--json | -o json] [--api ADDR]',
  help: `options:\n${outputOptionsHelp}`,
  options: outputOptions,
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const json = wantsJson(args)
    const res = await request('immune-node signatures show', args, io, 'GET', `/signatures/${encodeURIComponent(args.positionals[0])}`)
    if (typeof res === 'number') return res
    const r = res.body as { signature: { id: string, context: string, parameter?: string, tokens: string[], generator?: string }, origin: string, origins: string[], status: string, reason: string, code: string, normalMatches: number, hits: number, firstSeenMs: number, lastHitMs: number | null, statusChangedMs: number }
    print(io, json, r, () => [
      `signature ${r.signature.id}  ${r.status} (${r.code})`,
      `  context     ${r.signature.context}${r.signature.parameter != null && r.signature.parameter !== '' ? `  parameter ${r.signature.parameter}` : ''}`,
      `  tokens      ${r.signature.tokens.map((t) => JSON.stringify(t)).join(' ')}`,
      `  origin      ${r.origin}${r.origins.length > 1 ? ` (+${r.origins.length - 1} more: ${r.origins.slice(1).join(', ')})` : ''}`,
      `  why         ${r.reason}`,
      `  vetting     ${r.normalMatches} match(es) in the normal sample`,
      `  hits        ${r.hits} (last ${when(r.lastHitMs)})`,
      `  first seen  ${when(r.firstSeenMs)}   status since ${when(r.statusChangedMs)}`
    ].join('\n'))
    return EXIT_OK
  }
}

export const signaturesRevokeCommand: Command = {
  name: 'signatures revoke',
  summary: 'Stop using a signature for good (neither this node nor a peer\'s copy adopts it again)',
  usage: 'signatures revoke <id> [--reason TEXT] [--json | -o json] [--api ADDR]',
  help: `options:\n  --reason TEXT    why (kept with the signature and in the audit log)\n${outputOptionsHelp}`,
  options: { ...outputOptions, ...reasonOption },
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const json = wantsJson(args)
    const reason = reasonOf(args)
    const res = await request('immune-node signatures revoke', args, io, 'POST', `/signatures/${encodeURIComponent(args.positionals[0])}/revoke`, reason != null ? { reason } : {})
    if (typeof res === 'number') return res
    const r = res.body as { signature: { id: string }, status: string, reason: string }
    print(io, json, r, () => `signature ${r.signature.id}: ${r.status} (${r.reason})`)
    return EXIT_OK
  }
}

interface ControlAuditRow { seq: number, atMs: number, op: string, subject: string, actor: string, remote: string | null, reason: string | null, result: string }
interface DecisionAuditRow { seq: number, atMs: number, event: string, decisionId: string | null, action: string, target: unknown, reason: string, detail?: string }

export const auditListCommand: Command = {
  name: 'audit list',
  summary: 'The audit log: every operator change (who, what, why); --decisions: the decisions\' own trail',
  usage: 'audit list [--decisions] [--since 1h] [--limit N] [--json | -o json] [--api ADDR]',
  help: `options:
  --decisions      the decision trail instead (decided, applied, expired, revoked, released...)
${listHelp}
${outputOptionsHelp}`,
  options: { ...outputOptions, ...listOptions, decisions: { type: 'boolean' } },
  async run (args, io) {
    const json = wantsJson(args)
    const decisions = args.values.decisions === true
    const res = await request('immune-node audit list', args, io, 'GET', `${decisions ? '/audit' : '/audit/control'}${sinceQuery(args)}`)
    if (typeof res === 'number') return res
    if (decisions) {
      const list = res.body as DecisionAuditRow[]
      print(io, json, list, () => list.length === 0 ? 'no records' : table(['TIME', 'EVENT', 'ACTION', 'DECISION', 'REASON'], list.map((a) => [when(a.atMs), a.event, a.action, a.decisionId ?? '-', a.reason + (a.detail != null ? ` (${a.detail})` : '')]), 120))
    } else {
      const list = res.body as ControlAuditRow[]
      print(io, json, list, () => list.length === 0 ? 'no operator changes recorded' : table(['TIME', 'OPERATION', 'SUBJECT', 'BY', 'REASON', 'RESULT'], list.map((a) => [when(a.atMs), a.op, a.subject, `${a.actor}${a.remote != null ? `@${a.remote}` : ''}`, a.reason ?? '-', a.result]), 80))
    }
    return EXIT_OK
  }
}
