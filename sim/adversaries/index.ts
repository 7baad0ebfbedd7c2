/** sim/adversaries/: liars, sybils, and who publishes at all (selfish members never do). */
export { Liars } from './liars.js'
export { Sybils } from './sybils.js'
export { publishes } from './roles.js'
export type { AdversaryContext } from './adversary-context.js'
