/**
 * `immune-node release <cell> [--renew]`: end a quarantine now (SIGCONT /
 * thaw) and record it in the audit trail. Releasing does not remove what made
 * the cell dangerous: `--renew` also replaces the instance (every process of
 * the old one ended and verified gone), for supervised cells.
 */
import { apiErrorText, apiTarget, callApi } from './api-client.js'
import { outputOptions, outputOptionsHelp, wantsJson } from './output.js'
import { EXIT_FAILURE, EXIT_OK } from './command.js'
import type { Command } from './command.js'

interface ReleaseBody {
  cell: string
  released: Array<{ id: string, action: string }>
  renewed?: { oldPid: number | null, newPid: number | null, kill: { method: string, killed: number, escaped: number, remaining: unknown[] } | null }
  note: string
}

export const releaseCommand: Command = {
  name: 'release',
  summary: 'Release a quarantined cell before its timeout (--renew: and replace it with a fresh instance)',
  usage: 'release <cell> [--renew] [--json | -o json] [--api ADDR] [--token TOKEN] [--config FILE]',
  help: `Releasing resumes the same process as it was: it does not remove what made it
dangerous. --renew also replaces a supervised cell's instance: the old one and
every process it started (those that left its process group included) are
ended and verified gone, and a fresh instance starts from its command.

options:
  --renew          also renew the cell (supervised cells; works when it is not quarantined too)
${outputOptionsHelp}`,
  options: { ...outputOptions, renew: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run (args, io) {
    const json = wantsJson(args)
    const cell = args.positionals[0]
    const renew = args.values.renew === true
    const res = await callApi(apiTarget(args), 'POST', `/cells/${encodeURIComponent(cell)}/release${renew ? '?renew=true' : ''}`, {})
    if (res.status !== 200) {
      io.err(`immune-node release: ${apiErrorText(res)}`)
      return res.status === 404 || res.status === 400 ? 2 : EXIT_FAILURE
    }
    const body = res.body as ReleaseBody
    if (json) { io.out(JSON.stringify(body, null, 2)); return EXIT_OK }
    const released = body.released.length === 0 ? 'nothing to release' : `released ${body.released.map((d) => `${d.action} ${d.id}`).join(', ')}`
    io.out(`cell ${cell}: ${released}`)
    const r = body.renewed
    if (r != null) {
      const k = r.kill
      const ended = k == null ? '' : `; ended ${k.killed} process(es)${k.escaped > 0 ? `, ${k.escaped} of them outside its process group` : ''} (${k.method}), ${k.remaining.length === 0 ? 'none left' : `${k.remaining.length} SURVIVED`}`
      io.out(`cell ${cell}: renewed: pid ${r.oldPid ?? '-'} -> ${r.newPid ?? '-'}${ended}`)
    } else {
      io.out(`note: ${body.note}`)
    }
    return EXIT_OK
  }
}
