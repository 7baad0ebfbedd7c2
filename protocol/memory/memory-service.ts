/**
 * The memory protocol on a libp2p node (`/immune/1/memory`): the server that
 * answers peers from this member's MemoryStore, and the client that catches
 * this member up.
 *
 * Client. A sync of one community with a few peers: DIGEST to each (count +
 * fingerprint; IN_SYNC ends it), then the buckets that differ are split among
 * the peers that differ there, and each is asked to FETCH those buckets,
 * listing the ids already held there, page by page (cursor). Every item of
 * an answer is validated as an alert (signature, origin, schema, expiry), in
 * the answer's community, in an asked bucket, after the cursor, not listed as
 * held, ascending. One junk item (validation-code.ts) drops the whole answer
 * and ends the sync with that peer: nothing it sent in it is adopted, the
 * peer pays (`penalise`, R4 in the daemon) and is not asked again for
 * penaltyCooldownMs. The items of a clean answer are recorded in the replay
 * guard and in the store, and delivered to the node's alert handlers exactly
 * as a gossiped alert is (`deliver`: the intake vets, counts the origin's
 * reputation, keeps the expiry), without being forwarded on gossip.
 *
 * When it runs: at start for every community (restarts included) as soon as
 * a peer of it is connected; again whenever a community had no connected peer
 * and one appears (this member was cut off); and every antiEntropyIntervalMs
 * with antiEntropyPeers mesh peers per community (skipping a peer that just
 * compared digests with us). Bounded: maxConcurrentSyncs exchanges at once,
 * pages per sync, items and bytes per answer.
 *
 * Server. One request, one answer per stream, read with a length cap. At most
 * maxConcurrentServe answers at once (else BUSY) and answersPerPeerPerMinute
 * per peer (token bucket; else RATE_LIMITED), both answered without touching
 * the store. Items of origins the node blacklists are not served.
 */
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { AlertValidationCode, MAX_ALERT_BYTES, createAlertValidationParams } from '../alert/index.js'
import { checkAnswerItems } from './answer-check.js'
import { boundedSet } from '../../core/index.js'
import { bucketBitmap, differingBuckets } from './digest.js'
import { decodeMemoryRequest, decodeMemoryResponse, encodeMemoryRequest, encodeMemoryResponse, MEMORY_PROTOCOL } from './codec.js'
import type { MemoryRequest, MemoryResponse, ResponseInit } from './codec.js'
import { createMemoryParams } from './memory-params.js'
import type { MemoryParams } from './memory-params.js'
import { MemoryValidationCode, MEMORY_CODE_IS_JUNK } from './validation-code.js'
import type { MemoryStore } from './memory-store.js'
import type { Alert, AlertValidationParams, ReplayGuard } from '../alert/index.js'
import type { AlertEvent } from '../mesh/index.js'
import type { Clock, TimerHandle } from '../../core/index.js'
import type { Libp2p, Stream, Connection } from '@libp2p/interface'

export interface MemoryLogger {
  debug?: (obj: object, msg?: string) => void
  info: (obj: object, msg?: string) => void
  warn: (obj: object, msg?: string) => void
}

export interface MemoryServiceComponents {
  clock: Clock
  store: MemoryStore
  /** The running libp2p node (null when the mesh is stopped). */
  libp2p: () => Libp2p | null
  /** This member's communities. */
  communities: () => string[]
  /** Connected peers known to be subscribed to a community. */
  communityPeers: (community: string) => string[]
  /** Our gossipsub mesh peers of a community (anti-entropy partners). */
  meshPeers: (community: string) => string[]
  /** Hand a synced alert to the node's alert handlers, as if gossiped (not forwarded). */
  deliver: (event: AlertEvent) => void
  /** The mesh's replay guard: synced alerts are recorded in it, and ids it holds are duplicates. */
  replay: ReplayGuard
  validationParams?: Partial<AlertValidationParams>
  /** A peer answered junk: `items` junk items (>= 1) in an answer with this code. */
  penalise?: (peer: string, code: MemoryValidationCode, reason: string, items: number) => void
  /** Serve this origin's alerts? (the daemon: not if blacklisted) */
  serveOrigin?: (origin: string) => boolean
  logger?: MemoryLogger
}

export type SyncReason = 'start' | 'rejoin' | 'anti-entropy' | 'manual'

export interface CommunitySyncStats {
  community: string
  lastSync: { atMs: number, reason: SyncReason, peers: string[], durationMs: number, received: number, accepted: number, rejected: number, outcome: 'in-sync' | 'updated' | 'no-answer' | 'junk' } | null
  received: number
  accepted: number
  rejected: number
  syncs: number
  held: number
}

export interface MemoryStats {
  communities: CommunitySyncStats[]
  served: { answers: number, items: number, busy: number, rateLimited: number, refused: number, bytesOut: number }
  client: { requests: number, bytesOut: number, bytesIn: number, junkAnswers: number, failures: number }
}

export interface SyncResult {
  community: string
  reason: SyncReason
  peers: string[]
  received: number
  accepted: number
  rejected: number
  outcome: 'in-sync' | 'updated' | 'no-answer' | 'junk'
  junk: Array<{ peer: string, code: MemoryValidationCode, reason: string }>
  /** Peers that answered the digest and sent no junk. */
  cleanPeers: number
}

export interface MemoryService {
  readonly params: Readonly<MemoryParams>
  start: () => Promise<void>
  stop: () => Promise<void>
  /** Remember an alert this node accepted or published (its envelope as signed). */
  remember: (event: Pick<AlertEvent, 'alert' | 'envelope'>) => void
  /** Sync one community now with these peers (default: its connected peers, up to catchUpPeers). */
  sync: (community: string, peers?: string[], reason?: SyncReason) => Promise<SyncResult>
  stats: () => MemoryStats
  onSync: (handler: (r: SyncResult) => void) => () => void
}

/** Pages of one bucket group in one sync (each at most maxItemsPerAnswer): a bound on a sync's length. */
const MAX_PAGES_PER_GROUP = 64

interface Bucket { tokens: number, atMs: number }

class JunkError extends Error {
  constructor (readonly code: MemoryValidationCode, reason: string, readonly items = 1) { super(reason) }
}

export function createMemoryService (c: MemoryServiceComponents, init: Partial<MemoryParams> = {}): MemoryService {
  const params = createMemoryParams(init)
  const { clock, store, logger } = c
  const perCommunity = new Map<string, CommunitySyncStats>()
  const served = { answers: 0, items: 0, busy: 0, rateLimited: 0, refused: 0, bytesOut: 0 }
  const client = { requests: 0, bytesOut: 0, bytesIn: 0, junkAnswers: 0, failures: 0 }
  const rate = new Map<string, Bucket>()
  const cooldown = new Map<string, number>()
  /** peer\0community → when we last answered it IN_SYNC (skip our own round with it) */
  const lastDigestServed = new Map<string, number>()
  const needCatchUp = new Set<string>()
  const syncing = new Set<string>()
  const handlers = new Set<(r: SyncResult) => void>()
  let serving = 0
  let active = 0
  const waiters: Array<() => void> = []
  let started = false
  let node: Libp2p | null = null
  let checkTimer: TimerHandle | null = null
  let entropyTimer: TimerHandle | null = null
  let pruneTimer: TimerHandle | null = null
  let rotation = 0

  const statsOf = (community: string): CommunitySyncStats => {
    let s = perCommunity.get(community)
    if (s == null) {
      s = { community, lastSync: null, received: 0, accepted: 0, rejected: 0, syncs: 0, held: 0 }
      perCommunity.set(community, s)
    }
    return s
  }

  // ---------- server ----------

  const takeToken = (peer: string, now: number): boolean => {
    const cap = params.answersPerPeerPerMinute
    const b = rate.get(peer) ?? { tokens: cap, atMs: now }
    b.tokens = Math.min(cap, b.tokens + (now - b.atMs) * cap / 60_000)
    b.atMs = now
    boundedSet(rate, peer, b, params.maxTrackedPeers)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  const answer = (peer: string, bytes: Uint8Array): ResponseInit => {
    const now = clock.now()
    const d = decodeMemoryRequest(bytes, params)
    if (!d.ok) { served.refused++; return { status: 'refused', reason: `${d.code}: ${d.reason}` } }
    const req = d.value
    if (!c.communities().includes(req.community)) return { status: 'unknown-community' }
    if (req.mode === 'digest') {
      const dig = store.digest(req.community)
      if (dig.count === req.count && dig.sum === req.fingerprint) {
        boundedSet(lastDigestServed, `${peer}\u0000${req.community}`, now, params.maxTrackedPeers)
        return { status: 'in-sync', count: dig.count, fingerprint: dig.sum }
      }
      return { status: 'different', count: dig.count, fingerprint: dig.sum, buckets: dig.table() }
    }
    const sel = store.select(req.community, { buckets: req.buckets, have: new Set(req.have), after: req.after, maxItems: Math.min(req.maxItems, params.maxItemsPerAnswer), maxBytes: params.maxAnswerBytes - 4096 }, now, (it) => c.serveOrigin?.(it.origin) ?? true)
    served.items += sel.items.length
    return { status: 'ok', items: sel.items.map((it) => it.envelope), more: sel.more }
  }

  const onStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString()
    const controller = new AbortController()
    const timer = clock.setTimeout(() => { controller.abort() }, params.requestTimeoutMs)
    const opts = { signal: controller.signal }
    try {
      const lp = lpStream(stream, { maxDataLength: params.maxRequestBytes })
      const bytes = (await lp.read(opts)).subarray()
      let res: ResponseInit
      if (serving >= params.maxConcurrentServe) {
        served.busy++
        res = { status: 'busy', retryAfterMs: 1000 }
      } else if (!takeToken(peer, clock.now())) {
        served.rateLimited++
        res = { status: 'rate-limited', retryAfterMs: Math.ceil(60_000 / params.answersPerPeerPerMinute) }
      } else {
        serving++
        try { res = answer(peer, bytes) } finally { serving-- }
        served.answers++
      }
      const out = encodeMemoryResponse(res)
      served.bytesOut += out.byteLength
      await lp.write(out, opts)
      await stream.close(opts)
    } catch (err) {
      logger?.debug?.({ peer, err: (err as Error).message }, 'memory request not answered')
      stream.abort(err as Error)
    } finally {
      clock.clearTimeout(timer)
    }
  }

  // ---------- client ----------

  const acquire = async (): Promise<void> => {
    if (active < params.maxConcurrentSyncs) { active++; return }
    await new Promise<void>((resolve) => waiters.push(resolve))
    active++
  }
  const release = (): void => {
    active--
    waiters.shift()?.()
  }

  /** One exchange. Throws JunkError for a junk answer, another Error when the peer could not be asked. */
  const exchange = async (peer: string, req: MemoryRequest): Promise<MemoryResponse> => {
    const n = node
    if (n == null || !started) throw new Error('memory service not started')
    await acquire()
    const controller = new AbortController()
    const timer = clock.setTimeout(() => { controller.abort() }, params.requestTimeoutMs)
    const opts = { signal: controller.signal }
    let stream: Stream | undefined
    try {
      stream = await n.dialProtocol(peerIdFromString(peer), MEMORY_PROTOCOL, opts)
      const lp = lpStream(stream, { maxDataLength: params.maxResponseBytes })
      const out = encodeMemoryRequest(req)
      client.requests++
      client.bytesOut += out.byteLength
      await lp.write(out, opts)
      let bytes: Uint8Array
      try {
        bytes = (await lp.read(opts)).subarray()
      } catch (err) {
        if ((err as Error).name === 'InvalidDataLengthError') throw new JunkError(MemoryValidationCode.OVERSIZE, (err as Error).message)
        throw err
      }
      client.bytesIn += bytes.byteLength
      await stream.close(opts).catch(() => {})
      const d = decodeMemoryResponse(bytes, req, params, MAX_ALERT_BYTES)
      if (!d.ok) {
        if (MEMORY_CODE_IS_JUNK[d.code]) throw new JunkError(d.code, d.reason)
        throw new Error(`${d.code}: ${d.reason}`)
      }
      return d.value
    } catch (err) {
      stream?.abort(err as Error)
      throw err
    } finally {
      clock.clearTimeout(timer)
      release()
    }
  }

  const validationParams = c.validationParams != null ? createAlertValidationParams(c.validationParams) : undefined
  const isHeld = (a: Alert): boolean => store.has(a.community, a.id) || c.replay.check(a) === AlertValidationCode.DUPLICATE

  const adoptAll = (peer: string, adopt: Array<{ alert: Alert, envelope: Uint8Array }>): number => {
    let n = 0
    for (const { alert, envelope } of adopt) {
      if (!started) break
      if (store.has(alert.community, alert.id) || c.replay.check(alert) === AlertValidationCode.DUPLICATE) continue
      c.replay.record(alert)
      store.add(alert, envelope, clock.now())
      n++
      try {
        c.deliver({ alert, envelope, from: peer, receivedAtMs: clock.now() })
      } catch (err) {
        logger?.warn({ err: (err as Error).message, alertId: alert.id }, 'delivering a synced alert failed')
      }
    }
    return n
  }

  /** Fetch the given buckets from one peer, page by page. */
  const fetchFrom = async (peer: string, community: string, buckets: number[], acc: SyncResult): Promise<void> => {
    // groups of buckets whose held ids fit in one request
    const groups: number[][] = []
    let cur: number[] = []
    let held = 0
    for (const b of buckets) {
      const n = store.idsIn(community, [b]).length
      if (cur.length > 0 && held + n > params.maxHaveIds) { groups.push(cur); cur = []; held = 0 }
      cur.push(b)
      held += n
    }
    if (cur.length > 0) groups.push(cur)
    for (const g of groups) {
      const bitmap = bucketBitmap(g)
      const have = store.idsIn(community, g).slice(0, params.maxHaveIds)
      let after: string | null = null
      for (let page = 0; page < MAX_PAGES_PER_GROUP; page++) {
        const req: Extract<MemoryRequest, { mode: 'fetch' }> = { mode: 'fetch', community, buckets: bitmap, have, after, maxItems: params.maxItemsPerAnswer }
        const res = await exchange(peer, req)
        if (res.status !== 'ok') return
        acc.received += res.items.length
        const { adopt, skipped, last, junk } = await checkAnswerItems(res.items, { nowMs: clock.now(), community, request: req, held: isHeld, expiredGraceMs: params.expiredGraceMs, ...(validationParams != null ? { validationParams } : {}) })
        if (junk != null) throw new JunkError(junk.code, junk.reason, res.items.length)
        acc.rejected += skipped
        acc.accepted += adoptAll(peer, adopt)
        if (!res.more || res.items.length === 0) break
        after = last
      }
    }
  }

  const onJunk = (peer: string, community: string, err: JunkError, acc: SyncResult): void => {
    client.junkAnswers++
    acc.rejected += err.items
    acc.junk.push({ peer, code: err.code, reason: err.message })
    boundedSet(cooldown, peer, clock.now() + params.penaltyCooldownMs, params.maxTrackedPeers)
    logger?.warn({ peer, community, code: err.code, reason: err.message }, 'memory: peer answered junk; answer dropped, peer penalised')
    try { c.penalise?.(peer, err.code, err.message, err.items) } catch (e) { logger?.warn({ err: (e as Error).message }, 'penalise hook threw') }
  }

  const coolingDown = (peer: string): boolean => {
    const until = cooldown.get(peer)
    return until != null && until > clock.now()
  }

  const sync = async (community: string, peersIn?: string[], reason: SyncReason = 'manual'): Promise<SyncResult> => {
    const t0 = clock.now()
    const peers = (peersIn ?? c.communityPeers(community)).filter((p) => !coolingDown(p)).slice(0, params.catchUpPeers)
    const acc: SyncResult = { community, reason, peers, received: 0, accepted: 0, rejected: 0, outcome: 'no-answer', junk: [], cleanPeers: 0 }
    syncing.add(community)
    let answered = 0
    let different = 0
    const tablesAnswered: string[] = []
    try {
      const digestReq: MemoryRequest = { mode: 'digest', community, count: store.count(community), fingerprint: store.digest(community).sum }
      const tables = await Promise.all(peers.map(async (peer) => {
        try {
          const res = await exchange(peer, digestReq)
          if (res.status === 'in-sync' || res.status === 'different') { answered++; tablesAnswered.push(peer) }
          return { peer, res }
        } catch (err) {
          if (err instanceof JunkError) onJunk(peer, community, err, acc)
          else { client.failures++; logger?.debug?.({ peer, community, err: (err as Error).message }, 'memory digest request failed') }
          return { peer, res: null }
        }
      }))
      // each differing bucket goes to one of the peers that differ there (spread by bucket number)
      const plan = new Map<string, number[]>()
      const candidates = new Map<number, string[]>()
      for (const { peer, res } of tables) {
        if (res?.status !== 'different' || res.buckets == null) continue
        different++
        for (const b of differingBuckets(store.digest(community), res.buckets)) {
          let l = candidates.get(b)
          if (l == null) candidates.set(b, l = [])
          l.push(peer)
        }
      }
      for (const [b, l] of candidates) {
        const p = l[b % l.length]
        let mine = plan.get(p)
        if (mine == null) plan.set(p, mine = [])
        mine.push(b)
      }
      // a peer that answers junk drops out, and its buckets go to another peer that differs there (two rounds at most)
      const failed = new Set<string>()
      for (let round = 0; round < 2 && plan.size > 0; round++) {
        const retry = new Map<string, number[]>()
        await Promise.all([...plan].map(async ([peer, buckets]) => {
          try {
            await fetchFrom(peer, community, buckets.sort((x, y) => x - y), acc)
          } catch (err) {
            failed.add(peer)
            if (err instanceof JunkError) onJunk(peer, community, err, acc)
            else client.failures++
            for (const b of buckets) {
              const l = (candidates.get(b) ?? []).filter((p) => !failed.has(p))
              if (l.length === 0) continue
              const p = l[b % l.length]
              retry.set(p, [...(retry.get(p) ?? []), b])
            }
          }
        }))
        plan.clear()
        for (const [p, bs] of retry) if (!failed.has(p)) plan.set(p, bs)
      }
    } finally {
      syncing.delete(community)
    }
    const junkPeers = new Set(acc.junk.map((j) => j.peer))
    acc.cleanPeers = tablesAnswered.filter((p) => !junkPeers.has(p)).length
    acc.outcome = acc.junk.length > 0 ? 'junk' : answered === 0 ? 'no-answer' : acc.accepted > 0 ? 'updated' : different === 0 ? 'in-sync' : 'updated'
    const s = statsOf(community)
    s.syncs++
    s.received += acc.received
    s.accepted += acc.accepted
    s.rejected += acc.rejected
    s.lastSync = { atMs: t0, reason, peers, durationMs: clock.now() - t0, received: acc.received, accepted: acc.accepted, rejected: acc.rejected, outcome: acc.outcome }
    if (acc.accepted > 0 || acc.junk.length > 0 || reason === 'start' || reason === 'rejoin') logger?.info({ community, reason, peers: peers.length, received: acc.received, accepted: acc.accepted, rejected: acc.rejected, outcome: acc.outcome }, 'memory sync')
    for (const h of handlers) { try { h(acc) } catch { /* observers only */ } }
    return acc
  }

  // ---------- triggers ----------

  const check = (): void => {
    if (!started) return
    for (const community of c.communities()) {
      const peers = c.communityPeers(community).filter((p) => !coolingDown(p))
      if (peers.length === 0) { needCatchUp.add(community); continue }
      if (!needCatchUp.has(community) || syncing.has(community)) continue
      const reason: SyncReason = statsOf(community).syncs === 0 ? 'start' : 'rejoin'
      needCatchUp.delete(community)
      // caught up once a peer answered cleanly; otherwise try again at the next check (a junk peer is cooling down by then)
      void sync(community, peers, reason).then((r) => {
        if (r.cleanPeers === 0) needCatchUp.add(community)
      }).catch((err: unknown) => {
        needCatchUp.add(community)
        logger?.warn({ err: (err as Error).message, community }, 'memory catch-up failed')
      })
    }
  }

  const antiEntropy = (): void => {
    if (!started) return
    const now = clock.now()
    for (const community of c.communities()) {
      if (syncing.has(community)) continue
      const mesh = c.meshPeers(community).filter((p) => !coolingDown(p) && !((lastDigestServed.get(`${p}\u0000${community}`) ?? -Infinity) > now - params.antiEntropyIntervalMs))
      if (mesh.length === 0 || params.antiEntropyPeers === 0) continue
      rotation = (rotation + 1) % 1_000_000
      const chosen: string[] = []
      for (let i = 0; i < Math.min(params.antiEntropyPeers, mesh.length); i++) chosen.push(mesh[(rotation + i) % mesh.length])
      void sync(community, chosen, 'anti-entropy').catch((err: unknown) => { logger?.warn({ err: (err as Error).message, community }, 'memory anti-entropy failed') })
    }
  }

  return {
    params,
    async start () {
      if (started) return
      const n = c.libp2p()
      if (n == null) throw new Error('memory service: start the mesh first')
      node = n
      await n.handle(MEMORY_PROTOCOL, (stream, connection) => { void onStream(stream, connection) }, { maxInboundStreams: 4, maxOutboundStreams: 8 })
      started = true
      for (const community of c.communities()) needCatchUp.add(community)
      checkTimer = clock.setInterval(check, params.checkIntervalMs)
      entropyTimer = clock.setInterval(antiEntropy, params.antiEntropyIntervalMs)
      pruneTimer = clock.setInterval(() => { store.prune(clock.now()) }, 30_000)
      check()
    },
    async stop () {
      if (!started) return
      started = false
      for (const t of [checkTimer, entropyTimer, pruneTimer]) if (t != null) clock.clearInterval(t)
      checkTimer = entropyTimer = pruneTimer = null
      await node?.unhandle(MEMORY_PROTOCOL).catch(() => {})
      node = null
    },
    remember (ev) {
      store.add(ev.alert, ev.envelope, clock.now())
    },
    sync,
    stats: () => ({
      communities: [...new Set([...c.communities(), ...perCommunity.keys()])].sort().map((k) => ({ ...statsOf(k), held: store.count(k) })),
      served: { ...served },
      client: { ...client }
    }),
    onSync (h) {
      handlers.add(h)
      return () => { handlers.delete(h) }
    }
  }
}
