import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub, StrictNoSign, StrictSign } from '@libp2p/gossipsub'
import { RecordEnvelope } from '@libp2p/peer-record'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { createAlert, encodeAlert, signAlert } from '../../../protocol/alert/index.js'
import { sealRaw } from '../alert/fixtures.js'
import { alertMessageId } from '../../../protocol/mesh/libp2p-mesh.js'
import { defaultMeshScoreParams } from '../../../protocol/mesh/score-params.js'
import { communityTopic } from '../../../protocol/mesh/topics.js'
import { COMMUNITY, draft, heartbeats, startNode, stopAll, TEST_HEARTBEAT_MS, waitFor } from './helpers.js'
import type { AlertEvent, RejectEvent } from '../../../protocol/mesh/mesh.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { PrivateKey } from '@libp2p/interface'

/**
 * A plain libp2p + gossipsub node that publishes whatever bytes it is given:
 * no alert validation at all. By default it speaks the mesh's gossipsub
 * settings (StrictNoSign, message id = SHA-256 of the data); `StrictSign`
 * makes it sign its gossipsub messages as an old or foreign node would.
 */
async function rawGossipNode (privateKey: PrivateKey, signaturePolicy: typeof StrictNoSign | typeof StrictSign = StrictNoSign): Promise<{ pubsub: GossipSub, dial: (a: string) => Promise<void>, stop: () => Promise<void> }> {
  const node = await createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: signaturePolicy,
        allowPublishToZeroTopicPeers: true,
        heartbeatInterval: TEST_HEARTBEAT_MS,
        ...(signaturePolicy === StrictNoSign ? { msgIdFn: (msg: { data: Uint8Array }) => alertMessageId(msg.data) } : {})
      }) as any
    }
  })
  const pubsub = node.services.pubsub as unknown as GossipSub
  return {
    pubsub,
    dial: async (a) => { await node.dial(multiaddr(a)) },
    stop: async () => { await node.stop() }
  }
}

describe('gossipsub peer scores on the alert mesh', () => {
  const nodes: Array<{ stop: () => Promise<void> }> = []
  afterEach(async () => { await stopAll(nodes) })

  it('a peer that keeps publishing invalid alerts is refused with the right code, goes negative and loses its mesh slot', async () => {
    const a = await startNode()
    nodes.push(a)
    const b = await startNode({ bootstrap: a.addresses() })
    nodes.push(b)
    const badKey = await generateKeyPair('Ed25519')
    const badId = peerIdFromPrivateKey(badKey).toString()
    const bad = await rawGossipNode(badKey)
    nodes.push(bad)
    const topic = communityTopic(COMMUNITY)
    bad.pubsub.subscribe(topic)
    await bad.dial(a.addresses()[0])

    const rejects: RejectEvent[] = []
    a.onReject((e) => rejects.push(e))
    const delivered: AlertEvent[] = []
    a.onAlert((e) => delivered.push(e))
    expect(await waitFor(() => a.meshPeers(COMMUNITY).includes(badId) && a.meshPeers(COMMUNITY).includes(b.peerId))).toBe(true)
    expect(await waitFor(() => bad.pubsub.getSubscribers(topic).map(String).includes(a.peerId))).toBe(true)
    expect(a.score(badId)).toBeGreaterThanOrEqual(0)

    // 1) a genuine alert of the bad node's own key, with its signature tampered (last byte flipped)
    // 2) bytes that are not an alert envelope at all
    let seq = 1n
    const tampered = async (): Promise<Uint8Array> => {
      const alert = createAlert(draft(COMMUNITY, Number(seq)), { origin: badId, seq: seq++, nowMs: Date.now() })
      const env = await signAlert(alert, badKey)
      const copy = new Uint8Array(env)
      copy[copy.length - 1] ^= 0xff
      return copy
    }
    const sends: Array<[() => Promise<Uint8Array>, string]> = [
      [tampered, 'bad-signature'],
      [async () => new TextEncoder().encode(`not an alert ${seq++}`), 'malformed'],
      [tampered, 'bad-signature']
    ]
    for (const [make, code] of sends) {
      const before = rejects.length
      const { recipients } = await bad.pubsub.publish(topic, await make())
      expect(recipients.map(String), 'the raw node sent it to a').toContain(a.peerId)
      expect(await waitFor(() => rejects.length > before), `reject for ${code}`).toBe(true)
      const e = rejects[rejects.length - 1]
      expect(e).toMatchObject({ from: badId, community: COMMUNITY, action: 'reject', code })
    }
    expect(a.stats().rejected).toEqual({ 'bad-signature': 2, malformed: 1 })

    // P4 (-10·n²) makes the score negative; the next heartbeat prunes the peer
    // (scores are cached for one heartbeat, so poll rather than read once)
    expect(await waitFor(() => a.score(badId) < 0 && !a.meshPeers(COMMUNITY).includes(badId))).toBe(true)
    expect(await waitFor(() => a.score(badId) < defaultMeshScoreParams.gossipThreshold)).toBe(true)
    expect(a.peers().find((p) => p.id === badId)?.inMesh).toBe(false)
    // the honest peer keeps its slot, and nothing invalid was delivered or forwarded
    expect(a.meshPeers(COMMUNITY)).toContain(b.peerId)
    expect(delivered).toHaveLength(0)
    expect(b.stats().rejected).toEqual({})

    // one more invalid alert graylists it (score below -100: its RPCs are dropped unread)
    await bad.pubsub.publish(topic, await tampered())
    expect(await waitFor(() => a.score(badId) < defaultMeshScoreParams.graylistThreshold)).toBe(true)

    // honest traffic still flows
    const got: AlertEvent[] = []
    b.onAlert((e) => got.push(e))
    await a.publish(draft(COMMUNITY, 99))
    expect(await waitFor(() => got.length === 1)).toBe(true)
  })

  it('maps validation outcomes: a relay forwards alerts under their origin but cannot publish under anyone else\'s name; duplicates and replays are ignored (no penalty), forgeries rejected (P4)', async () => {
    const a = await startNode()
    nodes.push(a)
    const xKey = await generateKeyPair('Ed25519')
    const xId = peerIdFromPrivateKey(xKey).toString()
    const x = await rawGossipNode(xKey)
    nodes.push(x)
    const vKey = await generateKeyPair('Ed25519')
    const vId = peerIdFromPrivateKey(vKey).toString()
    const v = await rawGossipNode(vKey)
    nodes.push(v)
    const topic = communityTopic(COMMUNITY)
    for (const raw of [x, v]) {
      raw.pubsub.subscribe(topic)
      await raw.dial(a.addresses()[0])
    }
    const delivered: AlertEvent[] = []
    a.onAlert((e) => delivered.push(e))
    const rejects: RejectEvent[] = []
    a.onReject((e) => rejects.push(e))
    expect(await waitFor(() => a.meshPeers(COMMUNITY).includes(xId) && a.meshPeers(COMMUNITY).includes(vId))).toBe(true)
    expect(await waitFor(() => [x, v].every((raw) => raw.pubsub.getSubscribers(topic).map(String).includes(a.peerId)))).toBe(true)

    const now = Date.now()
    const first = createAlert(draft(), { origin: xId, seq: 10n, nowMs: now })
    const victimsAlert = createAlert(draft(COMMUNITY, 2), { origin: vId, seq: 1n, nowMs: now })
    const victims = await signAlert(victimsAlert, vKey)
    const victimsEnvelope = RecordEnvelope.createFromProtobuf(victims)
    const xEnvelope = RecordEnvelope.createFromProtobuf(await signAlert(createAlert(draft(COMMUNITY, 4), { origin: xId, seq: 13n, nowMs: now }), xKey))
    const sends: Array<{ by: typeof x, bytes: Uint8Array, outcome: string, from?: string }> = [
      { by: x, bytes: await signAlert(first, xKey), outcome: 'delivered' },
      // same alert id again under a new seq: already accepted
      { by: x, bytes: await signAlert({ ...first, seq: 11n }, xKey), outcome: 'duplicate' },
      // a new id with a seq already seen from this origin
      { by: x, bytes: await signAlert(createAlert(draft(COMMUNITY, 1), { origin: xId, seq: 10n, nowMs: now }), xKey), outcome: 'replay' },
      // x relays v's genuine alert: delivered as v's (the envelope names v and v signed it), x is only the hop
      { by: x, bytes: victims, outcome: 'delivered', from: xId },
      // x publishes an alert of its own making under v's name, signed with its own key
      { by: x, bytes: await sealRaw(xKey, encodeAlert(createAlert(draft(COMMUNITY, 5), { origin: vId, seq: 2n, nowMs: now }))), outcome: 'origin-mismatch' },
      // ...or v's own payload, re-signed with x's key
      { by: x, bytes: await sealRaw(xKey, victimsEnvelope.payload), outcome: 'origin-mismatch' },
      // ...or x's payload with v's key put in the envelope (the signature is x's)
      { by: x, bytes: new RecordEnvelope({ ...xEnvelope, publicKey: victimsEnvelope.publicKey }).marshal(), outcome: 'bad-signature' },
      // ...or v's genuine envelope re-framed (an extra field) to get a new message id for it
      { by: x, bytes: Uint8Array.from([...victims, 0x30, 0x01]), outcome: 'malformed' },
      // x's own alert for another community, sent on this community's topic
      { by: x, bytes: await signAlert(createAlert(draft('other-app', 3), { origin: xId, seq: 12n, nowMs: now }), xKey), outcome: 'community-mismatch' }
    ]
    for (const { by, bytes, outcome, from } of sends) {
      const before = delivered.length + rejects.length
      await by.pubsub.publish(topic, bytes)
      expect(await waitFor(() => delivered.length + rejects.length > before), outcome).toBe(true)
      if (outcome === 'delivered') {
        const got = delivered[delivered.length - 1]
        expect(Buffer.from(got.envelope).equals(Buffer.from(bytes))).toBe(true)
        if (from != null) expect(got.from).toBe(from)
      } else {
        expect(rejects[rejects.length - 1]).toMatchObject({ code: outcome, from: xId })
      }
    }
    // v publishing its own alert now: the same bytes, so the same message id: gossipsub drops the copy unvalidated
    // (v itself may already have it, relayed back by a: then its gossipsub refuses to publish a duplicate)
    await v.pubsub.publish(topic, victims).catch((e: Error) => { if (!/Duplicate/.test(e.message)) throw e })
    const later = await signAlert(createAlert(draft(COMMUNITY, 6), { origin: vId, seq: 3n, nowMs: now }), vKey)
    await v.pubsub.publish(topic, later)
    expect(await waitFor(() => delivered.some((e) => Buffer.from(e.envelope).equals(Buffer.from(later))))).toBe(true)
    expect(delivered.map((e) => e.alert.origin)).toEqual([xId, vId, vId])
    expect(delivered[1].alert).toEqual(victimsAlert)
    expect(a.stats()).toMatchObject({
      delivered: 3,
      ignored: { duplicate: 1, replay: 1 },
      rejected: { 'origin-mismatch': 2, 'bad-signature': 1, malformed: 1, 'community-mismatch': 1 }
    })
    expect(rejects.filter((e) => e.action === 'ignore').map((e) => e.code).sort()).toEqual(['duplicate', 'replay'])
    // the forger pays for its forgeries (P4, -10·n²); ignored alerts cost nothing, and v did nothing wrong
    expect(await waitFor(() => a.score(xId) < 0)).toBe(true)
    expect(a.score(vId)).toBeGreaterThanOrEqual(0)
  })

  it('a peer that signs its gossipsub messages (StrictSign) is refused by gossipsub itself and penalised', async () => {
    const a = await startNode()
    nodes.push(a)
    const sKey = await generateKeyPair('Ed25519')
    const sId = peerIdFromPrivateKey(sKey).toString()
    const signer = await rawGossipNode(sKey, StrictSign)
    nodes.push(signer)
    const topic = communityTopic(COMMUNITY)
    signer.pubsub.subscribe(topic)
    await signer.dial(a.addresses()[0])
    const delivered: AlertEvent[] = []
    a.onAlert((e) => delivered.push(e))
    expect(await waitFor(() => signer.pubsub.getSubscribers(topic).map(String).includes(a.peerId))).toBe(true)
    // a genuine alert of its own, but in a signed gossipsub message: gossipsub refuses it before our validator runs
    for (let i = 0; i < 2; i++) {
      await signer.pubsub.publish(topic, await signAlert(createAlert(draft(COMMUNITY, 20 + i), { origin: sId, seq: BigInt(i + 1), nowMs: Date.now() }), sKey))
    }
    expect(await waitFor(() => a.score(sId) < 0)).toBe(true)
    expect(delivered).toHaveLength(0)
    expect(a.stats().rejected).toEqual({})
  })

  it('a negative application score (P5) gets a peer pruned from the mesh', async () => {
    const a = await startNode()
    nodes.push(a)
    const b = await startNode({ bootstrap: a.addresses() })
    nodes.push(b)
    const c = await startNode({ bootstrap: a.addresses() })
    nodes.push(c)
    expect(await waitFor(() => a.meshPeers(COMMUNITY).includes(b.peerId) && a.meshPeers(COMMUNITY).includes(c.peerId))).toBe(true)

    a.setApplicationScore((peer) => peer === b.peerId ? -20 : 0)
    expect(await waitFor(() => !a.meshPeers(COMMUNITY).includes(b.peerId))).toBe(true)
    expect(a.score(b.peerId)).toBeLessThan(0)
    expect(a.peers().find((p) => p.id === b.peerId)).toMatchObject({ inMesh: false })
    expect(a.meshPeers(COMMUNITY)).toContain(c.peerId)
    // below gossipThreshold (-10) the peer is also left out of gossip, and it is not grafted back in five heartbeats (grafting happens in them)
    await heartbeats([a], 5)
    expect(a.meshPeers(COMMUNITY)).not.toContain(b.peerId)
  })
})
