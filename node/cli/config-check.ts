/** `immune-node config check <file>`: validate a config file without starting the node. */
import { loadConfig } from '../config/index.js'
import { EXIT_OK } from './command.js'
import type { Command } from './command.js'

export const configCheckCommand: Command = {
  name: 'config check',
  summary: 'Validate a config file (every problem named: field, value, what is accepted); exit 2 when invalid',
  usage: 'config check <file> [--print]',
  help: 'options:\n  --print          print the effective config (defaults merged) as JSON',
  options: { print: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const config = loadConfig(args.positionals[0])
    if (args.values.print === true) io.out(JSON.stringify(config, null, 2))
    else io.out(`${args.positionals[0]}: ok (${config.cells.length} cell(s), communities ${config.communities.join(', ')}, API ${config.api.host}:${config.api.port})`)
    return EXIT_OK
  }
}

export const configDefaultCommand: Command = {
  name: 'config default',
  summary: 'Print the embedded default config as JSON (a starting point for your own)',
  usage: 'config default',
  async run (_args, io) {
    io.out(JSON.stringify(loadConfig(), null, 2))
    return EXIT_OK
  }
}
