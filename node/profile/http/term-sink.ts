/**
 * Collects the p-value terms of one request: counts the tests (for the
 * Bonferroni correction), keeps the smallest p, and keeps the terms worth
 * explaining (p ≤ reasonMaxP). A kept term carries a closure that formats its
 * explanation; only the maxReasons most surprising terms are ever formatted,
 * so scoring builds no strings for normal traffic and few for anomalies.
 *
 * Tests come in groups (one parameter value, or the request-level terms) and,
 * inside a group, in families of tests that are entangled by construction
 * (see 'order-families' in combined()).
 *
 * Every test is either EVIDENCE (something in the request that normal
 * traffic does not do: an unseen symbol, an overlong value, a malformed
 * escape) or NOVELTY (something normal traffic simply had not shown yet: a
 * new value, new words, a new parameter name, a missing optional parameter,
 * a new type of value). The sink keeps the order statistics of both
 * together (combined()) and of the evidence alone (evidence()), over the
 * same number of tests: the detector needs evidence for danger two
 * (issue 9: benign change must not be punished).
 */
import type { ScoreReason } from '../../observation.js'
import { combineMinP, combineOrder, surprise } from '../stats/p-value.js'
import type { Combined, PTerm } from '../stats/p-value.js'

export type Combination = 'min' | 'order' | 'order-families' | 'fisher' | 'product'

/** In evidenceOnly mode, p-values above this count as 1. */
export const EVIDENCE_ONLY_MIN_P = 0.01
/** Most families a group may have. */
export const MAX_FAMILIES = 8
const ONE_FAMILY: readonly number[] = Object.freeze([1])

export class TermSink {
  tests = 0
  /** When false, tests update the p-values but not the test count (repeated occurrences of a parameter). */
  counting = true
  pMin = 1
  /** Second and third smallest p-values. */
  p2 = 1
  p3 = 1
  /** The three smallest p-values of the evidence tests. */
  e1 = 1
  e2 = 1
  e3 = 1
  /** Whether the last test() was a novelty test (push() labels its term with it). */
  private lastNovelty = false
  /** Counted tests that are novelty by construction (they never hold evidence). */
  noveltyTests = 0
  /**
   * When true, tests keep only their evidence (a novelty p-value counts as 1),
   * and only evidence below EVIDENCE_ONLY_MIN_P: for headers and cookies,
   * whose novelty (a new browser, a new cookie) and small oddities (a longer
   * Referer) are what real clients bring every day.
   */
  evidenceOnly = false
  private readonly kept: LazyTerm[] = []
  /** Per group (a parameter, or the request-level terms): Σ ln p and number of tests. */
  private readonly gLog: number[] = []
  private readonly gK: number[] = []
  /** Families of the current group: their sizes, and the smallest p of each so far. */
  private famSizes: readonly number[] = []
  private readonly famMin = new Float64Array(MAX_FAMILIES)
  /** 'order-families': family slots (counted groups × their families) and the three smallest corrected family minima. */
  slots = 0
  q1 = 1
  q2 = 1
  q3 = 1

  private readonly families: boolean

  constructor (readonly reasonMaxP: number, readonly combination: Combination = 'min') {
    this.families = combination === 'order-families'
  }

  reset (): void {
    this.tests = 0
    this.counting = true
    this.pMin = 1
    this.p2 = 1
    this.p3 = 1
    this.e1 = 1
    this.e2 = 1
    this.e3 = 1
    this.lastNovelty = false
    this.noveltyTests = 0
    this.evidenceOnly = false
    this.kept.length = 0
    this.gLog.length = 0
    this.gK.length = 0
    this.closeGroup()
    this.famSizes = []
    this.slots = 0
    this.q1 = 1
    this.q2 = 1
    this.q3 = 1
  }

  /**
   * Starts a new group of tests (one parameter value, or the request-level
   * terms) whose tests fall in families of the given sizes (Σ sizes = the
   * group's tests, skipped ones included).
   */
  group (familySizes: readonly number[] = ONE_FAMILY): void {
    this.gLog.push(0)
    this.gK.push(0)
    if (!this.families) return
    this.closeGroup()
    this.famSizes = familySizes
    if (this.counting) this.slots += familySizes.length
    this.famMin.fill(1, 0, familySizes.length)
  }

  /** Folds the current group's family minima (Bonferroni-corrected within the family) into q1 ≤ q2 ≤ q3. */
  private closeGroup (): void {
    for (let f = 0; f < this.famSizes.length; f++) {
      const q = Math.min(1, this.famSizes[f] * this.famMin[f])
      if (q >= this.q3) continue
      if (q < this.q2) {
        this.q3 = this.q2
        if (q < this.q1) { this.q2 = this.q1; this.q1 = q } else this.q2 = q
      } else this.q3 = q
    }
    this.famSizes = []
  }

  /**
   * Counts one test with p-value `p` of family `family` of the current group;
   * `novelty` marks a novelty test (see the module comment). True when the
   * caller should `push` its explanation.
   */
  test (p: number, family = 0, novelty = false): boolean {
    if (novelty && this.counting && !this.evidenceOnly) this.noveltyTests++
    return this.testSplit(p, novelty ? 1 : p, family)
  }

  /**
   * One test whose evidence part has its own p-value `pEvidence` ≥ `p` (1 =
   * pure novelty): e.g. unseen 3-grams, of which only those holding a symbol
   * are evidence. Its term is labelled novelty unless pEvidence ≤ reasonMaxP.
   */
  testSplit (p: number, pEvidence: number, family = 0): boolean {
    if (this.evidenceOnly) {
      p = Math.max(p, pEvidence)
      // weak evidence in a header is the variety of clients too: only a 1-in-100 surprise counts
      if (p > EVIDENCE_ONLY_MIN_P) { p = 1; pEvidence = 1 }
    }
    if (family < this.famSizes.length && p < this.famMin[family]) this.famMin[family] = p
    if (this.counting) this.tests++
    this.lastNovelty = pEvidence > this.reasonMaxP
    if (p < this.p3) {
      if (p < this.p2) {
        this.p3 = this.p2
        if (p < this.pMin) { this.p2 = this.pMin; this.pMin = p } else this.p2 = p
      } else this.p3 = p
    }
    const e = Math.max(p, pEvidence)
    if (e < this.e3) {
      if (e < this.e2) {
        this.e3 = this.e2
        if (e < this.e1) { this.e2 = this.e1; this.e1 = e } else this.e2 = e
      } else this.e3 = e
    }
    const g = this.gLog.length - 1
    if (g >= 0) {
      this.gLog[g] += Math.log(Math.max(p, 1e-300))
      this.gK[g]++
    }
    return p <= this.reasonMaxP
  }

  /** Counts tests that were skipped because they could not be surprising (p = 1). */
  skip (k: number): void {
    if (this.counting) this.tests += k
    const g = this.gK.length - 1
    if (g >= 0) this.gK[g] += k
  }

  /** Keeps a term of the last test(); `explain` returns [observed, expected] and runs only if the term is reported. */
  push (p: number, parameter: string | undefined, feature: string, explain: () => [string | number, string]): void {
    this.kept.push({ p, parameter, feature, explain, novelty: this.lastNovelty })
  }

  /** Every kept term, formatted, most surprising first (for tests and tools). */
  terms (): PTerm[] { return this.top(this.kept.length).map(format) }

  /**
   * The request's combined p-value.
   *
   * 'order' (default): the most surprising of the first three order
   * statistics of the m tests, each with the union bound C(m, j)·p₍ⱼ₎ʲ.
   * 'order-families': the Bonferroni minimum over all m tests, and the union
   * bound for "j of M family slots at least this surprising", C(M, j)·q₍ⱼ₎ʲ
   * (j = 2, 3), over family minima q = min(1, size·min p). A family holds the
   * tests of one value that are entangled by construction (a new value of an
   * enumeration brings new 3-grams; an unseen character makes an unseen
   * shape), whose joint surprise is one event, not j independent ones.
   * Measured in docs/detection.md: it removes the within-parameter
   * amplification that made rare new user names look dangerous after short
   * training, but on CSIC 2010 it moves the test false-positive rate at the
   * training percentiles above the targets; the detector's thresholds
   * handle small training instead (thresholds.ts).
   */
  combined (): Combined {
    if (this.combination === 'order') return combineOrder(this.pMin, this.p2, this.p3, this.tests)
    if (this.combination === 'order-families') {
      this.closeGroup()
      return combineOrder(this.pMin, this.q2, this.q3, this.tests, this.slots)
    }
    if (this.combination === 'min' || this.gLog.length === 0) return combineMinP(this.pMin, this.tests)
    let best = 1
    for (let g = 0; g < this.gLog.length; g++) {
      const pg = this.combination === 'fisher' ? fisherSurvival(-2 * this.gLog[g], this.gK[g]) : Math.exp(this.gLog[g])
      if (pg < best) best = pg
    }
    return combineMinP(best, this.gLog.length)
  }

  /**
   * The same combination over the evidence alone: the order statistics of
   * the evidence p-values, corrected for the tests that can hold evidence
   * (every test but the novelty-only ones; skipped tests count). The
   * detector requires both this and combined() above its dangerous
   * threshold, so the false-positive rate at danger two stays within the
   * one calibrated on combined(). 'fisher' and 'product' use the order
   * statistics here. With fewer tests to correct for, it can exceed
   * combined() when the evidence is all there is.
   */
  evidence (): Combined {
    const m = Math.max(1, this.tests - this.noveltyTests)
    if (this.combination === 'min') return combineMinP(this.e1, m)
    return combineOrder(this.e1, this.e2, this.e3, m)
  }

  private top (max: number): LazyTerm[] {
    return this.kept.length <= 1 ? this.kept.slice(0, max) : this.kept.slice().sort((a, b) => a.p - b.p).slice(0, max)
  }

  reasons (context: string, max: number): ScoreReason[] {
    if (this.kept.length === 0 || max === 0) return []
    return this.top(max).map((t) => {
      const [observed, expected] = t.explain()
      const r: ScoreReason = { context, feature: t.feature, observed, expected, surprise: round3(surprise(t.p)) }
      if (t.parameter !== undefined) r.parameter = t.parameter
      if (t.novelty) r.novelty = true
      return r
    })
  }
}

interface LazyTerm {
  p: number
  parameter: string | undefined
  feature: string
  explain: () => [string | number, string]
  novelty: boolean
}

function format (t: LazyTerm): PTerm {
  const [observed, expected] = t.explain()
  const r: PTerm = { p: t.p, feature: t.feature, observed, expected }
  if (t.parameter !== undefined) r.parameter = t.parameter
  if (t.novelty) r.novelty = true
  return r
}

/** P(χ² with 2k degrees of freedom ≥ x): Fisher's method for k p-values. */
export function fisherSurvival (x: number, k: number): number {
  if (k <= 0 || x <= 0) return 1
  const h = x / 2
  let term = 1
  let sum = 1
  for (let i = 1; i < k; i++) { term *= h / i; sum += term }
  // e^{-h} · sum, in log space to survive large h
  return Math.min(1, Math.exp(-h + Math.log(sum)))
}

export function round3 (x: number): number { return Math.round(x * 1000) / 1000 }
