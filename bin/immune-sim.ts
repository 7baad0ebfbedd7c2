#!/usr/bin/env node
import { exitIfUnsupportedRuntime } from '../node/cli/supported-runtime.js'
import { runSimCli } from '../sim/cli/index.js'

exitIfUnsupportedRuntime('immune-sim')
process.exitCode = await runSimCli(process.argv.slice(2))
