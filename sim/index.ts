/**
 * immune-sim: the node's own decision logic on virtual time, on a simulated
 * gossipsub network (docs/simulator.md). The fidelity check (libp2p) is in
 * ./fidelity/index.js, not re-exported here, so the simulator loads no libp2p.
 */
export * from './engine/index.js'
export * from './network/index.js'
export * from './host/index.js'
export * from './scenario/index.js'
export * from './run/index.js'
export * from './report/index.js'
export { runSimCli, simCommands, SIM_PROGRAM, SIM_DESCRIPTION } from './cli/index.js'
export { SimScenarioError, UnknownScenarioError, SimEngineError } from './errors.js'
