/** Issue 11: status shows learning progress per context ("251/200 observations, guarding in 7 m 12 s"). */
import { describe, expect, it } from 'vitest'
import { formatDuration, formatLearningProgress } from '../../../node/cli/status.js'

describe('status: learning progress', () => {
  const now = 1_700_000_000_000
  it('counts met: the time left', () => {
    expect(formatLearningProgress({ learned: 251, minObservations: 200, sources: 7, minSources: 1, guardingNotBeforeMs: now + 432_000 }, now)).toBe('251/200 observations, guarding in 7 m 12 s')
    expect(formatLearningProgress({ learned: 251, minObservations: 200, sources: 7, minSources: 5, guardingNotBeforeMs: now - 1 }, now)).toBe('251/200 observations, 7/5 sources, guarding within a second')
  })
  it('counts missing: what is missing, and the time at least still needed', () => {
    expect(formatLearningProgress({ learned: 12, minObservations: 200, sources: 1, minSources: 3, guardingNotBeforeMs: now + 3_600_000 }, now)).toBe('12/200 observations, 1/3 sources, at least 1 h 0 m more')
    expect(formatLearningProgress({ learned: 12, minObservations: 200, sources: 1, minSources: 1, guardingNotBeforeMs: now }, now)).toBe('12/200 observations')
  })
  it('durations', () => {
    expect(formatDuration(40)).toBe('40 s')
    expect(formatDuration(432)).toBe('7 m 12 s')
    expect(formatDuration(2 * 86_400 + 7200)).toBe('2 d 2 h')
  })
})
