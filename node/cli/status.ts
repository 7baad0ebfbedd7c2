/** `immune-node status [--json]`: what the running node is doing, for a person or as JSON. */
import { apiErrorText, apiTarget, callApi } from './api-client.js'
import { EXIT_FAILURE, EXIT_OK } from './command.js'
import type { Command } from './command.js'
import { targetText } from './decisions.js'
import { outputOptions, outputOptionsHelp, span, wantsJson } from './output.js'

interface StatusView {
  peerId: string
  version: string
  uptimeSec: number
  addresses: string[]
  threatLevel: number
  communities?: string[]
  contexts: Array<{ context: string, phase: string, count: number, cell?: string, progress?: LearningProgressView }>
  cells: Array<{ name: string, type: string, phase: string, pid?: number | null, count?: number, state?: string }>
  decisions: Array<{ id: string, action: string, target: unknown, expiresAtMs?: number | null, remainingSec?: number | null, dryRun?: boolean, explanation?: string }>
  peers: Array<{ id: string, reputation: number, blacklisted: boolean, selfish?: boolean, gossipsubScore: number }>
  alerts: { received: number, published: number }
  signatures: { adopted: number, rejected: number, local?: number }
  /** Whole counts (the lists above are capped by budgets.statusEntries). */
  totals?: { contexts: number, decisions: number, denyList: number }
  firewall?: { mode: string, enabled: boolean, table: string, reason: string, held: { entries: Array<{ address: string, expiresAtMs: number }> } | null }
}

/** One line: what the host firewall does and what it holds. */
export function formatFirewall (f: NonNullable<StatusView['firewall']>): string {
  if (!f.enabled) return `firewall: ${f.mode === 'off' ? 'off (policy.nftables = off): the host firewall is not touched' : `not used (policy.nftables = ${f.mode}): ${f.reason.replace(/^nftables: /, '')}`}`
  const n = f.held?.entries.length ?? 0
  return `firewall: nftables table inet ${f.table}: ${n} blocked source${n === 1 ? '' : 's'} (each with its decision's timeout; the table is deleted at stop)`
}

interface LearningProgressView { learned: number, minObservations: number, sources: number, minSources: number, guardingNotBeforeMs: number }

/** "7 m 12 s", "2 h 5 m", "40 s". */
export function formatDuration (sec: number): string {
  const s = Math.max(0, Math.ceil(sec))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} m ${s % 60} s`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`
}

/**
 * A learning context's progress for a person: "251/200 observations, guarding
 * in 7 m 12 s"; what it still lacks is named ("1/3 sources"), and when nothing
 * is missing but time, the time left.
 */
export function formatLearningProgress (p: LearningProgressView, nowMs: number): string {
  const parts = [`${p.learned}/${p.minObservations} observations`]
  if (p.minSources > 1 || p.sources < p.minSources) parts.push(`${p.sources}/${p.minSources} sources`)
  const leftSec = (p.guardingNotBeforeMs - nowMs) / 1000
  const countsMet = p.learned >= p.minObservations && p.sources >= p.minSources
  if (countsMet) parts.push(leftSec > 0 ? `guarding in ${formatDuration(leftSec)}` : 'guarding within a second')
  else if (leftSec > 0) parts.push(`at least ${formatDuration(leftSec)} more`)
  return parts.join(', ')
}

function ago (sec: number): string {
  if (sec < 120) return `${Math.round(sec)}s`
  if (sec < 7200) return `${Math.round(sec / 60)}m`
  return `${(sec / 3600).toFixed(1)}h`
}

export function formatStatus (s: StatusView, nowMs = Date.now()): string {
  const lines: string[] = []
  lines.push(`immune-node ${s.version}  peer ${s.peerId}  up ${ago(s.uptimeSec)}  threat ${s.threatLevel > 0 ? 'RAISED' : 'normal'}`)
  if (s.communities != null) lines.push(`communities: ${s.communities.join(', ')}`)
  lines.push('addresses:')
  for (const a of s.addresses) lines.push(`  ${a}`)
  lines.push(`cells (${s.cells.length}):`)
  for (const c of s.cells) lines.push(`  ${c.name.padEnd(16)} ${c.type.padEnd(12)} ${c.phase.padEnd(9)} ${c.pid != null ? `pid ${c.pid}` : ''}${c.state != null ? ` ${c.state}` : ''}`)
  const learning = s.contexts.filter((c) => c.phase === 'learning').length
  const totalContexts = s.totals?.contexts ?? s.contexts.length
  const shownNote = totalContexts > s.contexts.length ? `, ${s.contexts.length} shown: ${s.contexts.length - learning} guarding, ${learning} learning` : ` (${s.contexts.length - learning} guarding, ${learning} learning)`
  lines.push(`contexts: ${totalContexts}${shownNote}`)
  for (const c of s.contexts.slice(0, 20)) lines.push(`  ${c.phase.padEnd(9)} ${String(c.count).padStart(7)}  ${c.context}${c.progress != null ? `  (${formatLearningProgress(c.progress, nowMs)})` : ''}`)
  if (totalContexts > 20) lines.push(`  … ${totalContexts - 20} more (GET /contexts for all)`)
  const totalDecisions = s.totals?.decisions ?? s.decisions.length
  if (s.firewall != null) lines.push(formatFirewall(s.firewall))
  lines.push(`decisions in force: ${totalDecisions}${totalDecisions > s.decisions.length ? ` (the newest ${s.decisions.length} below; GET /decisions for all)` : ''}`)
  for (const d of s.decisions) {
    const leftSec = d.remainingSec ?? (d.expiresAtMs != null ? (d.expiresAtMs - nowMs) / 1000 : null)
    const left = leftSec != null ? ` (${span(leftSec)} left)` : ''
    const why = d.explanation != null && d.explanation !== '' ? `  ${d.explanation.length > 80 ? d.explanation.slice(0, 79) + '…' : d.explanation}` : ''
    lines.push(`  ${d.action.padEnd(20)} ${targetText(d.target)}${left}${d.dryRun === true ? ' [dry-run]' : ''}  ${d.id}${why}`)
  }
  lines.push(`peers: ${s.peers.length}`)
  for (const p of s.peers) {
    const flags = [p.blacklisted ? 'BLACKLISTED' : '', p.selfish === true ? 'selfish' : ''].filter(Boolean).join(' ')
    lines.push(`  ${p.id}  reputation ${p.reputation.toFixed(2)}  gossipsub ${p.gossipsubScore.toFixed(1)} ${flags}`)
  }
  lines.push(`alerts: ${s.alerts.received} received, ${s.alerts.published} published; signatures: ${s.signatures.adopted} adopted, ${s.signatures.rejected} rejected`)
  return lines.join('\n')
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show what the running node is doing (cells, phases, decisions, peers)',
  usage: 'status [--json | -o json] [--api ADDR] [--token TOKEN] [--config FILE]',
  help: `options:\n${outputOptionsHelp}`,
  options: outputOptions,
  async run (args, io) {
    const json = wantsJson(args)
    const target = apiTarget(args)
    const res = await callApi(target, 'GET', '/status')
    if (res.status !== 200) {
      io.err(`immune-node status: ${apiErrorText(res)}`)
      return EXIT_FAILURE
    }
    io.out(json ? JSON.stringify(res.body, null, 2) : formatStatus(res.body as StatusView))
    return EXIT_OK
  }
}
