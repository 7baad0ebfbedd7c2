import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MIN_NODE_MAJOR, unsupportedRuntime } from '../../core/index.js'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }

describe('supported runtime', () => {
  it('accepts Node.js 22 and newer, refuses older ones with a message that says what to do', () => {
    expect(unsupportedRuntime('22.0.0')).toBeNull()
    expect(unsupportedRuntime('v22.23.3')).toBeNull()
    expect(unsupportedRuntime('24.21.0')).toBeNull()
    expect(unsupportedRuntime('26.1.0')).toBeNull()
    const why = unsupportedRuntime('20.20.2')
    expect(why).toContain('Node.js 20.20.2 is not supported')
    expect(why).toContain('npx -y -p node@24 --')
    expect(unsupportedRuntime('18.19.1')).not.toBeNull()
    expect(unsupportedRuntime('garbage')).not.toBeNull()
  })

  it('is the range package.json engines declares (and what this suite runs on)', () => {
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_MAJOR}`)
    expect(unsupportedRuntime(process.versions.node)).toBeNull()
  })

  // the machine's own node (Debian image: 20) when it is older: the real entry point must refuse it
  const systemNode = '/usr/bin/node'
  const systemVersion = existsSync(systemNode) ? execFileSync(systemNode, ['--version'], { encoding: 'utf8' }).trim() : ''
  const old = systemVersion !== '' && unsupportedRuntime(systemVersion) != null
  it.skipIf(!old)(`immune-node on an older Node.js (${systemVersion === '' ? 'none at /usr/bin/node' : systemVersion}) exits 2 with one clear line`, () => {
    const r = spawnSync(systemNode, ['--import', 'tsx', 'bin/immune-node.ts', 'status'], { encoding: 'utf8', timeout: 30_000 })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(`immune-node: Node.js ${systemVersion.slice(1)} is not supported`)
    expect(r.stdout).toBe('')
  })
})
