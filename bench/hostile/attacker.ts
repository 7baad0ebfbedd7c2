/**
 * The attacking peers of the red-team suite, in their own process (a real
 * attacker does not share the victim's nor the measuring client's event
 * loop): `n` mesh identities built on the project's own protocol code
 * (test/e2e/support/mesh-peer.ts), driven by the bench over IPC.
 *
 *   fork('bench/hostile/attacker.ts', [JSON.stringify({ bootstrap, identities })], { execArgv: ['--import', 'tsx'] })
 *   → { type: 'ready', peerIds }
 *   ← { id, op: 'publish', who, draft }                       → { id, ok, error? }
 *   ← { id, op: 'flood', who, durationMs, concurrency, context } → { id, ok, sent, failed }
 *   ← { id, op: 'stop' }                                       → { id, ok } and exit
 * Every flood is bounded by its durationMs; the process exits when its parent goes away.
 */
import { performance } from 'node:perf_hooks'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { anomalyAlert, startMeshPeer } from '../../test/e2e/support/mesh-peer.js'
import type { MeshPeer } from '../../test/e2e/support/mesh-peer.js'
import type { AlertDraft } from '../../protocol/alert/types.js'

interface Init { bootstrap: string[], identities: number, community: string }
type Command =
  | { id: number, op: 'publish', who: number, draft: AlertDraft }
  | { id: number, op: 'flood', who: number, durationMs: number, concurrency: number, context: string }
  | { id: number, op: 'stop' }

const init = JSON.parse(process.argv[2] ?? '{}') as Init
const peers: MeshPeer[] = []
for (let i = 0; i < init.identities; i++) peers.push(await startMeshPeer({ bootstrap: init.bootstrap, communities: [init.community] }))
const send = (m: unknown): void => { process.send?.(m) }
process.on('disconnect', () => { void Promise.allSettled(peers.map(async (p) => { await p.stop() })).then(() => process.exit(0)) })

process.on('message', (raw) => {
  const c = raw as Command
  void (async () => {
    try {
      if (c.op === 'publish') {
        await peers[c.who].publish(c.draft)
        send({ id: c.id, ok: true })
      } else if (c.op === 'flood') {
        const peer = peers[c.who]
        let sent = 0
        let failed = 0
        const deadline = performance.now() + c.durationMs
        await Promise.all(Array.from({ length: c.concurrency }, async () => {
          while (performance.now() < deadline) {
            try { await peer.publish(anomalyAlert(init.community, c.context, [], sent++)) } catch { failed++ }
            // signing and publishing resolve in microtasks: let the sockets drain
            await yieldToLoop()
          }
        }))
        send({ id: c.id, ok: true, sent, failed })
      } else if (c.op === 'stop') {
        await Promise.allSettled(peers.map(async (p) => { await p.stop() }))
        send({ id: c.id, ok: true })
        process.exit(0)
      }
    } catch (err) {
      send({ id: c.id, ok: false, error: (err as Error).message })
    }
  })()
})
send({ type: 'ready', peerIds: peers.map((p) => p.peerId) })
