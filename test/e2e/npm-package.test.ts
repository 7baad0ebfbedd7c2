/**
 * The package as a user installs it: `npm pack` (which runs `prepare`, a clean
 * build) → `npm install -g ./immune-mesh-<v>.tgz --prefix <clean temp dir>` →
 * the bins on that prefix's PATH, the daemon started from the installed files,
 * the transport patches applied there; and the package installed as a
 * dependency of a consumer project (`npm install ./immune-mesh-<v>.tgz`, under
 * CI=true, libp2p hoisted into the project and left alone), whose
 * `immune-mesh/agent` is imported (and type-checked) there.
 *
 * The build runs in a temp copy of the sources (node_modules linked), so the
 * working tree's dist/ — which other tests run — is never rebuilt under them.
 * The install resolves the dependencies the way a user's does (from the npm
 * cache first, the registry for what is missing: `--prefer-offline`). Every
 * command is bounded; everything lives in one temp dir, removed at the end.
 */
import { execFile } from 'node:child_process'
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDaemonPool, REPO_ROOT } from './support/daemon.js'
import type { DaemonPool, RunningDaemon } from './support/daemon.js'

interface Run { code: number | null, stdout: string, stderr: string }

// the same node for every child (`#!/usr/bin/env node` in the bins and in npm), and no npm_* settings inherited from `npm test`
const childEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
childEnv.PATH = dirname(process.execPath) + delimiter + (process.env.PATH ?? '')

async function run (cmd: string, args: string[], opts: { cwd?: string, timeoutMs?: number, env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return await new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: { ...childEnv, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null
      resolve({ code, stdout, stderr })
    })
  })
}

const ok = (r: Run, what: string): Run => {
  if (r.code !== 0) throw new Error(`${what} exited ${String(r.code)}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`)
  return r
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string, version: string, files: string[] }

describe('npm package: pack, install -g on a clean prefix, use', () => {
  let root: string
  let prefix: string
  let installed: string
  let tarball: string
  let files: string[] = []
  let packedManifest: Record<string, any> = {}
  let pool: DaemonPool
  let daemon: RunningDaemon

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'immune-npm-package-'))
    // a copy of what `npm pack` builds from: the sources of the build and the files the package ships
    const src = join(root, 'src')
    const build = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }
    // (what `files` lists but the build makes: dist/; the rest as it is, patches/ included: the install's postinstall applies them)
    const shipped = pkg.files.map((f) => f.replace(/\/$/, '')).filter((f) => f !== 'dist')
    for (const entry of new Set([...build.include, 'package.json', 'tsconfig.json', 'tsconfig.build.json', ...shipped])) {
      cpSync(join(REPO_ROOT, entry), join(src, entry), { recursive: true })
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(src, 'node_modules'), 'dir')
    const packed = ok(await run('npm', ['pack', '--json', '--pack-destination', root], { cwd: src, timeoutMs: 180_000 }), 'npm pack')
    const info = (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>)[0]
    files = info.files.map((f) => f.path)
    packedManifest = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'))
    prefix = join(root, 'prefix')
    tarball = join(root, info.filename)
    ok(await run('npm', ['install', '--global', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: root, timeoutMs: 300_000 }), 'npm install -g')
    installed = join(prefix, 'lib', 'node_modules', pkg.name)
    pool = createDaemonPool({ root: join(root, 'daemons') })
    mkdirSync(join(root, 'daemons'))
  }, 600_000)

  afterAll(async () => {
    await pool?.cleanup()
    if (root != null) rmSync(root, { recursive: true, force: true })
  })

  it('the tarball holds the build, the types, the licence and the service files, and no sources, tests or benchmarks', () => {
    for (const f of ['package.json', 'LICENSE', 'README.md', 'dist/bin/immune-node.js', 'dist/bin/immune-sim.js', 'dist/node/agent/index.js', 'dist/node/agent/index.d.ts', 'docs/install.md', 'packaging/systemd/immune-node.service', 'patches/@libp2p+yamux+8.0.3.patch']) {
      expect(files, f).toContain(f)
    }
    const stray = files.filter((f) => /^(test|bench|scripts|node_modules)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))
    expect(stray).toEqual([])
    expect(packedManifest.private).toBeUndefined()
    expect(packedManifest.license).toBe('MIT')
    expect(packedManifest.exports['./agent'].types).toBe('./dist/node/agent/index.d.ts')
  })

  it('the install applied the transport patches (postinstall) to the dependencies installed with it', () => {
    const patches = files.filter((f) => f.startsWith('patches/'))
    expect(patches.sort()).toEqual(readdirSync(join(REPO_ROOT, 'patches')).map((f) => `patches/${f}`).sort())
    // a line each of two patches adds (patches/@libp2p+yamux+8.0.3.patch, patches/@libp2p+utils+7.4.1.patch)
    const dep = (...p: string[]): string => readFileSync(join(installed, 'node_modules', '@libp2p', ...p), 'utf8')
    expect(dep('yamux', 'dist', 'src', 'muxer.js')).toContain('only when trace logging is on')
    expect(dep('utils', 'dist', 'src', 'length-prefixed-decoder.js')).toContain('nothing left to read')
  })

  it('npm links both commands into the prefix, and they run', async () => {
    for (const bin of ['immune-node', 'immune-sim']) {
      const p = join(prefix, 'bin', bin)
      expect(lstatSync(p).isSymbolicLink()).toBe(true)
      expect(readlinkSync(p)).toContain(`dist/bin/${bin}.js`)
    }
    expect(ok(await run(join(prefix, 'bin', 'immune-node'), ['version']), 'immune-node version').stdout.trim()).toBe(pkg.version)
    expect(ok(await run(join(prefix, 'bin', 'immune-node'), ['--help']), 'immune-node --help').stdout).toContain('start')
    const sim = ok(await run(join(prefix, 'bin', 'immune-sim'), ['run', 'targeted', '--nodes', '60', '--duration', '120', '--json']), 'immune-sim run')
    const results = JSON.parse(sim.stdout) as { scenario: string, nodes: number, mesh: { infectedFraction: number } }
    expect(results.scenario).toBe('targeted')
    expect(results.nodes).toBe(60)
    expect(typeof results.mesh.infectedFraction).toBe('number')
    // a bad option is still exit 2 from the installed command
    expect((await run(join(prefix, 'bin', 'immune-sim'), ['run', 'targeted', '--nodes', 'many'])).code).toBe(2)
  }, 120_000)

  it('the installed daemon starts with its installed dependencies (libp2p, level) and answers its API', async () => {
    daemon = await pool.start({ name: 'installed', compiledBin: join(installed, 'dist', 'bin', 'immune-node.js') })
    const health = await fetch(`${daemon.apiUrl}/health`)
    expect(health.status).toBe(200)
    expect(daemon.peerId).toMatch(/^12D3KooW/)
  }, 120_000)

  it('a consumer project installs the package as a dependency (docs/install.md), even under CI, and its libp2p is left unpatched', async () => {
    const consumer = join(root, 'consumer')
    mkdirSync(consumer)
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
    // CI=true: patch-package exits 1 there for each patch whose package is not under immune-mesh/ (hoisted into the project)
    const r = ok(await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: consumer, timeoutMs: 300_000, env: { CI: 'true' } }), 'npm install in a consumer project')
    expect(r.stdout + r.stderr).toContain('transport patches not applied')
    expect(existsSync(join(consumer, 'node_modules', pkg.name, 'dist', 'node', 'agent', 'index.js'))).toBe(true)
    // the project's own (hoisted) copy of yamux, shared with the project: not touched
    const yamux = join(consumer, 'node_modules', '@libp2p', 'yamux', 'dist', 'src', 'muxer.js')
    expect(existsSync(yamux)).toBe(true)
    expect(readFileSync(yamux, 'utf8')).not.toContain('only when trace logging is on')
  }, 300_000)

  it('a consumer project imports immune-mesh/agent (and only the exported paths) and guards a server with it', async () => {
    const consumer = join(root, 'consumer')
    writeFileSync(join(consumer, 'app.mjs'), `
import http from 'node:http'
import { createImmuneAgent } from 'immune-mesh/agent'
let deep = 'exported'
try { await import('immune-mesh/dist/node/agent/agent.js') } catch (err) { deep = err.code }
const agent = createImmuneAgent({ url: process.argv[2], failOpen: false })
const server = http.createServer(agent.wrap((req, res) => { res.end(JSON.stringify({ verdict: req.immune?.verdict ?? null })) }))
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const res = await fetch('http://127.0.0.1:' + server.address().port + '/shop/item?id=3')
const text = await res.text()
console.log(JSON.stringify({ status: res.status, text, deep }))
agent.close()
server.close()
`)
    const out = ok(await run(process.execPath, ['app.mjs', daemon.apiUrl], { cwd: consumer }), 'consumer app')
    const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as { status: number, text: string, deep: string }
    expect(r, out.stderr).toMatchObject({ status: 200 })
    // the verdict came from the installed daemon (failOpen is off: no answer would have been a 503)
    expect(JSON.parse(r.text)).toEqual({ verdict: 'allow' })
    expect(r.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED')
  }, 60_000)

  it('the exported types are real: a correct consumer type-checks, a wrong one does not', async () => {
    const consumer = join(root, 'consumer')
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], typeRoots: [join(REPO_ROOT, 'node_modules', '@types')] },
      files: ['good.ts']
    }))
    writeFileSync(join(consumer, 'good.ts'), `
import http from 'node:http'
import { createImmuneAgent } from 'immune-mesh/agent'
import type { ImmuneAgentParams } from 'immune-mesh/agent'
const params: Partial<ImmuneAgentParams> = { url: 'http://127.0.0.1:7070', failOpen: true, timeoutMs: 200 }
const agent = createImmuneAgent(params)
http.createServer(agent.wrap((_req, res) => { res.end('ok') }))
const n: number = agent.stats().skipped
export { n }
`)
    ok(await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer }), 'tsc on the consumer')
    writeFileSync(join(consumer, 'good.ts'), `
import { createImmuneAgent } from 'immune-mesh/agent'
createImmuneAgent({ failOpen: 'sometimes' })
`)
    const bad = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer })
    expect(bad.code).not.toBe(0)
    expect(bad.stdout).toMatch(/TS2322/)
    expect(existsSync(join(installed, 'dist', 'node', 'agent', 'agent.d.ts'))).toBe(true)
  }, 60_000)
})
