/**
 * Start and stop real `immune-node` daemons as child processes on 127.0.0.1,
 * for the demo (scripts/demo.ts). Each node gets its own temp data dir, an
 * OS-chosen API port and mesh port, and (after the first) the first node as
 * its bootstrap peer. Only the processes started here are ever signalled, by
 * their pid.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(REPO_ROOT, 'bin', 'immune-node.ts')

export interface DemoNode {
  name: string
  dataDir: string
  /** http://127.0.0.1:<port> of the node's local API. */
  api: string
  peerId: string
  /** The node's mesh addresses (each ending in /p2p/<peerId>). */
  addresses: string[]
  child: ChildProcess
  /** The node's log (JSON lines on stdout, messages on stderr), last lines first dropped. */
  log: () => string
}

export interface StartNodeOptions {
  name: string
  /** Parent dir for the node's data dir and config. */
  baseDir: string
  /** The node's config (JSON object) written to <dataDir>/config.json. */
  config: Record<string, unknown>
  bootstrap?: string[]
  /** How long to wait for the API (ms). */
  startTimeoutMs?: number
}

const MAX_LOG_CHARS = 200_000

/** Start one daemon; resolves when its API answers /status. */
export async function startNode (o: StartNodeOptions): Promise<DemoNode> {
  const dataDir = join(o.baseDir, o.name)
  const configPath = join(o.baseDir, `${o.name}.json`)
  writeFileSync(configPath, JSON.stringify(o.config, null, 2))
  const args = ['--import', 'tsx', CLI, 'start', '--config', configPath, '--data-dir', dataDir, '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0']
  for (const b of o.bootstrap ?? []) args.push('--bootstrap', b)
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  let out = ''
  const append = (d: Buffer): void => {
    out += d.toString('utf8')
    if (out.length > MAX_LOG_CHARS) out = out.slice(out.length - MAX_LOG_CHARS)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const timeoutMs = o.startTimeoutMs ?? 30_000
  const api = await new Promise<string>((resolveApi, reject) => {
    const timer = setTimeout(() => { finish(new Error(`node ${o.name} did not start within ${timeoutMs} ms:\n${out.slice(-4000)}`)) }, timeoutMs)
    const onData = (): void => {
      const m = /api\s+(http:\/\/[0-9.]+:\d+)\/status/.exec(out)
      if (m != null) finish(null, m[1])
    }
    const onExit = (code: number | null): void => { finish(new Error(`node ${o.name} exited (code ${String(code)}) before it started:\n${out.slice(-4000)}`)) }
    function finish (err: Error | null, url?: string): void {
      clearTimeout(timer)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
      if (err != null) reject(err)
      else resolveApi(url!)
    }
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
  }).catch((err: unknown) => {
    if (child.exitCode == null && child.pid != null) child.kill('SIGKILL')
    throw err
  })
  const status = await getJson(`${api}/status`) as { peerId: string, addresses: string[] }
  return { name: o.name, dataDir, api, peerId: status.peerId, addresses: status.addresses, child, log: () => out }
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
export async function stopNode (n: Pick<DemoNode, 'child'>, graceMs = 5000): Promise<void> {
  const child = n.child
  if (child.exitCode != null || child.signalCode != null) return
  await new Promise<void>((resolveStop) => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, graceMs)
    child.once('exit', () => { clearTimeout(timer); resolveStop() })
    child.kill('SIGTERM')
  })
}

export function makeBaseDir (prefix = 'immune-demo-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir (dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

export async function getJson (url: string): Promise<unknown> {
  const res = await fetch(url)
  const text = await res.text()
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

export async function postJson (url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await res.text()
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

/** Poll `probe` every intervalMs until it returns a value other than undefined, or throw after timeoutMs. */
export async function waitFor<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastErr: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      lastErr = err
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr != null ? `: ${String(lastErr)}` : ''}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
