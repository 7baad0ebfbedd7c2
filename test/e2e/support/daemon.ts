/**
 * Spawning real `immune-node start` processes for end-to-end tests, shared by
 * every test/e2e file (daemon tests, multi-daemon collaboration tests).
 *
 *   const pool = createDaemonPool()
 *   const a = await pool.start({ config: { cells: [...] } })
 *   const [b, c] = await pool.startMany(2, (i) => ({ args: ['--bootstrap', a.addresses[0]] }))
 *   ...
 *   await pool.cleanup()            // afterAll: stops what is still running (by pid), removes temp dirs
 *
 * Each daemon runs as `node --import tsx bin/immune-node.ts start --config <file> [args]`
 * from the repository root. Its config is the test's config merged over
 * TEST_BASE_CONFIG (API and mesh on 127.0.0.1 with OS-chosen ports, JSON logs,
 * a fresh temp data dir unless `dataDir` is given). Readiness: the start banner
 * names the API address; then GET /health is polled until it answers 200 and
 * GET /status gives the peer id and mesh addresses.
 *
 * Every wait is bounded; only pids this module spawned are ever signalled.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import { getJson, sleep, waitFor } from './http.js'
import { checkPublishedAlerts } from './alert-privacy.js'
import type { PrivacyReport } from './alert-privacy.js'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const IMMUNE_NODE_BIN = join(REPO_ROOT, 'bin/immune-node.ts')
/** The tiny HTTP app used as a supervised cell (plain JS, run by `node` itself). */
export const TINY_APP = join(REPO_ROOT, 'test/e2e/support/tiny-app.mjs')

/** What every test daemon starts from; a spec's `config` is deep-merged over it (arrays replace). */
export const TEST_BASE_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  listen: ['/ip4/127.0.0.1/tcp/0'],
  api: { host: '127.0.0.1', port: 0 },
  logging: { level: 'info', format: 'json' }
})

export interface DaemonSpec {
  /** Config keys merged over TEST_BASE_CONFIG (dataDir is set by the pool unless given here or as `dataDir`). */
  config?: Record<string, unknown>
  /** Reuse a data dir (restart after stop/kill9): same identity, store, decisions. */
  dataDir?: string
  /** Extra `start` flags, e.g. ['--bootstrap', addr]. */
  args?: string[]
  env?: Record<string, string>
  /** Bound on start-up (banner + /health); default 45 s. */
  readyTimeoutMs?: number
  /** A label for diagnostics. */
  name?: string
  /** Run a compiled entry (e.g. dist/bin/immune-node.js) with plain node instead of bin/immune-node.ts through tsx. */
  compiledBin?: string
  /** Extra node options before the entry, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/p']. */
  nodeArgs?: string[]
}

export interface DaemonExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface RunningDaemon {
  readonly name: string
  readonly pid: number
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  readonly apiUrl: string
  readonly peerId: string
  /** Full multiaddrs ending in /p2p/<peerId>, usable as another daemon's bootstrap. */
  readonly addresses: string[]
  readonly dataDir: string
  readonly configPath: string
  /** The config object written to configPath. */
  readonly config: Record<string, unknown>
  /** SIGTERM, then SIGKILL after graceMs (default 15 s); resolves with the exit. Idempotent. */
  stop: (graceMs?: number) => Promise<DaemonExit>
  /** SIGKILL now; resolves with the exit. Idempotent. */
  kill9: () => Promise<DaemonExit>
  /** Resolves when the process has exited (for whatever reason). */
  readonly exited: Promise<DaemonExit>
  isRunning: () => boolean
  /** Everything written to stderr so far (logs are JSON lines there). */
  stderr: () => string
  stdout: () => string
  /** stderr lines that parse as JSON log records. */
  logs: () => Array<Record<string, unknown>>
}

export interface DaemonPool {
  start: (spec?: DaemonSpec) => Promise<RunningDaemon>
  /** Starts n daemons one after another (spec(i) for the i-th). */
  startMany: (n: number, spec?: (i: number) => DaemonSpec) => Promise<RunningDaemon[]>
  /** A fresh temp dir removed by cleanup(). */
  tempDir: (prefix?: string) => string
  /** Every daemon started so far (running or not). */
  readonly daemons: RunningDaemon[]
  /**
   * Stops every daemon still running (SIGTERM, SIGKILL after a grace), checks
   * what every daemon published (support/alert-privacy.ts: no normal value of
   * its publisher, no excluded address in any alert another daemon received;
   * throws listing the violations), then removes the pool's temp dirs.
   */
  cleanup: () => Promise<void>
  /** The privacy check of the last cleanup (null before). */
  readonly privacy: PrivacyReport | null
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v != null && typeof v === 'object' && !Array.isArray(v)

/** Objects merge key by key; arrays and scalars replace (the same rule as the node's config merge). */
export function mergeConfig (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeConfig(out[k] as Record<string, unknown>, v) : v
  }
  return out
}

/** A supervised cell running the tiny app (any free port unless `port`), ready to merge into `cells`. */
export function tinyAppCell (name: string, opts: { port?: number, renewIntervalSec?: number, sampleIntervalSec?: number, extra?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    name,
    type: 'supervised',
    command: process.execPath,
    args: [TINY_APP, String(opts.port ?? 0)],
    stdio: 'ignore',
    stopGraceSec: 2,
    // /proc sampling is slow by default here so that process-level detection does not act on its own in a test
    sampleIntervalSec: opts.sampleIntervalSec ?? 3600,
    renewIntervalSec: opts.renewIntervalSec ?? 0,
    ...(opts.extra ?? {})
  }
}

const BANNER_API_RE = /^\s*api\s+(http:\/\/\S+?)\/status\s*$/m

export function createDaemonPool (opts: { root?: string } = {}): DaemonPool {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'immune-e2e-'))
  const daemons: RunningDaemon[] = []
  let counter = 0
  let privacy: PrivacyReport | null = null

  const tempDir = (prefix = 'tmp'): string => mkdtempSync(join(root, `${prefix}-`))

  const start = async (spec: DaemonSpec = {}): Promise<RunningDaemon> => {
    const name = spec.name ?? `node${counter++}`
    const dataDir = spec.dataDir ?? (spec.config?.dataDir as string | undefined) ?? join(tempDir(name), 'data')
    const configDir = tempDir(`${name}-config`)
    const configPath = join(configDir, 'config.json')
    const config = mergeConfig(mergeConfig({ ...TEST_BASE_CONFIG }, spec.config ?? {}), { dataDir })
    mkdirSync(configDir, { recursive: true })
    writeFileSync(configPath, JSON.stringify(config, null, 2))

    const entry = spec.compiledBin != null ? [spec.compiledBin] : ['--import', 'tsx', IMMUNE_NODE_BIN]
    const child: ChildProcess = spawn(process.execPath, [...(spec.nodeArgs ?? []), ...entry, 'start', '--config', configPath, ...(spec.args ?? [])], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...(spec.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    if (child.pid == null) throw new Error(`daemon ${name}: spawn failed`)
    const pid = child.pid
    let err = ''
    let out = ''
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c })
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c })
    let exit: DaemonExit | null = null
    const exited = new Promise<DaemonExit>((resolve) => {
      child.once('exit', (code, signal) => {
        exit = { code, signal }
        resolve(exit)
      })
    })

    const waitExit = async (ms: number): Promise<DaemonExit | null> => await Promise.race([exited, sleep(ms).then(() => null)])
    const kill9 = async (): Promise<DaemonExit> => {
      if (exit == null) child.kill('SIGKILL')
      return await exited
    }
    const stop = async (graceMs = 15_000): Promise<DaemonExit> => {
      if (exit != null) return exit
      child.kill('SIGTERM')
      return (await waitExit(graceMs)) ?? await kill9()
    }

    const timeoutMs = spec.readyTimeoutMs ?? 45_000
    let apiUrl: string
    try {
      apiUrl = await waitFor(`daemon ${name} start banner`, () => {
        if (exit != null) throw new Error(`daemon ${name} exited (${exit.code ?? exit.signal}) before it was ready:\n${err.slice(-4000)}`)
        return BANNER_API_RE.exec(err)?.[1] ?? null
      }, { timeoutMs, intervalMs: 50 })
      await waitFor(`daemon ${name} GET /health`, async () => {
        const h = await getJson(apiUrl, '/health').catch(() => null)
        return h?.status === 200 ? true : null
      }, { timeoutMs, intervalMs: 100 })
    } catch (e) {
      await kill9()
      throw e
    }
    const status = (await getJson(apiUrl, '/status')).body as { peerId: string, addresses: string[] }

    const d: RunningDaemon = {
      name,
      pid,
      apiUrl,
      peerId: status.peerId,
      addresses: status.addresses,
      dataDir,
      configPath,
      config,
      stop,
      kill9,
      exited,
      isRunning: () => exit == null,
      stderr: () => err,
      stdout: () => out,
      logs: () => err.split('\n').flatMap((l) => {
        if (!l.startsWith('{')) return []
        try { return [JSON.parse(l) as Record<string, unknown>] } catch { return [] }
      })
    }
    daemons.push(d)
    return d
  }

  return {
    start,
    async startMany (n, spec) {
      const out: RunningDaemon[] = []
      for (let i = 0; i < n; i++) out.push(await start(spec?.(i) ?? {}))
      return out
    },
    tempDir,
    daemons,
    get privacy () { return privacy },
    async cleanup () {
      await Promise.all(daemons.map(async (d) => await d.stop(10_000)))
      try {
        const report = await checkPublishedAlerts(daemons.map((d) => ({ peerId: d.peerId, dataDir: d.dataDir, config: d.config })))
        privacy = report
        if (report.violations.length > 0) {
          throw new Error(`what left a host (${report.violations.length} violation(s) in ${report.checked} alerts):\n${report.violations.slice(0, 20).join('\n')}`)
        }
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    }
  }
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `immune-node <args>` as a real process and collects its output (bounded by timeoutMs, then SIGKILL). */
export async function runImmuneNode (args: string[], opts: { timeoutMs?: number, env?: Record<string, string>, cwd?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', IMMUNE_NODE_BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, opts.timeoutMs ?? 45_000)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('close', (c, s) => { resolve([c, s]) })
  })
  clearTimeout(timer)
  return { code, signal, stdout, stderr }
}

/** A port on 127.0.0.1 that a plain TCP server holds (to make a daemon's bind fail); the server is pushed on `servers` for the caller to close. */
export async function occupiedPort (servers: Server[]): Promise<number> {
  const s = createServer()
  servers.push(s)
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return (s.address() as { port: number }).port
}

/** Writes a config file into `dir` (an object as JSON, a string as it is) and returns its path. */
export function writeConfigFile (dir: string, name: string, config: unknown): string {
  const p = join(dir, name)
  writeFileSync(p, typeof config === 'string' ? config : JSON.stringify(config))
  return p
}
