/** One level db per data dir, split into sublevels (DESIGN.md invariant 4). */
export { createStore } from './store.js'
export type { JsonValue, Store, StoreInit, Sublevel } from './store.js'
export { createBoundedLog } from './bounded-log.js'
export type { BoundedLog } from './bounded-log.js'
export { inspectStore, repairStore } from './store-check.js'
export type { StoreState } from './store-check.js'
