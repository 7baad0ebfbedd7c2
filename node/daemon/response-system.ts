/**
 * Everything the daemon needs to respond, built from the Config in one call:
 * policy, deny list, threat level, supervisors of the supervised cells,
 * responders, and the decision manager. The daemon opens the Store, then
 * `start()`s this; `stop()` releases every handle (supervised children
 * stopped, timers cleared; decisions stay persisted).
 */
import type { Clock } from '../../core/index.js'
import { brainParamsFromConfig, supervisorParamsFromCell } from '../config/index.js'
import type { Config, SupervisedCellConfig } from '../config/index.js'
import type { Store } from '../store/index.js'
import { createSupervisor } from '../supervisor/index.js'
import type { Supervisor } from '../supervisor/index.js'
import type { SupervisorParams } from '../supervisor/index.js'
import { BUILTIN_ACTIONS, createDenyList } from '../respond/index.js'
import { createCellResolver } from '../respond/index.js'
import type { CellProcessResolver, QuarantineResponder } from '../respond/index.js'
import { createDecisionManager } from '../respond/index.js'
import type { DecisionManager, DecisionRecord, HandleResult, RespondMetricsLike } from '../respond/index.js'
import { normalizeAddress } from '../respond/index.js'
import type { Allowlist, AllowlistEntry } from '../respond/index.js'
import type { DenyList } from '../respond/index.js'
import { silentLog } from '../../core/index.js'
import type { LogSink } from '../../core/index.js'
import { createNftablesFirewall, detectNftables, nftTableName } from '../respond/index.js'
import type { Firewall, FirewallStatus, NftablesDetection, NftExec } from '../respond/index.js'
import { StartupError } from '../errors.js'
import { createPolicy } from '../respond/index.js'
import type { Policy } from '../respond/index.js'
import type { DangerEvent, DecideBreakdown, Decision } from '../respond/index.js'
import { createBrain } from '../brain/index.js'
import type { Brain } from '../brain/index.js'
import { createResponderRegistry } from '../respond/index.js'
import type { ResponderRegistry } from '../respond/index.js'
import type { ThreatLevel, ThreatLevelValue } from '../respond/index.js'

export interface ResponseSystemComponents {
  clock: Clock
  /** Opened by the caller. */
  store: Store
  logger?: LogSink
  /** The decision manager's metric hooks (node/metrics.ts respondHooks). */
  metrics?: RespondMetricsLike
  /** The node's brain (its policy, escalation state, deny list and threat level); default: one built from the config. */
  brain?: Brain
  /** The firewall mirror's metric hooks (node/metrics.ts firewallHooks): its state, and every nft add/remove that failed. */
  firewallMetrics?: FirewallMetricsLike
}

/** What the firewall mirror is doing: not used (`off`), set up and blocking (`enforcing`), wanted but its setup failed (`failed`). */
export type FirewallState = 'off' | 'enforcing' | 'failed'

export interface FirewallMetricsLike {
  state: (state: FirewallState) => void
  failure: (op: 'add' | 'remove') => void
}

/** The firewall with each failed add/remove reported (and still thrown: the responder decides what follows). */
function countingFirewall (fw: Firewall, m: FirewallMetricsLike | undefined): Firewall {
  if (m == null) return fw
  const counted = <A extends unknown[]>(op: 'add' | 'remove', f: (...a: A) => Promise<void>) => async (...a: A): Promise<void> => {
    try { await f(...a) } catch (err) { m.failure(op); throw err }
  }
  return { ...fw, add: counted('add', fw.add), remove: counted('remove', fw.remove) }
}


export interface FirewallView {
  mode: 'off' | 'on' | 'auto'
  /** True while the node mirrors its blocks into its own nftables table. */
  enabled: boolean
  /** The node's own table (inet family): policy.nftablesTable, or immune_<hash of the data dir>. */
  table: string
  reason: string
  /** The entries it put there and has not taken out (null when not enabled). */
  held: FirewallStatus | null
}

export interface ResponseSystemInit {
  config: Config
  /** Overrides per supervised cell (tests: stdio, pidFile...). */
  supervisorOverrides?: Partial<SupervisorParams>
  /** Detection options (tests inject uid/which, and an nft runner); default: real detection with policy.nftables, the real nft. */
  nftables?: { detect?: () => NftablesDetection, exec?: NftExec }
  applyTimeoutMs?: number
  /** terminate-and-renew of one cell at most once per this (a burst of events does not make it flap); default 10 s. */
  terminateCooldownMs?: number
}

export interface ResponseSystem {
  readonly brain: Brain
  readonly policy: Policy
  readonly denyList: DenyList
  readonly threat: ThreatLevel
  readonly supervisors: ReadonlyMap<string, Supervisor>
  readonly cells: CellProcessResolver
  readonly responders: ResponderRegistry
  readonly decisions: DecisionManager
  /** What start() found about nftables (null before start). */
  nftables: () => NftablesDetection | null
  /** What the host firewall will do and what it holds now (start's log line, /status, `immune-node status`). */
  firewall: () => FirewallView
  start: () => Promise<void>
  stop: () => Promise<void>
  /** A danger event (local detector, or remote intake after its quorum) → decisions applied. */
  handle: (event: DangerEvent) => Promise<HandleResult>
  /** Persist and apply what the brain decided. */
  commit: (event: DangerEvent, breakdown: DecideBreakdown) => Promise<HandleResult>
  release: (cell: string) => Promise<Decision[]>
  /**
   * What the cell is going through now, while its detector must not judge it
   * again (issue 11: incidents, not samples): `frozen` (a quarantine holds
   * it), `renewing` (its supervisor is replacing it), or null.
   */
  incident: (cell: string) => CellIncident | null
  /** Ends one active decision now and undoes its responder's effect (deny list, nftables, freeze); null when it is not active. */
  revoke: (id: string, why: string) => Promise<DecisionRecord | null>
  /**
   * Ends every active block-source decision on `address` (each revoked and
   * undone), drops whatever hold is left on the deny list and the firewall,
   * and forgets the source's offences (its next offence is a first one).
   */
  unblock: (address: string, why: string) => Promise<UnblockResult>
  /** The policy's allowlist: config entries and runtime ones (persisted in the store, sublevel `allowlist`). */
  readonly allowlist: Allowlist
  /** Adds a runtime entry (persisted) and unblocks every blocked source it covers. */
  allowlistAdd: (entry: string, reason: string | undefined) => Promise<{ entry: AllowlistEntry, unblocked: UnblockResult[] }>
  /** Removes a runtime entry (persisted): `config` entries are removed by editing the config. */
  allowlistRemove: (entry: string) => Promise<'removed' | 'config' | 'absent'>
  /** A peer alert raises the threat level to 1 for config.threat.peerRaiseSec. */
  raisePeerThreat: (reason: string) => ThreatLevelValue
}

export interface CellIncident {
  kind: 'frozen' | 'renewing'
  /** The decisions holding it (quarantine), if any. */
  decisionIds: string[]
}

export interface UnblockResult {
  address: string
  /** The decisions revoked. */
  revoked: Decision[]
  /** Whether the address was on the deny list before. */
  wasDenied: boolean
  /** Whether its escalation history was forgotten. */
  forgotOffences: boolean
}

const ALLOWLIST_KEY = 'runtime'

export function createResponseSystem (components: ResponseSystemComponents, init: ResponseSystemInit): ResponseSystem {
  const { clock, store } = components
  const log = components.logger ?? silentLog
  const config = init.config
  // the brain holds the policy, escalation state, deny list and threat level; the decision manager persists and applies
  const brain = components.brain ?? ((): Brain => {
    const policy = createPolicy(config.policy, config.cells.map(c => ({ name: c.name, type: c.type })))
    const denyList = createDenyList({ clock }, { allowlist: policy.allowlist, maxEntries: config.budgets.denyListEntries })
    return createBrain({ clock, policy, denyList }, brainParamsFromConfig(config))
  })()
  const { policy, denyList, threat } = brain
  const supervisors = new Map<string, Supervisor>()
  for (const cell of config.cells.filter((c): c is SupervisedCellConfig => c.type === 'supervised')) {
    const params = { ...supervisorParamsFromCell(cell, config.dataDir), ...init.supervisorOverrides }
    supervisors.set(cell.name, createSupervisor({ clock, logger: log }, params))
  }
  const cells = createCellResolver({ cells: config.cells, supervisors })
  let firewall: Firewall | null = null
  let detection: NftablesDetection | null = null
  // every registered action kind brings its responder (node/respond/action-kinds.ts): nothing to name here
  const responders = createResponderRegistry(BUILTIN_ACTIONS.map(kind => kind.createResponder({
    clock,
    logger: log,
    denyList,
    threat,
    cells,
    firewall: () => firewall,
    options: { 'terminate-and-renew': init.terminateCooldownMs != null ? { cooldownMs: init.terminateCooldownMs } : undefined }
  })))
  let decisions: DecisionManager | null = null
  const metrics = components.metrics
  decisions = createDecisionManager({ clock, store, responders, logger: log, metrics, logic: brain.logic }, { policy, applyTimeoutMs: init.applyTimeoutMs, maxRecords: config.budgets.decisionRecords })
  const manager: DecisionManager = decisions
  let unlink: (() => void) | null = null
  let started = false
  const table = config.policy.nftablesTable ?? nftTableName(config.dataDir)

  const allowlistDb = store.sub('allowlist')
  const saveAllowlist = async (): Promise<void> => { await allowlistDb.put(ALLOWLIST_KEY, policy.allowlist.runtime() as never) }

  const unblock = async (address: string, why: string): Promise<UnblockResult> => {
    const a = normalizeAddress(address) ?? address
    const wasDenied = denyList.isDenied(a)
    const forgotOffences = brain.logic.hasOffences(a)
    // the decision manager revokes the source's blocks (audited) and forgives it (policy forgiveSource)
    const revoked = (await manager.unblock(a, why)).map((r) => r.decision)
    // holds without an active decision (the brain's own, taken before its decision was applied) go too
    if (denyList.isDenied(a)) {
      denyList.remove(a)
      if (firewall != null) await firewall.remove(a).catch(() => {})
    }
    return { address: a, revoked, wasDenied, forgotOffences }
  }

  const stop = async (): Promise<void> => {
    if (!started) return
    started = false
    await manager.stop()
    await Promise.allSettled([...supervisors.values()].map(async s => { await s.stop() }))
    unlink?.()
    unlink = null
    threat.stop()
    // no entry outlives the node: the decisions persist, and the next start puts the live ones back
    const fw = firewall
    firewall = null
    if (fw != null) {
      await fw.teardown()
      components.firewallMetrics?.state('off')
      log.info({ table: fw.table }, `nftables: table inet ${fw.table} deleted (its entries with it)`)
    }
  }

  return {
    brain,
    policy,
    denyList,
    threat,
    supervisors,
    cells,
    responders,
    decisions: manager,
    nftables: () => detection,
    firewall: () => ({
      mode: config.policy.nftables,
      enabled: firewall != null,
      table: detection?.table ?? table,
      reason: detection?.reason ?? 'nftables: not started',
      held: firewall?.status(clock.now()) ?? null
    }),
    async start () {
      if (started) return
      started = true
      detection = init.nftables?.detect?.() ?? detectNftables({ mode: config.policy.nftables, table })
      if (detection.failed === true) {
        started = false
        components.firewallMetrics?.state('failed')
        throw new StartupError('nftables', detection.reason)
      }
      log.info({ nftables: { mode: detection.mode, enabled: detection.enabled, table: detection.table ?? table, nftPath: detection.nftPath } }, detection.reason)
      if (detection.enabled && detection.nftPath != null) {
        const fw = createNftablesFirewall({ nftPath: detection.nftPath, table: detection.table ?? table, exec: init.nftables?.exec, maxTimeoutSec: config.policy.escalation.maxDurationSec, now: () => clock.now() })
        try {
          await fw.setup()
          firewall = countingFirewall(fw, components.firewallMetrics)
          components.firewallMetrics?.state('enforcing')
        } catch (err) {
          components.firewallMetrics?.state('failed')
          if (config.policy.nftables === 'on') {
            started = false
            throw new StartupError('nftables', `nftables: policy.nftables = on, but setting up table inet ${fw.table} failed: ${(err as Error).message}`)
          }
          log.warn({ err: (err as Error).message }, 'nftables: setup failed; blocked sources are enforced by the node\'s deny list only')
        }
      } else {
        components.firewallMetrics?.state('off')
      }
      const saved = await allowlistDb.get(ALLOWLIST_KEY).catch(() => undefined)
      if (Array.isArray(saved)) {
        const skipped = policy.allowlist.restore(saved as AllowlistEntry[])
        if (skipped.length > 0) log.warn({ skipped }, 'allowlist: unreadable runtime entries skipped')
      }
      const unlinkThreat = threat.onChange((level) => { for (const s of supervisors.values()) s.setThreatLevel(level) })
      // a quarantine holds an instance: when that instance is replaced (it died and was restarted, or was renewed), the quarantine ends
      const unlinkPids = [...supervisors.entries()].map(([name, sup]) => sup.onPidChange((change) => {
        if (change.newPid == null || change.reason === 'start') return
        for (const d of manager.active().filter((x) => x.action === 'quarantine' && x.cell === name)) {
          void manager.revoke(d.id, `the quarantined instance (pid ${change.oldPid ?? '-'}) is gone: replaced by pid ${change.newPid} (${change.reason})`)
            .catch((err: unknown) => { log.warn({ err: String(err), decisionId: d.id }, 'ending the quarantine of a replaced instance failed') })
        }
      }))
      unlink = () => { unlinkThreat(); for (const u of unlinkPids) u() }
      try {
        for (const s of supervisors.values()) await s.start()
        await manager.start()
      } catch (err) {
        await stop()
        throw err
      }
    },
    stop,
    handle: async (event) => await manager.handle(event),
    commit: async (event, breakdown) => await manager.commit(event, breakdown),
    release: async (cell) => await manager.release(cell),
    incident (cell) {
      const sup = supervisors.get(cell)
      if (sup?.renewing() === true) return { kind: 'renewing', decisionIds: [] }
      const q = responders.get('quarantine') as Partial<QuarantineResponder> | undefined
      const held = q?.frozen?.().find((f) => f.cell === cell)
      if (held != null && held.decisionIds.length > 0) return { kind: 'frozen', decisionIds: held.decisionIds }
      return null
    },
    revoke: async (id, why) => await manager.revoke(id, why),
    unblock,
    allowlist: policy.allowlist,
    async allowlistAdd (raw, reason) {
      const entry = policy.allowlist.add(raw, clock.now(), reason)
      await saveAllowlist()
      const covered = new Set<string>()
      for (const d of manager.active()) if (d.action === 'block-source' && d.target.kind === 'source' && policy.allowlist.has(d.target.address)) covered.add(d.target.address)
      for (const e of denyList.list()) if (policy.allowlist.has(e.address)) covered.add(e.address)
      const unblocked: UnblockResult[] = []
      for (const a of covered) unblocked.push(await unblock(a, `allowlisted (${entry.entry})`))
      return { entry, unblocked }
    },
    async allowlistRemove (raw) {
      const r = policy.allowlist.remove(raw)
      if (r === 'removed') await saveAllowlist()
      return r
    },
    raisePeerThreat (reason) {
      return threat.raise({ level: 1, durationMs: brain.params.peerThreatMs, origin: 'remote', reason })
    }
  }
}
