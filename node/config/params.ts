/**
 * The config speaks seconds (`*Sec`; sizes in bytes, `*Bytes`); the parts
 * take milliseconds (`*Ms`). Every conversion from the config to a part's
 * params is here, and only here.
 */
import { join } from 'node:path'
import type { BrainParams } from '../brain/index.js'
import type { DetectorParams } from '../detector/index.js'
import type { AlertIntakeInit } from '../intake/index.js'
import type { SelfCheckParams } from '../signatures/index.js'
import type { SupervisorParams } from '../supervisor/index.js'
import { createSupervisorParams } from '../supervisor/index.js'
import type { KnownClientsParams } from '../intake/index.js'
import type { CollaborationConfig, Config, SupervisedCellConfig } from './config-types.js'

/** A detector's own flush timer is effectively off when the daemon snapshots (node/daemon/detection.ts). */
const NO_TIMER_MS = 86_400_000

/** Seconds (config) → milliseconds (params). */
export function secToMs (sec: number): number {
  return Math.round(sec * 1000)
}

/** Milliseconds (params) → seconds (config), for defaults derived from params. */
export function msToSec (ms: number): number {
  return ms / 1000
}

/** A supervised cell's params from its config (pid file under the data dir). */
export function supervisorParamsFromCell (cell: SupervisedCellConfig, dataDir?: string): SupervisorParams {
  return createSupervisorParams({
    name: cell.name,
    command: cell.command,
    args: cell.args,
    env: cell.env,
    cwd: cell.cwd,
    renewIntervalMs: secToMs(cell.renewIntervalSec),
    renewUnderThreatFactor: cell.renewUnderThreatFactor,
    renewMode: cell.renewMode,
    stopGraceMs: secToMs(cell.stopGraceSec),
    restartBackoffInitialMs: secToMs(cell.restartBackoffInitialSec),
    restartBackoffMaxMs: secToMs(cell.restartBackoffMaxSec),
    stdio: cell.stdio,
    cgroupParent: cell.cgroupParent ?? null,
    pidFile: dataDir != null ? join(dataDir, 'cells', `${cell.name}.pid`) : null
  })
}

/** The config's `collaboration.knownClient` (seconds) as the known-clients params (milliseconds). */
export function knownClientsParamsFromConfig (cfg: CollaborationConfig): Partial<KnownClientsParams> {
  return { minObservations: cfg.knownClient.minObservations, minSpanMs: secToMs(cfg.knownClient.minSpanSec) }
}

/** The config's `collaboration` section (seconds) as the intake's params (milliseconds). */
export function intakeParamsFromConfig (cfg: CollaborationConfig): AlertIntakeInit {
  const s = cfg.selfish
  return {
    housekeepingIntervalMs: secToMs(cfg.housekeepingIntervalSec),
    selfish: {
      minOrigins: s.minOrigins,
      minEpisodes: s.minEpisodes,
      alpha: s.alpha,
      rateTolerance: s.rateTolerance,
      episodeQuietMs: secToMs(s.episodeQuietSec),
      maxEpisodeMs: secToMs(s.maxEpisodeSec),
      cooldownMs: secToMs(s.cooldownSec)
    }
  }
}

/** The config's `collaboration.signatures` (seconds) as the signature self-check's params (milliseconds). */
export function selfCheckParamsFromConfig (cfg: CollaborationConfig): Partial<SelfCheckParams> {
  const s = cfg.signatures
  return {
    learningVettingFloor: s.learningVettingFloor,
    retireAfter: s.retireAfter,
    retireMinSources: s.retireMinSources,
    learningRetireMinClients: s.learningRetireMinClients,
    normalClientMinRequests: s.normalClientMinRequests,
    normalClientMinSpanMs: Math.round(secToMs(s.normalClientMinSpanSec)),
    promoteAfter: s.promoteAfter,
    promoteMinSources: s.promoteMinSources
  }
}

/** The detectors' params from `learning`. */
export function detectorParamsFromConfig (config: Config): Partial<DetectorParams> {
  return {
    minObservations: config.learning.minObservations,
    minDurationSec: config.learning.minDurationSec,
    targetFpr1: config.learning.targetFpr.level1,
    targetFpr2: config.learning.targetFpr.level2,
    minSources: config.learning.minSources,
    flushIntervalMs: NO_TIMER_MS
  }
}

/** The brain's params from the config: peer warnings raise the threat for threat.peerRaiseSec; remote blocks are filed under the ingest cell. */
export function brainParamsFromConfig (config: Config, remoteCell = 'ingest'): Partial<BrainParams> {
  return { remoteCell, peerThreatMs: secToMs(config.threat.peerRaiseSec) }
}
