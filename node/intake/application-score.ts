/**
 * gossipsub P5 from the local reputation: pass the result to
 * `mesh.setApplicationScore(...)`. Blacklisted peers get a large negative
 * score (below gossipsub's graylist threshold with appSpecificWeight 1), so
 * the mesh prunes them; newcomers get 0; good peers a small positive score.
 */
import type { ApplicationScoreFn } from '../../protocol/mesh/index.js'
import type { ReputationTable } from '../../protocol/reputation/index.js'
import type { Clock } from '../../core/index.js'

/** `now` is a fixed time, a `() => ms` function, or a Clock (read at every call). */
export function applicationScoreFn (table: ReputationTable, now: number | (() => number) | Pick<Clock, 'now'>): ApplicationScoreFn {
  const read = typeof now === 'number' ? () => now : typeof now === 'function' ? now : () => now.now()
  return (peerId: string) => table.applicationScore(peerId, read())
}
