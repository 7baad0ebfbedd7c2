/**
 * vitest globalSetup: the suite never touches the host's firewall (issue 11).
 * Where `nft` exists and may list the ruleset, it is read before the suite
 * and again after it; a difference fails the run, naming the lines that
 * changed. Where it does not (this machine has no nft), the check is skipped,
 * and test/e2e/host-firewall.test.ts says so in the report.
 */
import { execFileSync } from 'node:child_process'
import type { TestProject } from 'vitest/node'
import { which } from '../node/respond/nftables.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `nft list ruleset` before the suite; null when nft is missing or may not list it. */
    nftRulesetBefore: string | null
  }
}

export function hostRuleset (): string | null {
  const nft = which('nft')
  if (nft == null) return null
  try {
    return execFileSync(nft, ['list', 'ruleset'], { timeout: 10_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch {
    return null
  }
}

export default function setup (project: TestProject): () => void {
  const before = hostRuleset()
  project.provide('nftRulesetBefore', before)
  return () => {
    if (before == null) return
    const after = hostRuleset()
    if (after !== before) {
      const was = new Set(before.split('\n'))
      const now = new Set((after ?? '').split('\n'))
      const added = [...now].filter((l) => !was.has(l)).slice(0, 20)
      const removed = [...was].filter((l) => !now.has(l)).slice(0, 20)
      throw new Error(`the test suite changed the host firewall (nft list ruleset): added ${JSON.stringify(added)}, removed ${JSON.stringify(removed)}`)
    }
  }
}
