#!/usr/bin/env node
import '../protocol/polyfill.js'
import { IMMUNE_NODE_DESCRIPTION, immuneNodeCommands, runCli } from '../node/cli/index.js'

process.exitCode = await runCli('immune-node', IMMUNE_NODE_DESCRIPTION, immuneNodeCommands, process.argv.slice(2))
