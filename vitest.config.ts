import { defineConfig } from 'vitest/config'
import { unsupportedRuntime } from './core/index.js'

// one clear line instead of libp2p dials that hang on an old Node.js
const unsupported = unsupportedRuntime(process.versions.node)
if (unsupported != null) throw new Error(unsupported)

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the suite never touches the host's firewall: nft list ruleset before = after (where nft exists)
    globalSetup: ['test/host-firewall-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // real libp2p nodes, child processes and level dbs: keep the 2-core machine from thrashing
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true
  }
})
