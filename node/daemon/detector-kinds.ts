/**
 * Detectors per observation kind, registered by kind (DESIGN.md: plug-ins by
 * name). The daemon's detection builds every detector through this list:
 * which detector (profile set) an observation of a cell goes to, its
 * context, which cells have one from the start (so that their profiles load
 * before the journal replays), and how one is made. A new observation kind
 * is its profile module, its entry here and its test; the daemon's journal,
 * snapshots, replay and status walk the registry.
 */
import type { Clock } from '../../core/index.js'
import type { Config } from '../config/index.js'
import { createDetector } from '../detector/index.js'
import type { Detector, DetectorLogger, PriorCheck, SensitivityTable } from '../detector/index.js'
import type { DetectorParams } from '../detector/index.js'
import type { HttpObservation, Observation, ProcessObservation } from '../observation.js'
import { createHttpProfileSet, httpContextOf } from '../profile/http/index.js'
import type { ValueChecker } from '../profile/http/index.js'
import { ProfileSet, createProcessModel, processContextOf, restoreProcessModel } from '../profile/index.js'
import type { Store } from '../store/index.js'

/** What the body hands every kind's factory. */
export interface DetectorKindContext {
  clock: Clock
  store: Store
  logger: DetectorLogger
  config: Config
  params: Partial<DetectorParams>
  /** Peer-raised sensitivity of a cell's community (node/brain), when shared. */
  sensitivity: (cell: string) => SensitivityTable | undefined
  /** The innate layer as a cell's value checker, when the innate layer is on for it. */
  valueChecker: (cell: string) => ValueChecker | undefined
  /** Operator priors (learning.mode hard) for HTTP. */
  httpPriors?: PriorCheck<HttpObservation>
}

export interface DetectorKind<O extends Observation = Observation> {
  /** The observation kind it detects on (`Observation['kind']`). */
  readonly kind: O['kind']
  /** The detector a cell's observations go to: one per cell (`http:<cell>`), or one for all cells (`process`). */
  setName: (cell: string) => string
  contextOf: (o: O) => string
  /** The cell a context status belongs to (a shared detector's contexts name their cell). */
  statusCell: (cell: string, context: string) => string
  /** Cells whose detector is made at start. */
  cells: (config: Config) => string[]
  create: (ctx: DetectorKindContext, cell: string) => Detector<O>
}

export const PROCESS_SET = 'process'

/** Per-endpoint, per-parameter HTTP profiles: one detector per cell that receives HTTP (and the ingest pseudo-cell). */
export const httpDetectorKind: DetectorKind<HttpObservation> = {
  kind: 'http',
  setName: (cell) => `http:${cell}`,
  contextOf: (o) => httpContextOf(o),
  statusCell: (cell) => cell,
  cells: (config) => ['ingest', ...config.cells.filter((cell) => cell.type !== 'host').map((cell) => cell.name)],
  create (ctx, cell) {
    const h = ctx.config.learning.http
    const checker = ctx.valueChecker(cell)
    const sensitivity = ctx.sensitivity(cell)
    const profiles = createHttpProfileSet({ name: `http:${cell}`, model: { headers: h.headers, ignoreParameters: h.ignoreParameters, ignoreCookies: h.ignoreCookies }, ...(checker != null ? { valueChecker: checker } : {}) })
    return createDetector<HttpObservation>({ clock: ctx.clock, store: ctx.store, logger: ctx.logger, profiles, ...(ctx.httpPriors != null ? { priors: ctx.httpPriors } : {}), ...(sensitivity != null ? { sensitivity } : {}) }, ctx.params)
  }
}

/** Process samples: one detector over every process-backed cell and the host (contexts `process:<cell>`). */
export const processDetectorKind: DetectorKind<ProcessObservation> = {
  kind: 'process',
  setName: () => PROCESS_SET,
  contextOf: (o) => processContextOf(o),
  statusCell: (_cell, context) => context.replace(/^process:/, ''),
  cells: () => [PROCESS_SET],
  create: (ctx) => createDetector<ProcessObservation>({
    clock: ctx.clock,
    store: ctx.store,
    logger: ctx.logger,
    profiles: new ProfileSet<ProcessObservation>({
      name: PROCESS_SET,
      contextOf: processContextOf,
      createModel: (context) => createProcessModel(context),
      restoreModel: (_context, json) => restoreProcessModel(json)
    })
  }, ctx.params)
}

/** The built-in detector kinds: one line each. */
export const BUILTIN_DETECTOR_KINDS: readonly DetectorKind<any>[] = Object.freeze([
  httpDetectorKind,
  processDetectorKind
])

export interface DetectorKindRegistry {
  get: (kind: string) => DetectorKind<any> | undefined
  kinds: () => string[]
}

export function createDetectorKindRegistry (kinds: readonly DetectorKind<any>[] = BUILTIN_DETECTOR_KINDS): DetectorKindRegistry {
  const map = new Map<string, DetectorKind<any>>(kinds.map(k => [k.kind, k]))
  return {
    get: (kind) => map.get(kind),
    kinds: () => [...map.keys()]
  }
}
