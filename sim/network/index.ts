/** The simulated network: overlay topology, gossipsub-style propagation, the Mesh interface on top. */
export { defaultNetworkParams, createNetworkParams, validateNetworkParams } from './network-params.js'
export type { NetworkParams } from './network-params.js'
export { Overlay } from './overlay.js'
export type { OverlayEdge } from './overlay.js'
export { GossipNetwork } from './gossip-network.js'
export type { NetworkHost, NetworkKinds, NetworkCounters, CpuModel } from './gossip-network.js'
export { SimMeshWorld } from './sim-mesh.js'
export type { SimMeshWorldInit } from './sim-mesh.js'
