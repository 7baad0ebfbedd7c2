/** The fidelity check: real libp2p nodes (memory transport) against the simulator on the same topology. */
export { runFidelityCheck, simulateDelivery, calibrateCpuCost, hopDelays, realHops, tvDistance, FIDELITY_KS_TOLERANCE } from './fidelity.js'
export type { FidelityResult, SimDeliveryInit } from './fidelity.js'
export { measureRealDelivery, FIDELITY_COMMUNITY } from './real-delivery.js'
export type { RealDelivery, RealDeliveryInit, Receipt } from './real-delivery.js'
export { ksDistance, empiricalCdf, fitLognormal, quantile } from './stats.js'
