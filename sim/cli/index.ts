/** The commands of `immune-sim` (bin/immune-sim.ts dispatches them with node/cli's runCli). */
import { runCli } from '../../node/cli/index.js'
import type { CliIo, Command } from '../../node/cli/index.js'
import { runCommand } from './run-command.js'
import { scenariosCommand } from './scenarios-command.js'

export { runCommand } from './run-command.js'
export { scenariosCommand } from './scenarios-command.js'
export { createProgress } from './progress.js'
export type { Progress } from './progress.js'

export const SIM_PROGRAM = 'immune-sim'
export const SIM_DESCRIPTION = 'Simulate large attacks on a community of immune-mesh nodes on virtual time: the real node logic, a simulated gossipsub network.'
export const simCommands: Command[] = [runCommand, scenariosCommand]

export async function runSimCli (argv: string[], io?: CliIo): Promise<number> {
  return await runCli(SIM_PROGRAM, SIM_DESCRIPTION, simCommands, argv, io)
}
