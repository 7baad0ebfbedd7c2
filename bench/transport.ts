/**
 * The libp2p transport alone: two nodes in this process over TCP on 127.0.0.1
 * (Noise, yamux, as protocol/mesh uses them), one stream, COUNT messages of
 * SIZE bytes written one per macrotask (as gossip sends them: each message its
 * own frame, nothing to coalesce), read on the other side. Prints the CPU of
 * both ends per message. This is the figure behind the transport patches in
 * patches/ (docs/upstream-transport.md): run it with and without them
 * (`npx patch-package --reverse` / `npx patch-package`).
 *
 *   npm run bench -- transport [count=20000] [size=600]
 */
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { printResult } from './lib.js'

const COUNT = Number(process.argv[2] ?? 20_000)
const SIZE = Number(process.argv[3] ?? 600)
const WARMUP = 500
if (!Number.isInteger(COUNT) || COUNT <= WARMUP || !Number.isInteger(SIZE) || SIZE < 1 || SIZE > 65_536) {
  process.stderr.write(`usage: npm run bench -- transport [count > ${WARMUP}] [size 1..65536]\n`)
  process.exit(2)
}

const make = async (): Promise<Awaited<ReturnType<typeof createLibp2p>>> => await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionMonitor: { enabled: false }
})
const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

const a = await make()
const b = await make()
try {
  let received = 0
  await b.handle('/immune-bench/transport/1', (stream) => {
    stream.addEventListener('message', (e) => { received += e.data.byteLength })
  })
  const stream = await a.dialProtocol(b.getMultiaddrs()[0], '/immune-bench/transport/1')
  const message = new Uint8Array(SIZE).fill(0x61)
  for (let i = 0; i < WARMUP; i++) { stream.send(message); await tick() }
  while (received < WARMUP * SIZE) await new Promise((resolve) => setTimeout(resolve, 5))

  const measured = COUNT - WARMUP
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < measured; i++) { stream.send(message); await tick() }
  while (received < COUNT * SIZE) await tick()
  const cpu = process.cpuUsage(cpu0)
  const wallMs = performance.now() - t0
  printResult({
    bench: 'transport',
    messages: measured,
    size: SIZE,
    cpuUsPerMessage: Math.round((cpu.user + cpu.system) / measured * 10) / 10,
    messagesPerWallSec: Math.round(measured / (wallMs / 1000)),
    cpus: cpus().length
  })
} finally {
  await a.stop()
  await b.stop()
}
