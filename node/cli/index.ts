/** The `immune-node` commands. */
import type { Command } from './command.js'
import { configCheckCommand, configDefaultCommand } from './config-check.js'
import { releaseCommand } from './release.js'
import { repairCommand } from './repair.js'
import { decisionsAddCommand, decisionsDeleteCommand, decisionsListCommand, unblockCommand } from './decisions.js'
import {
  alertsListCommand, allowlistAddCommand, allowlistListCommand, allowlistRemoveCommand, auditListCommand,
  peersListCommand, peersShowCommand, signaturesListCommand, signaturesRevokeCommand, signaturesShowCommand
} from './operator.js'
import { startCommand } from './start.js'
import { statusCommand } from './status.js'
import { VERSION } from './version.js'

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the version (also: immune-node --version)',
  usage: 'version',
  async run (_args, io) {
    io.out(VERSION)
    return 0
  }
}

export const immuneNodeCommands: Command[] = [
  startCommand, statusCommand, releaseCommand,
  decisionsListCommand, decisionsAddCommand, decisionsDeleteCommand, unblockCommand,
  allowlistListCommand, allowlistAddCommand, allowlistRemoveCommand,
  alertsListCommand, peersListCommand, peersShowCommand,
  signaturesListCommand, signaturesShowCommand, signaturesRevokeCommand,
  auditListCommand,
  configCheckCommand, configDefaultCommand, repairCommand, versionCommand
]

export const IMMUNE_NODE_DESCRIPTION = 'immune-node: a peer-to-peer immune system for software. It learns what is normal for the\nworkloads it protects, reacts on its own, and shares signed alerts and vetted signatures with its peers.'


export { runCli, defaultIo, UsageError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './command.js'
export type { Command, CliIo, ParsedArgs, OptionSpec } from './command.js'
