/**
 * The discrete-event engine: virtual time in milliseconds since the start of
 * the run, an event heap, and a `Clock` (node/clock.ts) backed by that heap so
 * the node's own code (threat level, intake housekeeping) runs on virtual time.
 *
 * Events are (time, kind, a, b, c) with integer payloads; the owner of the
 * engine dispatches them in `handle()`. Kind 0 is reserved for clock timers.
 * Nothing here reads real time.
 */
import type { Clock, TimerHandle } from '../../core/index.js'
import { SimEngineError } from '../errors.js'
import { EventHeap } from './event-heap.js'

/** Kind of the events that fire Clock timers. */
export const KIND_TIMER = 0

/** Virtual epoch: what `clock.now()` returns at t = 0 (fixed, so results never depend on the wall clock). */
export const SIM_EPOCH_MS = 1_700_000_000_000

export interface EventHandler {
  handle: (kind: number, a: number, b: number, c: number) => void
}

interface Timer { fn: () => void, everyMs: number }

export class Engine {
  readonly heap: EventHeap
  /** Virtual time of the event being processed (ms since the start of the run). */
  now = 0
  /** Events processed so far. */
  events = 0
  readonly epochMs: number
  readonly clock: Clock
  private readonly timers = new Map<number, Timer>()
  private nextTimer = 1

  constructor (init: { epochMs?: number, initialCapacity?: number } = {}) {
    this.epochMs = init.epochMs ?? SIM_EPOCH_MS
    this.heap = new EventHeap(init.initialCapacity ?? 4096)
    const add = (fn: () => void, ms: number, everyMs: number): number => {
      const id = this.nextTimer++
      this.timers.set(id, { fn, everyMs })
      this.heap.push(this.now + Math.max(0, Number.isFinite(ms) ? ms : 0), KIND_TIMER, id, 0, 0)
      return id
    }
    const cancel = (h: TimerHandle): void => { this.timers.delete(h as number) }
    this.clock = {
      now: () => this.epochMs + this.now,
      setTimeout: (fn, ms) => add(fn, ms, 0),
      clearTimeout: cancel,
      setInterval: (fn, ms) => add(fn, ms, Math.max(1, ms)),
      clearInterval: cancel
    }
  }

  /** Absolute epoch ms of virtual time t. */
  epoch (t: number): number { return this.epochMs + t }

  at (timeMs: number, kind: number, a = 0, b = 0, c = 0): void {
    if (timeMs < this.now) throw new SimEngineError(`event of kind ${kind} scheduled in the past (${timeMs} < ${this.now})`)
    this.heap.push(timeMs, kind, a, b, c)
  }

  after (delayMs: number, kind: number, a = 0, b = 0, c = 0): void {
    this.heap.push(this.now + (delayMs > 0 ? delayMs : 0), kind, a, b, c)
  }

  /** Timers still pending (for tests). */
  pendingTimers (): number { return this.timers.size }

  private fireTimer (id: number): void {
    const t = this.timers.get(id)
    if (t == null) return
    if (t.everyMs > 0) this.heap.push(this.now + t.everyMs, KIND_TIMER, id, 0, 0)
    else this.timers.delete(id)
    t.fn()
  }

  /**
   * Process events in (time, insertion) order until the next one is after
   * `endMs` (or the heap is empty, or `shouldStop()` says so); then set now = endMs.
   * Returns the number of events processed by this call.
   */
  runUntil (endMs: number, handler: EventHandler): number {
    const heap = this.heap
    let n = 0
    while (heap.size > 0 && heap.peekTime() <= endMs) {
      heap.pop()
      this.now = heap.time
      n++
      if (heap.kind === KIND_TIMER) this.fireTimer(heap.a)
      else handler.handle(heap.kind, heap.a, heap.b, heap.c)
    }
    this.events += n
    if (endMs > this.now) this.now = endMs
    return n
  }
}
