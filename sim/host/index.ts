/** A simulated host's brain (the node's real decision logic) and the simulated address plan. */
export { HostBrain, SimReputationTable, REPUTATION_MEMO_MS } from './host-brain.js'
export type { BrainWorld, BrainParams } from './host-brain.js'
export { hostAddress, attackerAddress, clientAddress } from './addresses.js'
