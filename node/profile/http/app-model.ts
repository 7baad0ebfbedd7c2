/**
 * What one application's requests look like across all its endpoints (one
 * per HTTP profile set, shared by its context models):
 *
 *   A1 the value pool: one ParamModel over the values of every parameter of
 *      every endpoint. A parameter never seen at an endpoint is judged by it
 *      ("by what other parameters of this app look like", issue 9) when no
 *      value checker (the innate layer) is given.
 *   A2 headers: one ParamModel per observed header (User-Agent, Referer,
 *      every Cookie by name as `cookie:<name>`, configured headers), app-wide
 *      because the variety of clients is not a property of an endpoint; see
 *      header-model.ts.
 *
 * Persisted with the profile set's meta record.
 */
import type { HttpModelParams } from './http-model-params.js'
import { ParamModel } from './param-model.js'
import type { ParamModelJSON } from './param-model.js'

/** A finding of a value checker (the innate layer, issue 10): the value breaks out of a syntax. */
export interface ValueFinding {
  /** P-value of the finding (small = strong), used as an evidence term. */
  p: number
  /** What kind of syntax (e.g. "sql-string"), the breaking token and its offset, for the explanation. */
  grammar: string
  token: string
  offset: number
}

/** Where a value sits, for a value checker. */
export interface ValueWhere {
  context: string
  parameter: string
  location: 'query' | 'body' | 'header' | 'cookie'
}

/**
 * The seam for the innate layer (issue 10): given a value, say whether it
 * breaks out of the syntax it is likely to land in. The profile uses it for
 * values it has no model of (unknown parameters), and the detector's
 * learning guard to refuse learning such values.
 */
export type ValueChecker = (value: string, where: ValueWhere) => ValueFinding | null

export interface HttpAppModelJSON {
  v: 1
  pool: ParamModelJSON
}

export class HttpAppModel {
  pool: ParamModel

  constructor (readonly params: Readonly<HttpModelParams>, readonly checker?: ValueChecker) {
    this.pool = new ParamModel('*', params)
  }

  learnValue (value: string, flags: number): void { this.pool.learn(value, flags) }

  toJSON (): HttpAppModelJSON { return { v: 1, pool: this.pool.toJSON() } }

  /** Replaces the learned state with a snapshot's; throws TypeError on a malformed one. */
  load (json: unknown): void {
    const j = json as HttpAppModelJSON
    if (j == null || j.v !== 1 || j.pool == null) throw new TypeError('http app model: malformed snapshot')
    this.pool = new ParamModel('*', this.params, j.pool)
  }
}
