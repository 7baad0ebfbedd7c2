/** `immune-node release <cell>`: end a quarantine now (SIGCONT / thaw) and record it in the audit trail. */
import { apiErrorText, apiOptions, apiOptionsHelp, apiTarget, callApi } from './api-client.js'
import { EXIT_FAILURE, EXIT_OK } from './command.js'
import type { Command } from './command.js'

export const releaseCommand: Command = {
  name: 'release',
  summary: 'Release a quarantined cell before its timeout',
  usage: 'release <cell> [--json] [--api URL] [--token TOKEN] [--config FILE]',
  help: `options:\n  --json           print the released decisions as JSON\n${apiOptionsHelp}`,
  options: { ...apiOptions, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const cell = args.positionals[0]
    const res = await callApi(apiTarget(args), 'POST', `/cells/${encodeURIComponent(cell)}/release`, {})
    if (res.status !== 200) {
      io.err(`immune-node release: ${apiErrorText(res)}`)
      return res.status === 404 ? 2 : EXIT_FAILURE
    }
    const released = (res.body as { released: Array<{ id: string, action: string }> }).released
    if (args.values.json === true) io.out(JSON.stringify(res.body, null, 2))
    else io.out(released.length === 0 ? `cell ${cell}: nothing to release` : `cell ${cell}: released ${released.map((d) => `${d.action} ${d.id}`).join(', ')}`)
    return EXIT_OK
  }
}
