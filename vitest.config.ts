import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // real libp2p nodes, child processes and level dbs: keep the 2-core machine from thrashing
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true
  }
})
