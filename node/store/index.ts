/** One level db per data dir, split into sublevels (DESIGN.md invariant 4). */
export { createStore } from './store.js'
export type { JsonValue, Store, StoreInit, Sublevel } from './store.js'
