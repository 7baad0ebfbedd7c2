/**
 * Collects the p-value terms of one request: counts the tests (for the
 * Bonferroni correction), keeps the smallest p, and keeps the terms worth
 * explaining (p ≤ reasonMaxP). A kept term carries a closure that formats its
 * explanation; only the maxReasons most surprising terms are ever formatted,
 * so scoring builds no strings for normal traffic and few for anomalies.
 */
import type { ScoreReason } from '../../observation.js'
import { combineMinP, combineOrder, surprise } from '../stats/p-value.js'
import type { Combined, PTerm } from '../stats/p-value.js'

export type Combination = 'min' | 'order' | 'fisher' | 'product'

export class TermSink {
  tests = 0
  /** When false, tests update the p-values but not the test count (repeated occurrences of a parameter). */
  counting = true
  pMin = 1
  /** Second and third smallest p-values. */
  p2 = 1
  p3 = 1
  private readonly kept: LazyTerm[] = []
  /** Per group (a parameter, or the request-level terms): Σ ln p and number of tests. */
  private readonly gLog: number[] = []
  private readonly gK: number[] = []

  constructor (readonly reasonMaxP: number, readonly combination: Combination = 'min') {}

  reset (): void {
    this.tests = 0
    this.counting = true
    this.pMin = 1
    this.p2 = 1
    this.p3 = 1
    this.kept.length = 0
    this.gLog.length = 0
    this.gK.length = 0
  }

  /** Starts a new group of tests (one parameter value, or the request-level terms). */
  group (): void {
    this.gLog.push(0)
    this.gK.push(0)
  }

  /** Counts one test with p-value `p`; true when the caller should `push` its explanation. */
  test (p: number): boolean {
    if (this.counting) this.tests++
    if (p < this.p3) {
      if (p < this.p2) {
        this.p3 = this.p2
        if (p < this.pMin) { this.p2 = this.pMin; this.pMin = p } else this.p2 = p
      } else this.p3 = p
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

  /** Keeps a term; `explain` returns [observed, expected] and runs only if the term is reported. */
  push (p: number, parameter: string | undefined, feature: string, explain: () => [string | number, string]): void {
    this.kept.push({ p, parameter, feature, explain })
  }

  /** Every kept term, formatted, most surprising first (for tests and tools). */
  terms (): PTerm[] { return this.top(this.kept.length).map(format) }

  combined (): Combined {
    if (this.combination === 'order') return combineOrder(this.pMin, this.p2, this.p3, this.tests)
    if (this.combination === 'min' || this.gLog.length === 0) return combineMinP(this.pMin, this.tests)
    let best = 1
    for (let g = 0; g < this.gLog.length; g++) {
      const pg = this.combination === 'fisher' ? fisherSurvival(-2 * this.gLog[g], this.gK[g]) : Math.exp(this.gLog[g])
      if (pg < best) best = pg
    }
    return combineMinP(best, this.gLog.length)
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
      return r
    })
  }
}

interface LazyTerm {
  p: number
  parameter: string | undefined
  feature: string
  explain: () => [string | number, string]
}

function format (t: LazyTerm): PTerm {
  const [observed, expected] = t.explain()
  const r: PTerm = { p: t.p, feature: t.feature, observed, expected }
  if (t.parameter !== undefined) r.parameter = t.parameter
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
