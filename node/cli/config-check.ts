/** `immune-node config check <file>`: validate a config file without starting the node. */
import { checkConfigFile, loadConfig } from '../config/index.js'
import { ConfigError, formatConfigValue } from '../errors.js'
import type { ConfigIssue } from '../errors.js'
import { EXIT_OK, EXIT_USAGE } from './command.js'
import type { Command } from './command.js'

export const configCheckCommand: Command = {
  name: 'config check',
  summary: 'Validate a config file and the paths it names (one problem per line: field, value, what is accepted); exit 2 when invalid',
  usage: 'config check <file> [--print] [--json]',
  help: `Checks the shape of every field, then that the commands, working directories,
hooks and access logs it names exist and can be used. Each problem is one line:
  <file>: <field>: <value> (accepted: <what is accepted>)

options:
  --print          print the effective config (defaults merged) as JSON
  --json           print {ok, file, problems: [{field, value, accepted}]}`,
  options: { print: { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const name = args.positionals[0]
    let checked: ReturnType<typeof checkConfigFile>
    let issues: ConfigIssue[]
    try {
      checked = checkConfigFile(name)
      issues = checked.issues
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      issues = err.issues
      checked = null as never
    }
    if (issues.length > 0) {
      if (args.values.json === true) {
        io.out(JSON.stringify({ ok: false, file: name, problems: issues.map(i => ({ field: i.field, value: formatConfigValue(i.value), accepted: i.accepted })) }, null, 2))
      } else {
        for (const i of issues) io.err(`${name}: ${i.field === '' ? '(root)' : i.field}: ${formatConfigValue(i.value)} (accepted: ${i.accepted})`)
        io.err(`${name}: ${issues.length} problem(s)`)
      }
      return EXIT_USAGE
    }
    const config = checked.config
    if (args.values.json === true) io.out(JSON.stringify({ ok: true, file: name, problems: [] }, null, 2))
    else if (args.values.print === true) io.out(JSON.stringify(config, null, 2))
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
