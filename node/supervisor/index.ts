export { createSupervisor } from './supervisor.js'
export type { Supervisor, SupervisorComponents, SupervisorInfo, SupervisorState, PidChange, PidChangeReason, RenewReason, RenewResult, ExitInfo } from './supervisor.js'
export { createSupervisorParams, defaultSupervisorParams, validateSupervisorParams, supervisorParamsFromCell } from './supervisor-params.js'
export type { SupervisorParams } from './supervisor-params.js'
