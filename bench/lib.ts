/** Helpers shared by the benchmarks. */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** ../shared/data relative to the project root, or IMMUNE_SHARED_DATA; null when absent. */
export function sharedDataDir (): string | null {
  const dir = process.env.IMMUNE_SHARED_DATA ?? join(projectRoot, '..', 'shared', 'data')
  return existsSync(dir) ? dir : null
}

/** Print the benchmark's result as the last stdout line. */
export function printResult (result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(result) + '\n')
}

/** Exit cleanly with a clear message when the shared data is missing. */
export function skipWithoutData (bench: string, what: string): never {
  process.stderr.write(`${bench}: skipped: ${what} not found (expected ../shared/data beside the project, or set IMMUNE_SHARED_DATA)\n`)
  printResult({ bench, skipped: true, reason: `${what} not found` })
  process.exit(0)
}
