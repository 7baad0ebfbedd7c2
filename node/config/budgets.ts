/**
 * `budgets`: how much each store and table of the node may hold (issue 15
 * item 2). Every cap that bounds memory or disk against what clients and
 * peers send is here, so an operator sizes the node in one place; the parts
 * keep their own defaults (the same values) for library use and tests.
 * docs/configuration.md "budgets" says what each one bounds and what happens
 * at the limit (eviction favours established state over what one source made).
 */
import type { Checker } from '../../core/index.js'

export interface BudgetsConfig {
  /** Deny-list entries (blocked source addresses); at the limit the entry that expires soonest makes room. */
  denyListEntries: number
  /** Received-alert log records kept (`alerts` sublevel); the oldest are deleted beyond it. */
  alertLogEntries: number
  /** Largest `limit` GET /alerts and /audit answer (a larger one is capped, never an error). */
  alertsQueryLimit: number
  /** Finished decision records kept (beside retainSec); the oldest finished ones are deleted beyond it. */
  decisionRecords: number
  /** Active decisions and deny-list entries listed in full by GET /status (the counts are always whole). */
  statusEntries: number
}

export function defaultBudgetsConfig (): BudgetsConfig {
  return {
    denyListEntries: 10_000,
    alertLogEntries: 10_000,
    alertsQueryLimit: 1000,
    decisionRecords: 20_000,
    statusEntries: 50
  }
}

export const BUDGET_KEYS: ReadonlyArray<keyof BudgetsConfig> = Object.keys(defaultBudgetsConfig()) as Array<keyof BudgetsConfig>

const MAX: Record<keyof BudgetsConfig, number> = {
  denyListEntries: 10_000_000,
  alertLogEntries: 10_000_000,
  alertsQueryLimit: 100_000,
  decisionRecords: 10_000_000,
  statusEntries: 100_000
}

export function readBudgets (c: Checker, raw: unknown): BudgetsConfig {
  const d = defaultBudgetsConfig()
  const o = c.object('budgets', raw, BUDGET_KEYS)
  const out = { ...d }
  for (const k of BUDGET_KEYS) out[k] = c.number(`budgets.${k}`, o[k], d[k], { integer: true, min: 1, max: MAX[k] })
  return out
}
