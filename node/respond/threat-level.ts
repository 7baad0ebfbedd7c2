/**
 * The node's threat level: 0 (calm), 1 (elevated), 2 (under attack). Local
 * danger and peer alerts raise it for a bounded time; it decays by itself
 * through the Clock. Supervised cells renew sooner while it is raised.
 *
 * Peer alerts alone raise it to 1 at most: level 2 needs local evidence
 * (DESIGN.md invariant 1, two signals).
 */
import type { Clock, TimerHandle } from '../../core/index.js'

export type ThreatLevelValue = 0 | 1 | 2

export interface ThreatRaise {
  level: 1 | 2
  origin: 'local' | 'remote'
  raisedAtMs: number
  untilMs: number
  reason: string
}

export interface ThreatSnapshot {
  level: ThreatLevelValue
  /** Active raises, highest level first. */
  raises: ThreatRaise[]
  /** When the current level ends (null when calm). */
  untilMs: number | null
}

export interface ThreatLevel {
  raise: (r: { level: 1 | 2, durationMs: number, origin: 'local' | 'remote', reason: string }) => ThreatLevelValue
  level: () => ThreatLevelValue
  snapshot: () => ThreatSnapshot
  onChange: (listener: (level: ThreatLevelValue, previous: ThreatLevelValue) => void) => () => void
  /** Clears the decay timer (idempotent). Raises are kept; a later raise re-arms the timer. */
  stop: () => void
}

export interface ThreatLevelComponents {
  clock: Clock
}

export function createThreatLevel (components: ThreatLevelComponents): ThreatLevel {
  const { clock } = components
  /** origin/level → raise (one per pair: later expiry wins) */
  const raises = new Map<string, ThreatRaise>()
  const listeners = new Set<(level: ThreatLevelValue, previous: ThreatLevelValue) => void>()
  let current: ThreatLevelValue = 0
  let timer: TimerHandle | null = null

  const prune = (now: number): void => {
    for (const [k, r] of raises) if (r.untilMs <= now) raises.delete(k)
  }
  const compute = (): ThreatLevelValue => {
    let l: ThreatLevelValue = 0
    for (const r of raises.values()) if (r.level > l) l = r.level
    return l
  }
  const update = (): void => {
    const now = clock.now()
    prune(now)
    const next = compute()
    rearm(now)
    if (next !== current) {
      const prev = current
      current = next
      for (const l of listeners) l(next, prev)
    }
  }
  // the decay timer only serves listeners: level() and snapshot() compute the level on read, so a
  // threat level nobody listens to (a simulated host) schedules nothing
  const rearm = (now: number): void => {
    if (timer != null) { clock.clearTimeout(timer); timer = null }
    if (listeners.size === 0) return
    let soonest = Infinity
    for (const r of raises.values()) soonest = Math.min(soonest, r.untilMs)
    if (soonest !== Infinity) timer = clock.setTimeout(() => { timer = null; update() }, Math.max(0, soonest - now))
  }

  const level = (): ThreatLevelValue => {
    const now = clock.now()
    let stale = false
    for (const r of raises.values()) if (r.untilMs <= now) stale = true
    if (stale) update()
    return current
  }

  return {
    raise ({ level, durationMs, origin, reason }) {
      const now = clock.now()
      const l: 1 | 2 = origin === 'remote' ? 1 : level
      const key = `${origin}/${l}`
      const untilMs = now + Math.max(0, durationMs)
      const prev = raises.get(key)
      if (prev == null || prev.untilMs <= now || untilMs >= prev.untilMs) raises.set(key, { level: l, origin, raisedAtMs: now, untilMs, reason })
      update()
      return current
    },
    level,
    snapshot () {
      level()
      const list = [...raises.values()].sort((a, b) => b.level - a.level || b.untilMs - a.untilMs)
      const top = list.filter(r => r.level === current)
      return { level: current, raises: list, untilMs: top.length > 0 ? Math.max(...top.map(r => r.untilMs)) : null }
    },
    onChange (listener) {
      listeners.add(listener)
      if (listeners.size === 1) rearm(clock.now())
      return () => { listeners.delete(listener) }
    },
    stop () {
      if (timer != null) { clock.clearTimeout(timer); timer = null }
    }
  }
}
