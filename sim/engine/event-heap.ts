/**
 * The event queue of the discrete-event engine: a binary min-heap keyed by
 * (time, insertion sequence), so events at the same virtual time come out in
 * the order they were scheduled (determinism does not depend on heap layout).
 *
 * Built for millions of events without garbage: every event is a slot in a
 * pool of typed arrays (time and sequence in Float64Array; kind and three
 * integer payloads in Int32Array); the heap itself is an Int32Array of slot
 * numbers, so sifting moves one integer per level. Freed slots are reused
 * through a stack. `pop()` copies the event into public fields instead of
 * returning an object (no allocation per event).
 */
import { SimEngineError } from '../errors.js'

export class EventHeap {
  private times: Float64Array
  private seqs: Float64Array
  private kinds: Int32Array
  private as: Int32Array
  private bs: Int32Array
  private cs: Int32Array
  private heap: Int32Array
  private free: Int32Array
  private freeTop = 0
  private capacity: number
  private count = 0
  private nextSeq = 0

  /** The event last returned by pop(). */
  time = 0
  kind = 0
  a = 0
  b = 0
  c = 0

  constructor (initialCapacity = 1024) {
    const cap = Math.max(16, Math.floor(initialCapacity))
    this.capacity = cap
    this.times = new Float64Array(cap)
    this.seqs = new Float64Array(cap)
    this.kinds = new Int32Array(cap)
    this.as = new Int32Array(cap)
    this.bs = new Int32Array(cap)
    this.cs = new Int32Array(cap)
    this.heap = new Int32Array(cap)
    this.free = new Int32Array(cap)
    for (let i = 0; i < cap; i++) this.free[i] = cap - 1 - i
    this.freeTop = cap
  }

  get size (): number { return this.count }

  /** Events ever pushed (the next insertion sequence number). */
  get pushed (): number { return this.nextSeq }

  private grow (): void {
    const old = this.capacity
    const cap = old * 2
    const f64 = (a: Float64Array): Float64Array => { const n = new Float64Array(cap); n.set(a); return n }
    const i32 = (a: Int32Array): Int32Array => { const n = new Int32Array(cap); n.set(a); return n }
    this.times = f64(this.times)
    this.seqs = f64(this.seqs)
    this.kinds = i32(this.kinds)
    this.as = i32(this.as)
    this.bs = i32(this.bs)
    this.cs = i32(this.cs)
    this.heap = i32(this.heap)
    // every slot is in use when we grow: the new free stack holds the new slots only
    const free = new Int32Array(cap)
    for (let i = 0; i < cap - old; i++) free[i] = cap - 1 - i
    this.free = free
    this.freeTop = cap - old
    this.capacity = cap
  }

  /** (time, seq) of slot x before slot y? */
  private less (x: number, y: number): boolean {
    const tx = this.times[x]
    const ty = this.times[y]
    return tx < ty || (tx === ty && this.seqs[x] < this.seqs[y])
  }

  push (time: number, kind: number, a: number, b: number, c: number): void {
    if (!(time === time)) throw new SimEngineError(`event time is NaN (kind ${kind})`)
    if (this.freeTop === 0) this.grow()
    const slot = this.free[--this.freeTop]
    this.times[slot] = time
    this.seqs[slot] = this.nextSeq++
    this.kinds[slot] = kind
    this.as[slot] = a
    this.bs[slot] = b
    this.cs[slot] = c
    // sift up
    const heap = this.heap
    let i = this.count++
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent]
      if (!this.less(slot, p)) break
      heap[i] = p
      i = parent
    }
    heap[i] = slot
  }

  /** Time of the next event (Infinity when empty). */
  peekTime (): number {
    return this.count === 0 ? Infinity : this.times[this.heap[0]]
  }

  /** Remove the earliest event into time/kind/a/b/c. Returns false when empty. */
  pop (): boolean {
    if (this.count === 0) return false
    const heap = this.heap
    const top = heap[0]
    this.time = this.times[top]
    this.kind = this.kinds[top]
    this.a = this.as[top]
    this.b = this.bs[top]
    this.c = this.cs[top]
    this.free[this.freeTop++] = top
    const n = --this.count
    if (n > 0) {
      const last = heap[n]
      // sift down
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        let child = l
        let cs = heap[l]
        if (r < n && this.less(heap[r], cs)) { child = r; cs = heap[r] }
        if (!this.less(cs, last)) break
        heap[i] = cs
        i = child
      }
      heap[i] = last
    }
    return true
  }

  clear (): void {
    this.count = 0
    for (let i = 0; i < this.capacity; i++) this.free[i] = this.capacity - 1 - i
    this.freeTop = this.capacity
  }
}
