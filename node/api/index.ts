/** The local HTTP API server (routes as data, bearer token). */
export { createApiServer, sendJson, sendError, HttpError, readJsonBody, MAX_CONTROL_BODY_BYTES } from './server.js'
export type { ApiServer, ApiServerInit, Route, RouteRequest, RouteResult, JsonHandler, RawHandler } from './server.js'
