/**
 * Polyfills that the libp2p 3 stack needs on Node.js 20.
 *
 * libp2p 3 calls `Promise.withResolvers` (ES2024, native from Node 22). Without
 * it a dial fails with ECONNRESET and the process hangs. Every entry point
 * (bin/, bench/, the vitest setup) imports this module first.
 */

interface WithResolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

const P = Promise as unknown as { withResolvers?: <T>() => WithResolvers<T> }

if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T> (): WithResolvers<T> {
      let resolve!: WithResolvers<T>['resolve']
      let reject!: WithResolvers<T>['reject']
      const promise = new Promise<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    }
  })
}

export const POLYFILLED = true
