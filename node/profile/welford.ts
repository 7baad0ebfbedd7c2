/**
 * Running mean and variance (Welford 1962; Chan, Golub, LeVeque 1979 for
 * merging), numerically stable in one pass. Pure functions over a small plain
 * state object, so models can embed it and JSON-serialise it as is.
 *
 * Optional forgetting: with `maxCount` set, once `n` reaches it the update
 * becomes an exponentially weighted one with alpha = 1 / maxCount (West 1979,
 * Finch 2009), so a profile keeps following slow drift instead of freezing
 * after a million samples. Below `maxCount` it is the exact Welford update.
 */

export interface WelfordState {
  /** Number of samples (capped at maxCount when forgetting). */
  n: number
  mean: number
  /** Sum of squared deviations from the mean (sample variance = m2 / (n - 1)). */
  m2: number
}

export function createWelford (): WelfordState {
  return { n: 0, mean: 0, m2: 0 }
}

/** Add one sample in place and return the state. */
export function welfordPush (s: WelfordState, x: number, maxCount: number = Infinity): WelfordState {
  if (s.n < maxCount) {
    s.n++
    const delta = x - s.mean
    s.mean += delta / s.n
    s.m2 += delta * (x - s.mean)
    return s
  }
  // exponentially weighted: var' = (1 - a)(var + a d^2), mean' = mean + a d
  const a = 1 / s.n
  const delta = x - s.mean
  const variance = s.n > 1 ? s.m2 / (s.n - 1) : 0
  s.mean += a * delta
  s.m2 = (1 - a) * (variance + a * delta * delta) * (s.n - 1)
  return s
}

/** Combine two states (parallel or per-chunk accumulation); neither input is changed. */
export function welfordMerge (a: WelfordState, b: WelfordState): WelfordState {
  if (a.n === 0) return { ...b }
  if (b.n === 0) return { ...a }
  const n = a.n + b.n
  const delta = b.mean - a.mean
  return {
    n,
    mean: a.mean + delta * b.n / n,
    m2: a.m2 + b.m2 + delta * delta * a.n * b.n / n
  }
}

/** Sample variance (n - 1 denominator); 0 with fewer than two samples. */
export function welfordVariance (s: WelfordState): number {
  return s.n > 1 ? Math.max(0, s.m2 / (s.n - 1)) : 0
}

export function welfordStd (s: WelfordState): number {
  return Math.sqrt(welfordVariance(s))
}

/** Whether a value is a well-formed state (for restoring snapshots). */
export function isWelfordState (v: unknown): v is WelfordState {
  if (v == null || typeof v !== 'object') return false
  const s = v as Record<string, unknown>
  return typeof s.n === 'number' && Number.isFinite(s.n) && s.n >= 0 &&
    typeof s.mean === 'number' && Number.isFinite(s.mean) &&
    typeof s.m2 === 'number' && Number.isFinite(s.m2) && s.m2 >= 0
}
