/**
 * Issue 11 (status and logs), real daemons on 127.0.0.1: a peer connecting
 * and disconnecting is logged on both sides; an empty `--bootstrap ""` and an
 * unreachable bootstrap peer are warnings, not silence; a context that
 * starts guarding is logged.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { createDaemonPool } from './support/daemon.js'
import { postJson, waitFor } from './support/http.js'

const pool = createDaemonPool()
afterAll(async () => { await pool.cleanup() })

/** A 127.0.0.1 port with nothing listening on it (bound, then closed). */
async function closedPort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

const logged = (logs: Array<Record<string, unknown>>, msg: RegExp): Array<Record<string, unknown>> => logs.filter((l) => typeof l.msg === 'string' && msg.test(l.msg))

describe('peer and bootstrap logs', () => {
  it('peer connected / disconnected on both sides; an unreachable bootstrap peer is a warning naming it', async () => {
    const a = await pool.start({ name: 'logs-a', args: ['--bootstrap', ''] })
    await waitFor('the empty --bootstrap warning', () => logged(a.logs(), /--bootstrap was given but empty/).length > 0, { timeoutMs: 10_000 })
    expect(logged(a.logs(), /--bootstrap was given but empty/)[0].level).toBe(40)
    const port = await closedPort()
    // a peer id nobody has, at a port where nothing listens
    const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const dead = `/ip4/127.0.0.1/tcp/${port}/p2p/${nobody}`
    const b = await pool.start({ name: 'logs-b', args: ['--bootstrap', `${a.addresses[0]},${dead}`] })
    await waitFor('B: peer connected', () => logged(b.logs(), /^peer connected$/).some((l) => l.peer === a.peerId), { timeoutMs: 20_000 })
    await waitFor('A: peer connected', () => logged(a.logs(), /^peer connected$/).some((l) => l.peer === b.peerId), { timeoutMs: 20_000 })
    const warn = await waitFor('B: the unreachable bootstrap warning', () => logged(b.logs(), /is unreachable: retrying every/)[0], { timeoutMs: 30_000 })
    expect(warn).toMatchObject({ level: 40, addr: dead })
    await b.stop()
    await waitFor('A: peer disconnected', () => logged(a.logs(), /^peer disconnected$/).some((l) => l.peer === b.peerId), { timeoutMs: 20_000 })
  })

  it('a context that starts guarding is logged, on the timer once its learning time is up', async () => {
    const n = await pool.start({ name: 'logs-phase', config: { learning: { minObservations: 5, minDurationSec: 2, minSources: 1 } } })
    const items = Array.from({ length: 8 }, (_, i) => ({ kind: 'http', method: 'GET', path: '/phase', query: `id=${i + 1}`, source: `192.0.2.${i + 1}` }))
    const r = await postJson(n.apiUrl, '/v1/observe', items)
    expect(r.status).toBe(200)
    // no further request: the timer switches it
    const rec = await waitFor('the guarding log line', () => logged(n.logs(), /^context get \/phase is guarding/)[0], { timeoutMs: 20_000 })
    expect(rec).toMatchObject({ context: 'get /phase', phase: 'guarding' })
  })
})
