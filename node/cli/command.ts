/**
 * A tiny command framework for the thin bin/ shims: each command is a module
 * with its options, usage text and handler; `--help` everywhere; exit code 2
 * for bad usage (CONVENTIONS.md #13).
 */
import { ConfigError, InvalidParamsError, StartupError } from '../errors.js'
import { DataDirLockedError } from '../../protocol/errors.js'
import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'

export type OptionSpec = NonNullable<ParseArgsConfig['options']>

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
}

export interface Command {
  /** Space-separated path, e.g. "config check". */
  name: string
  summary: string
  /** Usage line(s) after the program name, e.g. "start [--config FILE]". */
  usage: string
  /** Extra help text: option descriptions and examples. */
  help?: string
  options?: OptionSpec
  /** Allowed positional count range. */
  positionals?: { min: number, max: number }
  run: (args: ParsedArgs, io: CliIo) => Promise<number>
}

export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
  isTTY: boolean
}

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** Bad usage or bad config: printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly code = 'IMMUNE_ERR_USAGE'
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export function defaultIo (): CliIo {
  return {
    out: (t) => { process.stdout.write(t.endsWith('\n') ? t : t + '\n') },
    err: (t) => { process.stderr.write(t.endsWith('\n') ? t : t + '\n') },
    isTTY: process.stdout.isTTY === true
  }
}

function commandHelp (program: string, cmd: Command): string {
  const lines = [`usage: ${program} ${cmd.usage}`, '', cmd.summary]
  if (cmd.help != null) lines.push('', cmd.help.trimEnd())
  lines.push('', '  -h, --help   show this help')
  return lines.join('\n') + '\n'
}

function programHelp (program: string, description: string, commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  const rows = commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`)
  return [`usage: ${program} <command> [options]`, '', description, '', 'commands:', ...rows, '',
    `Run "${program} <command> --help" for a command's options.`].join('\n') + '\n'
}

function groupHelp (program: string, noun: string, group: Command[]): string {
  const width = Math.max(...group.map((c) => c.name.length))
  return [`usage: ${program} ${noun} <subcommand> [options]`, '', `subcommands of ${noun}:`, ...group.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`), '',
    `Run "${program} ${noun} <subcommand> --help" for its options.`].join('\n') + '\n'
}

/**
 * Dispatch argv (without node and script) to the longest matching command.
 * `--version` runs the `version` command; a noun alone (`config`,
 * `decisions`) lists its subcommands. Returns the exit code.
 */
export async function runCli (program: string, description: string, commands: Command[], argv: string[], io: CliIo = defaultIo()): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const text = programHelp(program, description, commands)
    if (argv.length === 0) { io.err(text); return EXIT_USAGE }
    io.out(text)
    return EXIT_OK
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    const v = commands.find((c) => c.name === 'version')
    if (v != null) return await v.run({ values: {}, positionals: [] }, io)
  }
  let cmd: Command | undefined
  let rest: string[] = []
  for (const c of commands) {
    const words = c.name.split(' ')
    if (words.every((w, i) => argv[i] === w) && (cmd == null || words.length > cmd.name.split(' ').length)) {
      cmd = c
      rest = argv.slice(words.length)
    }
  }
  const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `))
  if (cmd == null && group.length > 0) {
    if (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h') {
      io.out(groupHelp(program, argv[0], group))
      return EXIT_OK
    }
    io.err(`${program}: unknown subcommand "${argv.slice(0, 2).join(' ')}"\n\n${groupHelp(program, argv[0], group)}`)
    return EXIT_USAGE
  }
  if (cmd == null) {
    io.err(`${program}: unknown command "${argv.join(' ')}"\n\n${programHelp(program, description, commands)}`)
    return EXIT_USAGE
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(program, cmd))
    return EXIT_OK
  }
  let parsed: ParsedArgs
  try {
    const r = parseArgs({ args: rest, options: cmd.options ?? {}, allowPositionals: true, strict: true })
    parsed = { values: r.values as ParsedArgs['values'], positionals: r.positionals }
  } catch (err) {
    io.err(`${program} ${cmd.name}: ${(err as Error).message}\nusage: ${program} ${cmd.usage}`)
    return EXIT_USAGE
  }
  const range = cmd.positionals ?? { min: 0, max: 0 }
  if (parsed.positionals.length < range.min || parsed.positionals.length > range.max) {
    io.err(`${program} ${cmd.name}: expected ${range.min === range.max ? range.min : `${range.min} to ${range.max}`} argument(s), got ${parsed.positionals.length}\nusage: ${program} ${cmd.usage}`)
    return EXIT_USAGE
  }
  try {
    return await cmd.run(parsed, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${program} ${cmd.name}: ${err.message}`)
      return EXIT_USAGE
    }
    const e = err as Error & { code?: string }
    if (typeof e.code === 'string' && [ConfigError.code, DataDirLockedError.code, InvalidParamsError.code, StartupError.code].includes(e.code)) {
      io.err(`${program} ${cmd.name}: ${e.message}`)
      return EXIT_USAGE
    }
    // an expected failure with a stable code (node not reachable...): one line; anything else is a bug: the stack
    if (typeof e.code === 'string' && e.code.startsWith('IMMUNE_ERR_')) {
      io.err(`${program} ${cmd.name}: ${e.message}`)
      return EXIT_FAILURE
    }
    io.err(`${program} ${cmd.name}: ${e.stack ?? String(e)}`)
    return EXIT_FAILURE
  }
}
