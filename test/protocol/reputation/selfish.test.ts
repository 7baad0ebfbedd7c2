import { describe, expect, it } from 'vitest'
import { createPrng } from '../../../core/prng.js'
import { SelfishTracker, baseRate, binomialCdf, createSelfishParams } from '../../../protocol/reputation/index.js'

const T0 = 1_700_000_000_000

/** Uniform floats in [0, 1) from the project's seeded generator, so the simulated reports are reproducible. */
function prng (seed: number): () => number {
  const g = createPrng(seed)
  return () => g.next()
}

function choose (n: number, k: number): number {
  let c = 1
  for (let i = 0; i < k; i++) c = c * (n - i) / (i + 1)
  return c
}

describe('binomial test', () => {
  it('binomialCdf matches the direct sum', () => {
    expect(binomialCdf(0, 5, 0.5)).toBeCloseTo(1 / 32, 15)
    expect(binomialCdf(2, 5, 0.5)).toBeCloseTo(0.5, 15)
    expect(binomialCdf(5, 5, 0.3)).toBe(1)
    expect(binomialCdf(-1, 5, 0.3)).toBe(0)
    expect(binomialCdf(0, 10, 0)).toBe(1)
    expect(binomialCdf(3, 10, 1)).toBe(0)
    const rnd = prng(7)
    for (let i = 0; i < 50; i++) {
      const n = 1 + Math.floor(rnd() * 60)
      const k = Math.floor(rnd() * n)
      const p = 0.01 + rnd() * 0.98
      let direct = 0
      for (let j = 0; j <= k; j++) direct += choose(n, j) * Math.pow(p, j) * Math.pow(1 - p, n - j)
      expect(binomialCdf(k, n, p)).toBeCloseTo(direct, 10)
    }
  })

  it('base rate excludes the peer itself, Laplace-smoothed', () => {
    expect(baseRate(30, 40, 0, 10)).toBeCloseTo(31 / 32, 12)
    expect(baseRate(0, 0, 0, 0)).toBe(0.5)
  })
})

describe('SelfishTracker', () => {
  const quiet = 60_000

  /** One episode: reporters report at t, then time passes beyond the quiet period and the tracker closes it. */
  function runEpisode (tr: SelfishTracker, t: number, key: string, reporters: string[], members: string[]): ReturnType<SelfishTracker['close']> {
    for (const r of reporters) tr.report('shop', key, r, t)
    return tr.close(t + quiet, () => members)
  }

  it('flags a silent peer after minEpisodes and never an active one (seeded simulation)', () => {
    const params = createSelfishParams({ minEpisodes: 5, alpha: 0.01, minOrigins: 2 })
    const tr = new SelfishTracker(params)
    const rnd = prng(42)
    // eight honest peers report an attack they met with probability 0.8; 'lazy' with 0.5; 'silent' never
    const honest = Array.from({ length: 8 }, (_, i) => `honest-${i}`)
    const members = [...honest, 'lazy', 'silent']
    const rates: Record<string, number> = { lazy: 0.5, silent: 0 }
    let flaggedAt = -1
    for (let e = 0; e < 40; e++) {
      const t = T0 + e * 10 * quiet
      const reporters = members.filter(m => rnd() < (rates[m] ?? 0.8))
      const closed = runEpisode(tr, t, `attack-${e}`, reporters, members)
      expect(closed).toHaveLength(1)
      if (closed[0].confirmedBy === 'none') continue
      if (tr.isSelfish('silent') && flaggedAt < 0) flaggedAt = tr.status('silent').episodes
      for (const h of [...honest, 'lazy']) expect(tr.isSelfish(h), `${h} after episode ${e}`).toBe(false)
    }
    expect(flaggedAt).toBeGreaterThanOrEqual(params.minEpisodes)
    // H0 rate ≈ 0.5 · 0.8: 0.6^10 < 0.01 <= 0.6^9
    expect(flaggedAt).toBeLessThanOrEqual(12)
    expect(tr.flagged()).toEqual(['silent'])
    const st = tr.status('silent')
    expect(st.reported).toBe(0)
    expect(st.pValue).toBeLessThan(params.alpha)
    expect(st.baseRate).toBeGreaterThan(0.6)
  })

  it('flags a silent peer among three others when docs/reputation.md says (default params, 200 seeds per rate)', () => {
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]
    /** Attacks (and counted episodes) until 'silent' is flagged, when a, b and c each report an attack with probability `rate`. */
    const flagAt = (rate: number, seed: number): { attacks: number, episodes: number } => {
      const tr = new SelfishTracker({})
      const rnd = prng(seed)
      const members = ['a', 'b', 'c', 'silent']
      for (let e = 0; e < 100; e++) {
        runEpisode(tr, T0 + e * 10 * quiet, `k${e}`, ['a', 'b', 'c'].filter(() => rnd() < rate), members)
        if (tr.isSelfish('silent')) return { attacks: e + 1, episodes: tr.status('silent').episodes }
      }
      return { attacks: Infinity, episodes: Infinity }
    }
    const seeds = Array.from({ length: 200 }, (_, i) => i)
    const always = seeds.map(s => flagAt(1, s))
    expect(new Set(always.map(r => r.episodes))).toEqual(new Set([8]))
    const often = seeds.map(s => flagAt(0.8, s))
    expect(median(often.map(r => r.episodes))).toBe(9)
    expect(median(often.map(r => r.attacks))).toBe(10)
    const half = seeds.map(s => flagAt(0.5, s))
    expect(median(half.map(r => r.episodes))).toBe(11)
    expect(median(half.map(r => r.attacks))).toBe(21)
  })

  it('rateTolerance 1 (the plain test) also flags a peer reporting half as often as the others', () => {
    const tr = new SelfishTracker({ rateTolerance: 1 })
    const rnd = prng(3)
    const members = ['a', 'b', 'c', 'd', 'e', 'lazy']
    for (let e = 0; e < 60; e++) {
      const reporters = members.filter(m => rnd() < (m === 'lazy' ? 0.4 : 0.9))
      runEpisode(tr, T0 + e * 10 * quiet, `k${e}`, reporters, members)
    }
    expect(tr.isSelfish('lazy')).toBe(true)
    for (const m of ['a', 'b', 'c', 'd', 'e']) expect(tr.isSelfish(m)).toBe(false)
  })

  it('is not flagged before minEpisodes even when silent every time', () => {
    const tr = new SelfishTracker({ minEpisodes: 6, rateTolerance: 1 }) // p-values are tiny from episode 2 on: only minEpisodes gates
    const members = ['a', 'b', 'c', 'silent']
    for (let e = 0; e < 5; e++) runEpisode(tr, T0 + e * 10 * quiet, `k${e}`, ['a', 'b', 'c'], members)
    expect(tr.status('silent').episodes).toBe(5)
    expect(tr.isSelfish('silent')).toBe(false)
    const closed = runEpisode(tr, T0 + 100 * quiet, 'k6', ['a', 'b', 'c'], members)
    expect(tr.isSelfish('silent')).toBe(true)
    expect(closed[0].newlyFlagged).toEqual(['silent'])
    expect(closed[0].silentSelfish).toEqual(['silent'])
  })

  it('an episode counts only with minOrigins reporters or local corroboration', () => {
    const tr = new SelfishTracker({ minOrigins: 2 })
    const members = ['a', 'b', 'c']
    const lone = runEpisode(tr, T0, 'lone', ['a'], members)
    expect(lone[0].confirmedBy).toBe('none')
    expect(tr.status('b').episodes).toBe(0)
    tr.report('shop', 'local', 'a', T0 + 1000)
    tr.corroborate('shop', 'local', T0 + 2000)
    const closed = tr.close(T0 + 2000 + quiet, () => members)
    expect(closed[0].confirmedBy).toBe('local')
    expect(tr.status('b')).toMatchObject({ episodes: 1, reported: 0 })
    expect(tr.status('a')).toMatchObject({ episodes: 1, reported: 1 })
  })

  it('reports from non-members confirm an episode but are not remembered by id (memory stays bounded)', () => {
    const tr = new SelfishTracker({ minOrigins: 2 })
    for (let i = 0; i < 1000; i++) tr.report('shop', 'worm', `victim-${i}`, T0 + i, false)
    tr.report('shop', 'worm', 'a', T0 + 1000, true)
    const closed = tr.close(T0 + 1000 + quiet, () => ['a', 'b'])
    expect(closed[0]).toMatchObject({ confirmedBy: 'quorum', reporters: ['a'], counted: ['a', 'b'] })
    expect(closed[0].origins).toBe(3) // a plus the first minOrigins outsiders: enough to know it was community-wide
    expect(tr.status('b')).toMatchObject({ episodes: 1, reported: 0 })
    expect(tr.status('victim-7').episodes).toBe(0)
    expect(JSON.stringify(tr.toJSON()).length).toBeLessThan(400)
  })

  it('keeps an episode open while reports keep coming, and credits a late report during the cooldown', () => {
    const tr = new SelfishTracker({ episodeQuietMs: quiet, maxEpisodeMs: 20 * quiet, cooldownMs: 5 * quiet })
    tr.report('shop', 'w', 'a', T0)
    tr.report('shop', 'w', 'b', T0 + quiet - 1)
    expect(tr.close(T0 + quiet, () => ['a', 'b', 'c'])).toHaveLength(0)
    const closed = tr.close(T0 + 2 * quiet, () => ['a', 'b', 'c'])
    expect(closed).toHaveLength(1)
    expect(tr.status('c')).toMatchObject({ episodes: 1, reported: 0 })
    tr.report('shop', 'w', 'c', T0 + 3 * quiet) // late, within the cooldown: the same episode
    expect(tr.status('c')).toMatchObject({ episodes: 1, reported: 1 })
    expect(tr.openEpisodes()).toBe(0)
  })

  it('halves old counts past maxEpisodesPerPeer', () => {
    const tr = new SelfishTracker({ minEpisodes: 2, maxEpisodesPerPeer: 8 })
    for (let e = 0; e < 9; e++) runEpisode(tr, T0 + e * 10 * quiet, `k${e}`, ['a', 'b'], ['a', 'b'])
    expect(tr.status('a').episodes).toBe(4)
    expect(tr.status('a').reported).toBe(4)
  })

  it('snapshots round-trip and bad ones are refused with IMMUNE_ERR_REPUTATION_SNAPSHOT', () => {
    const tr = new SelfishTracker({ minEpisodes: 2, rateTolerance: 1 })
    for (let e = 0; e < 3; e++) runEpisode(tr, T0 + e * 10 * quiet, `k${e}`, ['a', 'b'], ['a', 'b', 's'])
    tr.report('shop', 'open', 'a', T0 + 100 * quiet)
    const u = new SelfishTracker({ minEpisodes: 2, rateTolerance: 1 })
    u.restore(JSON.parse(JSON.stringify(tr.toJSON())))
    expect(u.status('s')).toEqual(tr.status('s'))
    expect(u.isSelfish('s')).toBe(true)
    expect(u.openEpisodes()).toBe(1)
    let err: unknown
    try { u.restore({ version: 1, peers: [['x', 1, 2, false]], open: [], cooldown: [] }) } catch (e) { err = e }
    expect(err).toMatchObject({ code: 'IMMUNE_ERR_REPUTATION_SNAPSHOT', details: { part: 'selfish', field: 'peers[0]' } })
    expect(u.isSelfish('s')).toBe(true)
  })

  it('validates its params', () => {
    expect(() => createSelfishParams({ alpha: 1 })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
    expect(() => createSelfishParams({ minEpisodes: 0 })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
    expect(() => createSelfishParams({ episodeQuietMs: 10, maxEpisodeMs: 5 })).toThrow(expect.objectContaining({ code: 'IMMUNE_ERR_INVALID_PARAMS' }))
  })
})
