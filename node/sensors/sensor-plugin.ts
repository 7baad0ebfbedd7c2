/**
 * A sensor plug-in (DESIGN.md "Interfaces to keep small", CrowdSec's
 * acquisition modules): one module owns a sensor's config schema (read and
 * validated with defaults, every problem reported with its field) and its
 * factory, under one type name. The config's `sensors[]` entries are read by
 * the plug-in their `type` names; the daemon creates each through the
 * registry (registry.ts). To add a sensor: its module (exporting a
 * SensorPlugin) and its test, plus its line in BUILTIN_SENSORS.
 */
import type { Checker, Raw } from '../../core/index.js'
import type { Sensor, SensorComponents } from './sensor.js'

export interface SensorConfigContext {
  /** Resolves a relative path against the config file's directory. */
  resolvePath: (path: string) => string
}

export interface SensorPlugin<I = unknown> {
  /** The `type` of its `sensors[]` entries. */
  readonly type: string
  /** One line for docs and errors. */
  readonly description: string
  /** Reads one `sensors[]` entry (besides `type` and `cell`, which the config reads) into the factory's init; absent: not listable in `sensors[]` (built from cells). */
  readConfig?: (c: Checker, field: string, raw: Raw, ctx: SensorConfigContext) => I
  /** Creates the sensor (validates `init` again and throws InvalidParamsError). */
  create: (components: SensorComponents, init: I) => Sensor
  /** Where its resume state is kept (the daemon's `sensors` sublevel); absent: no checkpoint. */
  checkpointKey?: (cell: string, init: I) => string
}
