/**
 * Detection for the daemon: one HTTP detector (per-endpoint, per-parameter
 * profiles) per cell that receives HTTP observations, and one detector over
 * process samples for every process-backed cell and the host, each built
 * through the detectors per observation kind (detector-kinds.ts). Built on
 * node/detector and node/profile.
 *
 * Nothing acknowledged is lost on kill -9 (DESIGN.md invariant 4): profiles
 * are snapshotted to level every few seconds, and every observation that
 * reached a detector since the last snapshot is in a journal (the `journal`
 * sublevel) that `commit()` writes before the ingest API answers. On start,
 * the snapshot is loaded and the journal replayed through the same detector,
 * so a restarted node resumes in the phase it was in, with what it learned.
 * The detectors' own flush timers are turned off, but a detector still saves
 * a context by itself when it turns to guarding, so a saved profile may
 * already hold observations that are still in the journal. Each journal entry
 * therefore carries its context's `seen` count after it was observed, and the
 * replay skips the entries a loaded profile already counts: no observation is
 * learned twice, none is lost. During the replay the detectors' clock reads
 * each entry's own time, so learning periods (minDurationSec) and calibration
 * resume as they were, not from the restart.
 */
import type { Clock, TimerHandle } from '../../core/index.js'
import { detectorParamsFromConfig } from '../config/index.js'
import type { Config, PriorConfig } from '../config/index.js'
import { createStatusMonitor } from '../detector/index.js'
import type { Detector, SensitivityTable, StatusMonitor } from '../detector/index.js'
import type { DangerLevel, HttpObservation, HttpStatusReport, Observation, Phase, ProcessObservation } from '../observation.js'
import { createHttpPriors, httpContextOf } from '../profile/http/index.js'
import type { HttpCharClass, HttpPriorRule, ValueChecker } from '../profile/http/index.js'
import { PROFILES_SUBLEVEL } from '../profile/index.js'
import { BUILTIN_DETECTOR_KINDS, createDetectorKindRegistry, httpDetectorKind, processDetectorKind } from './detector-kinds.js'
import type { DetectorKind, DetectorKindContext, DetectorKindRegistry } from './detector-kinds.js'
import type { Store, Sublevel } from '../store/index.js'
import { createInnateDetector, createInnateGate, innateCellPolicy, innateExclusion } from '../innate/index.js'
import type { InnateDetector, InnateGate, InnateGrammar, InnateLocation } from '../innate/index.js'
import type { Logger } from './logger.js'
import type { CellRef, ContextStatus, Detection, DetectionResult } from './detection-types.js'

export interface DetectionComponents {
  clock: Clock
  store: Store
  logger: Logger
  /** Peer-raised sensitivity per community (node/brain); default: each detector keeps its own. */
  sensitivity?: (community: string) => SensitivityTable
}

export interface DetectionInit {
  config: Config
  /** The detectors per observation kind (default: BUILTIN_DETECTOR_KINDS, node/daemon/detector-kinds.ts). */
  kinds?: readonly DetectorKind<any>[]
  /** How often profiles are snapshotted (and the journal truncated). */
  snapshotIntervalMs?: number
  /** How often learning contexts whose time is up are switched to guarding (default 1 s). */
  promoteIntervalMs?: number
}

/**
 * P-values of innate findings as evidence terms in the profile (value checker):
 * a strong finding (a tautology, a script tag) is as rare as evidence gets; a
 * weak one (one `../`, a quote then a comment) is a 1-in-1000 event.
 */
const INNATE_STRONG_P = 1e-6
const INNATE_WEAK_P = 1e-3
const JOURNAL_SUBLEVEL = 'journal'

interface JournalEntry {
  /** Detector (profile set) name. */
  d: string
  o: Observation
  /** The context's `seen` count right after this observation (absent in journals written before it existed). */
  s?: number
}


/** Config priors (hard mode) → the HTTP detector's prior rules. */
export function httpPriorRules (priors: PriorConfig[]): HttpPriorRule[] {
  const classMap: Record<string, HttpCharClass[]> = {
    lower: ['lower'], upper: ['upper'], digit: ['digit'], space: ['space'], punct: ['punct'], control: ['control'], 'non-ascii': ['letter', 'other']
  }
  return priors.filter((p) => !p.context.startsWith('process:')).map((p) => {
    const rule: HttpPriorRule = { context: p.context.replace(/^(\S+)\s/, (m) => m.toLowerCase()), parameter: p.parameter === '' ? '*' : p.parameter }
    if (p.maxLength != null) rule.maxLength = p.maxLength
    if (p.charClasses != null) rule.allowedClasses = [...new Set(p.charClasses.flatMap((c) => classMap[c] ?? []))]
    if (p.values != null) rule.pattern = `^(?:${p.values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`
    return rule
  })
}

/** The innate inspector as the HTTP profile's value checker (issue 9's seam), honouring `innate.ignore` exclusions. */
export function innateValueChecker (inspector: InnateDetector, exclude?: (context: string, location: InnateLocation, name: string) => boolean | readonly InnateGrammar[]): ValueChecker {
  return (value, where) => {
    const name = where.parameter.replace(/^(header|cookie):/, '')
    const skip = exclude?.(where.context, where.location, name)
    if (skip === true) return null
    const r = inspector.inspect(value, { location: where.location, name, encoding: 'none' }, skip === false || skip == null ? undefined : skip)
    const f = r.findings.find((x) => x.strength === 'strong') ?? r.findings[0]
    if (f == null) return null
    return { p: f.strength === 'strong' ? INNATE_STRONG_P : INNATE_WEAK_P, grammar: `${f.grammar} (${f.context})`, token: f.token, offset: f.offset }
  }
}


export function createDetection (c: DetectionComponents, init: DetectionInit): Detection & { snapshot: () => Promise<void> } {
  const { store, logger } = c
  /** While the journal is replayed, the detectors see each entry's own time. */
  let replayTimeMs: number | null = null
  const clock: Clock = {
    now: () => replayTimeMs ?? c.clock.now(),
    setTimeout: (fn, ms) => c.clock.setTimeout(fn, ms),
    clearTimeout: (h) => { c.clock.clearTimeout(h) },
    setInterval: (fn, ms) => c.clock.setInterval(fn, ms),
    clearInterval: (h) => { c.clock.clearInterval(h) }
  }
  const config = init.config
  const params = detectorParamsFromConfig(config)
  const priors = config.learning.mode === 'hard' && config.learning.priors.length > 0 ? createHttpPriors(httpPriorRules(config.learning.priors)) : undefined
  const journal: Sublevel = store.sub(JOURNAL_SUBLEVEL)
  const detectorLogger = { warn: (o: Record<string, unknown>, m?: string) => { logger.warn(o, m) }, info: (o: Record<string, unknown>, m?: string) => { if (replayTimeMs == null) logger.info(o, m) } }

  const kinds: DetectorKindRegistry = createDetectorKindRegistry(init.kinds ?? BUILTIN_DETECTOR_KINDS)
  /** Every detector by its set name (`http:<cell>`, `process`), with its kind: journal, snapshots, replay and status walk this. */
  const detectors = new Map<string, { kind: DetectorKind<any>, cell: string, detector: Detector<Observation> }>()
  const detectorFor = <O extends Observation>(kind: DetectorKind<O>, cell: string): Detector<O> => {
    const name = kind.setName(cell)
    let d = detectors.get(name)
    if (d == null) {
      d = { kind, cell, detector: kind.create(kindContext, cell) as unknown as Detector<Observation> }
      detectors.set(name, d)
    }
    return d.detector as unknown as Detector<O>
  }
  const communityOf = new Map<string, string>([['ingest', config.ingest.community], ...config.cells.map((x): [string, string] => [x.name, x.community])])
  /** Per cell: response statuses per source and context (error storms). */
  const statuses = new Map<string, StatusMonitor>()
  const statusFor = (cell: string): StatusMonitor => {
    let m = statuses.get(cell)
    if (m == null) { m = createStatusMonitor(); statuses.set(cell, m) }
    return m
  }
  /** The last verdict per (source, context), so that an after-the-fact status knows whether its request was normal (bounded). */
  const lastDanger = new Map<string, DangerLevel>()
  const rememberDanger = (source: string | undefined, context: string, danger: DangerLevel): void => {
    if (source == null) return
    const k = `${source} ${context}`
    lastDanger.delete(k)
    lastDanger.set(k, danger)
    if (lastDanger.size > 10_000) lastDanger.delete(lastDanger.keys().next().value as string)
  }
  const statusKey = (cell: string): string => `status\u0000${cell}`
  const httpFor = (cell: string): Detector<HttpObservation> => detectorFor(kinds.get('http') as DetectorKind<HttpObservation> ?? httpDetectorKind, cell)
  const processDetector = (): Detector<ProcessObservation> => detectorFor(kinds.get('process') as DetectorKind<ProcessObservation> ?? processDetectorKind, '')

  // the innate layer (node/innate), one gate per cell (its policy and ignore rules); null when turned off for the cell
  const gates = new Map<string, InnateGate | null>()
  const inspector = createInnateDetector({ grammars: config.innate.grammars, headers: config.innate.headers })
  const gateFor = (cell: string): InnateGate | null => {
    let g = gates.get(cell)
    if (g === undefined) {
      const { enabled, policy } = innateCellPolicy(config.innate, cell)
      const exclude = innateExclusion(config.innate, cell)
      g = enabled ? createInnateGate({ inspector, policy, ...(exclude != null ? { exclude } : {}) }) : null
      gates.set(cell, g)
    }
    return g
  }

  const valueCheckerFor = (cell: string): ValueChecker => innateValueChecker(inspector, innateExclusion(config.innate, cell) ?? undefined)

  const kindContext: DetectorKindContext = {
    clock,
    store,
    logger: detectorLogger,
    config,
    params,
    sensitivity: (cell) => {
      const community = communityOf.get(cell)
      return community != null ? c.sensitivity?.(community) : undefined
    },
    // the innate layer judges the values no profile model knows (unknown parameters and cookies, the
    // values seen by the app-wide second opinion at a new endpoint): issue 9's value-checker seam
    valueChecker: (cell) => gateFor(cell) != null ? valueCheckerFor(cell) : undefined,
    ...(priors != null ? { httpPriors: priors } : {})
  }
  /** Every kind's cells: their detectors are made up front so their profiles load before the journal replays. */
  const startCells = (): Array<[DetectorKind<any>, string]> => kinds.kinds().flatMap((k) => {
    const kind = kinds.get(k) as DetectorKind<any>
    return kind.cells(config).map((cell): [DetectorKind<any>, string] => [kind, cell])
  })
  const httpCells = httpDetectorKind.cells(config)

  /** Journal position: the last observation recorded; pending holds (writtenSeq + in flight, seq]. */
  let seq = 0
  let writtenSeq = 0
  let pending: JournalEntry[] = []
  let inFlight: Promise<void> | null = null
  let timer: TimerHandle | null = null
  let promoteTimer: TimerHandle | null = null
  let started = false

  const key = (n: number): string => String(n).padStart(16, '0')

  /** Only detectors that exist (and were started) take part in a replay. */
  const detectorByName = (name: string): { kind: DetectorKind<any>, detector: Detector<Observation> } | undefined => detectors.get(name)

  /**
   * Group commit: one journal record (keyed by its LAST seq) holds everything
   * pending when it is written; callers that arrive while a write is in flight
   * wait for it and then share the next one. Resolves when every observation
   * recorded before the call is written. A failed write puts its entries back.
   */
  const commit = async (): Promise<void> => {
    const target = seq
    while (writtenSeq < target) {
      if (inFlight == null) {
        const batch = pending
        const last = seq
        if (batch.length === 0) { writtenSeq = last; break }
        pending = []
        inFlight = journal.put(key(last), { e: batch }).then(
          () => { writtenSeq = last },
          (err: unknown) => { pending = batch.concat(pending); throw err }
        ).finally(() => { inFlight = null })
      }
      await inFlight
    }
  }

  let snapshotting: Promise<void> = Promise.resolve()
  /**
   * Flush every detector and drop the journal records up to the current
   * position (serialised). A record is dropped only when its last entry is
   * at or before `upto`, so everything it holds is in the flushed profiles.
   */
  const snapshot = async (): Promise<void> => {
    const run = async (): Promise<void> => {
      await commit()
      const upto = seq
      // no await between reading `upto` and the detectors capturing their state (their flush captures synchronously)
      await Promise.all([...detectors.values()].map(async (d) => { await d.detector.flush() }))
      if (statuses.size > 0) await store.sub(PROFILES_SUBLEVEL).batch([...statuses].map(([cell, m]) => ({ type: 'put' as const, key: statusKey(cell), value: m.toJSON() })))
      await journal.clear({ lte: key(upto) })
    }
    snapshotting = snapshotting.then(run, run)
    await snapshotting
  }

  const record = (d: string, o: Observation, s: number | undefined): void => {
    seq++
    pending.push(s != null ? { d, o, s } : { d, o })
    if (pending.length >= 512) void commit().catch((err: unknown) => { logger.error({ err }, 'journal write failed') })
  }

  const toResult = (r: { danger: 0 | 1 | 2, score: DetectionResult['score'], learned: boolean, thresholds?: { dangerous: number } }): DetectionResult => {
    const out: DetectionResult = { danger: r.danger, score: r.score, learned: r.learned }
    // how far past its context's level-2 threshold (the policy's "very high score", sourceBan.scoreMargin)
    const t = r.thresholds?.dangerous
    if (r.danger === 2 && t != null && t > 0 && Number.isFinite(r.score.value)) out.scoreMargin = r.score.value / t
    return out
  }

  return {
    commit,
    snapshot,

    async start () {
      if (started) return
      started = true
      for (const [kind, cell] of startCells()) await detectorFor(kind, cell).start()
      for (const cell of httpCells) {
        const saved = await store.sub(PROFILES_SUBLEVEL).get(statusKey(cell))
        if (saved === undefined) continue
        try { statusFor(cell).load(saved) } catch (err) { logger.warn({ cell, err: (err as Error).message }, 'status baselines not restored') }
      }
      // replay what was observed after the last snapshot
      let replayed = 0
      let skipped = 0
      try {
        for await (const [k, v] of journal.iterator()) {
          seq = Math.max(seq, Number(k))
          // a record of one commit ({e: [...]}), or one entry (journals written before group commit)
          const record = v as { e?: JournalEntry[] } & Partial<JournalEntry>
          for (const e of record.e ?? [record as JournalEntry]) {
            const x = detectorByName(e.d)
            if (x == null || x.kind.kind !== e.o.kind) continue
            // already in the loaded profile (the detector saved it when the context turned to guarding)
            if (e.s != null && e.s <= (x.detector.status(x.kind.contextOf(e.o))?.seen ?? 0)) { skipped++; continue }
            replayTimeMs = Number.isFinite(e.o.time) ? e.o.time : null
            x.detector.observe(e.o)
            replayed++
          }
        }
        writtenSeq = seq
      } finally {
        replayTimeMs = null
      }
      if (replayed + skipped > 0) logger.info({ replayed, skipped }, 'learning journal replayed')
      await snapshot()
      timer = clock.setInterval(() => {
        void snapshot().catch((err: unknown) => { logger.error({ err }, 'profile snapshot failed') })
      }, init.snapshotIntervalMs ?? 5000)
      // a context whose learning time is up guards now, not at its next observation
      promoteTimer = clock.setInterval(() => {
        for (const d of detectors.values()) d.detector.promoteDue()
      }, init.promoteIntervalMs ?? 1000)
    },

    async stop () {
      if (!started) return
      started = false
      if (timer != null) clock.clearInterval(timer)
      timer = null
      if (promoteTimer != null) clock.clearInterval(promoteTimer)
      promoteTimer = null
      await snapshot()
      for (const d of detectors.values()) await d.detector.stop()
    },

    observeHttp (cell: CellRef, obs: HttpObservation) {
      const d = httpFor(cell.name)
      const setName = httpDetectorKind.setName(cell.name)
      const gate = gateFor(cell.name)
      let out: DetectionResult
      let context: string
      if (gate == null) {
        const r = d.observe(obs)
        record(setName, obs, d.status(r.context)?.seen)
        out = toResult(r)
        context = r.context
      } else {
        const x = gate.decide(d, obs, true)
        // an observation the innate layer blocked while learning was only assessed: nothing to replay
        if (x.observed) record(setName, obs, d.status(x.result.context)?.seen)
        out = toResult(x.result)
        context = x.result.context
        if (x.innate.findings.length > 0) out.innate = x.combination.finding != null ? [x.combination.finding, ...x.innate.findings.filter((f) => f !== x.combination.finding)] : x.innate.findings
        if (x.combination.requestOnly === true) out.requestOnly = true
      }
      rememberDanger(obs.source, context, out.danger)
      if (obs.status != null) {
        const storm = statusFor(cell.name).record({ context, status: obs.status, time: obs.time, normal: out.danger === 0, ...(obs.source != null ? { source: obs.source } : {}) })
        if (storm != null) out.storm = storm
      }
      if (obs.source != null) {
        const storming = statuses.get(cell.name)?.storming(obs.source, obs.time)
        if (storming != null) out.storming = storming
      }
      return out
    },

    observeStatus (cell: CellRef, report: HttpStatusReport) {
      const context = httpContextOf(report)
      const normal = report.source != null && lastDanger.get(`${report.source} ${context}`) === 0
      return statusFor(cell.name).record({ context, status: report.status, time: report.time, normal, ...(report.source != null ? { source: report.source } : {}) })
    },

    observeProcess (cell: CellRef, obs: ProcessObservation) {
      const d = processDetector()
      const r = d.observe(obs)
      record(processDetectorKind.setName(cell.name), obs, d.status(r.context)?.seen)
      return toResult(r)
    },

    assessHttp (cell: CellRef, obs: HttpObservation) {
      const d = detectors.get(httpDetectorKind.setName(cell.name))?.detector as Detector<HttpObservation> | undefined
      if (d == null || d.status(httpContextOf(obs))?.phase !== 'guarding') return null
      return toResult(d.assess(obs))
    },

    assessHttpInnate (cell: CellRef, obs: HttpObservation) {
      const d = httpFor(cell.name)
      const gate = gateFor(cell.name)
      if (gate == null) return toResult(d.assess(obs))
      const x = gate.decide(d, obs, false)
      const out = toResult(x.result)
      if (x.innate.findings.length > 0) out.innate = x.combination.finding != null ? [x.combination.finding, ...x.innate.findings.filter((f) => f !== x.combination.finding)] : x.innate.findings
      if (x.combination.requestOnly === true) out.requestOnly = true
      return out
    },

    phaseOfHttp (cell: CellRef, obs: HttpObservation): Phase {
      const d = detectors.get(httpDetectorKind.setName(cell.name))?.detector
      return d?.status(httpContextOf(obs))?.phase ?? 'learning'
    },

    raiseSensitivity (community, context, factor, untilMs) {
      for (const cell of config.cells.filter((x) => x.community === community && x.type !== 'host').map((x) => x.name).concat(config.ingest.community === community ? ['ingest'] : [])) {
        httpFor(cell).raiseSensitivity(context, factor, untilMs)
      }
    },

    contexts (): ContextStatus[] {
      const out: ContextStatus[] = []
      for (const d of detectors.values()) for (const s of d.detector.statuses()) out.push({ cell: d.kind.statusCell(d.cell, s.context), context: s.context, phase: s.phase, count: s.seen, firstSeenMs: s.firstSeenMs, ...(s.progress != null ? { progress: s.progress } : {}) })
      return out
    }
  }
}
