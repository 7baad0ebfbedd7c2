/**
 * real-tools: the node against real attack tools, as issue 9's authors tried
 * it. A deliberately vulnerable shop (bench/support/vulnerable-shop.py,
 * SQLite, 127.0.0.1 only) is protected
 *   - `agent`: by the in-process agent (node/agent) in a Node gateway that
 *     proxies to the shop (the agent blocks, and reports response statuses);
 *   - `nginx`: by nginx as a reverse proxy whose access log the node tails
 *     (access-log sensor: it detects, it cannot block).
 * A real `immune-node` learns the shop from generated normal traffic (200
 * client addresses, sent as X-Forwarded-For through one trusted proxy hop;
 * modern browser User-Agents), then Debian's sqlmap, wapiti and dirb run
 * against it, each bounded in time. Reported per tool and mode: requests
 * the shop saw, requests blocked, 5xx answers, what the tool reported
 * (sqlmap: injection points found, the users table dumped; wapiti:
 * vulnerabilities; dirb: paths found), the node's level-1 and level-2
 * events and error storms, and the contexts it holds afterwards.
 *
 * Too slow for CI (several minutes): a benchmark, not a test. Needs
 * python3, and sqlmap / wapiti / dirb / nginx on PATH (a tool that is
 * missing is reported as skipped).
 *
 * sqlmap runs twice: with its own User-Agent (`sqlmap/1.x#stable`), and with
 * --random-agent (a browser's), as an attacker who hides would.
 *
 *     npm run bench -- real-tools [--modes agent,nginx] [--tools sqlmap,sqlmap-random-agent,wapiti,dirb] [--tool-timeout-sec 240]
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createImmuneAgent } from '../node/agent/index.js'
import { createPrng } from '../core/index.js'
import type { Prng } from '../core/index.js'
import { createDaemonPool } from '../test/e2e/support/daemon.js'
import type { RunningDaemon } from '../test/e2e/support/daemon.js'
import { printResult } from './lib.js'

const BENCH = 'real-tools'
const here = dirname(fileURLToPath(import.meta.url))
const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : dflt }
const MODES = arg('modes', 'agent,nginx').split(',')
const TOOLS = arg('tools', 'sqlmap,sqlmap-random-agent,wapiti,dirb').split(',')
const TOOL_TIMEOUT_MS = Number(arg('tool-timeout-sec', '240')) * 1000
const TRAIN_PER_ENDPOINT = Number(arg('train', '260'))
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => { resolve(p) }) })
  })
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
const children: ChildProcess[] = []
function start (cmd: string, args: string[], opts: { cwd?: string } = {}): ChildProcess {
  const c = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(c)
  return c
}
/** Ends a child we started, by its pid (SIGTERM, then SIGKILL). */
async function end (c: ChildProcess): Promise<void> {
  if (c.exitCode != null || c.signalCode != null || c.pid == null) return
  c.kill('SIGTERM')
  for (let i = 0; i < 50 && c.exitCode == null && c.signalCode == null; i++) await sleep(100)
  if (c.exitCode == null && c.signalCode == null) c.kill('SIGKILL')
}
async function waitHttp (url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const r = http.get(url, (res) => { res.resume(); resolve(true) })
      r.on('error', () => { resolve(false) })
    })
    if (ok) return
    await sleep(100)
  }
  throw new Error(`${url} did not answer`)
}

/** One request; resolves with the status (0 on a network error). */
async function send (base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return await new Promise((resolve) => {
    const u = new URL(base)
    const h: Record<string, string | number> = { ...headers }
    if (body != null) h['content-length'] = Buffer.byteLength(body)
    const req = http.request({ host: u.hostname, port: u.port, path, method, headers: h, agent: false }, (res) => { res.resume(); res.on('end', () => { resolve(res.statusCode ?? 0) }) })
    req.on('error', () => { resolve(0) })
    req.end(body)
  })
}

// ---------------------------------------------------------------- normal traffic
const WORDS = ['vino', 'queso', 'aceite', 'jamon', 'rioja', 'oliva', 'manchego', 'iberico', 'tinto', 'blanco']
const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.nextInt(xs.length)]
function browser (r: Prng): string {
  const v = 115 + r.nextInt(15)
  return pick(r, [
    `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
    `Mozilla/5.0 (X11; Linux x86_64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`,
    `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${r.nextInt(5)} Safari/605.1.15`
  ])
}
function normalRequest (r: Prng, k: number): { method: string, path: string, body?: string, headers: Record<string, string> } {
  const headers: Record<string, string> = { 'user-agent': browser(r), 'x-forwarded-for': `10.7.${r.nextInt(4)}.${1 + r.nextInt(50)}` }
  switch (k % 4) {
    case 0: return { method: 'GET', path: '/', headers }
    case 1: return { method: 'GET', path: `/item?id=${1 + r.nextInt(4)}`, headers }
    case 2: return { method: 'GET', path: `/search?q=${pick(r, WORDS)}${r.next() < 0.3 ? `+${pick(r, WORDS)}` : ''}`, headers }
    default: return { method: 'POST', path: '/login', body: `user=${pick(r, ['alice', 'bob', 'carol', 'dave', 'erin'])}${r.nextInt(100)}&password=${Math.floor(r.next() * 1e9).toString(36)}`, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } }
  }
}

// ---------------------------------------------------------------- the tools
interface ToolRun { tool: string, skipped?: string, seconds: number, timedOut: boolean, report: Record<string, unknown>, output: string }

async function runTool (tool: string, target: string, work: string): Promise<ToolRun> {
  if (!has(tool.replace(/-random-agent$/, ''))) return { tool, skipped: `${tool} not on PATH`, seconds: 0, timedOut: false, report: {}, output: '' }
  const out = join(work, tool)
  mkdirSync(out, { recursive: true })
  let args: string[]
  if (tool === 'sqlmap' || tool === 'sqlmap-random-agent') {
    args = [...(tool === 'sqlmap' ? [] : ['--random-agent']), '-u', `${target}/item?id=1`, '--batch', '--level=3', '--risk=1', '--threads=1', '--timeout=5', '--retries=0', '--flush-session', `--output-dir=${out}`, '--dump', '-T', 'users', '--disable-coloring']
  } else if (tool === 'wapiti') {
    args = ['-u', `${target}/`, '--scope', 'folder', '-m', 'sql,blindsql,xss,exec,file', '--max-scan-time', String(Math.floor(TOOL_TIMEOUT_MS / 1000) - 10), '-f', 'txt', '-o', join(out, 'report.txt'), '--flush-session']
  } else {
    args = [`${target}/`, '/usr/share/dirb/wordlists/common.txt', '-S', '-r', '-o', join(out, 'dirb.txt')]
  }
  const t0 = performance.now()
  const c = start(tool.replace(/-random-agent$/, ''), args, { cwd: out })
  let output = ''
  c.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  c.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; void end(c) }, TOOL_TIMEOUT_MS)
  await new Promise<void>((resolve) => { c.once('exit', () => { resolve() }) })
  clearTimeout(timer)
  const report: Record<string, unknown> = {}
  if (tool.startsWith('sqlmap')) {
    report.injectionPointsFound = /sqlmap identified the following injection point/.test(output)
    report.notInjectable = /all tested parameters do not appear to be injectable/.test(output)
    report.usersDumped = /s3cr3t-hash|a1ice-hash/.test(output)
    report.injectableParameters = [...new Set([...output.matchAll(/Parameter: (\S+) \((\w+)\)/g)].map((m) => `${m[1]} (${m[2]})`))]
  } else if (tool === 'wapiti') {
    const f = join(out, 'report.txt')
    const text = existsSync(f) ? readFileSync(f, 'utf8') : ''
    const vulns = [...text.matchAll(/^(SQL Injection|Blind SQL Injection|Cross Site Scripting|Commands execution|Path Traversal)\s*$/gm)]
    report.reportWritten = text !== ''
    report.vulnerabilityLines = (text.match(/^Vulnerable request:|Evil request:/gm) ?? []).length
    report.categories = vulns.map((m) => m[1])
    // what it claims, for reading: the lines around each vulnerable request
    report.findings = [...text.matchAll(/^(?:Vulnerable request|Evil request):[^\n]*\n(?:[^\n]+\n){0,3}/gm)].map((m) => m[0].replace(/\s+/g, ' ').slice(0, 240)).slice(0, 5)
    const sections = [...text.matchAll(/^([A-Z][A-Za-z ]+)\n-+\n((?:.*\n)*?)(?=^[A-Z][A-Za-z ]+\n-+\n|$(?![\s\S]))/gm)]
    report.sections = sections.filter((m) => /request|param/i.test(m[2])).map((m) => m[1].trim()).slice(0, 10)
  } else {
    report.found = (output.match(/^\+ /gm) ?? []).length + (output.match(/^==> DIRECTORY/gm) ?? []).length
  }
  return { tool, seconds: Math.round((performance.now() - t0) / 100) / 10, timedOut, report, output: output.slice(-2000) }
}

// ---------------------------------------------------------------- one mode
interface Decision { id: string, level: number, action: string, context: string, explanation?: string }
/** The node's recent decisions (GET /decisions: {recent: [{decision}]}). */
async function decisions (node: RunningDaemon): Promise<Decision[]> {
  const body = await getJson(node.apiUrl, '/decisions?limit=10000') as { recent?: Array<{ decision: Decision }> }
  return (body.recent ?? []).map((r) => r.decision)
}

async function runMode (mode: string, work: string): Promise<Record<string, unknown>> {
  const shopPort = await freePort()
  const shop = start('python3', [join(here, 'support/vulnerable-shop.py'), String(shopPort)])
  await waitHttp(`http://127.0.0.1:${shopPort}/`)
  mkdirSync(join(work, 'daemons'), { recursive: true })
  const pool = createDaemonPool({ root: join(work, 'daemons') })
  let front = ''
  const counters = { requests: 0, blocked: 0, serverErrors: 0, notFound: 0 }
  /** Why requests were blocked: top reason (parameter feature) → count. */
  let why: Record<string, number> = {}
  let gateway: http.Server | null = null
  let nginx: ChildProcess | null = null
  let node: RunningDaemon
  const accessLog = join(work, `access-${mode}.log`)
  try {
    const cells = mode === 'nginx' ? [{ name: 'shop', type: 'http', community: 'default', accessLog: { path: accessLog } }] : []
    writeFileSync(accessLog, '')
    node = await pool.start({ name: `node-${mode}`, config: { cells, learning: { minObservations: 200, minDurationSec: 0 } } })
    if (mode === 'agent') {
      const agent = createImmuneAgent({ url: node.apiUrl, trustProxy: 1, timeoutMs: 3000 })
      gateway = http.createServer(agent.wrap((req: IncomingMessage, res: ServerResponse) => {
        const up = http.request({ host: '127.0.0.1', port: shopPort, path: req.url, method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers)
          r.pipe(res)
        })
        up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end() })
        req.pipe(up)
      }))
      gateway.prependListener('request', (req: IncomingMessage & { immune?: { reasons?: Array<{ parameter?: string, feature: string }> } }, res: ServerResponse) => {
        counters.requests++
        res.once('finish', () => {
          if (res.statusCode === 403) {
            counters.blocked++
            const top = req.immune?.reasons?.[0]
            const k = top == null ? 'signature-or-deny-list' : `${top.parameter ?? ''} ${top.feature}`
            why[k] = (why[k] ?? 0) + 1
          }
          else if (res.statusCode >= 500) counters.serverErrors++
          else if (res.statusCode === 404) counters.notFound++
        })
      })
      const port = await freePort()
      await new Promise<void>((resolve) => gateway!.listen(port, '127.0.0.1', resolve))
      front = `http://127.0.0.1:${port}`
    } else {
      if (!has('nginx')) return { mode, skipped: 'nginx not on PATH' }
      const port = await freePort()
      const prefix = join(work, 'nginx')
      mkdirSync(join(prefix, 'logs'), { recursive: true })
      writeFileSync(join(prefix, 'nginx.conf'), `worker_processes 1; pid ${join(prefix, 'nginx.pid')}; error_log ${join(prefix, 'logs/error.log')};
events { worker_connections 256; }
http { access_log ${accessLog} combined; client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${shopPort}; } } }
`)
      nginx = start('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'])
      front = `http://127.0.0.1:${port}`
      await waitHttp(`${front}/`)
    }
    // learn the shop (the generated clients' addresses travel in X-Forwarded-For: the agent trusts one hop,
    // nginx's realip module takes them from the trusted 127.0.0.1; the tools send none: they are 127.0.0.1)
    const r = createPrng(`${BENCH}:${mode}`)
    for (let k = 0; k < TRAIN_PER_ENDPOINT * 4; k++) { const q = normalRequest(r, k); await send(front, q.method, q.path, q.headers, q.body) }
    await sleep(1500)
    const before = await getJson(node.apiUrl, '/status') as { contexts: Array<{ cell: string, context: string, phase: string }> }
    const guarding = before.contexts.filter((c) => !c.context.startsWith('process:') && c.phase === 'guarding').length
    const seenBefore = { ...counters }
    const tools: Array<Record<string, unknown>> = []
    for (const tool of TOOLS) {
      const c0 = { ...counters }
      why = {}
      const d0 = new Set((await decisions(node)).map((d) => d.id))
      const run = await runTool(tool, front, work)
      await sleep(1500)
      const mine = (await decisions(node)).filter((d) => !d0.has(d.id))
      tools.push({
        tool, skipped: run.skipped, seconds: run.seconds, timedOut: run.timedOut, report: run.report,
        requests: counters.requests - c0.requests, blocked: counters.blocked - c0.blocked, blockedBy: Object.fromEntries(Object.entries(why).sort((a, b) => b[1] - a[1]).slice(0, 5)), serverErrors: counters.serverErrors - c0.serverErrors, notFound: counters.notFound - c0.notFound,
        level1Events: mine.filter((d) => d.level === 1 && d.action === 'log').length,
        level2Events: mine.filter((d) => d.level === 2 && d.action === 'log').length,
        stormEvents: mine.filter((d) => d.action === 'log' && /error-storm/.test(d.explanation ?? '')).length
      })
      process.stderr.write(`${BENCH}: ${mode} ${tool}: ${JSON.stringify(tools[tools.length - 1])}\n`)
      if (run.skipped == null && (run.report.injectionPointsFound === true || run.timedOut)) process.stderr.write(`${run.output.slice(-600)}\n`)
    }
    const after = await getJson(node.apiUrl, '/status') as { contexts: Array<{ context: string, phase: string }> }
    return { mode, trainingRequests: seenBefore.requests, contextsGuardingAfterTraining: guarding, contextsAfter: after.contexts.filter((c) => !c.context.startsWith('process:')).length, tools }
  } finally {
    if (gateway != null) { gateway.closeAllConnections(); await new Promise((resolve) => gateway!.close(resolve)) }
    if (nginx != null) await end(nginx)
    await pool.cleanup()
    await end(shop)
  }
}

async function getJson (base: string, path: string): Promise<unknown> {
  return await new Promise((resolve, reject) => {
    http.get(`${base}${path}`, (res) => {
      let t = ''
      res.on('data', (d) => { t += d })
      res.on('end', () => { try { resolve(JSON.parse(t)) } catch (err) { reject(err) } })
    }).on('error', reject)
  })
}

const work = join(tmpdir(), `immune-real-tools-${process.pid}`)
mkdirSync(work, { recursive: true })
const results: Array<Record<string, unknown>> = []
try {
  if (!has('python3')) throw new Error('python3 not on PATH')
  for (const mode of MODES) results.push(await runMode(mode, work))
} finally {
  for (const c of children) await end(c)
  if (existsSync(work) && readdirSync(work).length >= 0) rmSync(work, { recursive: true, force: true })
}
printResult({ bench: BENCH, modes: results, toolTimeoutSec: TOOL_TIMEOUT_MS / 1000, loadAvg: loadavg().map((x) => Math.round(x * 100) / 100) })
