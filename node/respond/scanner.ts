/**
 * The scanner rule (policy.sourceBan.scanner): a source whose requests keep
 * being anomalous (level 1 at unknown endpoints, probe verdicts, 4xx storms,
 * any danger) far more often than the traffic here is, is scanning.
 * fail2ban and CrowdSec ban such sources; so do we, but on the source's own
 * share of anomalies, not on a fixed count that one busy client exceeds:
 *
 *   N1 per source, a sliding window (windowSec, in WINDOW_BUCKETS buckets):
 *      its anomalies k and its normal requests; n = normal + k (a body
 *      that reports no normal requests, the simulator, has n = k);
 *   N2 the learned anomaly rate p of all sources: anomalies / requests,
 *      decayed with halfLifeSec, started at priorRate with the weight of
 *      priorRequests requests, capped at maxRate (a scanner on a quiet site
 *      cannot raise it past that and hide);
 *   N3 scanning: k ≥ minAnomalies and P(X ≥ k) < alpha for X ~ Binomial(n, p).
 *
 * A client at the learned rate never trips N3, however busy: with p = 1%,
 * 10,000 requests and 100 anomalies, P(X ≥ 100) ≈ 0.5. A scanner whose 20
 * requests are all anomalous has P = p^20 ≈ 1e-40.
 *
 * Pure state plus explicit times (event times: no clock reads); bounded
 * (maxTracked sources, least recently seen forgotten first).
 */
import { boundedSet } from '../../core/index.js'
import type { ScannerConfig, ScannerJSON, ScannerState } from './policy-types.js'

const WINDOW_BUCKETS = 6

export interface ScannerAssessment {
  scanning: boolean
  /** The source's requests and anomalies in the window (this anomaly included). */
  requests: number
  anomalies: number
  /** The learned anomaly rate (N2). */
  rate: number
  /** P(X ≥ anomalies), X ~ Binomial(requests, rate). */
  p: number
}

export function emptyScannerState (): ScannerState {
  return { sources: new Map(), requests: 0, anomalies: 0, atMs: 0 }
}

export function scannerStateFromJSON (j: unknown): ScannerState {
  const s = emptyScannerState()
  const o = j as Partial<ScannerJSON> | null
  if (o == null || typeof o !== 'object') return s
  if (typeof o.requests === 'number' && Number.isFinite(o.requests) && o.requests >= 0) s.requests = o.requests
  if (typeof o.anomalies === 'number' && Number.isFinite(o.anomalies) && o.anomalies >= 0) s.anomalies = o.anomalies
  if (typeof o.atMs === 'number' && Number.isFinite(o.atMs)) s.atMs = o.atMs
  return s
}

/** What persists: the learned rate (the windows are minutes long and start empty after a restart). */
export function scannerStateToJSON (s: ScannerState): ScannerJSON {
  return { requests: round3(s.requests), anomalies: round3(s.anomalies), atMs: s.atMs }
}

function round3 (x: number): number { return Math.round(x * 1000) / 1000 }

/** The learned anomaly rate of all sources (N2). */
export function learnedRate (s: ScannerState, cfg: ScannerConfig): number {
  const r = (s.anomalies + cfg.priorRate * cfg.priorRequests) / (s.requests + s.anomalies + cfg.priorRequests)
  return Math.min(cfg.maxRate, Math.max(0, r))
}

function decay (s: ScannerState, cfg: ScannerConfig, atMs: number): void {
  if (atMs <= s.atMs) return
  if (s.atMs > 0) {
    const f = Math.pow(0.5, (atMs - s.atMs) / (cfg.halfLifeSec * 1000))
    s.requests *= f
    s.anomalies *= f
  }
  s.atMs = atMs
}

function bucketMs (cfg: ScannerConfig): number {
  return Math.max(1, Math.floor(cfg.windowSec * 1000 / WINDOW_BUCKETS))
}

/** The source's (normal requests, anomalies) in the window ending at atMs. */
export function windowCounts (s: ScannerState, cfg: ScannerConfig, source: string, atMs: number): { requests: number, anomalies: number } {
  const w = s.sources.get(source)
  let requests = 0
  let anomalies = 0
  if (w == null) return { requests, anomalies }
  const from = atMs - cfg.windowSec * 1000
  for (let i = 0; i < w.length; i += 3) {
    if (w[i] + bucketMs(cfg) <= from || w[i] > atMs) continue
    requests += w[i + 1]
    anomalies += w[i + 2]
  }
  return { requests, anomalies }
}

/** Counts one request (and whether it was an anomaly) of `source` at `atMs`; mutates `s`. */
export function countRequest (s: ScannerState, cfg: ScannerConfig, source: string, atMs: number, anomaly: boolean, maxTracked: number): void {
  decay(s, cfg, atMs)
  if (!anomaly) s.requests++
  else s.anomalies++
  const b = bucketMs(cfg)
  const start = atMs - (atMs % b)
  const w = s.sources.get(source) ?? []
  // buckets are in time order; a late event (older than the newest bucket) lands in its own bucket when still kept
  let i = w.length - 3
  while (i >= 0 && w[i] > start) i -= 3
  if (i >= 0 && w[i] === start) {
    if (!anomaly) w[i + 1]++
    else w[i + 2]++
  } else if (atMs > (w.length >= 3 ? w[w.length - 3] : -Infinity) - cfg.windowSec * 1000) {
    w.splice(i + 3, 0, start, anomaly ? 0 : 1, anomaly ? 1 : 0)
    while (w.length > WINDOW_BUCKETS * 3) w.splice(0, 3)
  }
  boundedSet(s.sources, source, w, maxTracked)
}

/**
 * N3 for one more anomaly of `source` at `atMs` (not yet counted): is it
 * scanning? Pure.
 */
export function assessScanner (s: ScannerState, cfg: ScannerConfig, source: string, atMs: number): ScannerAssessment {
  const c = windowCounts(s, cfg, source, atMs)
  const anomalies = c.anomalies + 1
  // each scored request is counted once: as normal (the body's onRequest) or as an anomaly (its danger event)
  const requests = c.requests + anomalies
  const rate = learnedRate(s, cfg)
  const p = binomialTail(anomalies, requests, rate)
  return { scanning: cfg.enabled && anomalies >= cfg.minAnomalies && p < cfg.alpha, requests, anomalies, rate: round6(rate), p }
}

function round6 (x: number): number { return Math.round(x * 1e6) / 1e6 }

/** P(X ≥ k) for X ~ Binomial(n, p): the upper sum in log space (exact; k > np is the case that matters). */
export function binomialTail (k: number, n: number, p: number): number {
  if (k <= 0) return 1
  if (k > n) return 0
  if (p <= 0) return 0
  if (p >= 1) return 1
  if (k <= n * p) return 1 - binomialTail(n - k + 1, n, 1 - p)
  const lp = Math.log(p)
  const lq = Math.log1p(-p)
  let term = Math.exp(lnChoose(n, k) + k * lp + (n - k) * lq)
  let sum = term
  for (let j = k + 1; j <= n; j++) {
    term *= (n - j + 1) / j * (p / (1 - p))
    sum += term
    if (term < sum * 1e-15) break
  }
  return Math.min(1, sum)
}

function lnChoose (n: number, k: number): number {
  return lnFactorial(n) - lnFactorial(k) - lnFactorial(n - k)
}

const LN_FACT: number[] = [0]
function lnFactorial (n: number): number {
  if (n < 1024) {
    for (let i = LN_FACT.length; i <= n; i++) LN_FACT[i] = LN_FACT[i - 1] + Math.log(i)
    return LN_FACT[n]
  }
  // Stirling with two correction terms (error < 1e-12 beyond 1024)
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n * n * n)
}
