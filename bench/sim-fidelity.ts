/**
 * Simulator fidelity: one small scenario, a signed alert delivered by real
 * libp2p nodes in one process (memory transport, the real protocol/mesh code)
 * and by the simulator on the same topology, calibrated to that transport
 * (sim/fidelity/fidelity.ts explains the model and the calibration).
 *
 *   npm run bench -- sim-fidelity            # 50 nodes, 20 alerts (10 calibrate, 10 compare)
 *   npm run bench -- sim-fidelity 30 16      # nodes, alerts
 *
 * Prints {"bench":"sim-fidelity","ksDistance":…,"ksTolerance":0.2,"withinTolerance":…,
 * "curve":{"tMs":[…],"real":[…],"sim":[…]}, …}: both delivery curves (share of
 * (alert, node) receipts done by t), their Kolmogorov–Smirnov distance, the
 * hop-count distributions, and the calibrated per-receipt CPU cost.
 */
import { cpus, loadavg } from 'node:os'
import { runFidelityCheck } from '../sim/fidelity/fidelity.js'
import { printResult } from './lib.js'

const nodes = Number(process.argv[2] ?? 50)
const alerts = Number(process.argv[3] ?? 20)
if (!Number.isInteger(nodes) || nodes < 3 || nodes > 200 || !Number.isInteger(alerts) || alerts < 2 || alerts > 200) {
  process.stderr.write('usage: npm run bench -- sim-fidelity [nodes 3..200] [alerts 2..200]\n')
  process.exit(2)
}
const load1 = loadavg()[0]
const r = await runFidelityCheck({ nodes, alerts, seed: 0x51f1, heartbeatMs: 100, spacingMs: 300, repetitions: 30 })
process.stderr.write(`sim-fidelity: KS ${r.ksDistance} (tolerance ${r.ksTolerance}), hop TV ${r.hops.tvDistance}, cost ${r.model.costMs} ms/receipt, real p50/p99 ${r.real.p50Ms}/${r.real.p99Ms} ms, sim ${r.sim.p50Ms}/${r.sim.p99Ms} ms\n`)
printResult({ bench: 'sim-fidelity', loadAvg1mBefore: Math.round(load1 * 100) / 100, loadAvg1mAfter: Math.round(loadavg()[0] * 100) / 100, cpus: cpus().length, ...r })
process.exit(0)
