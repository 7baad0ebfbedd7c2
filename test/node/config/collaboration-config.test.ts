import { describe, expect, it } from 'vitest'
import { checkConfig, defaultConfig, validateConfig } from '../../../node/config/index.js'
import { createAlertIntakeParams, defaultAlertIntakeParams } from '../../../node/intake/index.js'
import { intakeParamsFromConfig } from '../../../node/config/index.js'

describe('config: collaboration', () => {
  it('defaults to the intake\'s own defaults', () => {
    const p = createAlertIntakeParams(intakeParamsFromConfig(defaultConfig().collaboration))
    expect(p.housekeepingIntervalMs).toBe(defaultAlertIntakeParams.housekeepingIntervalMs)
    expect(p.selfish).toEqual(defaultAlertIntakeParams.selfish)
  })

  it('takes shorter selfish-test times and turns seconds into the intake\'s milliseconds', () => {
    const c = validateConfig({ collaboration: { housekeepingIntervalSec: 0.5, selfish: { minEpisodes: 3, rateTolerance: 1, episodeQuietSec: 2, cooldownSec: 0 } } })
    const p = createAlertIntakeParams(intakeParamsFromConfig(c.collaboration))
    expect(p.housekeepingIntervalMs).toBe(500)
    expect(p.selfish).toMatchObject({ minEpisodes: 3, rateTolerance: 1, episodeQuietMs: 2000, cooldownMs: 0, maxEpisodeMs: 600_000, minOrigins: 2, alpha: 0.01 })
  })

  it('names every bad field', () => {
    const { issues } = checkConfig({ collaboration: { housekeepingIntervalSec: 0, typo: 1, selfish: { minEpisodes: 0, alpha: 1, rateTolerance: 0, episodeQuietSec: 30, maxEpisodeSec: 10, cooldownSec: -1 } } })
    expect(issues.map((i) => i.field).sort()).toEqual([
      'collaboration.housekeepingIntervalSec',
      'collaboration.selfish.alpha',
      'collaboration.selfish.cooldownSec',
      'collaboration.selfish.maxEpisodeSec',
      'collaboration.selfish.minEpisodes',
      'collaboration.selfish.rateTolerance',
      'collaboration.typo'
    ])
    expect(issues.find((i) => i.field === 'collaboration.selfish.maxEpisodeSec')?.accepted).toMatch(/episodeQuietSec \(30\)/)
  })

  it('takes the per-origin alert rate limit and names its bad fields', () => {
    expect(defaultConfig().collaboration.originRate).toEqual({ burst: 60, perSec: 1 })
    expect(validateConfig({ collaboration: { originRate: { burst: 10, perSec: 0.5 } } }).collaboration.originRate).toEqual({ burst: 10, perSec: 0.5 })
    const { issues } = checkConfig({ collaboration: { originRate: { burst: 0.5, perSec: 0, extra: 1 } } })
    expect(issues.map((i) => i.field).sort()).toEqual(['collaboration.originRate.burst', 'collaboration.originRate.extra', 'collaboration.originRate.perSec'])
  })

  it('takes when a source is a known normal client, in seconds', () => {
    expect(defaultConfig().collaboration.knownClient).toEqual({ minObservations: 20, minSpanSec: 300 })
    expect(validateConfig({ collaboration: { knownClient: { minObservations: 5, minSpanSec: 0 } } }).collaboration.knownClient).toEqual({ minObservations: 5, minSpanSec: 0 })
    expect(checkConfig({ collaboration: { knownClient: { minObservations: 0 } } }).issues.map((i) => i.field)).toEqual(['collaboration.knownClient.minObservations'])
  })
})
