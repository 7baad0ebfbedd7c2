/**
 * Runs a quarantine hook: the command gets the decision as IMMUNE_* env
 * variables, runs in its own process group, and is killed (SIGKILL) when it
 * outlives its timeout. Never throws: the result says what happened.
 */
import { spawn } from 'node:child_process'
import type { Clock } from '../../core/index.js'
import type { HookConfig, Decision } from './policy-types.js'
import { signal } from '../../core/index.js'

export interface HookResult {
  event: string
  code: number | null
  signal: string | null
  timedOut: boolean
  error: string | null
}

export function decisionEnv (decision: Decision, event: string): Record<string, string> {
  return {
    IMMUNE_EVENT: event,
    IMMUNE_DECISION_ID: decision.id,
    IMMUNE_ACTION: decision.action,
    IMMUNE_CELL: decision.cell,
    IMMUNE_LEVEL: String(decision.level),
    IMMUNE_ORIGIN: decision.origin,
    IMMUNE_CONTEXT: decision.context,
    IMMUNE_SOURCE: decision.target.kind === 'source' ? decision.target.address : '',
    IMMUNE_REASON: decision.reason,
    IMMUNE_EXPLANATION: decision.explanation,
    IMMUNE_CREATED_AT_MS: String(decision.createdAtMs),
    IMMUNE_EXPIRES_AT_MS: decision.expiresAtMs != null ? String(decision.expiresAtMs) : '',
    IMMUNE_DRY_RUN: decision.dryRun ? '1' : '0'
  }
}

export async function runHook (clock: Clock, hook: HookConfig, env: Record<string, string>): Promise<HookResult> {
  const event = env.IMMUNE_EVENT ?? ''
  return await new Promise<HookResult>((resolve) => {
    let settled = false
    let timedOut = false
    const child = spawn(hook.command, hook.args, { env: { ...process.env, ...env }, stdio: 'ignore', detached: true })
    const timer = clock.setTimeout(() => {
      timedOut = true
      if (child.pid != null) signal(-child.pid, 'SIGKILL')
    }, hook.timeoutSec * 1000)
    const finish = (r: HookResult): void => {
      if (settled) return
      settled = true
      clock.clearTimeout(timer)
      resolve(r)
    }
    child.once('error', (err) => { finish({ event, code: null, signal: null, timedOut, error: err.message }) })
    child.once('exit', (code, sig) => { finish({ event, code, signal: sig, timedOut, error: null }) })
  })
}
