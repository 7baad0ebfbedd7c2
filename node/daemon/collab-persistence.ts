/**
 * Incremental persistence of what the node learned about its peers (issue
 * 15: a full snapshot of reputation, intake and replay guard per alert, in a
 * serial write queue, took a flooded node from 228 MB to 3.4 GB).
 *
 * Keys of the `collab` sublevel:
 *   rep:<peer id>           one reputation record per peer (ReputationTable entry)
 *   ro:<origin>             one replay window per origin: { h: highest seq, b: bitmap hex, t: written at }
 *   ri:<ms, 15 digits>      the alert ids the replay guard accepted since the previous write
 *   intake                  the intake's state (AlertIntake.toJSON(): bounded tables)
 *   meta                    { version: 2, writtenAtMs }
 *   state, replay           version 1 (a whole snapshot each): read once, deleted at the first write
 *
 * A writer flushes every flushIntervalMs, only when something changed, and
 * writes only what changed (the peers whose evidence changed, the new replay
 * ids, the origins whose window moved; the intake's state when its counters
 * moved), in one level batch. One write is in flight at most: whatever
 * changes meanwhile goes into the next, so a flood can never queue copies.
 * Replay ids older than ID_RETAIN_MS are deleted (by then their alerts are
 * stale everywhere: validation refuses alerts issued more than maxSkewMs ago).
 *
 * A kill -9 loses at most flushIntervalMs of reputation evidence; the replay
 * guard loses nothing: every valid alert is journalled in the `alerts`
 * sublevel before it is handled (collaboration.ts), and loading replays the
 * journal written since the last flush into the guard.
 */
import type { Clock, TimerHandle } from '../../core/index.js'
import { ReplayGuard } from '../../protocol/alert/index.js'
import type { ReplayGuardState } from '../../protocol/alert/index.js'
import type { ReputationTable, ReputationTableSnapshot } from '../../protocol/reputation/index.js'
import type { Sublevel } from '../store/index.js'
import type { Logger } from './logger.js'

export const FLUSH_INTERVAL_MS = 500
/** 3 × the default maxSkewMs (5 min): an id older than 2 × maxSkewMs cannot validate again anyway. */
export const ID_RETAIN_MS = 15 * 60_000
/** Replay the alert journal from this long before the last write (clock steps, a write that straddled). */
const JOURNAL_SLACK_MS = 5_000

const pad = (ms: number): string => String(Math.max(0, Math.floor(ms))).padStart(15, '0')

export interface LoadedCollabState {
  reputation: ReputationTableSnapshot | null
  intake: unknown
  replay: ReplayGuard
  /** When the state was last written (0: never). */
  writtenAtMs: number
  /** Whether version-1 keys (whole snapshots) were found: the first write deletes them. */
  legacy: boolean
}

interface JournalAlert { id?: unknown, origin?: unknown, seq?: unknown }

/**
 * Read the collaboration state (either layout). `journal` is the `alerts`
 * sublevel, keyed by receive time: alerts received after the last write
 * (and within ID_RETAIN_MS of nowMs) are recorded in the replay guard again.
 */
export async function loadCollabState (collab: Sublevel, journal: Sublevel | null, logger: Pick<Logger, 'warn'>, nowMs: number): Promise<LoadedCollabState> {
  const get = async (key: string): Promise<unknown> => await collab.get(key).catch(() => undefined)
  const legacyState = await get('state') as { reputation?: unknown, intake?: unknown } | undefined
  const legacyReplay = await get('replay')
  const meta = await get('meta') as { writtenAtMs?: unknown } | undefined
  const writtenAtMs = typeof meta?.writtenAtMs === 'number' && Number.isFinite(meta.writtenAtMs) ? meta.writtenAtMs : 0

  const peers: ReputationTableSnapshot['peers'] = []
  for await (const [, v] of collab.iterator({ gte: 'rep:', lt: 'rep;' })) peers.push(v as ReputationTableSnapshot['peers'][number])
  let reputation: ReputationTableSnapshot | null = null
  if (peers.length > 0) {
    // least recently updated first: ReputationTable.restore keeps the most recent when over maxPeers
    peers.sort((a, b) => (a?.lastUpdateMs ?? 0) - (b?.lastUpdateMs ?? 0))
    reputation = { version: 1, peers }
  } else if (legacyState?.reputation != null) {
    reputation = legacyState.reputation as ReputationTableSnapshot
  }
  const intake = (await get('intake')) ?? legacyState?.intake ?? null

  let replay = new ReplayGuard()
  const ids: string[] = []
  for await (const [, v] of collab.iterator({ gte: 'ri:', lt: 'ri;' })) if (Array.isArray(v)) for (const id of v) if (typeof id === 'string') ids.push(id)
  const origins: Array<{ origin: string, highest: string, bitmap: string, t: number }> = []
  for await (const [k, v] of collab.iterator({ gte: 'ro:', lt: 'ro;' })) {
    const w = v as { h?: unknown, b?: unknown, t?: unknown }
    if (typeof w?.h === 'string' && typeof w.b === 'string') origins.push({ origin: k.slice(3), highest: w.h, bitmap: w.b, t: typeof w.t === 'number' ? w.t : 0 })
  }
  origins.sort((a, b) => a.t - b.t)
  try {
    if (ids.length > 0 || origins.length > 0) {
      const state: ReplayGuardState = { version: 1, windowSize: replay.params.windowSize, ids, origins: origins.map(({ origin, highest, bitmap }) => ({ origin, highest, bitmap })) }
      replay = ReplayGuard.restore(state)
    } else if (legacyReplay != null) {
      replay = ReplayGuard.restore(legacyReplay)
    }
  } catch (err) {
    logger.warn({ err }, 'replay guard state unreadable: starting empty')
    replay = new ReplayGuard()
  }
  if (journal != null && (writtenAtMs > 0 || legacyReplay == null)) {
    // what was accepted after the last write: the journal has it (version 1 wrote the guard after every alert)
    const from = Math.max(writtenAtMs - JOURNAL_SLACK_MS, nowMs - ID_RETAIN_MS)
    let replayed = 0
    for await (const [, v] of journal.iterator({ gte: pad(from) })) {
      const a = v as JournalAlert
      if (typeof a?.id !== 'string' || typeof a.origin !== 'string' || typeof a.seq !== 'string' || !/^\d{1,20}$/.test(a.seq)) continue
      replay.record({ id: a.id, origin: a.origin, seq: BigInt(a.seq) })
      replayed++
    }
    if (replayed > 0 && writtenAtMs > 0) logger.warn({ alerts: replayed }, 'replay guard: alerts received after the last write recorded again from the journal')
  }
  return { reputation, intake, replay, writtenAtMs, legacy: legacyState != null || legacyReplay != null }
}

export interface CollabWriterComponents {
  clock: Clock
  collab: Sublevel
  reputation: ReputationTable
  /** The intake's state as JSON, and a cheap fingerprint that changes whenever that state may have. */
  intake: { toJSON: () => unknown, fingerprint: () => string }
  replay?: ReplayGuard
  logger: Pick<Logger, 'error'>
}

export interface CollabWriter {
  start: () => void
  /** Write what changed now (resolves when written); also the final write of stop(). */
  flush: () => Promise<void>
  stop: () => Promise<void>
  stats: () => { writes: number, keysWritten: number, lastBatchKeys: number }
}

export function createCollabWriter (c: CollabWriterComponents, init: { flushIntervalMs?: number, legacy?: boolean } = {}): CollabWriter {
  const { clock, collab, reputation, replay, logger } = c
  reputation.trackChanges()
  replay?.trackChanges()
  const flushIntervalMs = init.flushIntervalMs ?? FLUSH_INTERVAL_MS
  let legacy = init.legacy === true
  /** Write everything (not only the changes): after loading version-1 keys, or after a failed write. */
  let full = legacy
  let lastIntake = c.intake.fingerprint()
  let lastPrunedMs = 0
  let inFlight: Promise<void> | null = null
  let again = false
  let timer: TimerHandle | null = null
  const stats = { writes: 0, keysWritten: 0, lastBatchKeys: 0 }

  type Op = { type: 'put', key: string, value: unknown } | { type: 'del', key: string }
  const collect = (): Op[] => {
    const ops: Op[] = []
    const now = clock.now()
    const rep = reputation.takeChanges()
    for (const p of rep.put) ops.push({ type: 'put', key: `rep:${p.id}`, value: p })
    for (const id of rep.del) ops.push({ type: 'del', key: `rep:${id}` })
    if (replay != null) {
      const r = replay.takeChanges()
      if (r.ids.length > 0) ops.push({ type: 'put', key: `ri:${pad(now)}`, value: r.ids })
      for (const [o, w] of r.origins) ops.push(w == null ? { type: 'del', key: `ro:${o}` } : { type: 'put', key: `ro:${o}`, value: { h: w.highest, b: w.bitmap, t: now } })
    }
    const fp = c.intake.fingerprint()
    if (fp !== lastIntake || full) {
      lastIntake = fp
      ops.push({ type: 'put', key: 'intake', value: c.intake.toJSON() })
    }
    if (ops.length === 0 && !full) return ops
    if (legacy) ops.push({ type: 'del', key: 'state' }, { type: 'del', key: 'replay' })
    if (full) {
      // the whole tables once, in this layout
      for (const p of reputation.toJSON().peers) ops.push({ type: 'put', key: `rep:${p.id}`, value: p })
      if (replay != null) {
        const s = replay.toJSON()
        if (s.ids.length > 0) ops.push({ type: 'put', key: `ri:${pad(now)}`, value: s.ids })
        for (const o of s.origins) ops.push({ type: 'put', key: `ro:${o.origin}`, value: { h: o.highest, b: o.bitmap, t: now } })
      }
      legacy = false
      full = false
    }
    ops.push({ type: 'put', key: 'meta', value: { version: 2, writtenAtMs: now } })
    return ops
  }

  const writeOnce = async (): Promise<void> => {
    const ops = collect()
    if (ops.length === 0) return
    await collab.batch(ops as never)
    stats.writes++
    stats.keysWritten += ops.length
    stats.lastBatchKeys = ops.length
    const now = clock.now()
    if (now - lastPrunedMs >= 60_000) {
      lastPrunedMs = now
      await collab.clear({ gte: 'ri:', lt: `ri:${pad(now - ID_RETAIN_MS)}` })
    }
  }

  const flush = async (): Promise<void> => {
    if (inFlight != null) {
      // one write at a time: the running one loops once more and takes what changed meanwhile
      again = true
      await inFlight
      return
    }
    inFlight = (async () => {
      try {
        do {
          again = false
          await writeOnce()
        } while (again)
      } catch (err) {
        // what this write took is lost from the change sets: the next write is a whole one
        full = true
        logger.error({ err }, 'collaboration state write failed (the next flush writes everything)')
      } finally {
        inFlight = null
      }
    })()
    await inFlight
  }

  return {
    start () {
      if (timer != null) return
      timer = clock.setInterval(() => { void flush() }, flushIntervalMs)
    },
    flush,
    async stop () {
      if (timer != null) clock.clearInterval(timer)
      timer = null
      await flush()
    },
    stats: () => ({ ...stats })
  }
}
