/**
 * Bounded collections: the one place that knows how to keep a Map or Set
 * under a budget (DESIGN.md invariant 4: nothing is unbounded). A JS Map/Set
 * iterates in insertion order, so its first key is the oldest (or, with
 * boundedSet's delete-then-set, the least recently written).
 */

/** Drop the oldest keys until `m` holds at most `max`; returns how many were dropped. */
export function evictOldest (m: Map<unknown, unknown> | Set<unknown>, max: number): number {
  let dropped = 0
  while (m.size > max) {
    const oldest = m.keys().next()
    if (oldest.done === true) break
    m.delete(oldest.value)
    dropped++
  }
  return dropped
}

/** Insert or refresh `k` as the most recent key; past `max` keys, drop the oldest. */
export function boundedSet<K, V> (m: Map<K, V>, k: K, v: V, max: number): void {
  m.delete(k)
  m.set(k, v)
  evictOldest(m, max)
}

/** Add `v` to the set as its most recent member; past `max` members, drop the oldest. */
export function boundedAdd<V> (s: Set<V>, v: V, max: number): void {
  s.delete(v)
  s.add(v)
  evictOldest(s, max)
}

/**
 * Make room for `origin` in a per-key origin map of at most `max` entries: at
 * capacity, drop the origin with the least influence, so a flood of fresh
 * identities evicts its own kind rather than established peers.
 */
export function makeRoomForOrigin (m: Map<string, unknown>, origin: string, max: number, influenceOf: (origin: string) => number): void {
  if (m.size < max || m.has(origin)) return
  let weakest: string | undefined
  let least = Infinity
  for (const o of m.keys()) {
    const inf = influenceOf(o)
    if (inf < least) { least = inf; weakest = o }
  }
  if (weakest !== undefined) m.delete(weakest)
}
