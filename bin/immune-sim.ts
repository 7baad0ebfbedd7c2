#!/usr/bin/env node
import '../protocol/polyfill.js'
import { runSimCli } from '../sim/cli/index.js'

process.exitCode = await runSimCli(process.argv.slice(2))
