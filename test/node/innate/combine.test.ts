import { describe, expect, it } from 'vitest'
import { combineInnate, createInnateDetector, createInnateParams, defaultInnatePolicy } from '../../../node/innate/index.js'
import type { InnateFinding, ProfileView } from '../../../node/innate/index.js'
import { InvalidParamsError } from '../../../node/errors.js'

const d = createInnateDetector()
const strong = d.inspect("x' OR '1'='1", { location: 'query', name: 'q' }).findings
const weak = d.inspect('<b>hi</b>', { location: 'query', name: 'q' }).findings
const view = (over: Partial<ProfileView>): ProfileView => ({ phase: 'guarding', unknownEndpoint: false, profileDanger: 0, learnedNormal: () => false, ...over })

const probe = d.inspectHttp({ method: 'GET', path: '/cart.jsp.bak', query: '', body: '', headers: {} }).findings
const probeWeak = d.inspectHttp({ method: 'PUT', path: '/cart.jsp', query: '', body: '', headers: {} }).findings

describe('combineInnate: probe findings block the request only', () => {
  it('marks a level the probe grammar raised as request-only, at every rule', () => {
    expect(probe[0]).toMatchObject({ grammar: 'probe', strength: 'strong' })
    expect(probeWeak[0]).toMatchObject({ grammar: 'probe', location: 'method', strength: 'weak' })
    expect(combineInnate(probe, view({ phase: 'learning' }), defaultInnatePolicy)).toMatchObject({ danger: 2, rule: 'C1-learning', requestOnly: true })
    expect(combineInnate(probeWeak, view({ phase: 'learning', unknownEndpoint: true, profileDanger: 1 }), defaultInnatePolicy)).toMatchObject({ danger: 2, rule: 'C3-unknown-endpoint', requestOnly: true })
    expect(combineInnate(probeWeak, view({ profileDanger: 1 }), defaultInnatePolicy)).toMatchObject({ danger: 2, rule: 'C2-guarding', requestOnly: true })
    // an injection finding decides when there is one of the same strength: the verdict is then not request-only
    const both = combineInnate([...probeWeak, ...weak], view({ profileDanger: 1 }), defaultInnatePolicy)
    expect(both).toMatchObject({ danger: 2, finding: weak[0] })
    expect(both.requestOnly).toBeUndefined()
    // what the profile alone decided is never marked
    expect(combineInnate(probe, view({ profileDanger: 2 }), defaultInnatePolicy).requestOnly).toBeUndefined()
    expect(combineInnate(strong, view({ phase: 'learning' }), defaultInnatePolicy).requestOnly).toBeUndefined()
  })
})

describe('combineInnate (C0–C3)', () => {
  it('has fixtures of both strengths', () => {
    expect(strong[0].strength).toBe('strong')
    expect(weak[0].strength).toBe('weak')
  })

  it('no finding: the profile decides', () => {
    expect(combineInnate([], view({ profileDanger: 1 }), defaultInnatePolicy)).toEqual({ danger: 1, rule: 'none', learned: 0 })
  })

  it('C1: a learning endpoint blocks on a strong finding, flags a weak one', () => {
    expect(combineInnate(strong, view({ phase: 'learning' }), defaultInnatePolicy)).toMatchObject({ danger: 2, rule: 'C1-learning', finding: strong[0] })
    expect(combineInnate(weak, view({ phase: 'learning' }), defaultInnatePolicy)).toMatchObject({ danger: 1, rule: 'C1-learning' })
    expect(combineInnate(strong, view({ phase: 'learning' }), { ...defaultInnatePolicy, learningBlock: 'off' }).danger).toBe(0)
  })

  it('C2: at a guarding endpoint a finding lifts profile danger 1 to 2, never danger 0', () => {
    expect(combineInnate(weak, view({ profileDanger: 1 }), defaultInnatePolicy)).toMatchObject({ danger: 2, rule: 'C2-guarding' })
    expect(combineInnate(strong, view({ profileDanger: 0 }), defaultInnatePolicy).danger).toBe(0)
    expect(combineInnate(weak, view({ profileDanger: 1 }), { ...defaultInnatePolicy, guardingLift: 'strong' }).danger).toBe(1)
  })

  it('C3: at an unknown endpoint a finding lifts level 1 to 2', () => {
    expect(combineInnate(weak, view({ phase: 'learning', unknownEndpoint: true, profileDanger: 1 }), defaultInnatePolicy)).toMatchObject({ danger: 2, rule: 'C3-unknown-endpoint' })
    expect(combineInnate(weak, view({ phase: 'learning', unknownEndpoint: true, profileDanger: 1 }), { ...defaultInnatePolicy, unknownEndpointLift: 'off' }).danger).toBe(1)
  })

  it('C0: a value learned as normal at its parameter never counts, whatever its strength', () => {
    const learned = (f: InnateFinding): boolean => f.name === 'q'
    expect(combineInnate(strong, view({ profileDanger: 1, learnedNormal: learned }), defaultInnatePolicy)).toEqual({ danger: 1, rule: 'C0-learned', learned: 1 })
  })
})

describe('innate params', () => {
  it('rejects bad params with IMMUNE_ERR_INVALID_PARAMS naming the field', () => {
    const bad: Array<[Partial<Parameters<typeof createInnateParams>[0]>, string]> = [
      [{ grammars: ['sql', 'cobol' as never] }, 'innate.grammars'], [{ maxViews: 4 }, 'innate.maxViews'], [{ maxValueChars: 0 }, 'innate.maxValueChars'], [{ headers: ['a b'] }, 'innate.headers']
    ]
    for (const [p, field] of bad) {
      try { createInnateParams(p); expect.fail('accepted') } catch (err) {
        expect(err).toBeInstanceOf(InvalidParamsError)
        expect((err as InvalidParamsError).code).toBe('IMMUNE_ERR_INVALID_PARAMS')
        expect((err as Error).message).toContain(field)
      }
    }
  })

  it('turns grammars off', () => {
    const onlyHtml = createInnateDetector({ grammars: ['html'] })
    expect(onlyHtml.inspect("x' OR '1'='1", { location: 'query', name: 'q' }).findings).toEqual([])
    expect(onlyHtml.inspect('<script>', { location: 'query', name: 'q' }).findings).toHaveLength(1)
  })
})
