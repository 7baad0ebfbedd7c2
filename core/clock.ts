/**
 * The only module that reads real time. Everything else takes a `Clock`, so
 * the simulator can run node/ code on virtual time and tests never sleep.
 */

export type TimerHandle = { readonly __timer: unique symbol } | number | object

export interface Clock {
  /** Milliseconds since the Unix epoch (virtual in the simulator). */
  now: () => number
  setTimeout: (fn: () => void, ms: number) => TimerHandle
  clearTimeout: (handle: TimerHandle) => void
  setInterval: (fn: () => void, ms: number) => TimerHandle
  clearInterval: (handle: TimerHandle) => void
}

/** Real time. Timers are unref'd so that a forgotten timer never keeps the process alive. */
export function createSystemClock (): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, ms)
      t.unref()
      return t
    },
    clearTimeout: (h) => { clearTimeout(h as NodeJS.Timeout) },
    setInterval: (fn, ms) => {
      const t = setInterval(fn, ms)
      t.unref()
      return t
    },
    clearInterval: (h) => { clearInterval(h as NodeJS.Timeout) }
  }
}

interface ManualTimer {
  id: number
  at: number
  every: number
  fn: () => void
}

export interface ManualClock extends Clock {
  /** Move time forward, firing every due timer in order. */
  advance: (ms: number) => void
  /** Set the absolute time (must not go backwards). */
  set: (t: number) => void
  pending: () => number
}

/** A clock that moves only when told to: for tests and the simulator. */
export function createManualClock (start = 1_700_000_000_000): ManualClock {
  let t = start
  let nextId = 1
  const timers = new Map<number, ManualTimer>()

  const add = (fn: () => void, ms: number, every: number): number => {
    const id = nextId++
    timers.set(id, { id, at: t + Math.max(0, ms), every, fn })
    return id
  }

  const runUntil = (target: number): void => {
    for (;;) {
      let due: ManualTimer | undefined
      for (const timer of timers.values()) {
        if (timer.at <= target && (due == null || timer.at < due.at || (timer.at === due.at && timer.id < due.id))) due = timer
      }
      if (due == null) break
      t = Math.max(t, due.at)
      if (due.every > 0) due.at += due.every
      else timers.delete(due.id)
      due.fn()
    }
    t = target
  }

  return {
    now: () => t,
    setTimeout: (fn, ms) => add(fn, ms, 0),
    clearTimeout: (h) => { timers.delete(h as number) },
    setInterval: (fn, ms) => add(fn, ms, Math.max(1, ms)),
    clearInterval: (h) => { timers.delete(h as number) },
    advance: (ms) => { runUntil(t + ms) },
    set: (target) => {
      if (target < t) throw new RangeError(`clock cannot go backwards (${target} < ${t})`)
      runUntil(target)
    },
    pending: () => timers.size
  }
}
