/**
 * Attacks on a node through the mesh (issue 15 items 1, 3, 4), each by peers
 * built on the project's own protocol code (test/e2e/support/mesh-peer.ts:
 * real libp2p gossipsub on 127.0.0.1, valid signed alerts), against a real
 * victim daemon.
 */
import { performance } from 'node:perf_hooks'
import { startMeshPeer, anomalyAlert } from '../../test/e2e/support/mesh-peer.js'
import type { MeshPeer } from '../../test/e2e/support/mesh-peer.js'
import type { RunningDaemon } from '../../test/e2e/support/daemon.js'
import { graylistedAfter, report, sleep, startVictim, train, waitFor, watch, getOk } from './harness.js'
import type { Attack, AttackContext, PeerRow } from './harness.js'

const COMMUNITY = 'default'

/** A raw peer connected to the victim (and in its gossipsub mesh). */
async function attackerPeer (victim: RunningDaemon): Promise<MeshPeer> {
  const peer = await startMeshPeer({ bootstrap: [victim.addresses[0]], communities: [COMMUNITY] })
  await waitFor('the attacker in the victim\'s peer list', async () => {
    const peers = await getOk<PeerRow[]>(victim.apiUrl, '/peers')
    return peers.some((p) => p.id === peer.peerId && p.connected)
  }, { timeoutMs: 20_000, intervalMs: 200 })
  return peer
}

/**
 * One fresh peer publishes valid signed alerts as fast as it can (8 in
 * flight) for the attack's duration. Before issue 15: every alert made a
 * full snapshot of reputation, intake and replay guard in a serial write
 * queue (228 MB → 3.4 GB in 5 s) and nothing limited one origin's rate.
 */
const validAlertFlood: Attack = {
  name: 'valid-alert-flood',
  what: 'one fresh peer publishes valid signed alerts as fast as it can',
  run: async (ctx: AttackContext) => {
    const victim = await startVictim(ctx)
    await train(victim, ctx.seed)
    const peer = await attackerPeer(victim)
    const w = watch(victim, { normalPerSec: 20, seed: ctx.seed })
    const t0 = performance.now()
    const graylisted = graylistedAfter(victim, peer.peerId, t0, ctx.durationMs)
    let sent = 0
    let failed = 0
    const deadline = t0 + ctx.durationMs
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (performance.now() < deadline) {
        try {
          await peer.publish(anomalyAlert(COMMUNITY, 'GET /search', [], sent++))
        } catch {
          failed++
          await sleep(10)
        }
      }
    }))
    const after = await graylisted
    const f = await w.stop()
    const st = await getOk<{ alerts?: { received?: number }, intake?: { alerts?: number, accepted?: number } }>(victim.apiUrl, '/status').catch(() => null)
    await peer.stop()
    await victim.stop()
    return report(validAlertFlood.name, f, after, {
      alertsSent: sent,
      alertsSentPerSec: Math.round(sent / (ctx.durationMs / 1000)),
      publishFailures: failed,
      victimAlertsReceived: st?.alerts?.received ?? null,
      victimAlertsAccepted: st?.intake?.accepted ?? null
    })
  }
}

export const meshAttacks: readonly Attack[] = [validAlertFlood]
