/**
 * The real Mesh: libp2p (TCP or in-memory transport, Noise, yamux, identify)
 * and gossipsub (v1.2 protocol, v1.1 peer scoring) with StrictNoSign.
 *
 * - Communities are topics (topics.ts). Every subscribed topic gets a topic
 *   validator that runs `validateAlert` (protocol/alert): accept → delivered
 *   and forwarded; reject → not forwarded and the forwarding peer pays P4
 *   (score-params.ts); ignore → dropped without penalty. On top of the alert's
 *   own checks the mesh rejects an alert whose community is not the topic's
 *   (`community-mismatch`).
 * - StrictNoSign, as Ethereum's consensus gossip (Lodestar on js-libp2p
 *   gossipsub) runs it: gossipsub messages carry no author, seqno, key or
 *   signature (and any that do are refused by gossipsub and cost the sender
 *   P4). Every alert is already signed by its origin inside its own envelope,
 *   so a gossipsub signature was a second Ed25519 verification per first
 *   receipt, and its author said nothing the envelope does not. The envelope
 *   check (protocol/alert/envelope.ts: signature, origin == signer) is the one
 *   place that binds an alert to its origin: a relay can forward a genuine
 *   alert, under its origin's name, but cannot publish one under anyone
 *   else's; a forgery is rejected and costs whoever forwarded it P4.
 * - The gossipsub message id is the SHA-256 of the envelope bytes
 *   (alertMessageId), so the copies of an alert relayed on many paths are
 *   delivered once and a duplicate costs one hash. That is safe with data
 *   alone because an envelope has one encoding (protocol/alert/envelope-wire.ts:
 *   a re-framed copy is malformed, Ed25519 signatures are not malleable), so
 *   one id is one signed alert: nobody can take an id before its alert (the
 *   id is its hash), and nobody can mint new ids for a genuine alert. The
 *   replay guard drops a copy beyond gossipsub's seen-cache window.
 * - Per-origin rate limit (origin-rate.ts): an accepted alert takes a token
 *   from its origin's bucket; beyond it, the origin's own copies are
 *   rejected (`over-rate`: P4, so a flooder is graylisted within seconds)
 *   and relayed ones ignored (`over-rate-relayed`).
 * - onAlert handlers run in a microtask after gossipsub has forwarded the
 *   alert to our mesh peers, so local handling never delays the next hop.
 * - publish() skips gossipsub's validators for our own messages, so it runs
 *   our validator itself before sending, and records the alert in the replay
 *   guard.
 * - Bootstrap: the given multiaddrs are dialled at start and re-dialled on an
 *   interval (Clock timers) while not connected; one dial in flight per
 *   address; the loop stops in stop().
 */
import { gossipsub, StrictNoSign, TopicValidatorResult } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { memory } from '@libp2p/memory'
import { noise } from '@libp2p/noise'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createHash } from 'node:crypto'
import { AlertValidationCode, createAlert, createAlertValidationParams, MAX_ALERT_BYTES, ReplayGuard, signAlert, validateAlert } from '../alert/index.js'
import { AlertRejectedError, InvalidParamsError, MeshListenError, MeshNotStartedError } from '../errors.js'
import { createMeshScoreParams, toPeerScoreParams, toPeerScoreThresholds, toTopicScoreParams } from './score-params.js'
import { createMemorySeqStore } from './seq-store.js'
import { OriginRateLimiter } from './origin-rate.js'
import type { OriginRateParams } from './origin-rate.js'
import { assertValidCommunity, communityFromTopic, communityTopic } from './topics.js'
import type { Alert, AlertDraft, AlertValidationParams } from '../alert/index.js'
import type { AlertEvent, AlertHandler, ApplicationScoreFn, Mesh, MeshPeer, RejectEvent, RejectHandler } from './mesh.js'
import type { MeshScoreParams } from './score-params.js'
import type { SeqStore } from './seq-store.js'
import type { Clock } from '../../core/index.js'
import type { GossipSub, GossipsubMessage, Message, TopicValidatorFn } from '@libp2p/gossipsub'
import type { PeerScoreParams, PeerScoreStatsDump } from '@libp2p/gossipsub/score'
import type { Libp2p, Metrics, PrivateKey, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface MeshLogger {
  debug?: (obj: object, msg?: string) => void
  info: (obj: object, msg?: string) => void
  warn: (obj: object, msg?: string) => void
}

export interface Libp2pMeshComponents {
  clock: Clock
  logger?: MeshLogger
}

export interface Libp2pMeshInit {
  privateKey: PrivateKey
  /** e.g. ['/ip4/0.0.0.0/tcp/4001'] or ['/memory/node-a'] */
  listen: string[]
  /** Multiaddrs to dial at start and keep re-dialling while disconnected (best with /p2p/<id>). */
  bootstrap: string[]
  /** Addresses to announce instead of the listen addresses. */
  announce?: string[]
  /** mDNS discovery on the LAN (multicast; off by default). */
  mdns?: boolean
  communities?: string[]
  scoreParams?: Partial<MeshScoreParams>
  transport?: 'tcp' | 'memory'
  replayGuard?: ReplayGuard
  /** Per-origin rate limit of received alerts (origin-rate.ts; defaults: burst 60, 1/s). */
  originRate?: Partial<OriginRateParams>
  validationParams?: Partial<AlertValidationParams>
  /** Persistent alert seq (createFileSeqStore); default: in memory, floored at clock ms × 1000. */
  seqStore?: SeqStore
  /** gossipsub heartbeat (default 1000 ms; tests use ~100 ms). */
  heartbeatIntervalMs?: number
  /** Bootstrap re-dial period (default 10 s). */
  redialIntervalMs?: number
  /** Abort a dial after this long (default 10 s). */
  dialTimeoutMs?: number
  /** libp2p metrics factory, e.g. prometheusMetrics({ registry }) from @libp2p/prometheus-metrics. */
  metrics?: (components: any) => Metrics
}

export interface MeshStats {
  published: number
  delivered: number
  /** validation outcomes of messages from peers, by action then code */
  rejected: Record<string, number>
  ignored: Record<string, number>
}

/** The libp2p Mesh, with extras for the daemon, tests and benchmarks. */
export interface Libp2pMesh extends Mesh {
  onReject: (handler: RejectHandler) => () => void
  /** Peer ids in our gossipsub mesh for a community. */
  meshPeers: (community: string) => string[]
  /** gossipsub score of a peer (0 if unknown). */
  score: (peerId: string) => number
  /** Dial a multiaddr now (resolves when connected). */
  connect: (address: string) => Promise<void>
  /** Peers with an open connection. */
  connectedPeers: () => string[]
  stats: () => MeshStats
  /** gossipsub's per-peer score breakdown (P1..P7 inputs). */
  scoreDump: () => PeerScoreStatsDump
  /** The underlying libp2p node (null before the first start / after stop). */
  readonly libp2p: Libp2p | null
  /**
   * Hand an alert that did not come by gossip (the memory protocol, protocol/memory)
   * to the onAlert handlers, exactly as a validated gossiped alert is: the caller
   * has validated it and recorded it in the replay guard. Not forwarded on gossip.
   */
  deliver: (event: AlertEvent) => void
  /** Observe this node's own alerts as published (signed envelope included). */
  onPublished: (handler: AlertHandler) => () => void
}

/** The gossipsub members we use beyond the service interface (see gossipsub.d.ts). */
interface GossipSubInternals extends Omit<GossipSub, 'publish' | 'addEventListener' | 'removeEventListener'> {
  topicValidators: Map<string, TopicValidatorFn>
  getMeshPeers: (topic: string) => string[]
  getScore: (peerId: string) => number
  getSubscribers: (topic: string) => PeerId[]
  getPeers: () => PeerId[]
  dumpPeerScoreStats: () => PeerScoreStatsDump
  score: { params: PeerScoreParams }
  publish: (topic: string, data: Uint8Array, opts?: { allowPublishToZeroTopicPeers?: boolean }) => Promise<{ recipients: PeerId[] }>
  addEventListener: (type: 'gossipsub:message' | 'subscription-change', listener: (evt: CustomEvent<any>) => void) => void
  removeEventListener: (type: 'gossipsub:message' | 'subscription-change', listener: (evt: CustomEvent<any>) => void) => void
}

/** reject: the alert's community is not the community of the topic it came on. */
export const COMMUNITY_MISMATCH = AlertValidationCode.COMMUNITY_MISMATCH

const DEFAULT_HEARTBEAT_MS = 1000
/** Stop dialling mDNS-discovered peers beyond this many open connections (gossipsub needs ~D=6..12). */
const MAX_DISCOVERY_DIAL_CONNECTIONS = 24
const DEFAULT_REDIAL_MS = 10_000
const DEFAULT_DIAL_TIMEOUT_MS = 10_000
/** gossipsub drops inbound RPC messages with more data than this before decoding (envelope + slack). */
const MAX_INBOUND_DATA_BYTES = MAX_ALERT_BYTES * 2
/**
 * gossipsub v1.2 IDONTWANT: on the first copy of a message at least this
 * large, a node tells each of its other mesh peers "don't send me this one".
 * @libp2p/gossipsub's default is 512 bytes, so a typical signed alert
 * (~560-580 bytes, bench/protocol.ts) paid one extra control RPC per mesh
 * peer at every hop. Measured on 50 nodes in one process (mesh degree ~6.8):
 * 291 IDONTWANT RPCs per alert next to 298 message copies, and
 * not one duplicate avoided (249 per alert either way), since a node forwards
 * an alert right after validating it, before it reads its peers' IDONTWANTs.
 * `npm run bench -- mesh 50` on a quiet machine (load average < 1), two runs
 * each, 512 → 1024 bytes: CPU per alert 199/196 → 171/176 ms (all 50 nodes),
 * p99 153/146 → 123/126 ms. On a real network an IDONTWANT can win the race
 * against a duplicate, but for a message this small it costs the receiver
 * about what the duplicate would (the per-frame work - Noise, yamux, a socket
 * write - dominates, not the bytes); it pays off for large messages. We use
 * go-libp2p's threshold (GossipSubIDontWantMessageThreshold = 1 KiB;
 * rust-libp2p uses 1000 bytes): large alerts (many indicators, up to
 * MAX_ALERT_BYTES) still get IDONTWANT, and we honour the IDONTWANTs peers send.
 */
const IDONTWANT_MIN_DATA_BYTES = 1024
/**
 * libp2p's connection monitor opens a ping stream on every connection this
 * often and aborts the connection if the ping fails (timeout >= 5 s), which is
 * how a half-open TCP connection to a vanished peer is noticed (the kernel
 * would take ~15 min). libp2p's default is 10 s. Each ping costs ~2-3 ms of
 * CPU (stream open, protocol negotiation, close, on both sides), so it is most
 * of an idle node's work: measured on one node with 8 peers, on a quiet
 * machine (load average < 1), 10-s windows over 100 s: ~5-7 ms of CPU per
 * second at 10 s (0.69%), 0.5-2 ms/s with the monitor off, ~2.3 ms/s at 30 s
 * (0.31%); at 10 s a node with 20+ connections alone would exceed the
 * daemon's 1% idle budget. 30 s still finds a dead peer within ~35 s, while
 * alerts to it are covered meanwhile by the other D-1 mesh peers and by
 * gossip (IHAVE/IWANT); yamux's own keep-alive (30 s) keeps NAT mappings open.
 */
const CONNECTION_PING_INTERVAL_MS = 30_000

function positiveMs (field: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isFinite(v) || v <= 0) throw new InvalidParamsError(field, value, 'a positive number of milliseconds')
  return v
}

function parseAddrs (field: string, addrs: string[]): Multiaddr[] {
  return addrs.map((a) => {
    try {
      return multiaddr(a)
    } catch (e) {
      throw new InvalidParamsError(field, a, `a multiaddr (${(e as Error).message})`)
    }
  })
}

/** gossipsub message id: SHA-256 of the signed envelope bytes (see the header for why the data alone is safe). */
export function alertMessageId (data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

/** The /p2p/<id> part of a multiaddr, if any. */
function peerIdOf (addr: Multiaddr): string | undefined {
  return addr.getComponents().findLast((c) => c.name === 'p2p')?.value
}

const toValidatorResult = (action: 'accept' | 'reject' | 'ignore'): TopicValidatorResult =>
  action === 'accept' ? TopicValidatorResult.Accept : action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore

export async function createLibp2pMesh (components: Libp2pMeshComponents, init: Libp2pMeshInit): Promise<Libp2pMesh> {
  const { clock, logger } = components
  const transport = init.transport ?? 'tcp'
  if (transport !== 'tcp' && transport !== 'memory') throw new InvalidParamsError('transport', transport, "'tcp' | 'memory'")
  const heartbeatIntervalMs = positiveMs('heartbeatIntervalMs', init.heartbeatIntervalMs, DEFAULT_HEARTBEAT_MS)
  const redialIntervalMs = positiveMs('redialIntervalMs', init.redialIntervalMs, DEFAULT_REDIAL_MS)
  const dialTimeoutMs = positiveMs('dialTimeoutMs', init.dialTimeoutMs, DEFAULT_DIAL_TIMEOUT_MS)
  parseAddrs('listen', init.listen)
  const bootstrapAddrs = parseAddrs('bootstrap', init.bootstrap)
  if (init.announce != null) parseAddrs('announce', init.announce)
  const scoreParams = createMeshScoreParams(init.scoreParams)
  const initialCommunities = [...new Set(init.communities ?? [])]
  initialCommunities.forEach(assertValidCommunity)

  const privateKey = init.privateKey
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const validationParams = createAlertValidationParams(init.validationParams)
  const replay = init.replayGuard ?? new ReplayGuard()
  const originRate = new OriginRateLimiter(init.originRate)
  const seqStore = init.seqStore ?? createMemorySeqStore({ clock })

  const communities = new Set<string>(initialCommunities)
  const alertHandlers = new Set<AlertHandler>()
  const publishedHandlers = new Set<AlertHandler>()
  const rejectHandlers = new Set<RejectHandler>()
  const validated = new WeakMap<Message, Alert>()
  const peerCommunities = new Map<string, Set<string>>()
  const stats: MeshStats = { published: 0, delivered: 0, rejected: {}, ignored: {} }
  let appScore: ApplicationScoreFn = () => 0

  let node: Libp2p<{ pubsub: GossipSub, identify: unknown }> | null = null
  let gs: GossipSubInternals | null = null
  let started = false
  let starting: Promise<void> | null = null
  let redialTimer: ReturnType<Clock['setInterval']> | null = null
  const dialsInFlight = new Set<string>()
  /** peer id learnt for bootstrap addresses given without /p2p/ */
  const bootstrapPeerOf = new Map<string, string>()

  const emitReject = (event: RejectEvent): void => {
    const bucket = event.action === 'reject' ? stats.rejected : stats.ignored
    bucket[event.code] = (bucket[event.code] ?? 0) + 1
    logger?.debug?.({ ...event }, 'alert not accepted')
    for (const h of rejectHandlers) {
      try { h(event) } catch (e) { logger?.warn({ err: (e as Error).message }, 'onReject handler threw') }
    }
  }

  const validator: TopicValidatorFn = async (propagationSource, msg) => {
    const from = propagationSource.toString()
    const community = communityFromTopic(msg.topic)
    const receivedAtMs = clock.now()
    let action: 'accept' | 'reject' | 'ignore'
    let code: AlertValidationCode
    let alert: Alert | undefined
    let reason: string | undefined
    try {
      const result = await validateAlert(msg.data, { nowMs: receivedAtMs, replay, params: validationParams })
      action = result.action
      code = result.code
      alert = result.alert
      reason = result.reason
    } catch (e) {
      // a validator must not throw; if it does, the message is not ours to judge: ignore
      logger?.warn({ err: (e as Error).message, from }, 'alert validator threw')
      action = 'ignore'
      code = AlertValidationCode.VALIDATOR_ERROR
    }
    if (action === 'accept' && alert != null) {
      if (alert.community !== community) {
        action = 'reject'
        code = COMMUNITY_MISMATCH
        reason = `alert of community ${alert.community} on the topic of ${String(community)}`
      }
    } else if (action === 'accept') {
      action = 'ignore'
      code = AlertValidationCode.VALIDATOR_NO_ALERT
    }
    if (action === 'accept' && alert != null) {
      // validateAlert awaited a signature check: another copy of this alert may have been accepted
      // meanwhile. Check again and record in the same synchronous step, so it is delivered once.
      const again = replay.check(alert)
      if (again !== 'ok') {
        action = 'ignore'
        code = again
      }
    }
    if (action === 'accept' && alert != null && !originRate.take(alert.origin, receivedAtMs)) {
      // beyond the origin's rate: its own copies cost it P4, relayed ones are dropped (origin-rate.ts)
      action = alert.origin === from ? 'reject' : 'ignore'
      code = action === 'reject' ? AlertValidationCode.OVER_RATE : AlertValidationCode.OVER_RATE_RELAYED
      reason = `origin ${alert.origin} over its rate (${originRate.params.burst} at once, ${originRate.params.perSec}/s)`
    }
    if (action === 'accept' && alert != null) {
      replay.record(alert)
      validated.set(msg, alert)
    } else {
      emitReject({ from, community, action: action as 'reject' | 'ignore', code, reason, receivedAtMs, alertId: alert?.id, origin: alert?.origin })
    }
    return toValidatorResult(action)
  }

  const onGossipMessage = (evt: CustomEvent<GossipsubMessage>): void => {
    const { msg, propagationSource } = evt.detail
    const alert = validated.get(msg)
    if (alert == null) return // not one of our validated topics
    validated.delete(msg)
    stats.delivered++
    const event: AlertEvent = { alert, envelope: msg.data, from: propagationSource.toString(), receivedAtMs: clock.now() }
    // gossipsub dispatches this event synchronously BEFORE it forwards the message to its
    // mesh peers (handleReceivedMessage), so whatever the handlers do synchronously (the
    // daemon's intake, persistence) would delay every hop after us. A microtask runs them
    // right after the forward (whose sends are synchronous down to the socket writes), in
    // arrival order and in subscription order. Not after stop().
    queueMicrotask(() => {
      if (!started) return
      for (const h of alertHandlers) {
        try { h(event) } catch (e) { logger?.warn({ err: (e as Error).message }, 'onAlert handler threw') }
      }
    })
  }

  const onSubscriptionChange = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    const id = evt.detail.peerId.toString()
    let set = peerCommunities.get(id)
    for (const { topic, subscribe } of evt.detail.subscriptions) {
      const c = communityFromTopic(topic)
      if (c == null) continue
      if (subscribe) {
        if (set == null) peerCommunities.set(id, set = new Set())
        set.add(c)
      } else {
        set?.delete(c)
      }
    }
  }

  const onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    peerCommunities.delete(evt.detail.toString())
  }

  const attach = (community: string): void => {
    if (gs == null) return
    const topic = communityTopic(community)
    gs.score.params.topics[topic] ??= toTopicScoreParams(scoreParams)
    gs.topicValidators.set(topic, validator)
    gs.subscribe(topic)
  }

  const detach = (community: string): void => {
    if (gs == null) return
    const topic = communityTopic(community)
    gs.unsubscribe(topic)
    gs.topicValidators.delete(topic)
  }

  const isConnectedTo = (addr: Multiaddr): boolean => {
    if (node == null) return false
    const key = addr.toString()
    const id = peerIdOf(addr) ?? bootstrapPeerOf.get(key)
    if (id != null) return node.getConnections().some((c) => c.remotePeer.toString() === id)
    return false
  }

  const dialOnce = async (addr: Multiaddr): Promise<void> => {
    const key = addr.toString()
    if (node == null || dialsInFlight.has(key) || peerIdOf(addr) === peerId || isConnectedTo(addr)) return
    dialsInFlight.add(key)
    const controller = new AbortController()
    const timer = clock.setTimeout(() => { controller.abort() }, dialTimeoutMs)
    try {
      const conn = await node.dial(addr, { signal: controller.signal })
      bootstrapPeerOf.set(key, conn.remotePeer.toString())
    } catch (e) {
      logger?.debug?.({ addr: key, err: (e as Error).message }, 'bootstrap dial failed')
    } finally {
      clock.clearTimeout(timer)
      dialsInFlight.delete(key)
    }
  }

  const redialBootstrap = (): void => {
    for (const addr of bootstrapAddrs) void dialOnce(addr)
  }

  const onDiscovery = (evt: CustomEvent<{ id: PeerId, multiaddrs: Multiaddr[] }>): void => {
    // only mDNS discovers peers here; dial them while we have few connections
    if (node == null || init.mdns !== true) return
    const id = evt.detail.id
    if (node.getConnections(id).length > 0 || node.getConnections().length >= MAX_DISCOVERY_DIAL_CONNECTIONS) return
    node.dial(id).catch((e: unknown) => logger?.debug?.({ peer: id.toString(), err: (e as Error).message }, 'discovered peer dial failed'))
  }

  const build = async (): Promise<void> => {
    // P5: read on every (cached) score computation; a throwing or non-finite hook counts as 0
    // so that it can never break gossipsub's heartbeat
    const peerScoreParams = toPeerScoreParams(scoreParams, [...communities].map(communityTopic), (p) => {
      try {
        const v = appScore(p)
        return Number.isFinite(v) ? v : 0
      } catch (e) {
        logger?.warn({ peer: p, err: (e as Error).message }, 'application score function threw')
        return 0
      }
    })
    node = await createLibp2p({
      start: false,
      privateKey,
      addresses: { listen: init.listen, ...(init.announce != null ? { announce: init.announce } : {}) },
      transports: transport === 'tcp' ? [tcp()] : [memory()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionMonitor: { pingInterval: CONNECTION_PING_INTERVAL_MS },
      peerDiscovery: init.mdns === true ? [mdns()] : [],
      ...(init.metrics != null ? { metrics: init.metrics } : {}),
      services: {
        identify: identify(),
        pubsub: gossipsub({
          globalSignaturePolicy: StrictNoSign,
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          heartbeatInterval: heartbeatIntervalMs,
          // no fastMsgIdFn: with nothing to verify before the id, a second digest of the same bytes would only add a hash per first receipt
          msgIdFn: (msg) => alertMessageId(msg.data),
          // the id as a map key: gossipsub's default goes through multiformats' JavaScript base64 (~1.5% of a relay's CPU in bench/mesh.ts)
          msgIdToStrFn: (id) => Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('base64'),
          maxInboundDataLength: MAX_INBOUND_DATA_BYTES,
          idontwantMinDataSize: IDONTWANT_MIN_DATA_BYTES,
          scoreParams: peerScoreParams,
          scoreThresholds: toPeerScoreThresholds(scoreParams)
        }) as any
      }
    }) as unknown as Libp2p<{ pubsub: GossipSub, identify: unknown }>
    gs = node.services.pubsub as unknown as GossipSubInternals
  }

  const detachListeners = (n: NonNullable<typeof node>, g: GossipSubInternals): void => {
    g.removeEventListener('gossipsub:message', onGossipMessage)
    g.removeEventListener('subscription-change', onSubscriptionChange)
    n.removeEventListener('peer:disconnect', onPeerDisconnect)
    n.removeEventListener('peer:discovery', onDiscovery)
  }

  const doStart = async (): Promise<void> => {
    if (node == null) await build()
    const n = node!
    const g = gs!
    g.addEventListener('gossipsub:message', onGossipMessage)
    g.addEventListener('subscription-change', onSubscriptionChange)
    n.addEventListener('peer:disconnect', onPeerDisconnect)
    n.addEventListener('peer:discovery', onDiscovery)
    try {
      await n.start()
    } catch (e) {
      // leave nothing behind: the next start() builds a fresh node
      detachListeners(n, g)
      await Promise.resolve(n.stop()).catch(() => {})
      node = null
      gs = null
      const err = e as Error
      if (err.name === 'UnsupportedListenAddressesError' || /listen/i.test(err.message)) {
        throw new MeshListenError(init.listen, err.message.replace(/\s+/g, ' ').trim())
      }
      throw e
    }
    for (const c of communities) attach(c)
    started = true
    redialBootstrap()
    redialTimer = clock.setInterval(redialBootstrap, redialIntervalMs)
    logger?.info({ peerId, addresses: mesh.addresses(), communities: [...communities] }, 'mesh started')
  }

  const mesh: Libp2pMesh = {
    peerId,
    get libp2p () { return node },

    start: async () => {
      if (started) return
      starting ??= doStart().finally(() => { starting = null })
      await starting
    },

    stop: async () => {
      if (starting != null) await starting.catch(() => {})
      if (!started || node == null) return
      started = false
      if (redialTimer != null) clock.clearInterval(redialTimer)
      redialTimer = null
      const n = node
      detachListeners(n, gs!)
      await n.stop()
      peerCommunities.clear()
      // a stopped libp2p node is rebuilt on the next start (fresh gossipsub state)
      node = null
      gs = null
      logger?.info({ peerId }, 'mesh stopped')
    },

    subscribe: (community) => {
      assertValidCommunity(community)
      if (communities.has(community)) return
      communities.add(community)
      if (started) attach(community)
    },

    unsubscribe: (community) => {
      assertValidCommunity(community)
      if (!communities.delete(community)) return
      if (started) detach(community)
    },

    communities: () => [...communities].sort(),

    publish: async (draft: AlertDraft) => {
      assertValidCommunity(draft.community)
      if (!started || gs == null) throw new MeshNotStartedError('publish')
      const seq = await seqStore.next()
      const nowMs = clock.now()
      const alert = createAlert(draft, { origin: peerId, seq, nowMs })
      const envelope = await signAlert(alert, privateKey)
      // gossipsub does not run topic validators on our own messages: run ours first
      const own = await validateAlert(envelope, { nowMs, replay, params: validationParams })
      if (own.action !== 'accept') throw new AlertRejectedError(own.reason != null ? `${own.code}: ${own.reason}` : own.code)
      const sent = own.alert ?? alert
      replay.record(sent)
      await gs.publish(communityTopic(draft.community), envelope, { allowPublishToZeroTopicPeers: true })
      stats.published++
      const event: AlertEvent = { alert: sent, envelope, from: peerId, receivedAtMs: nowMs }
      for (const h of publishedHandlers) {
        try { h(event) } catch (e) { logger?.warn({ err: (e as Error).message }, 'onPublished handler threw') }
      }
      return event
    },

    deliver: (event) => {
      if (!started) return
      stats.delivered++
      for (const h of alertHandlers) {
        try { h(event) } catch (e) { logger?.warn({ err: (e as Error).message }, 'onAlert handler threw') }
      }
    },

    onPublished: (handler) => {
      publishedHandlers.add(handler)
      return () => { publishedHandlers.delete(handler) }
    },

    onAlert: (handler) => {
      alertHandlers.add(handler)
      return () => { alertHandlers.delete(handler) }
    },

    onReject: (handler) => {
      rejectHandlers.add(handler)
      return () => { rejectHandlers.delete(handler) }
    },

    peers: () => {
      if (gs == null) return []
      const g = gs
      const inMesh = new Set<string>()
      for (const c of communities) for (const p of g.getMeshPeers(communityTopic(c))) inMesh.add(p)
      return g.getPeers().map((p): MeshPeer => {
        const id = p.toString()
        return {
          id,
          communities: [...(peerCommunities.get(id) ?? [])].sort(),
          gossipsubScore: g.getScore(id),
          inMesh: inMesh.has(id)
        }
      })
    },

    setApplicationScore: (fn) => { appScore = fn },

    addresses: () => {
      if (node == null) return []
      return node.getMultiaddrs().map((ma) => {
        const s = ma.toString()
        return s.includes('/p2p/') ? s : `${s}/p2p/${peerId}`
      })
    },

    meshPeers: (community) => gs?.getMeshPeers(communityTopic(community)) ?? [],
    score: (id) => gs?.getScore(id) ?? 0,
    connect: async (address) => {
      if (node == null || !started) throw new MeshNotStartedError('connect')
      const [addr] = parseAddrs('address', [address])
      const controller = new AbortController()
      const timer = clock.setTimeout(() => { controller.abort() }, dialTimeoutMs)
      try {
        await node.dial(addr, { signal: controller.signal })
      } finally {
        clock.clearTimeout(timer)
      }
    },
    connectedPeers: () => node == null ? [] : [...new Set(node.getConnections().map((c) => c.remotePeer.toString()))],
    stats: () => ({ ...stats, rejected: { ...stats.rejected }, ignored: { ...stats.ignored } }),
    scoreDump: () => gs?.dumpPeerScoreStats() ?? {}
  }
  return mesh
}
