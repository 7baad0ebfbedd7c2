/** Small helpers that keep the intake's Maps bounded (insertion order = recency). */

/** Insert or refresh `k` as the most recent key; past `max` keys, drop the oldest. */
export function boundedSet<K, V> (m: Map<K, V>, k: K, v: V, max: number): void {
  m.delete(k)
  m.set(k, v)
  if (m.size > max) {
    const oldest = m.keys().next().value
    if (oldest !== undefined) m.delete(oldest)
  }
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
