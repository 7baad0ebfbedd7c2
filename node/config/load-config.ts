/**
 * Loading the config file (JSON or YAML), and command-line overrides.
 */
import { readFileSync } from 'node:fs'
import { dirname, extname, resolve } from 'node:path'
import { parseDocument } from 'yaml'
import { ConfigError } from '../errors.js'
import type { ConfigIssue } from '../errors.js'
import { Checker } from '../../core/index.js'
import type { Config, ConfigOverrides } from './config-types.js'
import { inspectParsed, MAX_CONFIG_DEPTH, MAX_YAML_ALIAS_COUNT } from './inspect-parsed.js'
import { checkConfigPaths } from './check-paths.js'
import { checkConfig, checkBootstrapAddr, checkListenAddr, freezeConfig, isLoopbackHost, resolveConfigPath, validateConfig } from './validate-config.js'

export type ConfigFormat = 'json' | 'yaml'

/** `.json` → json; `.yaml`/`.yml` → yaml; anything else: json when the text starts with `{`, else yaml. */
export function configFormatOf (path: string, text: string): ConfigFormat {
  const ext = extname(path).toLowerCase()
  if (ext === '.json') return 'json'
  if (ext === '.yaml' || ext === '.yml') return 'yaml'
  return text.trimStart().startsWith('{') ? 'json' : 'yaml'
}

function shortPath (path: string): string {
  return path.length > 60 ? `${path.slice(0, 60)}...` : path
}

/** Parses config text; syntax errors, nesting and alias bombs become ConfigError with field `<file>` (or the path) and the line/column. */
export function parseConfigText (text: string, format: ConfigFormat, file?: string): unknown {
  const fail = (value: unknown, accepted: string, field = '<file>'): never => {
    throw new ConfigError([{ field, value, accepted }], file)
  }
  const checked = (v: unknown): unknown => {
    const { tooDeep } = inspectParsed(v)
    if (tooDeep != null) fail(`nested deeper than ${MAX_CONFIG_DEPTH} levels`, `a config at most ${MAX_CONFIG_DEPTH} levels deep (no config field is deeper than 6)`, shortPath(tooDeep))
    return v
  }
  if (format === 'json') {
    try {
      return checked(JSON.parse(text))
    } catch (err) {
      if (err instanceof ConfigError) throw err
      if (err instanceof RangeError) return fail('nested too deep to parse', `a config at most ${MAX_CONFIG_DEPTH} levels deep`)
      const msg = (err as Error).message
      const m = /position (\d+)/.exec(msg)
      let where = ''
      if (m != null) {
        const pos = Number(m[1])
        const before = text.slice(0, pos)
        const line = before.split('\n').length
        where = ` at line ${line} column ${pos - before.lastIndexOf('\n')}`
      }
      return fail(`JSON syntax error${where}: ${msg}`, 'valid JSON (or use a .yaml file)')
    }
  }
  let doc: ReturnType<typeof parseDocument>
  try {
    doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  } catch (err) {
    if (err instanceof RangeError) return fail('nested too deep to parse', `a config at most ${MAX_CONFIG_DEPTH} levels deep`)
    throw err
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    if (/Maximum call stack/.test(e.message)) return fail('nested too deep to parse', `a config at most ${MAX_CONFIG_DEPTH} levels deep`)
    const pos = e.linePos?.[0]
    return fail(`YAML syntax error${pos != null ? ` at line ${pos.line} column ${pos.col}` : ''}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, 'valid YAML')
  }
  // an empty document is the default config; an explicit `null` is not a config (validation says so)
  if (doc.contents == null) return {}
  try {
    return checked(doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT }))
  } catch (err) {
    if (err instanceof ConfigError) throw err
    if (err instanceof ReferenceError && /alias/i.test(err.message)) return fail(`YAML aliases expand to more than ${MAX_YAML_ALIAS_COUNT} nodes`, `a config whose aliases (*name) expand to at most ${MAX_YAML_ALIAS_COUNT} nodes (an alias bomb is refused)`)
    if (err instanceof RangeError) return fail('nested too deep to parse', `a config at most ${MAX_CONFIG_DEPTH} levels deep`)
    throw err
  }
}

/**
 * Loads, merges over the defaults, validates and freezes. With no path, the
 * embedded default (protect the host; API on 127.0.0.1:7070). Relative paths
 * inside the file are resolved against the file's directory.
 */
export function loadConfig (path?: string): Config {
  if (path == null) return validateConfig({})
  const file = resolve(path)
  const raw = readConfigFile(file)
  return validateConfig(raw, { baseDir: dirname(file), file })
}

function readConfigFile (file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new ConfigError([{ field: '<file>', value: file, accepted: `a readable JSON or YAML config file (${code === 'ENOENT' ? 'not found' : code})` }], file)
  }
  return parseConfigText(text, configFormatOf(file, text), file)
}

/**
 * `config check`: every problem of a config file, its shape and its paths
 * (commands, working directories, hooks, access logs), without throwing for
 * them; a file that cannot be read or parsed still throws ConfigError.
 */
export function checkConfigFile (path: string): { file: string, config: Config, issues: ConfigIssue[] } {
  const file = resolve(path)
  const raw = readConfigFile(file)
  const { config, issues } = checkConfig(raw, { baseDir: dirname(file), file })
  const seen = new Set(issues.map(i => i.field))
  // a field already wrong in shape is not checked again as a path; nor a cell whose shape is wrong
  const badCells = new Set(issues.map(i => /^cells\[\d+\]/.exec(i.field)?.[0]).filter((x): x is string => x != null))
  const pathIssues = checkConfigPaths(config, { accessLogs: true }).filter(i => !seen.has(i.field) && !badCells.has(/^cells\[\d+\]/.exec(i.field)?.[0] ?? ''))
  return { file, config, issues: [...issues, ...pathIssues] }
}

export interface OverrideOptions {
  /** Relative override paths are resolved against this (default: cwd). */
  baseDir?: string
}

/**
 * Applies command-line overrides to a loaded config (each replaces the
 * config's value), validating each one; returns a new frozen Config.
 * Field names in errors are those of the config keys (`dataDir`, `listen`...).
 */
export function mergeOverrides (config: Config, overrides: ConfigOverrides & { apiToken?: string }, opts: OverrideOptions = {}): Config {
  const baseDir = opts.baseDir ?? process.cwd()
  const c = new Checker()
  const next: Config = structuredClone(config) as Config
  if (overrides.dataDir != null) {
    const d = c.string('dataDir', overrides.dataDir, config.dataDir, { accepted: 'a directory path (--data-dir)' })
    next.dataDir = resolveConfigPath(d, baseDir)
  }
  const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : v.split(',')).map(s => s.trim()).filter(s => s !== '')
  if (overrides.listen != null) next.listen = c.stringList('listen', list(overrides.listen), config.listen, checkListenAddr, 'a multiaddr to listen on (--listen)')
  if (overrides.bootstrap != null) next.bootstrap = c.stringList('bootstrap', list(overrides.bootstrap), config.bootstrap, checkBootstrapAddr, 'a peer multiaddr ending in /p2p/<peerId> (--bootstrap)')
  if (overrides.apiPort != null) {
    const raw = typeof overrides.apiPort === 'string' && /^\d+$/.test(overrides.apiPort) ? Number(overrides.apiPort) : overrides.apiPort
    next.api.port = c.number('api.port', raw, config.api.port, { integer: true, min: 0, max: 65535 })
  }
  if (overrides.apiHost != null) next.api.host = c.string('api.host', overrides.apiHost, config.api.host, { pattern: /^(localhost|[0-9a-fA-F.:]+)$/, accepted: 'an IPv4/IPv6 address or localhost' })
  if (overrides.apiToken != null) next.api.token = c.string('api.token', overrides.apiToken, config.api.token ?? '', { minLength: 16, maxLength: 512, pattern: /^[\x21-\x7e]+$/, accepted: 'a token of 16 to 512 printable characters without spaces' })
  if (next.api.token == null && !isLoopbackHost(next.api.host)) {
    c.add('api.token', null, `a token of 16 to 512 printable characters: required because api.host ${JSON.stringify(next.api.host)} is not a loopback address`)
  }
  if (!c.ok) throw new ConfigError(c.issues as ConfigIssue[])
  return freezeConfig(next)
}
