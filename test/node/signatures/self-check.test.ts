import { describe, expect, it } from 'vitest'
import { createSignatureSelfCheck } from '../../../node/signatures/index.js'
import { InvalidParamsError } from '../../../node/errors.js'

describe('signature self-check', () => {
  it('retires after 3 normal-judged matches from 2 sources, never from one source alone', () => {
    const sc = createSignatureSelfCheck()
    for (let i = 0; i < 5; i++) expect(sc.contradictedWhileGuarding('a', '192.0.2.1').action).toBe('none')
    expect(sc.contradictedWhileGuarding('a', '192.0.2.2')).toMatchObject({ action: 'retire' })
    expect(sc.contradictedWhileGuarding('b', '192.0.2.1').action).toBe('none')
  })

  it('known normal clients: enough quiet requests over enough time; a danger of theirs forgets them', () => {
    const sc = createSignatureSelfCheck()
    for (let i = 0; i < 10; i++) sc.noteNormal('192.0.2.9', 1000 + i) // a burst: not a normal client
    expect(sc.isNormalClient('192.0.2.9')).toBe(false)
    sc.noteNormal('192.0.2.9', 1000 + 60_000)
    expect(sc.isNormalClient('192.0.2.9')).toBe(true)
    sc.noteDanger('192.0.2.9')
    expect(sc.isNormalClient('192.0.2.9')).toBe(false)
    expect(sc.isNormalClient(undefined)).toBe(false)
  })

  it('learning: three distinct normal clients retire; promotion needs 3 confirmations from 2 sources and a contradiction resets it', () => {
    const sc = createSignatureSelfCheck()
    expect(sc.contradictedWhileLearning('s', 'c1').action).toBe('none')
    expect(sc.contradictedWhileLearning('s', 'c1').action).toBe('none')
    expect(sc.contradictedWhileLearning('s', 'c2').action).toBe('none')
    expect(sc.contradictedWhileLearning('s', 'c3')).toMatchObject({ action: 'retire' })
    expect(sc.confirmed('p', 'x1').action).toBe('none')
    expect(sc.confirmed('p', 'x2').action).toBe('none')
    sc.contradictedWhileGuarding('p', 'y1')
    expect(sc.confirmed('p', 'x1').action).toBe('none')
    expect(sc.confirmed('p', 'x2').action).toBe('none')
    expect(sc.confirmed('p', 'x3')).toMatchObject({ action: 'promote' })
  })

  it('validates its params with the field named', () => {
    expect(() => createSignatureSelfCheck({ retireAfter: 0 })).toThrow(InvalidParamsError)
    expect(() => createSignatureSelfCheck({ learningVettingFloor: 1.5 })).toThrow(/learningVettingFloor/)
  })
})
