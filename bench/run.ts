/**
 * `npm run bench -- <name> [args...]`: runs bench/<name>.ts. Every benchmark
 * prints one JSON object as the last line of its stdout.
 */
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { exitIfUnsupportedRuntime } from '../core/index.js'

exitIfUnsupportedRuntime('npm run bench')

const here = dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
  .map((f) => f.slice(0, -3))
  .sort()

const name = process.argv[2]
if (name == null || name === '--help' || name === '-h') {
  process.stdout.write(`usage: npm run bench -- <name> [args]\n\nbenchmarks: ${available.join(', ')}\n`)
  process.exit(name == null ? 2 : 0)
}
if (!available.includes(name)) {
  process.stderr.write(`unknown benchmark "${name}" (available: ${available.join(', ')})\n`)
  process.exit(2)
}
process.argv.splice(2, 1)
await import(join(here, `${name}.ts`))
