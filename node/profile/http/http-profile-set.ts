/** The profile set of HTTP endpoints: HttpContextModel per (method, path). */
import type { HttpObservation } from '../../observation.js'
import { ProfileSet } from '../profile-set.js'
import type { ProfileSetParams } from '../profile-set.js'
import { HttpAppModel } from './app-model.js'
import type { ValueChecker } from './app-model.js'
import { HttpContextModel, httpContextOf, restoreHttpContextModel } from './http-context-model.js'
import { createHttpModelParams } from './http-model-params.js'
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
  return new ProfileSet<HttpObservation>({
    name: init.name ?? 'http',
    contextOf: init.contextOf ?? httpContextOf,
    createModel: (context) => new HttpContextModel(context, modelParams, undefined, app),
    restoreModel: (_context, json) => restoreHttpContextModel(json, modelParams, app),
    params: { minP: modelParams.minP, ...init.set },
    shared: app
  })
}
