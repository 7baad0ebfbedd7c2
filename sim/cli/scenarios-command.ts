/** `immune-sim scenarios [--json]`: the built-in scenarios. */
import type { Command } from '../../node/cli/index.js'
import { BUILTIN_NAMES, builtinScenario } from '../scenario/index.js'

export const scenariosCommand: Command = {
  name: 'scenarios',
  summary: 'list the built-in scenarios',
  usage: 'scenarios [--json]',
  help: 'options:\n  --json   print [{ name, description, nodes, durationS, attacks }] as JSON',
  options: { json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run (args, io) {
    const list = BUILTIN_NAMES.map(name => {
      const s = builtinScenario(name)!
      return { name, description: s.description, nodes: s.nodes, durationS: s.durationS, attacks: s.attacks.length }
    })
    if (args.values.json === true) {
      io.out(JSON.stringify(list, null, 2))
      return 0
    }
    const width = Math.max(...list.map(s => s.name.length))
    io.out(list.map(s => `${s.name.padEnd(width)}  ${s.nodes.toLocaleString('en-US')} members, ${s.durationS} s\n${' '.repeat(width + 2)}${s.description}`).join('\n'))
    return 0
  }
}
