/** The profile set of HTTP endpoints: HttpContextModel per (method, path). */
import type { HttpObservation } from '../../observation.js'
import { ProfileSet } from '../profile-set.js'
import type { ProfileSetParams } from '../profile-set.js'
import { HttpAppModel } from './app-model.js'
import type { ValueChecker } from './app-model.js'
import { HttpContextModel, httpContextOf, parameterNamesOf, restoreHttpContextModel, scoreWithApp } from './http-context-model.js'
import { createHttpModelParams, nameMatcher } from './http-model-params.js'
import { TermSink } from './term-sink.js'
import type { HttpModelParams } from './http-model-params.js'

export interface HttpProfileSetInit {
  /** Persistence namespace; default "http". Use one set per protected application ("http:shop"). */
  name?: string
  model?: Partial<HttpModelParams>
  set?: Partial<ProfileSetParams>
  /** Context of an observation; default httpContextOf (lower-case method + path as received). Override to template paths (e.g. /users/{id}). */
  contextOf?: (obs: HttpObservation) => string
  /** The innate layer's per-value check (issue 10), when there is one: it judges values no model knows. */
  valueChecker?: ValueChecker
}

export function createHttpProfileSet (init: HttpProfileSetInit = {}): ProfileSet<HttpObservation> {
  const modelParams = createHttpModelParams(init.model)
  const app = new HttpAppModel(modelParams, init.valueChecker)
  const ignored = nameMatcher(modelParams.ignoreParameters)
  const sink = new TermSink(modelParams.reasonMaxP, modelParams.combination)
  // similar contexts: established ones of the same method whose parameters include every name of the observation
  let index = new Map<string, string[]>()
  let indexVersion = -1
  let calls = 0
  const methodOf = (context: string): string => context.slice(0, context.indexOf(' '))
  const rebuild = (): void => {
    index = new Map()
    for (const c of set.establishedContexts()) {
      const m = set.get(c)
      if (!(m instanceof HttpContextModel)) continue
      for (const name of m.parameterNames()) {
        const key = `${methodOf(c)} ${name}`
        const list = index.get(key)
        if (list === undefined) index.set(key, [c])
        else list.push(c)
      }
    }
    indexVersion = set.version
    calls = 0
  }
  const similar = (context: string, obs: HttpObservation): string[] => {
    // established models gain parameter names slowly: rebuild when the set changed, or now and then
    if (indexVersion !== set.version || ++calls > 4096) rebuild()
    const names = parameterNamesOf(obs, modelParams, ignored)
    if (names.length === 0) return []
    const method = methodOf(context)
    let smallest: string[] | undefined
    const lists: string[][] = []
    for (const n of names) {
      const l = index.get(`${method} ${n}`)
      if (l === undefined) return []
      lists.push(l)
      if (smallest === undefined || l.length < smallest.length) smallest = l
    }
    return smallest!.filter((c) => c !== context && lists.every((l) => l === smallest || l.includes(c)))
  }
  const set: ProfileSet<HttpObservation> = new ProfileSet<HttpObservation>({
    name: init.name ?? 'http',
    contextOf: init.contextOf ?? httpContextOf,
    createModel: (context) => new HttpContextModel(context, modelParams, undefined, app),
    restoreModel: (_context, json) => restoreHttpContextModel(json, modelParams, app),
    params: { minP: modelParams.minP, ...init.set },
    shared: app,
    similar,
    scoreApp: (obs, context) => app.pool.n === 0 ? undefined : scoreWithApp(obs, context, app, sink, ignored)
  })
  return set
}
