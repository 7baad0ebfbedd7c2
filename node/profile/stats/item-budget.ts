/**
 * A shared allowance of distinct items (3-grams) that several trackers draw
 * from: one per context (all its parameters together) with the cell's as its
 * parent, so the per-parameter caps no longer multiply (issue 15 item 2:
 * 128 parameters × 20,000 grams × 10,000 contexts). A tracker asks `take()`
 * before it adds an item; at the limit the item is not learned (it stays
 * novel: the tracker saturates, as at its own cap). A context dropped from
 * its set gives its items back to the cell (`release()`).
 */
export class ItemBudget {
  used = 0

  constructor (readonly max: number, readonly parent: ItemBudget | null = null) {}

  /** One more item, when this budget and its parent both have room. */
  take (): boolean {
    if (this.used >= this.max) return false
    if (this.parent != null && !this.parent.take()) return false
    this.used++
    return true
  }

  /** Counts items restored from a snapshot (they are there already, room or not). */
  charge (n: number): void {
    this.used += n
    this.parent?.charge(n)
  }

  /** Gives every item back to the parent (the owner was dropped). */
  release (): void {
    if (this.parent != null) this.parent.used = Math.max(0, this.parent.used - this.used)
    this.used = 0
  }

  get full (): boolean { return this.used >= this.max || (this.parent?.full ?? false) }
}
