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

type Method = 'GET' | 'POST' | 'DELETE'

/**
 * One operator command over one API route: its help lists its own options,
 * then the output options; it calls the route and prints the answer as JSON
 * (`--json`, `-o json`) or as `human` renders it. Every noun here is one.
 */
function apiCommand<B> (spec: {
  name: string
  summary: string
  usage: string
  /** Help lines of its own options (printed before the output options). */
  optionsHelp?: string
  options?: Command['options']
  positionals?: Command['positionals']
  call: (args: ParsedArgs) => { method: Method, path: string, body?: unknown }
  human: (body: B, args: ParsedArgs) => string
}): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    help: `options:\n${spec.optionsHelp != null ? `${spec.optionsHelp}\n` : ''}${outputOptionsHelp}`,
    options: { ...outputOptions, ...spec.options },
    ...(spec.positionals != null ? { positionals: spec.positionals } : {}),
    async run (args, io) {
      const json = wantsJson(args)
      const c = spec.call(args)
      const res = await request(`immune-node ${spec.name}`, args, io, c.method, c.path, c.body)
      if (typeof res === 'number') return res
      io.out(json ? JSON.stringify(res.body, null, 2) : spec.human(res.body as B, args))
      return EXIT_OK
    }
  }
}

const one = { min: 1, max: 1 }
const reasonHelp = (why: string): string => `  --reason TEXT    ${why}`

const listOptions = { since: { type: 'string' as const }, limit: { type: 'string' as const } }
const listHelp = `  --since S        only since then: a duration back from now (1h, 7d) or an ISO 8601 date
  --limit N        at most N records (default 500)`

interface AllowEntry { entry: string, origin: string, addedAtMs?: number, reason?: string }

export const allowlistListCommand = apiCommand<AllowEntry[]>({
  name: 'allowlist list',
  summary: 'List the addresses and CIDR blocks never blocked (config and runtime entries)',
  usage: 'allowlist list [--json | -o json] [--api ADDR]',
  call: () => ({ method: 'GET', path: '/allowlist' }),
  human: (list) => list.length === 0 ? 'the allowlist is empty' : table(['ENTRY', 'ORIGIN', 'ADDED', 'REASON'], list.map((e) => [e.entry, e.origin, when(e.addedAtMs), e.reason ?? '']))
})

export const allowlistAddCommand = apiCommand<{ entry: AllowEntry, unblocked: Array<{ address: string }> }>({
  name: 'allowlist add',
  summary: 'Never block an address or CIDR block (at runtime, persisted); unblocks what it covers',
  usage: 'allowlist add <address|cidr> [--reason TEXT] [--json | -o json] [--api ADDR]',
  optionsHelp: reasonHelp('why (kept with the entry and in the audit log)'),
  options: reasonOption,
  positionals: one,
  call: (args) => {
    const reason = reasonOf(args)
    return { method: 'POST', path: '/allowlist', body: { entry: args.positionals[0], ...(reason != null ? { reason } : {}) } }
  },
  human: (r) => `${r.entry.entry}: on the allowlist (${r.entry.origin})${r.unblocked.length > 0 ? `; unblocked ${r.unblocked.map((u) => u.address).join(', ')}` : ''}`
})

export const allowlistRemoveCommand = apiCommand<unknown>({
  name: 'allowlist remove',
  summary: 'Remove a runtime allowlist entry (config entries are removed in the config file)',
  usage: 'allowlist remove <address|cidr> [--reason TEXT] [--json | -o json] [--api ADDR]',
  optionsHelp: reasonHelp('why (kept in the audit log)'),
  options: reasonOption,
  positionals: one,
  call: (args) => {
    const reason = reasonOf(args)
    return { method: 'DELETE', path: `/allowlist/${encodeURIComponent(args.positionals[0])}${reason != null ? `?reason=${encodeURIComponent(reason)}` : ''}` }
  },
  human: (_r, args) => `${args.positionals[0]}: removed from the allowlist`
})

interface AlertRow { id: string, origin: string, from: string, receivedAtMs: number, community: string, kind: string, danger: number, outcome?: string, sources?: unknown[], signatures?: unknown[] }

export const alertsListCommand = apiCommand<AlertRow[]>({
  name: 'alerts list',
  summary: 'List the signed alerts received from peers, with what the node made of each',
  usage: 'alerts list [--since 1h] [--limit N] [--json | -o json] [--api ADDR]',
  optionsHelp: listHelp,
  options: listOptions,
  call: (args) => ({ method: 'GET', path: `/alerts${sinceQuery(args)}` }),
  human: (list) => list.length === 0 ? 'no alerts' : table(['RECEIVED', 'KIND', 'DANGER', 'COMMUNITY', 'ORIGIN', 'OUTCOME', 'ID'], list.map((a) => [when(a.receivedAtMs), a.kind, String(a.danger), a.community, a.origin, a.outcome ?? '-', a.id]))
})

interface PeerRow { id: string, reputation: number, weight: number, blacklisted: boolean, selfish: boolean, gossipsubScore: number, lastSeen: number | null, connected: boolean, inMesh: boolean }

export const peersListCommand = apiCommand<PeerRow[]>({
  name: 'peers list',
  summary: 'List the peers this node knows, with its local reputation of each and their gossipsub score',
  usage: 'peers list [--json | -o json] [--api ADDR]',
  call: () => ({ method: 'GET', path: '/peers' }),
  human: (list) => list.length === 0 ? 'no peers known' : table(['PEER', 'CONNECTED', 'MESH', 'REPUTATION', 'WEIGHT', 'GOSSIPSUB', 'FLAGS', 'LAST SEEN'], list.map((p) => [
    p.id, p.connected ? 'yes' : 'no', p.inMesh ? 'yes' : 'no', p.reputation.toFixed(3), p.weight.toFixed(3), p.gossipsubScore.toFixed(1),
    [p.blacklisted ? 'BLACKLISTED' : '', p.selfish ? 'selfish' : ''].filter(Boolean).join(' ') || '-', when(p.lastSeen)
  ]), 80)
})

interface PeerDetail { peer: string, known: boolean, firstSeenMs?: number, reputation: { value: number, weight: number, confidence: number, blacklisted: boolean, positive: number, negative: number }, applicationScore: number, gossipsubScore: number, lastSeen: number | null, selfish?: { episodes: number, reported: number, selfish?: boolean }, events: Array<{ atMs: number, term: string, amount: number, note?: string }> }

export const peersShowCommand = apiCommand<PeerDetail>({
  name: 'peers show',
  summary: 'Show one peer: its reputation and the evidence behind it (R1..R5), selfishness test, gossipsub score',
  usage: 'peers show <peerId> [--json | -o json] [--api ADDR]',
  positionals: one,
  call: (args) => ({ method: 'GET', path: `/peers/${encodeURIComponent(args.positionals[0])}` }),
  human: (p) => {
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
  }
})

interface SignatureRow { id: string, origin: string, context: string, parameter?: string, tokens: string[], status: string, reason: string, code?: string, hits: number, firstSeenMs: number, lastHitMs: number | null }

export const signaturesListCommand = apiCommand<SignatureRow[]>({
  name: 'signatures list',
  summary: 'List the attack signatures: made here or received, adopted, pending or rejected, and why',
  usage: 'signatures list [--json | -o json] [--api ADDR]',
  call: () => ({ method: 'GET', path: '/signatures' }),
  human: (list) => list.length === 0 ? 'no signatures' : table(['ID', 'STATUS', 'ORIGIN', 'CONTEXT', 'TOKENS', 'HITS', 'REASON'], list.map((s) => [
    s.id, s.status, s.origin === 'local' ? 'local' : s.origin.slice(0, 16) + '…', s.context + (s.parameter != null && s.parameter !== '' ? ` [${s.parameter}]` : ''), s.tokens.join(' '), String(s.hits), s.reason
  ]))
})

interface SignatureDetail { signature: { id: string, context: string, parameter?: string, tokens: string[], generator?: string }, origin: string, origins: string[], status: string, reason: string, code: string, normalMatches: number, hits: number, firstSeenMs: number, lastHitMs: number | null, statusChangedMs: number }

export const signaturesShowCommand = apiCommand<SignatureDetail>({
  name: 'signatures show',
  summary: 'Show one signature in full: tokens, origins, vetting result, hits',
  usage: 'signatures show <id> [--json | -o json] [--api ADDR]',
  positionals: one,
  call: (args) => ({ method: 'GET', path: `/signatures/${encodeURIComponent(args.positionals[0])}` }),
  human: (r) => [
    `signature ${r.signature.id}  ${r.status} (${r.code})`,
    `  context     ${r.signature.context}${r.signature.parameter != null && r.signature.parameter !== '' ? `  parameter ${r.signature.parameter}` : ''}`,
    `  tokens      ${r.signature.tokens.map((t) => JSON.stringify(t)).join(' ')}`,
    `  origin      ${r.origin}${r.origins.length > 1 ? ` (+${r.origins.length - 1} more: ${r.origins.slice(1).join(', ')})` : ''}`,
    `  why         ${r.reason}`,
    `  vetting     ${r.normalMatches} match(es) in the normal sample`,
    `  hits        ${r.hits} (last ${when(r.lastHitMs)})`,
    `  first seen  ${when(r.firstSeenMs)}   status since ${when(r.statusChangedMs)}`
  ].join('\n')
})

export const signaturesRevokeCommand = apiCommand<{ signature: { id: string }, status: string, reason: string }>({
  name: 'signatures revoke',
  summary: 'Stop using a signature for good (neither this node nor a peer\'s copy adopts it again)',
  usage: 'signatures revoke <id> [--reason TEXT] [--json | -o json] [--api ADDR]',
  optionsHelp: reasonHelp('why (kept with the signature and in the audit log)'),
  options: reasonOption,
  positionals: one,
  call: (args) => {
    const reason = reasonOf(args)
    return { method: 'POST', path: `/signatures/${encodeURIComponent(args.positionals[0])}/revoke`, body: reason != null ? { reason } : {} }
  },
  human: (r) => `signature ${r.signature.id}: ${r.status} (${r.reason})`
})

interface ControlAuditRow { seq: number, atMs: number, op: string, subject: string, actor: string, remote: string | null, reason: string | null, result: string }
interface DecisionAuditRow { seq: number, atMs: number, event: string, decisionId: string | null, action: string, target: unknown, reason: string, detail?: string }

export const auditListCommand = apiCommand<ControlAuditRow[] | DecisionAuditRow[]>({
  name: 'audit list',
  summary: 'The audit log: every operator change (who, what, why); --decisions: the decisions\' own trail',
  usage: 'audit list [--decisions] [--since 1h] [--limit N] [--json | -o json] [--api ADDR]',
  optionsHelp: `  --decisions      the decision trail instead (decided, applied, expired, revoked, released...)
${listHelp}`,
  options: { ...listOptions, decisions: { type: 'boolean' } },
  call: (args) => ({ method: 'GET', path: `${args.values.decisions === true ? '/audit' : '/audit/control'}${sinceQuery(args)}` }),
  human: (body, args) => {
    if (args.values.decisions === true) {
      const list = body as DecisionAuditRow[]
      return list.length === 0 ? 'no records' : table(['TIME', 'EVENT', 'ACTION', 'DECISION', 'REASON'], list.map((a) => [when(a.atMs), a.event, a.action, a.decisionId ?? '-', a.reason + (a.detail != null ? ` (${a.detail})` : '')]), 120)
    }
    const list = body as ControlAuditRow[]
    return list.length === 0 ? 'no operator changes recorded' : table(['TIME', 'OPERATION', 'SUBJECT', 'BY', 'REASON', 'RESULT'], list.map((a) => [when(a.atMs), a.op, a.subject, `${a.actor}${a.remote != null ? `@${a.remote}` : ''}`, a.reason ?? '-', a.result]), 80)
  }
})
