#!/usr/bin/env node
import { IMMUNE_NODE_DESCRIPTION, immuneNodeCommands, runCli } from '../node/cli/index.js'
import { exitIfUnsupportedRuntime } from '../core/index.js'

exitIfUnsupportedRuntime('immune-node')
process.exitCode = await runCli('immune-node', IMMUNE_NODE_DESCRIPTION, immuneNodeCommands, process.argv.slice(2))
