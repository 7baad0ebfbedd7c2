/**
 * How the operator commands print: for a person (aligned columns, times as
 * "in 3h 5m" / "4m ago"), or JSON (`--json`, or `-o json` as in cscli) for a
 * pipe. Every command that talks to the node takes these options.
 */
import { apiErrorText, apiOptions, apiOptionsHelp, apiTarget, callApi } from './api-client.js'
import type { ApiResponse } from './api-client.js'
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './command.js'
import type { CliIo, OptionSpec, ParsedArgs } from './command.js'

export const outputOptions: OptionSpec = {
  ...apiOptions,
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' }
}

export const outputOptionsHelp = `  --json           print JSON (the API's answer) instead of text
  -o, --output F   output format: human (default) or json
${apiOptionsHelp}`

export function wantsJson (args: ParsedArgs): boolean {
  const o = args.values.output
  if (o !== undefined && o !== 'json' && o !== 'human') throw new UsageError(`-o/--output: ${JSON.stringify(o)} (accepted: human, json)`)
  return args.values.json === true || o === 'json'
}

/** A duration in seconds from "90", "90s", "15m", "4h", "7d" or combinations ("1h30m"). */
export function parseDurationSec (text: string, option: string): number {
  const t = text.trim()
  if (/^\d+$/.test(t)) return Number(t)
  const re = /(\d+)\s*([smhd])/gy
  let total = 0
  let m: RegExpExecArray | null
  let end = 0
  while ((m = re.exec(t)) != null) {
    total += Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd']
    end = re.lastIndex
  }
  if (t === '' || end !== t.length || total <= 0) throw new UsageError(`${option}: ${JSON.stringify(text)} (accepted: a duration such as 90s, 15m, 4h, 7d or 1h30m)`)
  return total
}

/** "3h 5m", "42s": a span for a person. */
export function span (sec: number): string {
  const s = Math.max(0, Math.round(sec))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.floor(s / 60)}m ${s % 60 > 0 ? `${s % 60}s` : ''}`.trim()
  if (s < 172_800) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`
}

/** "2026-12-03 08:01:22Z" (UTC, no milliseconds), or "-" for null. */
export function when (ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '-'
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

/** Aligned columns with a header row; cells are cut at `max` characters. */
export function table (header: string[], rows: string[][], max = 60): string {
  const cut = (s: string): string => s.length > max ? s.slice(0, max - 1) + '…' : s
  const all = [header, ...rows].map((r) => r.map((c) => cut(c.replace(/\s+/g, ' '))))
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  return all.map((r) => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

/**
 * One call to the node: prints the error and returns its exit code (2 for a
 * 400/404/409 the operator can fix, 1 otherwise), or returns the answer.
 */
export async function request (program: string, args: ParsedArgs, io: CliIo, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<ApiResponse | number> {
  const res = await callApi(apiTarget(args), method, path, body)
  if (res.status >= 200 && res.status < 300) return res
  io.err(`${program}: ${apiErrorText(res)}`)
  return [400, 404, 409].includes(res.status) ? EXIT_USAGE : EXIT_FAILURE
}
