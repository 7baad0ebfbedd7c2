/**
 * Attacks on a node through the mesh (issue 15 items 1, 3, 4), each by peers
 * built on the project's own protocol code (test/e2e/support/mesh-peer.ts:
 * real libp2p gossipsub on 127.0.0.1, valid signed alerts), against a real
 * victim daemon.
 */
import { performance } from 'node:perf_hooks'
import type { RunningDaemon } from '../../test/e2e/support/daemon.js'
import { getOk, graylistedAfter, report, startAttacker, startVictim, train, waitFor, watch } from './harness.js'
import type { Attack, AttackContext, Attacker, PeerRow } from './harness.js'

const COMMUNITY = 'default'

/** Attacking identities (a child process) connected to the victim. */
async function attackers (victim: RunningDaemon, n: number): Promise<Attacker> {
  const a = await startAttacker([victim.addresses[0]], n, COMMUNITY)
  try {
    await waitFor('the attackers in the victim\'s peer list', async () => {
      const peers = await getOk<PeerRow[]>(victim.apiUrl, '/peers')
      return a.peerIds.every((id) => peers.some((p) => p.id === id && p.connected))
    }, { timeoutMs: 30_000, intervalMs: 200 })
  } catch (err) {
    await a.stop()
    throw err
  }
  return a
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
    const attacker = await attackers(victim, 1)
    try {
      const w = watch(victim, { normalPerSec: 20, seed: ctx.seed })
      const t0 = performance.now()
      const graylisted = graylistedAfter(victim, attacker.peerIds[0], t0, ctx.durationMs + 5000)
      const flood = await attacker.flood(0, ctx.durationMs)
      const after = await graylisted
      const f = await w.stop()
      const st = await getOk<{ alerts?: { received?: number }, intake?: { alerts?: number, accepted?: number } }>(victim.apiUrl, '/status').catch(() => null)
      return report(validAlertFlood.name, f, after, {
        alertsSent: flood.sent,
        alertsSentPerSec: Math.round(flood.sent / (ctx.durationMs / 1000)),
        publishFailures: flood.failed,
        victimAlertsReceived: st?.alerts?.received ?? null,
        victimAlertsAccepted: st?.intake?.accepted ?? null
      })
    } finally {
      await attacker.stop()
      await victim.stop()
    }
  }
}

export const meshAttacks: readonly Attack[] = [validAlertFlood]
