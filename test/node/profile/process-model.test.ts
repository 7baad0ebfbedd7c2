import { describe, expect, it } from 'vitest'
import type { ProcessMetrics, ProcessObservation } from '../../../node/observation.js'
import { createPrng } from '../../../core/prng.js'
import type { Prng } from '../../../core/prng.js'
import {
  JOINT_PARAM, createProcessModel, processContextOf, restoreProcessModel
} from '../../../node/profile/process-model.js'
import { createProcessModelParams, defaultProcessModelParams } from '../../../node/profile/process-model-params.js'

const CELL = 'web'
const CONTEXT = processContextOf({ cell: CELL })

/**
 * A web worker at rest: cpu ≈ 2% (gamma-ish bursts), rss ≈ 80 MB, 12 threads,
 * ~40 files, sockets following load, a few kB/s of i/o, no children.
 * `load` in [0, 1] drives cpu, sockets, threads and writes together.
 */
function normalSample (rng: Prng, t: number): ProcessObservation {
  const load = rng.next()
  const metrics: ProcessMetrics = {
    cpuPct: Math.max(0, 1 + 2 * load + 0.5 * rng.nextGaussian()),
    rssBytes: 80e6 * (1 + 0.02 * rng.nextGaussian()),
    threads: 12 + Math.round(4 * load),
    openFiles: 40 + rng.nextInt(5),
    sockets: 10 + Math.round(30 * load + rng.nextGaussian()),
    readBytesPerSec: 2000 * Math.exp(0.5 * rng.nextGaussian()),
    writeBytesPerSec: 1000 * (1 + 3 * load) * Math.exp(0.3 * rng.nextGaussian()),
    children: 0
  }
  return { kind: 'process', time: t, cell: CELL, pid: 1234, metrics }
}

function trained (n = 600, seed = 1): { model: ReturnType<typeof createProcessModel>, rng: Prng } {
  const rng = createPrng(seed)
  const model = createProcessModel(CONTEXT, { seed: 42 })
  for (let i = 0; i < n; i++) model.learn(normalSample(rng, i * 10_000))
  return { model, rng }
}

/** The 99.9th percentile of scores of fresh normal samples. */
function normalCeiling (model: ReturnType<typeof createProcessModel>, rng: Prng): number {
  const scores: number[] = []
  for (let i = 0; i < 1000; i++) scores.push(model.score(normalSample(rng, 1e9 + i)).value)
  scores.sort((a, b) => a - b)
  return scores[Math.floor(0.999 * scores.length)]
}

function withMetrics (base: ProcessObservation, m: Partial<ProcessMetrics>): ProcessObservation {
  return { ...base, metrics: { ...base.metrics, ...m } }
}

describe('process model', () => {
  it('learns a cell and flags a CPU spike, naming cpuPct with observed versus expected', () => {
    const { model, rng } = trained()
    expect(model.count).toBe(600)
    expect(model.context).toBe('process:web')
    expect(model.hasForest).toBe(true)
    const ceiling = normalCeiling(model, rng)
    const spike = withMetrics(normalSample(rng, 2e9), { cpuPct: 97 })
    const s = model.score(spike)
    expect(s.value).toBeGreaterThan(ceiling)
    expect(s.reasons[0].parameter).toBe('cpuPct')
    expect(s.reasons[0].observed).toBeCloseTo(97, 6)
    expect(s.reasons[0].context).toBe(CONTEXT)
    // the expected range is the learned mean ± sd in raw units: cpu ≈ 2 ± 0.8
    const [mean, sd] = s.reasons[0].expected.split(' ± ').map(Number)
    expect(mean).toBeGreaterThan(1.5)
    expect(mean).toBeLessThan(2.5)
    expect(sd).toBeGreaterThan(0.3)
    expect(sd).toBeLessThan(1.5)
    expect(s.reasons[0].surprise).toBeGreaterThan(3)
  })

  it('flags a file-descriptor leak (openFiles) and a burst of child processes (children)', () => {
    const { model, rng } = trained()
    const ceiling = normalCeiling(model, rng)
    const leak = model.score(withMetrics(normalSample(rng, 2e9), { openFiles: 900 }))
    expect(leak.value).toBeGreaterThan(ceiling)
    expect(leak.reasons[0].parameter).toBe('openFiles')
    expect(leak.reasons[0].observed).toBe(900)
    expect(leak.reasons[0].expected).toMatch(/^4\d(\.\d)? ± 1(\.\d+)?$/)
    const burst = model.score(withMetrics(normalSample(rng, 2e9), { children: 25 }))
    expect(burst.value).toBeGreaterThan(ceiling)
    expect(burst.reasons[0].parameter).toBe('children')
    expect(burst.reasons[0].expected).toBe('0 ± 0')
  })

  it('a small ordinary variation is not flagged and scores below the ceiling', () => {
    const { model, rng } = trained()
    const ceiling = normalCeiling(model, rng)
    const s = model.score(withMetrics(normalSample(rng, 2e9), { openFiles: 44, cpuPct: 3 }))
    expect(s.value).toBeLessThanOrEqual(ceiling)
    expect(s.reasons.filter((r) => r.parameter === 'openFiles' || r.parameter === 'cpuPct')).toEqual([])
  })

  it('the correlation term catches a metric that breaks ranks with the metrics it moves with', () => {
    const { model, rng } = trained(1200)
    const ceiling = normalCeiling(model, rng)
    // sockets at the top of their range while load-driven threads, cpu and writes sit at the bottom
    const odd = withMetrics(normalSample(rng, 2e9), { sockets: 40, threads: 12, cpuPct: 1, writeBytesPerSec: 900 })
    const b = model.scoreBreakdown(odd)
    const marginalMax = Math.max(...b.terms.filter((t) => t.term.startsWith('M')).map((t) => t.z))
    expect(marginalMax).toBeLessThan(3)
    const s = model.score(odd)
    expect(s.value).toBeGreaterThan(ceiling)
    expect(s.reasons[0].feature).toBe('correlation')
    expect(s.reasons[0].parameter).toBe('sockets')
    expect(s.reasons[0].observed).toBe(40)
    expect(s.reasons[0].expected).toMatch(/^1\d(\.\d)? ± \d+(\.\d+)? given the other metrics/)
  })

  it('the isolation forest catches a sample in the gap between the modes of a bimodal cell', () => {
    // a batch worker: idle (70%) or busy (30%), nothing in between
    const bimodal = (rng: Prng, t: number): ProcessObservation => {
      const busy = rng.next() < 0.3
      const metrics: ProcessMetrics = busy
        ? {
            cpuPct: 60 + 5 * rng.nextGaussian(), rssBytes: 400e6 * (1 + 0.05 * rng.nextGaussian()), threads: 32, openFiles: 120 + rng.nextInt(10),
            sockets: Math.round(100 + 5 * rng.nextGaussian()), readBytesPerSec: 5e6 * Math.exp(0.3 * rng.nextGaussian()), writeBytesPerSec: 1e6 * Math.exp(0.3 * rng.nextGaussian()), children: 4
          }
        : {
            cpuPct: Math.max(0, 2 + 0.5 * rng.nextGaussian()), rssBytes: 100e6 * (1 + 0.02 * rng.nextGaussian()), threads: 8, openFiles: 30 + rng.nextInt(5),
            sockets: Math.round(5 + rng.nextGaussian()), readBytesPerSec: 1e3 * Math.exp(0.5 * rng.nextGaussian()), writeBytesPerSec: 1e3 * Math.exp(0.3 * rng.nextGaussian()), children: 0
          }
      return { kind: 'process', time: t, cell: 'batch', metrics }
    }
    const rng = createPrng(2)
    const model = createProcessModel('process:batch', { seed: 42 })
    for (let i = 0; i < 1200; i++) model.learn(bimodal(rng, i))
    const scores: number[] = []
    for (let i = 0; i < 1000; i++) scores.push(model.score(bimodal(rng, 1e9 + i)).value)
    scores.sort((a, c) => a - c)
    const p99 = scores[990]
    // half-way between the modes on every metric: each metric and the idle–busy correlation look ordinary
    const gap: ProcessObservation = {
      kind: 'process', time: 2e9, cell: 'batch',
      metrics: { cpuPct: 31, rssBytes: 200e6, threads: 20, openFiles: 75, sockets: 52, readBytesPerSec: 7e4, writeBytesPerSec: 3e4, children: 2 }
    }
    const b = model.scoreBreakdown(gap)
    expect(b.terms.filter((t) => t.term !== 'J1').every((t) => t.p > 0.05)).toBe(true)
    const s = model.score(gap)
    expect(s.value).toBeGreaterThan(p99)
    expect(s.reasons[0].parameter).toBe(JOINT_PARAM)
    expect(s.reasons[0].feature).toBe('isolation')
    expect(s.reasons[0].expected).toContain('most unusual together')
  })

  it('round-trips through JSON: identical scores, and identical after further learning', () => {
    const { model, rng } = trained(700)
    const restored = restoreProcessModel(JSON.parse(JSON.stringify(model)))
    expect(restored.count).toBe(model.count)
    const probes = Array.from({ length: 50 }, (_, i) => normalSample(rng, 3e9 + i))
    probes.push(withMetrics(probes[0], { cpuPct: 90 }), withMetrics(probes[1], { sockets: 45, threads: 12 }))
    for (const p of probes) expect(restored.score(p)).toEqual(model.score(p))
    // both go on learning identically, through the next forest refit
    const more = Array.from({ length: 200 }, (_, i) => normalSample(rng, 4e9 + i))
    for (const o of more) { model.learn(o); restored.learn(o) }
    for (const p of probes) expect(restored.score(p)).toEqual(model.score(p))
    expect(JSON.stringify(restored)).toBe(JSON.stringify(model))
    // the snapshot stores the forest's training rows, not its trees
    expect(JSON.stringify(model).length).toBeLessThan(120_000)
  })

  it('is reproducible: same samples and seed, same scores', () => {
    const a = trained(300, 5)
    const b = trained(300, 5)
    const probe = normalSample(createPrng(77), 0)
    expect(a.model.score(probe)).toEqual(b.model.score(probe))
  })

  it('before learning scores 0; missing metrics are imputed, not learned', () => {
    const model = createProcessModel(CONTEXT)
    const probe = normalSample(createPrng(1), 0)
    expect(model.score(probe)).toEqual({ value: 0, reasons: [] })
    const { model: m2, rng } = trained(200)
    const sample = normalSample(rng, 0)
    const partial = { ...sample, metrics: { ...sample.metrics, cpuPct: Number.NaN } }
    m2.learn(partial)
    expect(m2.count).toBe(201)
    const s = m2.score(partial)
    expect(Number.isFinite(s.value)).toBe(true)
  })

  it('validates params with error codes and refuses corrupt snapshots', () => {
    expect(createProcessModelParams().reservoirSize).toBe(defaultProcessModelParams.reservoirSize)
    expect(createProcessModelParams({ minStd: { cpuPct: 5 } }).minStd.threads).toBe(defaultProcessModelParams.minStd.threads)
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ reservoirSize: 4 }, 'processModel.reservoirSize'],
      [{ transforms: { cpuPct: 'sqrt' } }, 'processModel.transforms.cpuPct'],
      [{ minStd: { openFiles: 0 } }, 'processModel.minStd.openFiles'],
      [{ minStd: { fds: 1 } }, 'processModel.minStd.fds'],
      [{ forest: { numTrees: 0 } }, 'processModel.forest.numTrees'],
      [{ maxCount: 1 }, 'processModel.maxCount'],
      [{ minForestSamples: 4096 }, 'processModel.minForestSamples']
    ]
    for (const [partial, field] of bad) {
      expect(() => createProcessModelParams(partial)).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS', details: expect.objectContaining({ field }) }))
    }
    const json = JSON.parse(JSON.stringify(trained(100).model))
    for (const c of [null, { ...json, kind: 'http' }, { ...json, v: 9 }, { ...json, ring: 'AAAA' }, { ...json, stats: [] }, { ...json, head: 10_000 }]) {
      expect(() => restoreProcessModel(c)).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_PROFILE_FORMAT' }))
    }
  })
})
