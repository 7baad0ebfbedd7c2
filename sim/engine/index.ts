/** The discrete-event engine: event heap, virtual clock, histogram, stateless hashing. */
export { EventHeap } from './event-heap.js'
export { Engine, KIND_TIMER, SIM_EPOCH_MS } from './engine.js'
export type { EventHandler } from './engine.js'
export { LogHistogram } from './log-histogram.js'
export { hash01, hash3 } from './hash.js'
