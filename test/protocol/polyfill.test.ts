import { describe, expect, it } from 'vitest'
import '../../protocol/polyfill.js'

describe('polyfill', () => {
  it('provides Promise.withResolvers that resolves and rejects', async () => {
    const P = Promise as unknown as { withResolvers: <T>() => { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void } }
    const a = P.withResolvers<number>()
    a.resolve(7)
    await expect(a.promise).resolves.toBe(7)
    const b = P.withResolvers<number>()
    b.reject(new Error('no'))
    await expect(b.promise).rejects.toThrow('no')
  })
})
