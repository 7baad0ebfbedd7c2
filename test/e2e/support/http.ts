/**
 * Small helpers for e2e tests: JSON over HTTP to a daemon's local API (with an
 * optional keep-alive agent), bounded polling, and /proc reads of processes.
 */
import { Agent, request } from 'node:http'
import { readFileSync } from 'node:fs'

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
  text: string
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** One HTTP request; the body is JSON-encoded when it is not a string. Bounded by timeoutMs. */
export async function httpRequest (base: string, method: string, path: string, body?: unknown, opts: { agent?: Agent, headers?: Record<string, string>, timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const url = new URL(path, base)
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  return await new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(url, {
      method,
      agent: opts.agent,
      timeout: opts.timeoutMs ?? 15_000,
      headers: {
        ...(payload != null ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
        ...(opts.headers ?? {})
      }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let parsed: unknown = text
        try { parsed = JSON.parse(text) } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text })
      })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error(`${method} ${url.href}: no answer within ${opts.timeoutMs ?? 15_000} ms`)) })
    req.on('error', reject)
    if (payload != null) req.write(payload)
    req.end()
  })
}

export const getJson = async (base: string, path: string, agent?: Agent): Promise<HttpAnswer> => await httpRequest(base, 'GET', path, undefined, { agent })
export const postJson = async (base: string, path: string, body: unknown, agent?: Agent): Promise<HttpAnswer> => await httpRequest(base, 'POST', path, body, { agent })

/** GET that must answer 200; returns the parsed body. */
export async function getOk<T = any> (base: string, path: string): Promise<T> {
  const r = await getJson(base, path)
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.text.slice(0, 500)}`)
  return r.body as T
}

/**
 * Polls `probe` until it returns a value other than null/undefined/false, at
 * most timeoutMs (then throws, naming what was awaited). A probe that throws
 * fails the wait at once.
 */
export async function waitFor<T> (what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, opts: { timeoutMs?: number, intervalMs?: number } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000
  const intervalMs = opts.intervalMs ?? 100
  const deadline = Date.now() + timeoutMs
  for (let i = 0; ; i++) {
    const v = await probe()
    if (v !== null && v !== undefined && v !== false) return v
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}

/** The state letter of /proc/<pid>/stat (R, S, D, T, t, Z, ...) or null when the process is gone. */
export function procState (pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm may contain spaces and parentheses: the state follows the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null
  } catch {
    return null
  }
}

/** utime + stime of a process in clock ticks (from /proc/<pid>/stat), or null when gone. */
export function procCpuTicks (pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // after the state (field 3): utime is field 14, stime field 15 → indexes 11, 12 here
    return Number(f[11]) + Number(f[12])
  } catch {
    return null
  }
}

/** VmRSS of a process in bytes, or null when gone. */
export function procRssBytes (pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m != null ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

/** Whether a pid is alive (and not a zombie). */
export function isAlive (pid: number): boolean {
  const s = procState(pid)
  return s != null && s !== 'Z' && s !== 'X'
}

/** SIGKILL a pid this test caused to exist (e.g. a supervised child orphaned by kill -9 of its daemon), if alive. */
export function killIfAlive (pid: number | null | undefined): void {
  if (pid == null || !isAlive(pid)) return
  try { process.kill(pid, 'SIGKILL') } catch {}
}
