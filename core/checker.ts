/**
 * A small validator that collects every problem (field path, value, what is
 * accepted) instead of stopping at the first. Each reader returns a usable
 * value (the default when the input is invalid), so validation can go on.
 */
import type { ConfigIssue } from './errors.js'

export type Raw = Record<string, unknown>

export function isPlainObject (v: unknown): v is Raw {
  return v != null && typeof v === 'object' && !Array.isArray(v)
}

export function joinPath (base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`
  return base === '' ? key : `${base}.${key}`
}

export interface NumberRule {
  min?: number
  max?: number
  /** Value must be strictly greater than this. */
  gt?: number
  integer?: boolean
}

function describeRange (r: NumberRule): string {
  const kind = r.integer === true ? 'an integer' : 'a number'
  const parts: string[] = []
  if (r.gt != null) parts.push(`> ${r.gt}`)
  if (r.min != null) parts.push(`>= ${r.min}`)
  if (r.max != null) parts.push(`<= ${r.max}`)
  return parts.length === 0 ? kind : `${kind} ${parts.join(' and ')}`
}

/** A finite number that satisfies every bound of the rule. */
function fitsRule (v: unknown, rule: NumberRule): v is number {
  return typeof v === 'number' && Number.isFinite(v) &&
    (rule.integer !== true || Number.isInteger(v)) &&
    (rule.min == null || v >= rule.min) &&
    (rule.max == null || v <= rule.max) &&
    (rule.gt == null || v > rule.gt)
}

export class Checker {
  readonly issues: ConfigIssue[] = []

  add (field: string, value: unknown, accepted: string): void {
    this.issues.push({ field, value, accepted })
  }

  get ok (): boolean { return this.issues.length === 0 }

  /** A plain object (undefined → {}); unknown keys are reported with the list of known ones. */
  object (field: string, v: unknown, known: readonly string[]): Raw {
    if (v === undefined) return {}
    if (!isPlainObject(v)) {
      this.add(field, v, `an object with keys ${known.join(', ')}`)
      return {}
    }
    for (const key of Object.keys(v)) {
      if (!known.includes(key)) this.add(joinPath(field, key), v[key], `one of the keys ${known.join(', ')} (unknown key)`)
    }
    return v
  }

  string (field: string, v: unknown, def: string, opts: { pattern?: RegExp, accepted?: string, minLength?: number, maxLength?: number } = {}): string {
    if (v === undefined) return def
    const min = opts.minLength ?? 1
    const max = opts.maxLength ?? 4096
    const accepted = opts.accepted ?? `a string of ${min} to ${max} characters`
    if (typeof v !== 'string' || v.length < min || v.length > max || (opts.pattern != null && !opts.pattern.test(v))) {
      this.add(field, v, accepted)
      return def
    }
    return v
  }

  nullableString (field: string, v: unknown, def: string | null, opts: { pattern?: RegExp, accepted?: string, minLength?: number, maxLength?: number } = {}): string | null {
    if (v === undefined) return def
    if (v === null) return null
    return this.string(field, v, def ?? '', { ...opts, accepted: (opts.accepted ?? 'a string') + ' or null' }) || def
  }

  number (field: string, v: unknown, def: number, rule: NumberRule = {}): number {
    if (v === undefined) return def
    if (!fitsRule(v, rule)) {
      this.add(field, v, describeRange(rule))
      return def
    }
    return v
  }

  nullableNumber (field: string, v: unknown, def: number | null, rule: NumberRule = {}): number | null {
    if (v === undefined) return def
    if (v === null) return null
    if (!fitsRule(v, rule)) {
      this.add(field, v, describeRange(rule) + ' or null')
      return def
    }
    return v
  }

  boolean (field: string, v: unknown, def: boolean): boolean {
    if (v === undefined) return def
    if (typeof v !== 'boolean') {
      this.add(field, v, 'true or false')
      return def
    }
    return v
  }

  oneOf<T extends string> (field: string, v: unknown, options: readonly T[], def: T): T {
    if (v === undefined) return def
    if (typeof v !== 'string' || !options.includes(v as T)) {
      this.add(field, v, `one of ${options.map(o => JSON.stringify(o)).join(', ')}`)
      return def
    }
    return v as T
  }

  /** An array (undefined → def); each item is read by `item`, which reports its own problems. */
  array<T> (field: string, v: unknown, def: T[], item: (field: string, v: unknown, index: number) => T | undefined, opts: { maxItems?: number, accepted?: string } = {}): T[] {
    if (v === undefined) return def
    const max = opts.maxItems ?? 10_000
    if (!Array.isArray(v)) {
      this.add(field, v, opts.accepted ?? 'an array')
      return def
    }
    if (v.length > max) {
      this.add(field, `(${v.length} items)`, `at most ${max} items`)
      return def
    }
    const out: T[] = []
    v.forEach((x, i) => {
      const r = item(joinPath(field, i), x, i)
      if (r !== undefined) out.push(r)
    })
    return out
  }

  /** A string or an array of strings, each checked by `test` (returns null when fine, else the accepted text). */
  stringList (field: string, v: unknown, def: string[], test: (s: string) => string | null, accepted: string): string[] {
    if (v === undefined) return def
    const list = typeof v === 'string' ? [v] : v
    return this.array(field, list, def, (f, x) => {
      if (typeof x !== 'string') { this.add(f, x, accepted); return undefined }
      const why = test(x)
      if (why != null) { this.add(f, x, why); return undefined }
      return x
    }, { accepted: `${accepted}, or an array of them` })
  }
}
