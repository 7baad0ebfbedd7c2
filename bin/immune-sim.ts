#!/usr/bin/env node
import { exitIfUnsupportedRuntime } from '../core/index.js'
import { runSimCli } from '../sim/cli/index.js'

exitIfUnsupportedRuntime('immune-sim')
process.exitCode = await runSimCli(process.argv.slice(2))
