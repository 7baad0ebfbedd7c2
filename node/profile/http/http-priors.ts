/**
 * Hard priors for HTTP endpoints (KIS "hard tolerization"): bounds from config
 * that learning may never cross, so an attacker who shows up during the
 * learning period cannot teach the profile that a 4 kB value or a quote in an
 * id is normal. An observation that breaks a prior is not learned and gets
 * DetectorParams.priorViolationDanger.
 *
 *   rules:
 *     - { context: "post /login", parameter: "user", maxLength: 64, allowedClasses: [letter, digit], allowedChars: "._-@" }
 *     - { context: "*", parameter: "*", maxLength: 4096 }
 *     - { context: "get /api/*", maxParams: 20 }
 *     - { context: "get /item", parameter: "id", pattern: "^[0-9]{1,9}$" }
 */
import type { PriorCheck } from '../../profile-types.js'
import { InvalidParamsError } from '../../errors.js'
import type { HttpObservation, ScoreReason } from '../../observation.js'
import { isLetter, showChars, showValue } from './char-class.js'
import { parseForm } from './form.js'
import type { FormParam } from './form.js'

export type HttpCharClass = 'lower' | 'upper' | 'letter' | 'digit' | 'space' | 'punct' | 'control' | 'other'
export const HTTP_CHAR_CLASSES: readonly HttpCharClass[] = Object.freeze(['lower', 'upper', 'letter', 'digit', 'space', 'punct', 'control', 'other'])

export interface HttpPriorRule {
  /** Context ("get /login"), a prefix glob ("get /api/*") or "*" (default). */
  context?: string
  /** Parameter name or "*" (default); omit with maxParams for a request-level rule. */
  parameter?: string
  maxLength?: number
  /** Character classes allowed in values ('letter' = letters of any script). */
  allowedClasses?: HttpCharClass[]
  /** Further characters allowed besides allowedClasses. */
  allowedChars?: string
  /** A regular expression the whole decoded value must match (config is trusted: keep it linear). */
  pattern?: string
  /** Most parameters per request. */
  maxParams?: number
}

/** Surprise given to a prior violation (p at the floor). */
export const PRIOR_SURPRISE = 300

export function charClassOf (c: number): HttpCharClass {
  if (c >= 97 && c <= 122) return 'lower'
  if (c >= 65 && c <= 90) return 'upper'
  if (c >= 48 && c <= 57) return 'digit'
  if (c === 32 || c === 9) return 'space'
  if (c < 32 || c === 127) return 'control'
  if (c < 128) return 'punct'
  return isLetter(c) ? 'letter' : 'other'
}

function matchContext (pattern: string, context: string): boolean {
  if (pattern === '*') return true
  if (pattern.endsWith('*')) return context.startsWith(pattern.slice(0, -1))
  return pattern === context
}

interface CompiledRule {
  rule: HttpPriorRule
  classes?: Set<HttpCharClass>
  chars?: Set<number>
  re?: RegExp
}

export function validateHttpPriorRules (rules: HttpPriorRule[]): void {
  if (!Array.isArray(rules)) throw new InvalidParamsError('priors', rules, 'a list of rules')
  rules.forEach((r, i) => {
    const at = `priors[${i}]`
    if (r == null || typeof r !== 'object') throw new InvalidParamsError(at, r, 'an object')
    if (r.maxLength !== undefined && (!Number.isInteger(r.maxLength) || r.maxLength < 0)) throw new InvalidParamsError(`${at}.maxLength`, r.maxLength, 'an integer ≥ 0')
    if (r.maxParams !== undefined && (!Number.isInteger(r.maxParams) || r.maxParams < 0)) throw new InvalidParamsError(`${at}.maxParams`, r.maxParams, 'an integer ≥ 0')
    if (r.allowedClasses !== undefined && (!Array.isArray(r.allowedClasses) || r.allowedClasses.some((c) => !HTTP_CHAR_CLASSES.includes(c)))) {
      throw new InvalidParamsError(`${at}.allowedClasses`, r.allowedClasses, HTTP_CHAR_CLASSES.join(', '))
    }
    if (r.pattern !== undefined) {
      try { new RegExp(r.pattern, 'u') } catch { throw new InvalidParamsError(`${at}.pattern`, r.pattern, 'a valid regular expression') }
    }
    if (r.context !== undefined && typeof r.context !== 'string') throw new InvalidParamsError(`${at}.context`, r.context, 'a string')
    if (r.parameter !== undefined && typeof r.parameter !== 'string') throw new InvalidParamsError(`${at}.parameter`, r.parameter, 'a string')
  })
}

function reason (context: string, parameter: string | undefined, observed: string | number, expected: string): ScoreReason {
  const r: ScoreReason = { context, feature: 'prior', observed, expected, surprise: PRIOR_SURPRISE }
  if (parameter !== undefined) r.parameter = parameter
  return r
}

/** Compiles rules into the detector's PriorCheck. Throws InvalidParamsError on a bad rule. */
export function createHttpPriors (rules: HttpPriorRule[]): PriorCheck<HttpObservation> {
  validateHttpPriorRules(rules)
  const compiled: CompiledRule[] = rules.map((rule) => {
    const c: CompiledRule = { rule }
    if (rule.allowedClasses != null) c.classes = new Set(rule.allowedClasses)
    if (rule.allowedChars != null) c.chars = new Set([...rule.allowedChars].map((ch) => ch.charCodeAt(0)))
    if (rule.pattern != null) c.re = new RegExp(rule.pattern, 'u')
    return c
  })
  const q: FormParam[] = []
  const b: FormParam[] = []
  return (obs, context) => {
    const active = compiled.filter((c) => matchContext(c.rule.context ?? '*', context))
    if (active.length === 0) return []
    const total = parseForm(obs.query, q, 4096) + parseForm(obs.body, b, 4096)
    const params = [...q, ...b]
    const out: ScoreReason[] = []
    for (const c of active) {
      const r = c.rule
      if (r.maxParams != null && total > r.maxParams) out.push(reason(context, undefined, `${total} parameters`, `at most ${r.maxParams}`))
      if (r.maxLength == null && c.classes == null && c.chars == null && c.re == null) continue
      const name = r.parameter ?? '*'
      for (const p of params) {
        if (name !== '*' && p.name !== name) continue
        if (r.maxLength != null && p.value.length > r.maxLength) out.push(reason(context, p.name, `length ${p.value.length}`, `at most ${r.maxLength}`))
        if (c.classes != null || c.chars != null) {
          const bad = new Set<number>()
          for (let i = 0; i < p.value.length && bad.size < 16; i++) {
            const ch = p.value.charCodeAt(i)
            if (c.chars?.has(ch) === true) continue
            const cls = charClassOf(ch)
            if (c.classes != null && (c.classes.has(cls) || (c.classes.has('letter') && (cls === 'lower' || cls === 'upper')))) continue
            bad.add(ch)
          }
          if (bad.size > 0) out.push(reason(context, p.name, `characters ${showChars(bad)}`, `only ${[...(c.classes ?? [])].join(', ')}${c.chars != null ? ` and ${showChars(c.chars)}` : ''}`))
        }
        if (c.re != null && !c.re.test(p.value)) out.push(reason(context, p.name, `value ${showValue(p.value)}`, `matching /${r.pattern ?? ''}/`))
      }
    }
    return out
  }
}
