export { clientAddress, createImmuneAgent, createImmuneAgentParams, defaultImmuneAgentParams, validateImmuneAgentParams } from './agent.js'
export type { AgentObservation, ImmuneAgent, ImmuneAgentComponents, ImmuneAgentParams, ImmuneAgentStats, Middleware, Next } from './agent.js'
