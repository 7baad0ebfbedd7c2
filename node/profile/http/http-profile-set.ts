/** The profile set of HTTP endpoints: HttpContextModel per (method, path). */
import type { HttpObservation } from '../../observation.js'
import { ProfileSet } from '../profile-set.js'
import type { ProfileSetParams } from '../profile-set.js'
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
}

export function createHttpProfileSet (init: HttpProfileSetInit = {}): ProfileSet<HttpObservation> {
  const modelParams = createHttpModelParams(init.model)
  return new ProfileSet<HttpObservation>({
    name: init.name ?? 'http',
    contextOf: init.contextOf ?? httpContextOf,
    createModel: (context) => new HttpContextModel(context, modelParams),
    restoreModel: (_context, json) => restoreHttpContextModel(json, modelParams),
    params: { minP: modelParams.minP, ...init.set }
  })
}
