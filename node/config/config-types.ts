/**
 * The shape of the node's configuration after defaults are merged and
 * validated. Every key is documented in docs/configuration.md.
 */
import type { MemoryConfig } from './memory-config.js'
import type { CellType, PolicyConfig } from '../respond/index.js'
import type { InnateConfig } from '../innate/index.js'
import type { BudgetsConfig } from './budgets.js'
export type { BudgetsConfig }

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
export type LogFormat = 'auto' | 'json' | 'pretty'
export type AccessLogFormat = 'combined' | 'common' | 'json'
import type { RenewMode } from '../supervisor/index.js'
export type { RenewMode }
export type LearningMode = 'soft' | 'hard'

export interface ApiConfig {
  host: string
  port: number
  /** Bearer token for the local API; required when `host` is not a loopback address. */
  token: string | null
  /** Largest accepted request body (ingest batches). */
  maxBodyBytes: number
}

export interface AccessLogConfig {
  path: string
  format: AccessLogFormat
}

interface CellBase {
  name: string
  type: CellType
  /** The software this cell runs: its community topic. */
  community: string
  /** /proc sampling interval for process-backed and host cells. */
  sampleIntervalSec: number
}

export interface SupervisedCellConfig extends CellBase {
  type: 'supervised'
  command: string
  args: string[]
  env: Record<string, string>
  /** Working directory; null = the node's. */
  cwd: string | null
  /** Periodic renewal (TNO self-healing software: 600 s); 0 = never. */
  renewIntervalSec: number
  /** While the threat level is raised, the renewal interval is divided by this. */
  renewUnderThreatFactor: number
  renewMode: RenewMode
  /** SIGTERM → SIGKILL grace when the node stops or renews the cell. */
  stopGraceSec: number
  restartBackoffInitialSec: number
  restartBackoffMaxSec: number
  /** Child output: inherited by the node, or discarded. */
  stdio: 'inherit' | 'ignore'
  accessLog: AccessLogConfig | null
  /** A cgroup v2 directory that holds only this cell (enables the cgroup freezer); null = signals. */
  cgroup: string | null
  /**
   * A cgroup v2 directory delegated to the node: each instance runs in a
   * child cgroup of its own there, renewal ends it with cgroup.kill and
   * quarantine freezes it. null: descendants are tracked by ancestry and
   * environment instead (docs/detection.md "Process cells").
   */
  cgroupParent: string | null
}

export interface PidCellConfig extends CellBase {
  type: 'pid'
  pid: number
  accessLog: AccessLogConfig | null
  cgroup: string | null
}

export interface ProcessNameCellConfig extends CellBase {
  type: 'process-name'
  /** Matches /proc/<pid>/comm or the basename of argv[0]. */
  processName: string
  accessLog: AccessLogConfig | null
  cgroup: string | null
}

export interface HttpCellConfig extends CellBase {
  type: 'http'
  accessLog: AccessLogConfig | null
}

export interface HostCellConfig extends CellBase {
  type: 'host'
}

export type CellConfig = SupervisedCellConfig | PidCellConfig | ProcessNameCellConfig | HttpCellConfig | HostCellConfig

export const CHAR_CLASSES = ['lower', 'upper', 'digit', 'space', 'punct', 'control', 'non-ascii'] as const
export type CharClass = typeof CHAR_CLASSES[number]

/** Prior knowledge about one parameter of one context (hard mode: a limit; soft mode: a starting point). */
export interface PriorConfig {
  /** e.g. `GET /search` or `cell:web`. */
  context: string
  parameter: string
  maxLength: number | null
  charClasses: CharClass[] | null
  /** Exact values known to be normal (enumerations). */
  values: string[] | null
}

export interface LearningConfig {
  /** Tolerization: a context guards only after this many observations... */
  minObservations: number
  /** ...and after this long since its first observation. */
  minDurationSec: number
  /** `hard`: priors are limits that learning cannot widen; `soft`: priors seed what is learned. */
  mode: LearningMode
  priors: PriorConfig[]
  /** False-positive rates on normal traffic that the two thresholds are calibrated to. */
  targetFpr: { level1: number, level2: number }
  /** Distinct sources a context must learn from before it guards (one client cannot teach an endpoint). */
  minSources: number
  /** What HTTP profiles read beyond query and body (docs/detection.md). */
  http: HttpLearningConfig
}

export interface HttpLearningConfig {
  /** Request headers modelled per application (lower-case names; cookies are modelled by name apart). */
  headers: string[]
  /** Parameter names dropped before learning and scoring (tracking tags; a trailing * matches a prefix). */
  ignoreParameters: string[]
  /** Cookie names dropped (analytics and ad cookies; a trailing * matches a prefix). */
  ignoreCookies: string[]
}

export interface IngestConfig {
  /** HTTP observations that name no configured cell belong to this community's software. */
  community: string
}

export interface ThreatConfig {
  /** How long one peer alert keeps the threat level raised. */
  peerRaiseSec: number
}

/** Selfish-member detection (docs/reputation.md, "Selfish members"); times in seconds. */
export interface SelfishConfig {
  /** Independent origins that make an attack episode community-wide (our own evidence also does). */
  minOrigins: number
  /** Episodes a peer must have been counted in before it can be flagged. */
  minEpisodes: number
  /** Significance level of the one-sided binomial test. */
  alpha: number
  /** A peer is judged against this share of the other members' report rate (1: the plain test). */
  rateTolerance: number
  /** An episode closes when no report arrived for this long... */
  episodeQuietSec: number
  /** ...or this long after it opened. */
  maxEpisodeSec: number
  /** Reports within this time after a close are late reports of that episode. */
  cooldownSec: number
}

/** How the node weighs its peers' alerts (node/intake). */
export interface CollaborationConfig {
  /** How often the intake closes selfish episodes and expires votes, warnings and blocks. */
  housekeepingIntervalSec: number
  selfish: SelfishConfig
  /**
   * Proxies and load balancers in front of the workloads (addresses or CIDR
   * blocks): never published as attacking sources, like the policy's
   * allowlist and the private ranges (docs/protocol.md "What leaves a host").
   */
  trustedProxies: string[]
  /** Per-origin rate limit of received alerts (protocol/mesh/origin-rate.ts): burst, then perSec. */
  originRate: { burst: number, perSec: number }
  /** When a source is a known normal client (node/intake/known-clients.ts): a peer naming one as an attacker is refuted. */
  knownClient: { minObservations: number, minSpanSec: number }
  /** The signature types and self-check (node/signatures/self-check.ts; docs/reputation.md "Signature types"). */
  signatures: SignatureSelfCheckConfig
}

export interface SignatureSelfCheckConfig {
  learningVettingFloor: number
  retireAfter: number
  retireMinSources: number
  learningRetireMinClients: number
  normalClientMinRequests: number
  normalClientMinSpanSec: number
  promoteAfter: number
  promoteMinSources: number
}

export interface LoggingConfig {
  level: LogLevel
  format: LogFormat
}

/** One `sensors[]` entry: a registered sensor type, the cell its observations belong to, and its own (validated) settings. */
export interface SensorConfig {
  type: string
  cell: string
  /** What the sensor's plug-in read from the entry (its factory's init). */
  init: unknown
}

export interface Config {
  dataDir: string
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  api: ApiConfig
  /** Every community joined: the listed ones plus each cell's and the ingest one (normalised, no duplicates). */
  communities: string[]
  cells: CellConfig[]
  /** Extra sensors (node/sensors plug-ins), besides the /proc sampler and the cells' access logs. */
  sensors: SensorConfig[]
  ingest: IngestConfig
  learning: LearningConfig
  /** The innate layer (node/innate): grammar checks that need no learning, and how they combine with the profile. */
  innate: InnateConfig
  policy: PolicyConfig
  threat: ThreatConfig
  collaboration: CollaborationConfig
  /** What each store and table may hold (node/config/budgets.ts). */
  budgets: BudgetsConfig
  /** The memory protocol (node/config/memory-config.ts). */
  memory: MemoryConfig
  logging: LoggingConfig
}

/** Command-line overrides (`--data-dir`, `--listen`, `--bootstrap`, `--api-port`). */
export interface ConfigOverrides {
  dataDir?: string
  listen?: string | string[]
  bootstrap?: string | string[]
  apiPort?: number | string
  apiHost?: string
}
