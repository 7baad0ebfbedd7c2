/**
 * The red-team suite's registry: every attack `npm run bench -- hostile` runs,
 * in order. Add an attack by appending an entry (harness.ts: `Attack`) to one
 * of these lists, or a list of your own here.
 *   meshAttacks    through the mesh: alert floods, sybils (issue 15 items 1, 3, 4)
 *   ingestAttacks  through the ingest API: junk paths, worst-case values, decisions pile-up (items 2, 5, 6)
 */
import type { Attack } from './harness.js'
import { meshAttacks } from './mesh-attacks.js'

export const ingestAttacks: readonly Attack[] = []

export const attacks: readonly Attack[] = [...meshAttacks, ...ingestAttacks]
