/**
 * Sensors are plug-ins registered by type name (DESIGN.md). The daemon builds
 * its sensors from config with `registry.create(type, components, init)`.
 */
import { UnknownSensorError } from '../errors.js'
import { createAccessLogSensor } from './access-log.js'
import { createProcSampler } from './proc-sampler.js'
import type { Sensor, SensorComponents, SensorFactory } from './sensor.js'

export interface SensorRegistry {
  register: (type: string, factory: SensorFactory) => void
  has: (type: string) => boolean
  types: () => string[]
  /** Throws UnknownSensorError for an unregistered type, InvalidParamsError for a bad init. */
  create: (type: string, components: SensorComponents, init: unknown) => Sensor
}

/** The built-in sensor types: 'access-log' (init: AccessLogParams) and 'proc' (init: ProcSamplerParams). */
export const builtinSensors: Readonly<Record<string, SensorFactory>> = Object.freeze({
  'access-log': createAccessLogSensor,
  proc: createProcSampler
})

export function createSensorRegistry (options: { builtins?: boolean } = {}): SensorRegistry {
  const factories = new Map<string, SensorFactory>(options.builtins === false ? [] : Object.entries(builtinSensors))
  return {
    register (type, factory) {
      if (typeof type !== 'string' || type.length === 0) throw new UnknownSensorError(String(type), [...factories.keys()])
      factories.set(type, factory)
    },
    has: (type) => factories.has(type),
    types: () => [...factories.keys()],
    create (type, components, init) {
      const f = factories.get(type)
      if (f == null) throw new UnknownSensorError(type, [...factories.keys()])
      return f(components, init)
    }
  }
}
