/**
 * `immune-node start`: the real body of the node. It wires the system clock,
 * the level store, the libp2p mesh, the sensors, detection, collaboration,
 * responses and the local API, and starts/stops them in order.
 *
 * Start order: data dir (writable?) → identity + lock → store → responses →
 * detection → collaboration → mesh → sensors → API. Stop is the reverse, and
 * releases every handle so the process exits on its own.
 */
import { accessSync, constants, mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Registry } from 'prom-client'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createSystemClock } from '../../core/index.js'
import type { Clock } from '../../core/index.js'
import { intakeParamsFromConfig, knownClientsParamsFromConfig, memoryParamsFromConfig, selfCheckParamsFromConfig } from '../config/index.js'
import type { Config, CellConfig } from '../config/index.js'
import { IngestError, StartupError } from '../errors.js'
import { createNodeMetrics, firewallHooks, respondHooks, setBuildInfo } from '../metrics.js'
import type { NodeMetrics } from '../metrics.js'
import type { Observation } from '../observation.js'
import { createResponseSystem } from './response-system.js'
import type { ResponseSystem } from './response-system.js'
import type { SupervisorParams } from '../supervisor/index.js'
import { createObserveHandler, createSensorRegistry } from '../sensors/index.js'
import type { ProcSampler, Sensor, SensorCheckpoint, SensorLogger, TailPosition } from '../sensors/index.js'
import type { IngestItem, ObserveAnswer } from '../sensors/index.js'
import { createSignatureMatcher, createSignatureSelfCheck } from '../signatures/index.js'
import { createStore, inspectStore } from '../store/index.js'
import type { Store } from '../store/index.js'
import { createApiServer } from '../api/index.js'
import type { ApiServer } from '../api/index.js'
import { createFileSeqStore, createLibp2pMesh, loadOrCreateIdentity } from '../../protocol/mesh/index.js'
import { PROTOCOL_VERSION } from '../../protocol/alert/index.js'
import type { Libp2pMesh, NodeIdentity } from '../../protocol/mesh/index.js'
import { IdentityLostError } from '../../protocol/errors.js'
import { createCollaboration } from './collaboration.js'
import { loadCollabState } from './collab-persistence.js'
import type { Collaboration } from './collaboration.js'
import { createDetection } from './detection.js'
import { createDaemonMemory } from './memory.js'
import type { DaemonMemory } from './memory.js'
import type { CellRef, Detection } from './detection-types.js'
import { createLogger } from './logger.js'
import type { Logger } from './logger.js'
import { createPipeline } from './pipeline.js'
import type { Pipeline } from './pipeline.js'
import { createRoutes } from './routes.js'
import { createControl } from './control.js'
import { createControlRoutes } from './control-routes.js'
import { createStatusSource } from './status.js'
import type { StatusSource } from './status.js'

/** Observations from the ingest API that name no configured cell belong to this pseudo-cell. */
export const INGEST_CELL = 'ingest'

export interface DaemonInit {
  config: Config
  version: string
  logger?: Logger
  clock?: Clock
  /** Tests: supervisor overrides (stdio...). */
  supervisorOverrides?: Partial<SupervisorParams>
  /** Accept a new identity.key beside an existing database (`start --new-identity`); default: refuse. */
  allowNewIdentity?: boolean
}

export interface Daemon {
  readonly config: Config
  readonly peerId: string
  readonly logger: Logger
  start: () => Promise<void>
  stop: () => Promise<void>
  /** The API's bound address (after start). */
  apiAddress: () => { host: string, port: number }
  addresses: () => string[]
  status: () => StatusSource
  /** Resolves when stop() has finished (after a signal). */
  stopped: Promise<void>
}

function checkDataDir (dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    accessSync(dir, constants.W_OK | constants.R_OK | constants.X_OK)
    const probe = join(dir, `.write-test-${process.pid}`)
    writeFileSync(probe, '')
    rmSync(probe)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new StartupError('dataDir', `data dir ${dir} is not usable (${code}): it must be a writable directory (--data-dir or "dataDir" in the config)`)
  }
}

function pinoAsSensorLogger (logger: Logger): SensorLogger {
  return {
    debug: (o, m) => { logger.debug(o, m) },
    info: (o, m) => { logger.info(o, m) },
    warn: (o, m) => { logger.warn(o, m) },
    error: (o, m) => { logger.error(o, m) }
  }
}

export async function createDaemon (init: DaemonInit): Promise<Daemon> {
  const config = init.config
  const clock = init.clock ?? createSystemClock()
  const logger = init.logger ?? createLogger(config.logging)
  const startedAtMs = clock.now()

  checkDataDir(config.dataDir)
  const dbLocation = join(config.dataDir, 'db')
  const repairHint = `run "immune-node repair --data-dir ${config.dataDir}" (LevelDB's repair recovers what the table and log files hold), or move ${dbLocation} aside to start empty`
  const identity: NodeIdentity = await loadOrCreateIdentity(config.dataDir, {
    logger,
    // a lost key beside an existing database would give the node a new peer id beside its old state
    requireExisting: init.allowNewIdentity === true || inspectStore(dbLocation).state === 'absent' ? null : `the data dir holds a database (${dbLocation})`
  }).catch((err: unknown) => {
    if ((err as { code?: string }).code === IdentityLostError.code) throw new StartupError('identity', (err as Error).message)
    throw err
  })
  let store: Store | null = null
  let respond: ResponseSystem | null = null
  let detection: Detection | null = null
  let collab: Collaboration | null = null
  let mesh: Libp2pMesh | null = null
  let memory: DaemonMemory | null = null
  let api: ApiServer | null = null
  const sensors: Sensor[] = []
  const lastSeen = new Map<string, number>()
  let resolveStopped!: () => void
  const stopped = new Promise<void>((resolve) => { resolveStopped = resolve })
  let state: 'new' | 'starting' | 'started' | 'stopping' | 'stopped' = 'new'

  const cellsByName = new Map<string, CellConfig>(config.cells.map((c) => [c.name, c]))
  const ingestCell: CellRef = { name: INGEST_CELL, community: config.ingest.community }
  const cellRef = (name: string | undefined): CellRef | null => {
    if (name == null) return ingestCell
    const cell = cellsByName.get(name)
    return cell == null ? null : { name: cell.name, community: cell.community }
  }

  const release = async (): Promise<void> => {
    await api?.stop().catch((err: unknown) => { logger.warn({ err }, 'api stop failed') })
    for (const s of sensors.splice(0)) await s.stop().catch((err: unknown) => { logger.warn({ err, sensor: s.name }, 'sensor stop failed') })
    await memory?.stop().catch((err: unknown) => { logger.warn({ err }, 'memory stop failed') })
    await collab?.stop().catch((err: unknown) => { logger.warn({ err }, 'collaboration stop failed') })
    await mesh?.stop().catch((err: unknown) => { logger.warn({ err }, 'mesh stop failed') })
    await detection?.stop().catch((err: unknown) => { logger.warn({ err }, 'detection stop failed') })
    await respond?.stop().catch((err: unknown) => { logger.warn({ err }, 'responses stop failed') })
    await store?.close().catch((err: unknown) => { logger.warn({ err }, 'store close failed') })
    await identity.release()
  }

  let status: StatusSource | null = null

  const daemon: Daemon = {
    config,
    peerId: identity.peerId,
    logger,
    stopped,
    apiAddress: () => api?.address() ?? { host: config.api.host, port: config.api.port },
    addresses: () => mesh?.addresses() ?? [],
    status: () => {
      if (status == null) throw new StartupError('status', 'the daemon has not started (call start() first)')
      return status
    },

    async start () {
      if (state !== 'new') return
      state = 'starting'
      try {
        // a damaged store is named and refused: level would start a new one over it and lose the data silently
        const found = inspectStore(dbLocation)
        if (found.state === 'damaged') throw new StartupError('store', `the store in ${dbLocation} is damaged (${found.reason}): starting would lose its data without a word. Nothing was changed; ${repairHint}`)
        store = createStore({ dataDir: config.dataDir })
        try {
          await store.open()
        } catch (err) {
          const msg = (err as Error).message
          const cause = String((err as { cause?: unknown }).cause ?? '')
          if (/corrupt/i.test(msg + cause)) throw new StartupError('store', `the store in ${dbLocation} is damaged (${cause !== '' ? cause : msg}); ${repairHint}`)
          throw new StartupError('store', `cannot open the store in ${store.location}: ${msg}`)
        }
        const registry = new Registry()
        const metrics: NodeMetrics = createNodeMetrics(registry)
        setBuildInfo(metrics, { version: init.version, protocol: PROTOCOL_VERSION })
        respond = createResponseSystem({
          clock,
          store,
          logger,
          // every decision in immune_respond_decisions_total, every responder failure in immune_respond_failures_total
          metrics: respondHooks(metrics),
          firewallMetrics: firewallHooks(metrics)
        }, { config, ...(init.supervisorOverrides != null ? { supervisorOverrides: init.supervisorOverrides } : {}) })
        await respond.start()
        const det = createDetection({ clock, store, logger, sensitivity: (community) => respond!.brain.sensitivity(community) }, { config })
        detection = det
        await det.start()
        // replay protection survives restarts: the guard's state is part of the collaboration state (collab-persistence.ts)
        const savedCollab = await loadCollabState(store.sub('collab'), store.sub('alerts'), logger, clock.now())
        const replayGuard = savedCollab.replay
        mesh = await createLibp2pMesh({ clock, logger }, {
          privateKey: identity.privateKey,
          listen: config.listen,
          bootstrap: config.bootstrap,
          mdns: config.mdns,
          communities: config.communities,
          seqStore: await createFileSeqStore(identity.seqPath, { clock }),
          replayGuard,
          originRate: config.collaboration.originRate,
          metrics: (components: unknown) => prometheusMetrics({ registry, collectDefaultMetrics: true })(components as never)
        })
        const r = respond
        collab = createCollaboration({
          clock, store, logger, mesh, respond: r, detection: det, metrics, replayGuard, saved: savedCollab
        }, { intake: intakeParamsFromConfig(config.collaboration), knownClients: knownClientsParamsFromConfig(config.collaboration), sourceFilter: { allowlist: config.policy.allowlist, trustedProxies: config.collaboration.trustedProxies }, alertLogEntries: config.budgets.alertLogEntries })
        mesh.onAlert((ev) => {
          lastSeen.set(ev.from, ev.receivedAtMs)
          lastSeen.set(ev.alert.origin, ev.receivedAtMs)
        })
        await collab.start()
        try {
          await mesh.start()
        } catch (err) {
          throw new StartupError('listen', `cannot start the mesh on ${config.listen.join(', ')}: ${(err as Error).message}`)
        }
        // immune memory: catch up on the communities' live alerts (at start, after being cut off, anti-entropy)
        if (config.memory.enabled) {
          memory = createDaemonMemory({ clock, store, logger, mesh, replay: replayGuard, collab, metrics }, memoryParamsFromConfig(config.memory))
          await memory.start()
        }
        const pipeline: Pipeline = createPipeline({
          clock, logger, detection: det, respond: r, metrics,
          reservoir: collab.reservoir,
          signatures: collab.signatures,
          clonal: collab.clonal,
          intake: collab.intake,
          publisher: collab.publisher,
          knownClients: collab.knownClients,
          selfCheck: createSignatureSelfCheck(selfCheckParamsFromConfig(config.collaboration))
        }, (sigs) => createSignatureMatcher(sigs))

        startSensors(pipeline, r)
        for (const s of sensors) await s.start()

        const observeHandler = createObserveHandler({
          clock,
          limits: { maxBodyBytes: config.api.maxBodyBytes },
          onReject: (code) => { metrics.ingestErrors.inc({ code }) },
          logger: pinoAsSensorLogger(logger),
          observe: async (batch: IngestItem[]): Promise<Array<ObserveAnswer | IngestError>> => {
            const out: Array<ObserveAnswer | IngestError> = []
            for (const o of batch) {
              const ref = cellRef(o.cell)
              // an item naming a cell that is not configured fails alone: the others are scored
              if (ref == null) { out.push(new IngestError(IngestError.INVALID, 400, `observation names cell ${JSON.stringify(o.cell)}, which is not configured (configured: ${[...cellsByName.keys()].join(', ') || 'none'})`, { field: 'cell' })); continue }
              out.push(o.kind === 'http-status' ? await pipeline.observeStatus(ref, o) : await pipeline.observeHttp(ref, o))
            }
            // acknowledged = journaled: a kill -9 after this answer loses none of what was learned
            await det.commit()
            return out
          }
        })
        const control = createControl({ clock, store: store!, respond: r, signatures: collab.signatures })
        await control.start()
        status = createStatusSource({ clock, config, version: init.version, startedAtMs, mesh, respond: r, detection: det, collab, metrics, lastSeen, memory: () => memory?.stats() ?? null, apiAddress: () => api?.address() ?? { host: config.api.host, port: config.api.port } })
        api = createApiServer({
          host: config.api.host,
          port: config.api.port,
          ...(config.api.token != null ? { token: config.api.token } : {}),
          routes: [...createRoutes({ status, observe: (req: IncomingMessage, res: ServerResponse) => { observeHandler(req, res) } }), ...createControlRoutes(control)],
          onError: (err, req) => { logger.error({ err, url: req.url }, 'api handler failed') }
        })
        await api.start()
        state = 'started'
        const a = api.address()
        logger.info({ peerId: identity.peerId, api: `http://${a.host}:${a.port}`, addresses: mesh.addresses(), communities: mesh.communities(), cells: config.cells.map((c) => c.name), nftables: r.nftables()?.reason }, 'immune-node started')
      } catch (err) {
        state = 'stopped'
        await release()
        resolveStopped()
        throw err
      }
    },

    async stop () {
      if (state === 'stopping' || state === 'stopped') return await stopped
      if (state === 'new') {
        state = 'stopped'
        await identity.release()
        resolveStopped()
        return
      }
      state = 'stopping'
      logger.info({}, 'immune-node stopping')
      await release()
      state = 'stopped'
      logger.info({}, 'immune-node stopped')
      resolveStopped()
    }
  }

  function startSensors (pipeline: Pipeline, r: ResponseSystem): void {
    const sensorLogger = pinoAsSensorLogger(logger)
    const onError = (err: unknown): void => { logger.error({ err }, 'observation failed') }
    const emitFor = (fallback: CellRef) => (obs: Observation): void => {
      if (obs.kind === 'http') {
        void pipeline.observeHttp(cellRef(obs.cell) ?? fallback, obs).catch(onError)
      } else {
        const ref = cellRef(obs.cell) ?? { name: obs.cell, community: fallback.community }
        void pipeline.observeProcess(ref, obs).catch(onError)
      }
    }
    // every sensor through the registry: the /proc sampler and access logs derived from the cells, then `sensors[]`
    const registry = createSensorRegistry()
    const checkpoints = store!.sub('sensors')
    const checkpointAt = (key: string): SensorCheckpoint => ({
      load: async () => await checkpoints.get(key).catch(() => undefined) as TailPosition | undefined,
      save: async (s: unknown) => { await checkpoints.put(key, s) }
    })
    const make = (type: string, cell: CellRef, init: unknown, checkpointKey?: string): Sensor =>
      registry.create(type, { clock, emit: emitFor(cell), logger: sensorLogger, ...(checkpointKey != null ? { checkpoint: checkpointAt(checkpointKey) } : {}) }, init)
    // one /proc sampler for every process-backed cell and the host
    const procCells = config.cells.filter((c) => c.type !== 'http')
    if (procCells.length > 0) {
      const intervalMs = Math.min(...procCells.map((c) => c.sampleIntervalSec)) * 1000
      const sampler = make('proc', ingestCell, {
        intervalMs,
        host: procCells.some((c) => c.type === 'host'),
        cells: procCells.filter((c) => c.type !== 'host').map((c) => c.type === 'pid'
          ? { name: c.name, pid: c.pid }
          : c.type === 'process-name' ? { name: c.name, command: c.processName } : { name: c.name, supervised: true })
      }) as ProcSampler
      for (const [name, sup] of r.supervisors) {
        sampler.setPid(name, sup.pid() ?? undefined)
        sup.onPidChange((change) => { sampler.setPid(name, change.newPid ?? undefined) })
      }
      sensors.push(sampler)
    }
    for (const cell of config.cells) {
      const log = 'accessLog' in cell ? cell.accessLog : null
      if (log == null) continue
      sensors.push(make('access-log', { name: cell.name, community: cell.community }, { path: log.path, cell: cell.name }, `access-log:${cell.name}:${log.path}`))
    }
    for (const s of config.sensors) {
      const ref = cellRef(s.cell) ?? ingestCell
      const init = { ...(s.init as Record<string, unknown>), cell: ref.name }
      sensors.push(make(s.type, ref, init, registry.plugin(s.type)?.checkpointKey?.(ref.name, init as never)))
    }
  }

  return daemon
}
