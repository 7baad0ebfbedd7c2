/**
 * libinjection (SQLi and XSS), through libddwaf's `is_sqli` / `is_xss`
 * operators in @datadog/native-appsec (a devDependency: the benchmarks
 * compare the innate layer with it on the same values). Null when the
 * package cannot be loaded (another platform): the comparison is skipped.
 */
import { createRequire } from 'node:module'

export interface Libinjection {
  version: string
  /** Which of sqli / xss match any of the values. */
  check: (values: readonly string[]) => { sqli: boolean, xss: boolean }
}

interface DdwafContext { run: (payload: { ephemeral: Record<string, unknown> }, timeoutUs: number) => { events?: Array<{ rule: { id: string } }> }, dispose: () => void }
interface Ddwaf { createContext: () => DdwafContext }

export function loadLibinjection (): Libinjection | null {
  try {
    const require = createRequire(import.meta.url)
    const { DDWAF } = require('@datadog/native-appsec') as { DDWAF: { new (rules: object, path: string): Ddwaf, version: () => string } }
    const rule = (id: string, operator: string): object => ({ id, name: id, tags: { type: id, category: 'attack_attempt' }, conditions: [{ operator, parameters: { inputs: [{ address: 'values' }] } }], transformers: [] })
    const waf = new DDWAF({ version: '2.2', metadata: { rules_version: '1' }, rules: [rule('sqli', 'is_sqli'), rule('xss', 'is_xss')] }, 'bench')
    return {
      version: `libddwaf ${DDWAF.version()}`,
      check (values) {
        const ctx = waf.createContext()
        const r = ctx.run({ ephemeral: { values: [...values] } }, 10_000_000)
        ctx.dispose()
        const ids = new Set((r.events ?? []).map((e) => e.rule.id))
        return { sqli: ids.has('sqli'), xss: ids.has('xss') }
      }
    }
  } catch {
    return null
  }
}
