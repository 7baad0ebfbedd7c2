/**
 * The registered action kinds (one line each). A new responder is its module
 * (exporting an ActionKind and a Responder factory) and its test, plus its
 * line here; policy rules may then name it.
 */
import type { ActionKind } from './action-kind.js'
import { logAction, raiseThreatAction } from './basic-responders.js'
import { blockSourceAction } from './block-source.js'
import { quarantineAction } from './quarantine.js'
import { terminateAndRenewAction } from './terminate-and-renew.js'

export const BUILTIN_ACTIONS: readonly ActionKind<any>[] = Object.freeze([
  blockSourceAction,
  quarantineAction,
  terminateAndRenewAction,
  raiseThreatAction,
  logAction
])

const byType = new Map<string, ActionKind<any>>(BUILTIN_ACTIONS.map(k => [k.type, k]))

export function actionKind (type: string): ActionKind<any> | undefined {
  return byType.get(type)
}
