/**
 * Sensors are plug-ins registered by type name (DESIGN.md). The daemon builds
 * every sensor through `registry.create(type, components, init)`: the /proc
 * sampler and access logs it derives from the cells, and each `sensors[]`
 * entry of the config (read by its plug-in's readConfig).
 */
import { UnknownSensorError } from '../errors.js'
import { accessLogSensor } from './access-log.js'
import { jsonLinesSensor } from './json-lines.js'
import { procSensor } from './proc-sampler.js'
import type { Sensor, SensorComponents, SensorFactory } from './sensor.js'
import type { SensorPlugin } from './sensor-plugin.js'

/** The built-in sensors: one line each. */
export const BUILTIN_SENSORS: readonly SensorPlugin<any>[] = Object.freeze([
  accessLogSensor,
  procSensor,
  jsonLinesSensor
])

/** The built-in sensor factories by type name. */
export const builtinSensors: Readonly<Record<string, SensorFactory>> = Object.freeze(Object.fromEntries(BUILTIN_SENSORS.map(p => [p.type, p.create])))

export interface SensorRegistry {
  register: (plugin: SensorPlugin<any> | string, factory?: SensorFactory) => void
  has: (type: string) => boolean
  types: () => string[]
  /** The plug-in of a type (undefined when unknown). */
  plugin: (type: string) => SensorPlugin<any> | undefined
  /** Throws UnknownSensorError for an unregistered type, InvalidParamsError for a bad init. */
  create: (type: string, components: SensorComponents, init: unknown) => Sensor
}

export function createSensorRegistry (options: { builtins?: boolean } = {}): SensorRegistry {
  const plugins = new Map<string, SensorPlugin<any>>(options.builtins === false ? [] : BUILTIN_SENSORS.map(p => [p.type, p]))
  return {
    register (plugin, factory) {
      const p: SensorPlugin<any> = typeof plugin === 'string' ? { type: plugin, description: plugin, create: factory as SensorFactory } : plugin
      if (typeof p.type !== 'string' || p.type.length === 0 || typeof p.create !== 'function') throw new UnknownSensorError(String(p.type), [...plugins.keys()])
      plugins.set(p.type, p)
    },
    has: (type) => plugins.has(type),
    types: () => [...plugins.keys()],
    plugin: (type) => plugins.get(type),
    create (type, components, init) {
      const p = plugins.get(type)
      if (p == null) throw new UnknownSensorError(type, [...plugins.keys()])
      return p.create(components, init)
    }
  }
}
