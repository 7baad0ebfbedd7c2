import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DataDirLockedError } from '../../../protocol/errors.js'
import { loadOrCreateIdentity } from '../../../protocol/mesh/identity.js'
import { createFileSeqStore } from '../../../protocol/mesh/seq-store.js'
import { COMMUNITY, draft, startNode, stopAll, waitFor } from './helpers.js'
import type { NodeIdentity } from '../../../protocol/mesh/identity.js'
import type { AlertEvent, RejectEvent } from '../../../protocol/mesh/mesh.js'
import type { Libp2pMesh } from '../../../protocol/mesh/libp2p-mesh.js'

describe('a mesh node restarted on its data dir', () => {
  let dir: string
  const nodes: Libp2pMesh[] = []
  const identities: NodeIdentity[] = []
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'immune-restart-')) })
  afterEach(async () => {
    await stopAll(nodes)
    await Promise.allSettled(identities.map(async (i) => { await i.release() }))
    identities.length = 0
    await rm(dir, { recursive: true, force: true })
  })

  const startFromDataDir = async (bootstrap: string[]): Promise<{ identity: NodeIdentity, mesh: Libp2pMesh }> => {
    const identity = await loadOrCreateIdentity(dir)
    identities.push(identity)
    const mesh = await startNode({ privateKey: identity.privateKey, bootstrap, seqStore: await createFileSeqStore(identity.seqPath) })
    nodes.push(mesh)
    return { identity, mesh }
  }

  it('keeps its peer id and never reuses an alert seq; a second node on the same dir is refused', async () => {
    const witness = await startNode()
    nodes.push(witness)
    const got: AlertEvent[] = []
    const refused: RejectEvent[] = []
    witness.onAlert((e) => got.push(e))
    witness.onReject((e) => refused.push(e))

    const first = await startFromDataDir(witness.addresses())
    expect((await stat(first.identity.keyPath)).mode & 0o777).toBe(0o600)
    expect(first.mesh.peerId).toBe(first.identity.peerId)

    // a second node on the same data dir fails before touching anything
    const err = await loadOrCreateIdentity(dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DataDirLockedError)
    expect((err as DataDirLockedError).code).toBe('IMMUNE_ERR_DATA_DIR_LOCKED')

    expect(await waitFor(() => witness.meshPeers(COMMUNITY).includes(first.mesh.peerId))).toBe(true)
    const a1 = await first.mesh.publish(draft(COMMUNITY, 1))
    expect(await waitFor(() => got.length === 1)).toBe(true)

    await first.mesh.stop()
    await first.identity.release()

    const second = await startFromDataDir(witness.addresses())
    expect(second.identity.created).toBe(false)
    expect(second.mesh.peerId).toBe(first.mesh.peerId)
    expect(await waitFor(() => witness.meshPeers(COMMUNITY).includes(second.mesh.peerId))).toBe(true)
    const a2 = await second.mesh.publish(draft(COMMUNITY, 2))
    expect(a2.alert.seq).toBe(a1.alert.seq + 1n) // persisted, not restarted at 1
    // the witness remembers seq a1 for this origin: a reused seq would be ignored as a replay
    expect(await waitFor(() => got.length === 2)).toBe(true)
    expect(got.map((e) => e.alert.seq)).toEqual([a1.alert.seq, a2.alert.seq])
    expect(refused).toEqual([])
  })
})
