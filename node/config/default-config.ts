/**
 * The embedded default configuration: what `immune-node start` runs with no
 * config file. It protects the host itself (one `host` cell sampled from
 * /proc), serves the local API on 127.0.0.1:7070, joins the community
 * `default` and treats ingest-API HTTP observations as that community's
 * software. Every value is documented in docs/configuration.md.
 */
import { msToSec } from './params.js'
import { defaultMemoryConfig } from './memory-config.js'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { defaultPolicyConfig } from '../respond/index.js'
import { defaultAlertIntakeParams, defaultKnownClientsParams } from '../intake/index.js'
import { defaultSelfCheckParams } from '../signatures/index.js'
import { defaultInnateConfig } from '../innate/index.js'
import { defaultHttpModelParams } from '../profile/index.js'
import { defaultDetectorParams } from '../detector/index.js'
import { defaultBudgetsConfig } from './budgets.js'
import { defaultOriginRateParams } from '../../protocol/mesh/index.js'
import type { CellConfig, CollaborationConfig, Config, LearningConfig } from './config-types.js'

export const DEFAULT_COMMUNITY = 'default'
export const DEFAULT_API_HOST = '127.0.0.1'
export const DEFAULT_API_PORT = 7070
/** Loopback only, OS-chosen port: nothing is reachable from other hosts unless the config says so. */
export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0']
export const DEFAULT_API_MAX_BODY_BYTES = 4 * 1024 * 1024
export const DEFAULT_SAMPLE_INTERVAL_SEC = 10
/** TNO's self-healing software renews its workloads every 10 minutes. */
export const DEFAULT_RENEW_INTERVAL_SEC = 600
export const DEFAULT_RENEW_UNDER_THREAT_FACTOR = 4
export const DEFAULT_STOP_GRACE_SEC = 5
export const DEFAULT_RESTART_BACKOFF_INITIAL_MS = 500
export const DEFAULT_RESTART_BACKOFF_MAX_MS = 30_000

export function defaultDataDir (): string {
  return join(homedir(), '.immune-mesh')
}

export function defaultLearningConfig (): LearningConfig {
  return {
    minObservations: 200,
    minDurationSec: 900,
    mode: 'soft',
    priors: [],
    targetFpr: { level1: 0.01, level2: 0.001 },
    minSources: defaultDetectorParams.minSources,
    http: {
      headers: [...defaultHttpModelParams.headers],
      ignoreParameters: [...defaultHttpModelParams.ignoreParameters],
      ignoreCookies: [...defaultHttpModelParams.ignoreCookies]
    }
  }
}

/** The intake's own defaults (node/intake, protocol/reputation/selfish.ts; docs/reputation.md says why), in seconds. */
export function defaultCollaborationConfig (): CollaborationConfig {
  const i = defaultAlertIntakeParams
  return {
    housekeepingIntervalSec: msToSec(i.housekeepingIntervalMs),
    selfish: {
      minOrigins: i.selfish.minOrigins,
      minEpisodes: i.selfish.minEpisodes,
      alpha: i.selfish.alpha,
      rateTolerance: i.selfish.rateTolerance,
      episodeQuietSec: msToSec(i.selfish.episodeQuietMs),
      maxEpisodeSec: msToSec(i.selfish.maxEpisodeMs),
      cooldownSec: msToSec(i.selfish.cooldownMs)
    },
    trustedProxies: [],
    originRate: { burst: defaultOriginRateParams.burst, perSec: defaultOriginRateParams.perSec },
    knownClient: { minObservations: defaultKnownClientsParams.minObservations, minSpanSec: msToSec(defaultKnownClientsParams.minSpanMs) },
    signatures: {
      learningVettingFloor: defaultSelfCheckParams.learningVettingFloor,
      retireAfter: defaultSelfCheckParams.retireAfter,
      retireMinSources: defaultSelfCheckParams.retireMinSources,
      learningRetireMinClients: defaultSelfCheckParams.learningRetireMinClients,
      normalClientMinRequests: defaultSelfCheckParams.normalClientMinRequests,
      normalClientMinSpanSec: msToSec(defaultSelfCheckParams.normalClientMinSpanMs),
      promoteAfter: defaultSelfCheckParams.promoteAfter,
      promoteMinSources: defaultSelfCheckParams.promoteMinSources
    }
  }
}

/** Defaults of each cell type (the `name`, `type` and type-specific required keys come from the config). */
export const CELL_DEFAULTS = {
  supervised: {
    args: [] as string[],
    env: {} as Record<string, string>,
    cwd: null as string | null,
    renewIntervalSec: DEFAULT_RENEW_INTERVAL_SEC,
    renewUnderThreatFactor: DEFAULT_RENEW_UNDER_THREAT_FACTOR,
    renewMode: 'stop-then-start' as const,
    stopGraceSec: DEFAULT_STOP_GRACE_SEC,
    restartBackoffInitialSec: msToSec(DEFAULT_RESTART_BACKOFF_INITIAL_MS),
    restartBackoffMaxSec: msToSec(DEFAULT_RESTART_BACKOFF_MAX_MS),
    stdio: 'inherit' as const
  }
}

export function defaultCells (): CellConfig[] {
  return [{ name: 'host', type: 'host', community: DEFAULT_COMMUNITY, sampleIntervalSec: DEFAULT_SAMPLE_INTERVAL_SEC }]
}

/** A fresh (mutable) copy of the embedded default; `loadConfig()` returns it validated and frozen. */
export function defaultConfig (): Config {
  return {
    dataDir: defaultDataDir(),
    listen: [...DEFAULT_LISTEN],
    bootstrap: [],
    mdns: false,
    api: { host: DEFAULT_API_HOST, port: DEFAULT_API_PORT, token: null, maxBodyBytes: DEFAULT_API_MAX_BODY_BYTES },
    communities: [DEFAULT_COMMUNITY],
    cells: defaultCells(),
    sensors: [],
    ingest: { community: DEFAULT_COMMUNITY },
    learning: defaultLearningConfig(),
    innate: defaultInnateConfig(),
    policy: defaultPolicyConfig(),
    threat: { peerRaiseSec: 300 },
    collaboration: defaultCollaborationConfig(),
    budgets: defaultBudgetsConfig(),
    memory: defaultMemoryConfig(),
    logging: { level: 'info', format: 'auto' }
  }
}
