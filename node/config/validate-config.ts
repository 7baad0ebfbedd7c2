/**
 * Validates a parsed config object (from JSON or YAML) and merges it over the
 * defaults. Every problem is collected; the ConfigError names each field path,
 * the value found and what is accepted.
 */
import { isIP } from 'node:net'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { ConfigError } from '../errors.js'
import type { ConfigIssue } from '../errors.js'
import { readPolicyConfig } from '../respond/index.js'
import { CELL_TYPES, checkAllowlistEntry } from '../respond/index.js'
import { readInnateConfig } from '../innate/index.js'
import { Checker, isPlainObject, joinPath } from '../../core/index.js'
import type { Raw } from '../../core/index.js'
import { CHAR_CLASSES } from './config-types.js'
import { inspectParsed, MAX_CONFIG_DEPTH } from './inspect-parsed.js'
import { readBudgets } from './budgets.js'
import { createSensorRegistry } from '../sensors/index.js'
import { readMemoryConfig } from './memory-config.js'
import type { AccessLogConfig, CellConfig, CollaborationConfig, Config, LearningConfig, PriorConfig, SensorConfig } from './config-types.js'
import { CELL_DEFAULTS, DEFAULT_COMMUNITY, DEFAULT_SAMPLE_INTERVAL_SEC, defaultCells, defaultConfig } from './default-config.js'

const TOP_KEYS = ['version', 'dataDir', 'listen', 'bootstrap', 'mdns', 'api', 'communities', 'cells', 'sensors', 'ingest', 'learning', 'innate', 'policy', 'threat', 'collaboration', 'budgets', 'memory', 'logging'] as const
const COMMUNITY = /^[a-z0-9._-]{1,64}$/
const COMMUNITY_ACCEPTED = 'a software id matching [a-z0-9._-]{1,64}'
export const CELL_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/
const CELL_NAME_ACCEPTED = 'a cell name matching [A-Za-z0-9._-]{1,64}'
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const MAX_SEC = 365 * 86_400
const PID_MAX = 4_194_304

const CELL_KEYS: Record<string, string[]> = {
  supervised: ['name', 'type', 'community', 'sampleIntervalSec', 'command', 'args', 'env', 'cwd', 'renewIntervalSec', 'renewUnderThreatFactor', 'renewMode', 'stopGraceSec', 'restartBackoffInitialSec', 'restartBackoffMaxSec', 'restartBackoffInitialMs', 'restartBackoffMaxMs', 'stdio', 'accessLog', 'cgroup', 'cgroupParent'],
  pid: ['name', 'type', 'community', 'sampleIntervalSec', 'pid', 'accessLog', 'cgroup'],
  'process-name': ['name', 'type', 'community', 'sampleIntervalSec', 'processName', 'accessLog', 'cgroup'],
  http: ['name', 'type', 'community', 'accessLog'],
  host: ['name', 'type', 'community', 'sampleIntervalSec']
}

export interface ValidateOptions {
  /** Relative paths (dataDir, accessLog.path, cwd) are resolved against this (the config file's directory; default: cwd). */
  baseDir?: string
  /** The file the object came from, for error messages. */
  file?: string
}

/** `~` → home, relative → against baseDir. */
export function resolveConfigPath (p: string, baseDir: string): string {
  if (p === '~') return homedir()
  if (p.startsWith('~/')) return join(homedir(), p.slice(2))
  return isAbsolute(p) ? p : resolve(baseDir, p)
}

/** null when fine, else what is accepted. */
export function checkListenAddr (s: string): string | null {
  const accepted = 'a multiaddr to listen on, e.g. /ip4/0.0.0.0/tcp/4001 or /ip6/::/tcp/4001 (no /p2p part)'
  try {
    const names = multiaddr(s).getComponents().map(c => c.name)
    if (names.includes('p2p')) return accepted
    if (!names.includes('tcp') && !names.includes('memory')) return accepted
    return null
  } catch {
    return accepted
  }
}

/** null when fine, else what is accepted. */
export function checkBootstrapAddr (s: string): string | null {
  const accepted = 'a peer multiaddr ending in /p2p/<peerId>, e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW...'
  try {
    const comps = multiaddr(s).getComponents()
    const last = comps[comps.length - 1]
    if (comps.length < 2 || last?.name !== 'p2p' || last.value == null) return accepted
    peerIdFromString(last.value)
    return null
  } catch {
    return accepted
  }
}

export function isLoopbackHost (host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  const h = host.toLowerCase()
  return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h)
}

function readAccessLog (c: Checker, f: string, v: unknown, baseDir: string): AccessLogConfig | null {
  if (v === undefined || v === null) return null
  const raw = typeof v === 'string' ? { path: v } : v
  const o = c.object(f, raw, ['path', 'format'])
  if (!isPlainObject(raw)) return null
  if (o.path === undefined) c.add(joinPath(f, 'path'), undefined, 'the path of an access log file')
  const path = c.string(joinPath(f, 'path'), o.path, '', { accepted: 'the path of an access log file' })
  const format = c.oneOf(joinPath(f, 'format'), o.format, ['combined', 'common', 'json'] as const, 'combined')
  return { path: path === '' ? '' : resolveConfigPath(path, baseDir), format }
}

function readCgroup (c: Checker, f: string, v: unknown): string | null {
  if (v === undefined || v === null) return null
  const s = c.string(f, v, '', { accepted: 'a cgroup v2 directory (absolute, or relative to /sys/fs/cgroup) or null' })
  if (s === '') return null
  return isAbsolute(s) ? s : join('/sys/fs/cgroup', s)
}

function readCell (c: Checker, f: string, v: unknown, defCommunity: string, baseDir: string): CellConfig | undefined {
  if (!isPlainObject(v)) { c.add(f, v, `a cell object {name, type: ${CELL_TYPES.join('|')}, ...}`); return undefined }
  const type = v.type
  if (typeof type !== 'string' || !(CELL_TYPES as readonly string[]).includes(type)) {
    c.add(joinPath(f, 'type'), type, `one of ${CELL_TYPES.join(', ')}`)
    return undefined
  }
  const o = c.object(f, v, CELL_KEYS[type])
  if (o.name === undefined) c.add(joinPath(f, 'name'), undefined, CELL_NAME_ACCEPTED)
  const name = c.string(joinPath(f, 'name'), o.name, '', { pattern: CELL_NAME_PATTERN, accepted: CELL_NAME_ACCEPTED })
  const community = c.string(joinPath(f, 'community'), o.community, defCommunity, { pattern: COMMUNITY, accepted: COMMUNITY_ACCEPTED })
  const sampleIntervalSec = c.number(joinPath(f, 'sampleIntervalSec'), o.sampleIntervalSec, DEFAULT_SAMPLE_INTERVAL_SEC, { min: 0.1, max: 3600 })
  const base = { name, community }
  switch (type) {
    case 'host':
      return { ...base, type, sampleIntervalSec }
    case 'http':
      return { ...base, type, sampleIntervalSec, accessLog: readAccessLog(c, joinPath(f, 'accessLog'), o.accessLog, baseDir) }
    case 'pid': {
      if (o.pid === undefined) c.add(joinPath(f, 'pid'), undefined, `a process id (integer 1 to ${PID_MAX})`)
      const pid = c.number(joinPath(f, 'pid'), o.pid, 0, { integer: true, min: 1, max: PID_MAX })
      return { ...base, type, sampleIntervalSec, pid, accessLog: readAccessLog(c, joinPath(f, 'accessLog'), o.accessLog, baseDir), cgroup: readCgroup(c, joinPath(f, 'cgroup'), o.cgroup) }
    }
    case 'process-name': {
      if (o.processName === undefined) c.add(joinPath(f, 'processName'), undefined, 'a process name (as in /proc/<pid>/comm, or the basename of argv[0])')
      const processName = c.string(joinPath(f, 'processName'), o.processName, '', { maxLength: 255, accepted: 'a process name (as in /proc/<pid>/comm, or the basename of argv[0])' })
      return { ...base, type, sampleIntervalSec, processName, accessLog: readAccessLog(c, joinPath(f, 'accessLog'), o.accessLog, baseDir), cgroup: readCgroup(c, joinPath(f, 'cgroup'), o.cgroup) }
    }
    default: {
      const d = CELL_DEFAULTS.supervised
      if (o.command === undefined) c.add(joinPath(f, 'command'), undefined, 'the command to run (a path, or a name on PATH)')
      const command = c.string(joinPath(f, 'command'), o.command, '', { accepted: 'the command to run (a path, or a name on PATH)' })
      const args = c.array(joinPath(f, 'args'), o.args, [...d.args], (af, x) => {
        if (typeof x !== 'string' && typeof x !== 'number') { c.add(af, x, 'a string'); return undefined }
        return String(x)
      }, { maxItems: 1024, accepted: 'an array of strings' })
      const env: Record<string, string> = {}
      const ef = joinPath(f, 'env')
      if (o.env !== undefined) {
        if (!isPlainObject(o.env)) c.add(ef, o.env, 'an object of environment variables {NAME: "value"}')
        else {
          for (const [k, val] of Object.entries(o.env)) {
            if (!ENV_NAME.test(k)) c.add(joinPath(ef, k), val, 'an environment variable name matching [A-Za-z_][A-Za-z0-9_]*')
            else if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') c.add(joinPath(ef, k), val, 'a string value')
            else env[k] = String(val)
          }
        }
      }
      const cwdRaw = c.nullableString(joinPath(f, 'cwd'), o.cwd, null, { accepted: 'a directory' })
      const renewIntervalSec = c.number(joinPath(f, 'renewIntervalSec'), o.renewIntervalSec, d.renewIntervalSec, { min: 0, max: MAX_SEC })
      const renewUnderThreatFactor = c.number(joinPath(f, 'renewUnderThreatFactor'), o.renewUnderThreatFactor, d.renewUnderThreatFactor, { min: 1, max: 1000 })
      const renewMode = c.oneOf(joinPath(f, 'renewMode'), o.renewMode, ['stop-then-start', 'start-then-stop'] as const, d.renewMode)
      const stopGraceSec = c.number(joinPath(f, 'stopGraceSec'), o.stopGraceSec, d.stopGraceSec, { min: 0, max: 3600 })
      // config durations are in seconds; the *Ms spellings of before are still read (converted)
      const secOrMs = (sec: string, ms: string): unknown => o[sec] !== undefined ? o[sec] : typeof o[ms] === 'number' ? (o[ms] as number) / 1000 : o[ms]
      const backoffInitialField = o.restartBackoffInitialSec === undefined && o.restartBackoffInitialMs !== undefined ? 'restartBackoffInitialMs' : 'restartBackoffInitialSec'
      const backoffMaxField = o.restartBackoffMaxSec === undefined && o.restartBackoffMaxMs !== undefined ? 'restartBackoffMaxMs' : 'restartBackoffMaxSec'
      const restartBackoffInitialSec = c.number(joinPath(f, backoffInitialField), secOrMs('restartBackoffInitialSec', 'restartBackoffInitialMs'), d.restartBackoffInitialSec, { min: 0.001, max: 3600 })
      const restartBackoffMaxSec = c.number(joinPath(f, backoffMaxField), secOrMs('restartBackoffMaxSec', 'restartBackoffMaxMs'), Math.max(d.restartBackoffMaxSec, restartBackoffInitialSec), { min: restartBackoffInitialSec, max: 86_400 })
      const stdio = c.oneOf(joinPath(f, 'stdio'), o.stdio, ['inherit', 'ignore'] as const, d.stdio)
      return {
        ...base,
        type: 'supervised',
        sampleIntervalSec,
        command,
        args,
        env,
        cwd: cwdRaw == null ? null : resolveConfigPath(cwdRaw, baseDir),
        renewIntervalSec,
        renewUnderThreatFactor,
        renewMode,
        stopGraceSec,
        restartBackoffInitialSec,
        restartBackoffMaxSec,
        stdio,
        accessLog: readAccessLog(c, joinPath(f, 'accessLog'), o.accessLog, baseDir),
        cgroup: readCgroup(c, joinPath(f, 'cgroup'), o.cgroup),
        cgroupParent: readCgroup(c, joinPath(f, 'cgroupParent'), o.cgroupParent)
      }
    }
  }
}

function readLearning (c: Checker, raw: unknown): LearningConfig {
  const d = defaultConfig().learning
  const o = c.object('learning', raw, ['minObservations', 'minDurationSec', 'mode', 'priors', 'targetFpr', 'minSources', 'http'])
  const minObservations = c.number('learning.minObservations', o.minObservations, d.minObservations, { integer: true, min: 1, max: 100_000_000 })
  const minDurationSec = c.number('learning.minDurationSec', o.minDurationSec, d.minDurationSec, { min: 0, max: MAX_SEC })
  const mode = c.oneOf('learning.mode', o.mode, ['soft', 'hard'] as const, d.mode)
  const priors = c.array('learning.priors', o.priors, d.priors, (pf, pv): PriorConfig | undefined => {
    const p = c.object(pf, pv, ['context', 'parameter', 'maxLength', 'charClasses', 'values'])
    if (!isPlainObject(pv)) return undefined
    if (p.context === undefined) c.add(joinPath(pf, 'context'), undefined, 'a context, e.g. "GET /search" or "cell:web"')
    const context = c.string(joinPath(pf, 'context'), p.context, '', { maxLength: 512, accepted: 'a context, e.g. "GET /search" or "cell:web"' })
    const parameter = c.string(joinPath(pf, 'parameter'), p.parameter, '', { minLength: 0, maxLength: 256, accepted: 'a parameter name ("" for the context as a whole)' })
    const maxLength = c.nullableNumber(joinPath(pf, 'maxLength'), p.maxLength, null, { integer: true, min: 0, max: 10_000_000 })
    const charClasses = p.charClasses === undefined || p.charClasses === null
      ? null
      : c.array(joinPath(pf, 'charClasses'), p.charClasses, [], (cf, cv) => {
        if (typeof cv !== 'string' || !(CHAR_CLASSES as readonly string[]).includes(cv)) { c.add(cf, cv, `one of ${CHAR_CLASSES.join(', ')}`); return undefined }
        return cv as PriorConfig['charClasses'] extends Array<infer T> | null ? T : never
      }, { accepted: `an array of character classes (${CHAR_CLASSES.join(', ')})` })
    const values = p.values === undefined || p.values === null
      ? null
      : c.array(joinPath(pf, 'values'), p.values, [], (vf, vv) => {
        if (typeof vv !== 'string') { c.add(vf, vv, 'a string'); return undefined }
        return vv
      }, { maxItems: 10_000, accepted: 'an array of strings' })
    if (maxLength == null && charClasses == null && values == null) c.add(pf, pv, 'a prior with at least one of maxLength, charClasses, values')
    return { context, parameter, maxLength, charClasses, values }
  }, { maxItems: 100_000, accepted: 'an array of priors {context, parameter, maxLength?, charClasses?, values?}' })
  const t = c.object('learning.targetFpr', o.targetFpr, ['level1', 'level2'])
  const level1 = c.number('learning.targetFpr.level1', t.level1, d.targetFpr.level1, { gt: 0, max: 0.5 })
  const level2 = c.number('learning.targetFpr.level2', t.level2, Math.min(d.targetFpr.level2, level1 / 10), { gt: 0, max: 0.5 })
  if (level2 >= level1 && t.level2 !== undefined) c.add('learning.targetFpr.level2', t.level2, `a number > 0 and < learning.targetFpr.level1 (${level1}): level 2 is the stricter threshold`)
  const minSources = c.number('learning.minSources', o.minSources, d.minSources, { integer: true, min: 1, max: 1_000_000 })
  const h = c.object('learning.http', o.http, ['headers', 'ignoreParameters', 'ignoreCookies'])
  const names = (field: string, v: unknown, def: string[], re: RegExp, accepted: string): string[] => c.array(field, v, def, (f, x) => {
    if (typeof x !== 'string' || !re.test(x)) { c.add(f, x, accepted); return undefined }
    return x
  }, { maxItems: 1000, accepted: `an array of ${accepted}s` })
  const headers = names('learning.http.headers', h.headers, d.http.headers, /^(?!cookie$|host$)[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'lower-case header name (not cookie or host)')
  const ignoreParameters = names('learning.http.ignoreParameters', h.ignoreParameters, d.http.ignoreParameters, /^(?!\*$).{1,64}$/, 'parameter name (a trailing * for a prefix)')
  const ignoreCookies = names('learning.http.ignoreCookies', h.ignoreCookies, d.http.ignoreCookies, /^(?!\*$).{1,64}$/, 'cookie name (a trailing * for a prefix)')
  return { minObservations, minDurationSec, mode, priors, targetFpr: { level1, level2 }, minSources, http: { headers, ignoreParameters, ignoreCookies } }
}

/** Largest selfish minEpisodes: the tracker halves its counts past 64 episodes per peer. */
const MAX_SELFISH_EPISODES = 64

function readCollaboration (c: Checker, raw: unknown): CollaborationConfig {
  const d = defaultConfig().collaboration
  const o = c.object('collaboration', raw, ['housekeepingIntervalSec', 'selfish', 'trustedProxies', 'originRate', 'knownClient', 'signatures'])
  const housekeepingIntervalSec = c.number('collaboration.housekeepingIntervalSec', o.housekeepingIntervalSec, d.housekeepingIntervalSec, { min: 0.1, max: 3600 })
  const so = c.object('collaboration.selfish', o.selfish, ['minOrigins', 'minEpisodes', 'alpha', 'rateTolerance', 'episodeQuietSec', 'maxEpisodeSec', 'cooldownSec'])
  const f = (k: string): string => `collaboration.selfish.${k}`
  const minOrigins = c.number(f('minOrigins'), so.minOrigins, d.selfish.minOrigins, { integer: true, min: 1, max: 1000 })
  const minEpisodes = c.number(f('minEpisodes'), so.minEpisodes, d.selfish.minEpisodes, { integer: true, min: 1, max: MAX_SELFISH_EPISODES })
  const alpha = c.number(f('alpha'), so.alpha, d.selfish.alpha, { gt: 0, max: 0.5 })
  const rateTolerance = c.number(f('rateTolerance'), so.rateTolerance, d.selfish.rateTolerance, { gt: 0, max: 1 })
  const episodeQuietSec = c.number(f('episodeQuietSec'), so.episodeQuietSec, d.selfish.episodeQuietSec, { gt: 0, max: MAX_SEC })
  const maxEpisodeSec = c.number(f('maxEpisodeSec'), so.maxEpisodeSec, Math.max(d.selfish.maxEpisodeSec, episodeQuietSec), { gt: 0, max: MAX_SEC })
  if (maxEpisodeSec < episodeQuietSec) c.add(f('maxEpisodeSec'), so.maxEpisodeSec, `a number >= collaboration.selfish.episodeQuietSec (${episodeQuietSec})`)
  const cooldownSec = c.number(f('cooldownSec'), so.cooldownSec, d.selfish.cooldownSec, { min: 0, max: MAX_SEC })
  const trustedProxies = c.stringList('collaboration.trustedProxies', o.trustedProxies, d.trustedProxies, checkAllowlistEntry, 'an IPv4/IPv6 address or CIDR block')
  const ro = c.object('collaboration.originRate', o.originRate, ['burst', 'perSec'])
  const burst = c.number('collaboration.originRate.burst', ro.burst, d.originRate.burst, { integer: true, min: 1, max: 100_000 })
  const perSec = c.number('collaboration.originRate.perSec', ro.perSec, d.originRate.perSec, { gt: 0, max: 10_000 })
  const ko = c.object('collaboration.knownClient', o.knownClient, ['minObservations', 'minSpanSec'])
  const minObservations = c.number('collaboration.knownClient.minObservations', ko.minObservations, d.knownClient.minObservations, { integer: true, min: 1, max: 1_000_000 })
  const minSpanSec = c.number('collaboration.knownClient.minSpanSec', ko.minSpanSec, d.knownClient.minSpanSec, { min: 0, max: MAX_SEC })
  const sg = c.object('collaboration.signatures', o.signatures, ['learningVettingFloor', 'retireAfter', 'retireMinSources', 'learningRetireMinClients', 'normalClientMinRequests', 'normalClientMinSpanSec', 'promoteAfter', 'promoteMinSources'])
  const ds = d.signatures
  const g = (k: keyof typeof ds, min: number, max: number): number => c.number(`collaboration.signatures.${k}`, sg[k], ds[k], { integer: k !== 'normalClientMinSpanSec', min, max })
  const signatures = {
    learningVettingFloor: g('learningVettingFloor', 0, 1_000_000),
    retireAfter: g('retireAfter', 1, 1_000_000),
    retireMinSources: g('retireMinSources', 1, 1_000_000),
    learningRetireMinClients: g('learningRetireMinClients', 1, 1_000_000),
    normalClientMinRequests: g('normalClientMinRequests', 1, 1_000_000),
    normalClientMinSpanSec: g('normalClientMinSpanSec', 0, MAX_SEC),
    promoteAfter: g('promoteAfter', 1, 1_000_000),
    promoteMinSources: g('promoteMinSources', 1, 1_000_000)
  }
  return { housekeepingIntervalSec, selfish: { minOrigins, minEpisodes, alpha, rateTolerance, episodeQuietSec, maxEpisodeSec, cooldownSec }, originRate: { burst, perSec }, knownClient: { minObservations, minSpanSec }, trustedProxies, signatures }
}

/** Reads and validates; returns the merged config and every issue found (empty when valid). */
export function checkConfig (raw: unknown, opts: ValidateOptions = {}): { config: Config, issues: ConfigIssue[] } {
  const baseDir = opts.baseDir ?? process.cwd()
  const c = new Checker()
  const d = defaultConfig()
  const inspected = inspectParsed(raw)
  if (inspected.tooDeep != null) {
    c.add(inspected.tooDeep.slice(0, 60), '(nested too deep)', `a config at most ${MAX_CONFIG_DEPTH} levels deep`)
    return { config: defaultConfig(), issues: c.issues }
  }
  if (raw === null) c.add('', null, 'a config object (a mapping of keys such as dataDir, cells, policy; an empty file gives the defaults)')
  const o = c.object('', raw ?? {}, TOP_KEYS)
  if (o.version !== undefined && o.version !== 1) c.add('version', o.version, '1')

  const dataDirRaw = c.string('dataDir', o.dataDir, d.dataDir, { accepted: 'a directory path (created if missing)' })
  const listen = c.stringList('listen', o.listen, d.listen, checkListenAddr, 'a multiaddr to listen on')
  const bootstrap = c.stringList('bootstrap', o.bootstrap, d.bootstrap, checkBootstrapAddr, 'a peer multiaddr ending in /p2p/<peerId>')
  const mdns = c.boolean('mdns', o.mdns, d.mdns)

  const a = c.object('api', o.api, ['host', 'port', 'token', 'maxBodyBytes'])
  const host = c.string('api.host', a.host, d.api.host, { accepted: 'an IPv4/IPv6 address or localhost', pattern: /^(localhost|[0-9a-fA-F.:]+)$/ })
  if (a.host !== undefined && typeof a.host === 'string' && a.host !== 'localhost' && isIP(a.host) === 0 && /^[0-9a-fA-F.:]+$/.test(a.host)) c.add('api.host', a.host, 'an IPv4/IPv6 address or localhost')
  const port = c.number('api.port', a.port, d.api.port, { integer: true, min: 0, max: 65535 })
  const token = c.nullableString('api.token', a.token, null, { minLength: 16, maxLength: 512, pattern: /^[\x21-\x7e]+$/, accepted: 'a token of 16 to 512 printable characters without spaces' })
  if (token == null && !isLoopbackHost(host)) {
    c.add('api.token', a.token ?? null, `a token of 16 to 512 printable characters: required because api.host ${JSON.stringify(host)} is not a loopback address (or bind api.host to 127.0.0.1)`)
  }
  const maxBodyBytes = c.number('api.maxBodyBytes', a.maxBodyBytes, d.api.maxBodyBytes, { integer: true, min: 1024, max: 1024 * 1024 * 1024 })

  const listed = c.stringList('communities', o.communities, d.communities, s => COMMUNITY.test(s) ? null : COMMUNITY_ACCEPTED, COMMUNITY_ACCEPTED)
  const firstCommunity = listed[0] ?? DEFAULT_COMMUNITY

  const ing = c.object('ingest', o.ingest, ['community'])
  const ingestCommunity = c.string('ingest.community', ing.community, firstCommunity, { pattern: COMMUNITY, accepted: COMMUNITY_ACCEPTED })

  const cells = c.array('cells', o.cells, defaultCells().map(x => ({ ...x, community: firstCommunity })), (f, v) => readCell(c, f, v, firstCommunity, baseDir), { maxItems: 1024, accepted: 'an array of cells' })
  const seenCells = new Map<string, number>()
  let hosts = 0
  cells.forEach((cell, i) => {
    if (cell.name === '') return
    const prev = seenCells.get(cell.name)
    if (prev != null) c.add(`cells[${i}].name`, cell.name, `a cell name not already used (cells[${prev}] is ${JSON.stringify(cell.name)})`)
    else seenCells.set(cell.name, i)
    if (cell.type === 'host' && ++hosts > 1) c.add(`cells[${i}].type`, 'host', 'at most one cell of type host')
  })

  const sensors = readSensors(c, o.sensors, ['ingest', ...seenCells.keys()], baseDir)
  const learning = readLearning(c, o.learning)
  const innate = readInnateConfig(c, o.innate, cells.filter(x => x.name !== '' && x.type !== 'host').map(x => x.name))
  const policy = readPolicyConfig(c, 'policy', o.policy, cells.filter(x => x.name !== '').map(x => ({ name: x.name, type: x.type })))

  const th = c.object('threat', o.threat, ['peerRaiseSec'])
  const peerRaiseSec = c.number('threat.peerRaiseSec', th.peerRaiseSec, d.threat.peerRaiseSec, { integer: true, min: 1, max: 7 * 86_400 })

  const collaboration = readCollaboration(c, o.collaboration)
  const budgets = readBudgets(c, o.budgets)
  const memory = readMemoryConfig(c, o.memory)

  const lg = c.object('logging', o.logging, ['level', 'format'])
  const logging = {
    level: c.oneOf('logging.level', lg.level, ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, d.logging.level),
    format: c.oneOf('logging.format', lg.format, ['auto', 'json', 'pretty'] as const, d.logging.format)
  }

  const communities = [...new Set([...listed, ...cells.map(x => x.community), ingestCommunity])]
  const config: Config = {
    dataDir: resolveConfigPath(dataDirRaw, baseDir),
    listen,
    bootstrap,
    mdns,
    api: { host, port, token, maxBodyBytes },
    communities,
    cells,
    sensors,
    ingest: { community: ingestCommunity },
    learning,
    innate,
    policy,
    threat: { peerRaiseSec },
    collaboration,
    budgets,
    memory,
    logging
  }
  // a number that is not finite (JSON 1e309, YAML .inf) is named where it is, even in a field whose reader tolerated it
  const reported = new Set(c.issues.map(i => i.field))
  for (const field of inspected.nonFinite) {
    if (!reported.has(field)) c.add(field, Infinity, 'a finite number')
  }
  return { config, issues: c.issues }
}

/**
 * `sensors[]`: each entry names a registered sensor `type` (node/sensors) and
 * the `cell` its observations belong to; the rest is read by that sensor's own
 * schema (its plug-in's readConfig), so a new sensor brings its config with it.
 */
function readSensors (c: Checker, v: unknown, cellNames: readonly string[], baseDir: string): SensorConfig[] {
  const registry = createSensorRegistry()
  const listable = registry.types().filter(t => registry.plugin(t)?.readConfig != null)
  return c.array('sensors', v, [], (f, raw) => {
    if (!isPlainObject(raw)) { c.add(f, raw, `a sensor {type, cell, ...} (types: ${listable.join(', ')})`); return undefined }
    const type = c.oneOf(joinPath(f, 'type'), raw.type, listable, listable[0])
    if (raw.type === undefined) c.add(joinPath(f, 'type'), undefined, `one of ${listable.join(', ')}`)
    const cell = c.oneOf(joinPath(f, 'cell'), raw.cell, cellNames, 'ingest')
    const plugin = registry.plugin(type)
    if (plugin?.readConfig == null) return undefined
    const init = plugin.readConfig(c, f, raw, { resolvePath: (p) => p === '' ? '' : resolveConfigPath(p, baseDir) })
    return { type, cell, init }
  }, { maxItems: 256, accepted: 'an array of sensors {type, cell, ...}' })
}

/** Validates `raw` (merged over the defaults); returns a frozen Config or throws ConfigError listing every problem. */
export function validateConfig (raw: unknown, opts: ValidateOptions = {}): Config {
  const { config, issues } = checkConfig(raw, opts)
  if (issues.length > 0) throw new ConfigError(issues, opts.file)
  return freezeConfig(config)
}

export function freezeConfig<T> (o: T): T {
  if (o != null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o as Raw)) freezeConfig(v)
  }
  return o
}
