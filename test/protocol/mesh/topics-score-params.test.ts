import { describe, expect, it } from 'vitest'
import { validatePeerScoreParams, validatePeerScoreThresholds } from '@libp2p/gossipsub/score'
import { InvalidCommunityError, InvalidParamsError } from '../../../protocol/errors.js'
import { createMeshScoreParams, defaultMeshScoreParams, toPeerScoreParams, toPeerScoreThresholds } from '../../../protocol/mesh/score-params.js'
import { communityFromTopic, communityTopic, isValidCommunity } from '../../../protocol/mesh/topics.js'

describe('community topics', () => {
  it('maps software ids to /immune/1/community/<id> and back', () => {
    expect(communityTopic('apache-ofbiz_18.12')).toBe('/immune/1/community/apache-ofbiz_18.12')
    expect(communityFromTopic('/immune/1/community/nginx')).toBe('nginx')
    expect(communityFromTopic('/immune/2/community/nginx')).toBeNull()
    expect(communityFromTopic('/immune/1/community/Bad Id')).toBeNull()
  })

  it('rejects invalid software ids with IMMUNE_ERR_INVALID_COMMUNITY', () => {
    for (const bad of ['', 'UPPER', 'a/b', 'x'.repeat(65), 'sp ace']) {
      expect(isValidCommunity(bad)).toBe(false)
      const err = (() => { try { communityTopic(bad) } catch (e) { return e } })()
      expect(err).toBeInstanceOf(InvalidCommunityError)
      expect((err as InvalidCommunityError).code).toBe('IMMUNE_ERR_INVALID_COMMUNITY')
    }
    expect(isValidCommunity('x'.repeat(64))).toBe(true)
  })
})

describe('mesh score params', () => {
  it('defaults pass gossipsub validation and count time in mesh in seconds', () => {
    const p = createMeshScoreParams()
    const gs = toPeerScoreParams(p, [communityTopic('nginx')], () => 0)
    expect(() => { validatePeerScoreParams(gs) }).not.toThrow()
    expect(() => { validatePeerScoreThresholds(toPeerScoreThresholds(p)) }).not.toThrow()
    const topic = gs.topics[communityTopic('nginx')]
    // 1 ms quanta would pin P1 at its cap within seconds and hide P4 penalties
    expect(topic.timeInMeshQuantum).toBe(1000)
    // P3 off on quiet alert topics
    expect(topic.meshMessageDeliveriesWeight).toBe(0)
    expect(gs.appSpecificWeight).toBe(1)
    expect(gs.IPColocationFactorWhitelist.has('127.0.0.1')).toBe(true)
  })

  it('a peer that sent a few invalid alerts scores below the graylist threshold even with full positive credit', () => {
    const p = defaultMeshScoreParams
    const maxPositive = p.topicScoreCap
    const p4 = (n: number): number => p.invalidMessageDeliveriesWeight * n * n * p.topicWeight
    expect(maxPositive + p4(1)).toBeGreaterThanOrEqual(0) // one mistake is forgiven for an established peer
    expect(p4(2)).toBeLessThan(p.gossipThreshold)
    expect(maxPositive + p4(4)).toBeLessThan(p.graylistThreshold)
  })

  it('createMeshScoreParams validates and freezes', () => {
    const p = createMeshScoreParams({ appSpecificWeight: 2 })
    expect(p.appSpecificWeight).toBe(2)
    expect(Object.isFrozen(p)).toBe(true)
    const bad: Array<[string, unknown]> = [
      ['invalidMessageDeliveriesWeight', 1],
      ['invalidMessageDeliveriesDecay', 1],
      ['decayIntervalMs', 10],
      ['publishThreshold', 0],
      ['timeInMeshQuantumMs', 0],
      ['topicWeight', Number.NaN]
    ]
    for (const [field, value] of bad) {
      const err = (() => { try { createMeshScoreParams({ [field]: value }) } catch (e) { return e } })()
      expect(err, field).toBeInstanceOf(InvalidParamsError)
      expect((err as InvalidParamsError).details.field).toBe(`meshScore.${field}`)
    }
  })
})
