/** Helpers shared by the benchmarks. */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, symlinkSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** ../shared/data relative to the project root, or IMMUNE_SHARED_DATA; null when absent. */
export function sharedDataDir (): string | null {
  const dir = process.env.IMMUNE_SHARED_DATA ?? join(projectRoot, '..', 'shared', 'data')
  return existsSync(dir) ? dir : null
}

/** The machine's load average [1 min, 5 min, 15 min], two decimals (os.loadavg()). */
export function loadAvg (): [number, number, number] {
  const [a, b, c] = loadavg().map((x) => Math.round(x * 100) / 100)
  return [a, b, c]
}

/**
 * Print the benchmark's result as the last stdout line. Every result carries
 * `loadAvg` (the load average when the benchmark finished, [1, 5, 15 min]) so
 * a figure is never read without knowing how busy the machine was; a
 * benchmark that sampled it itself (e.g. at the start) keeps its own.
 */
export function printResult (result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ bench: result.bench, loadAvg: result.loadAvg ?? loadAvg(), ...result }) + '\n')
}

/** Exit cleanly with a clear message when the shared data is missing. */
export function skipWithoutData (bench: string, what: string): never {
  process.stderr.write(`${bench}: skipped: ${what} not found (expected ../shared/data beside the project, or set IMMUNE_SHARED_DATA)\n`)
  printResult({ bench, skipped: true, reason: `${what} not found` })
  process.exit(0)
}

/**
 * tsc build of the sources into a temp dir (node_modules linked, package.json
 * for the version), so a benchmark runs the daemon as installed (package.json
 * "bin"); the caller removes `dir`.
 */
export function buildDaemon (): { dir: string, bin: string } {
  const dir = mkdtempSync(join(tmpdir(), 'immune-bench-build-'))
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir')
  copyFileSync(join(projectRoot, 'package.json'), join(dir, 'package.json'))
  const r = spawnSync(process.execPath, [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', join(projectRoot, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], { encoding: 'utf8' })
  const bin = join(dir, 'dist/bin/immune-node.js')
  // type errors elsewhere (work in progress) do not stop tsc from emitting
  if (!existsSync(bin)) throw new Error(`build failed (tsc exit ${String(r.status)}): ${r.stdout.slice(0, 2000)}${r.stderr.slice(0, 2000)}`)
  return { dir, bin }
}
