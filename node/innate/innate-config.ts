/**
 * The `innate` section of the node's config (docs/configuration.md): the
 * combination policy (combine.ts), the grammars and headers read, per-cell
 * overrides, and values to leave alone. Read with the config's Checker, so
 * every problem names its field.
 */
import { Checker, isPlainObject, joinPath } from '../../core/index.js'
import { INNATE_STRENGTH_SETTINGS, defaultInnatePolicy } from './combine.js'
import type { InnatePolicy, InnateStrengthSetting } from './combine.js'
import { defaultInnateParams } from './innate-params.js'
import { INNATE_GRAMMARS } from './types.js'
import type { InnateGrammar, InnateLocation } from './types.js'

/** Per-cell override of the policy (and of `enabled`). */
export interface InnateCellConfig extends Partial<InnatePolicy> {
  enabled?: boolean
}

/** Values the innate layer leaves alone: every field that is not null must match. */
export interface InnateIgnoreRule {
  /** Cell name (`ingest` for the ingest API's software); null = any. */
  cell: string | null
  /** Endpoint as the detector names it (`POST /admin/page`), or a prefix of it ending in `*` (`PUT /dav/*`); null = any. */
  context: string | null
  /** Parameter or header name; null = any. */
  parameter: string | null
  /** Grammars not checked there; null = all. */
  grammars: InnateGrammar[] | null
}

export interface InnateConfig extends InnatePolicy {
  enabled: boolean
  grammars: InnateGrammar[]
  headers: string[]
  cells: Record<string, InnateCellConfig>
  ignore: InnateIgnoreRule[]
}

export function defaultInnateConfig (): InnateConfig {
  return {
    enabled: true,
    ...defaultInnatePolicy,
    grammars: [...defaultInnateParams.grammars],
    headers: [...defaultInnateParams.headers],
    cells: {},
    ignore: []
  }
}

const POLICY_KEYS = ['learningBlock', 'guardingLift', 'unknownEndpointLift'] as const
const STRENGTH_ACCEPTED = INNATE_STRENGTH_SETTINGS as readonly InnateStrengthSetting[]

function grammarList (c: Checker, f: string, v: unknown): InnateGrammar[] {
  return c.array(f, v, [], (gf, g) => {
    if (typeof g !== 'string' || !(INNATE_GRAMMARS as readonly string[]).includes(g)) { c.add(gf, g, `one of ${INNATE_GRAMMARS.join(', ')}`); return undefined }
    return g as InnateGrammar
  }, { accepted: `an array of grammars (${INNATE_GRAMMARS.join(', ')})` })
}

/** Reads `innate` (undefined → defaults). `cells`: the configured cell names (plus `ingest`). */
export function readInnateConfig (c: Checker, raw: unknown, cells: readonly string[]): InnateConfig {
  const d = defaultInnateConfig()
  const o = c.object('innate', raw, ['enabled', ...POLICY_KEYS, 'grammars', 'headers', 'cells', 'ignore'])
  const enabled = c.boolean('innate.enabled', o.enabled, d.enabled)
  const policy = {} as InnatePolicy
  for (const k of POLICY_KEYS) policy[k] = c.oneOf(`innate.${k}`, o[k], STRENGTH_ACCEPTED, d[k])
  const grammars = o.grammars === undefined ? d.grammars : grammarList(c, 'innate.grammars', o.grammars)
  const headers = c.array('innate.headers', o.headers, d.headers, (hf, h) => {
    if (typeof h !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(h)) { c.add(hf, h, 'a header name'); return undefined }
    return h.toLowerCase()
  }, { maxItems: 64, accepted: 'an array of header names' })
  const known = new Set(['ingest', ...cells])
  const cellsOut: Record<string, InnateCellConfig> = {}
  if (o.cells !== undefined) {
    if (!isPlainObject(o.cells)) c.add('innate.cells', o.cells, 'an object {<cell name>: {enabled?, learningBlock?, guardingLift?, unknownEndpointLift?}}')
    else {
      for (const [name, v] of Object.entries(o.cells)) {
        const f = joinPath('innate.cells', name)
        if (!known.has(name)) { c.add(f, v, `a configured cell name (${[...known].join(', ')})`); continue }
        const co = c.object(f, v, ['enabled', ...POLICY_KEYS])
        const cell: InnateCellConfig = {}
        if (co.enabled !== undefined) cell.enabled = c.boolean(joinPath(f, 'enabled'), co.enabled, true)
        for (const k of POLICY_KEYS) if (co[k] !== undefined) cell[k] = c.oneOf(joinPath(f, k), co[k], STRENGTH_ACCEPTED, d[k])
        cellsOut[name] = cell
      }
    }
  }
  const ignore = c.array('innate.ignore', o.ignore, [], (f, v): InnateIgnoreRule | undefined => {
    const r = c.object(f, v, ['cell', 'context', 'parameter', 'grammars'])
    if (!isPlainObject(v)) return undefined
    const cell = c.nullableString(joinPath(f, 'cell'), r.cell, null, { maxLength: 64, accepted: 'a cell name or null' })
    if (cell != null && !known.has(cell)) c.add(joinPath(f, 'cell'), cell, `a configured cell name (${[...known].join(', ')})`)
    const context = c.nullableString(joinPath(f, 'context'), r.context, null, { maxLength: 512, accepted: 'an endpoint, e.g. "POST /admin/page", a prefix ending in *, e.g. "PUT /dav/*", or null' })
    if (context != null && context.indexOf('*') >= 0 && context.indexOf('*') !== context.length - 1) c.add(joinPath(f, 'context'), context, 'an endpoint or a prefix with one * at its end, e.g. "PUT /dav/*"')
    const parameter = c.nullableString(joinPath(f, 'parameter'), r.parameter, null, { minLength: 0, maxLength: 256, accepted: 'a parameter or header name ("" for the path and the method), or null' })
    const grammars = r.grammars === undefined || r.grammars === null ? null : grammarList(c, joinPath(f, 'grammars'), r.grammars)
    if (cell == null && context == null && parameter == null && grammars == null) c.add(f, v, 'a rule with at least one of cell, context, parameter, grammars (to turn the layer off everywhere, set innate.enabled: false)')
    return { cell, context: context == null ? null : normaliseContext(context), parameter, grammars }
  }, { maxItems: 10_000, accepted: 'an array of rules {cell?, context?, parameter?, grammars?}' })
  return { enabled, ...policy, grammars, headers, cells: cellsOut, ignore }
}

/** `POST /a` → `post /a` (the detector's context names). */
function normaliseContext (s: string): string {
  return s.replace(/^(\S+)\s/, (m) => m.toLowerCase())
}

/** The policy and `enabled` of one cell, after its override. */
export function innateCellPolicy (config: InnateConfig, cell: string): { enabled: boolean, policy: InnatePolicy } {
  const o = config.cells[cell] ?? {}
  return {
    enabled: o.enabled ?? config.enabled,
    policy: {
      learningBlock: o.learningBlock ?? config.learningBlock,
      guardingLift: o.guardingLift ?? config.guardingLift,
      unknownEndpointLift: o.unknownEndpointLift ?? config.unknownEndpointLift
    }
  }
}

/** The ignore rules of one cell as an exclusion (context, location, name) → true (all grammars) | grammars | false. */
export function innateExclusion (config: InnateConfig, cell: string): ((context: string, location: InnateLocation, name: string) => boolean | InnateGrammar[]) | undefined {
  const rules = config.ignore.filter((r) => r.cell == null || r.cell === cell)
  if (rules.length === 0) return undefined
  return (context, location, name) => {
    const param = location === 'path' || location === 'method' ? '' : name
    let grammars: InnateGrammar[] | null = null
    for (const r of rules) {
      if (r.context != null && !(r.context.endsWith('*') ? context.startsWith(r.context.slice(0, -1)) : r.context === context)) continue
      if (r.parameter != null && r.parameter !== param) continue
      if (r.grammars == null) return true
      grammars = [...(grammars ?? []), ...r.grammars]
    }
    return grammars ?? false
  }
}
