import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { vi } from 'vitest'
import { isAlive } from '../../../core/proc.js'

/** Bounded wait for something a real process does (never a timing assertion). */
export async function until (cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  await vi.waitFor(() => { if (!cond()) throw new Error(`waiting for ${what}`) }, { timeout: timeoutMs, interval: 10 })
}

/** A child of the test, killed (by pid) in cleanup. */
export function spawnChild (command: string, args: string[], children: ChildProcess[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', detached: true })
  children.push(child)
  return child
}

export function killChildren (children: ChildProcess[]): void {
  for (const c of children.splice(0)) {
    if (c.pid != null && isAlive(c.pid)) {
      try { process.kill(-c.pid, 'SIGKILL') } catch {}
      try { process.kill(c.pid, 'SIGKILL') } catch {}
    }
  }
}
