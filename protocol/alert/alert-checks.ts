/**
 * Pure field checks of a decoded Alert: the `schema` and `impossible-value`
 * parts of validation. No I/O, no clock, no signature.
 */
import { isIP } from 'node:net'
import { PROTOCOL_VERSION } from './types.js'
import { AlertValidationCode } from './validation-code.js'
import type { Alert } from './types.js'
import type { AlertValidationParams } from './validation-params.js'

/** Software ids, as the community topics use them (protocol/mesh/topics.ts): `[a-z0-9._-]{1,64}`. */
export const ALERT_COMMUNITY_PATTERN = /^[a-z0-9._-]{1,64}$/

export interface AlertFieldProblem {
  code: typeof AlertValidationCode.SCHEMA | typeof AlertValidationCode.IMPOSSIBLE_VALUE
  field: string
  message: string
}

const schema = (field: string, message: string): AlertFieldProblem => ({ code: AlertValidationCode.SCHEMA, field, message })
const impossible = (field: string, message: string): AlertFieldProblem => ({ code: AlertValidationCode.IMPOSSIBLE_VALUE, field, message })

const UNSPECIFIED_ADDRESSES = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0'])

function ttlOk (ttlSec: number, p: AlertValidationParams): boolean {
  return Number.isInteger(ttlSec) && ttlSec >= 1 && ttlSec <= p.maxTtlSec
}

function textOk (s: string, max: number, allowEmpty: boolean): boolean {
  return typeof s === 'string' && s.length <= max && (allowEmpty || s.length > 0)
}

/** The first problem of the alert's fields, or undefined when every field is acceptable. */
export function checkAlertFields (a: Alert, p: AlertValidationParams): AlertFieldProblem | undefined {
  // schema: what a well-formed alert of this version must have
  if (a.version !== PROTOCOL_VERSION) return schema('version', `unknown version ${a.version} (this node speaks ${PROTOCOL_VERSION})`)
  if (!Number.isSafeInteger(a.issuedAtMs) || a.issuedAtMs <= 0) return schema('issuedAtMs', 'issuedAtMs is missing')
  if (typeof a.community !== 'string' || !ALERT_COMMUNITY_PATTERN.test(a.community)) return schema('community', `community must match ${String(ALERT_COMMUNITY_PATTERN)}`)
  if (typeof a.seen.context !== 'string' || a.seen.context.length === 0) return schema('seen.context', 'seen.context is missing')
  if (a.kind === 'signature' && a.signatures.length === 0) return schema('signatures', 'a signature alert carries at least one signature')
  if (a.kind === 'source' && a.sources.length === 0) return schema('sources', 'a source alert carries at least one source')

  // impossible values
  if (a.danger !== 1 && a.danger !== 2) return impossible('danger', `danger must be 1 or 2, got ${String(a.danger)}`)
  if (!ttlOk(a.ttlSec, p)) return impossible('ttlSec', `ttlSec must be in [1, ${p.maxTtlSec}], got ${a.ttlSec}`)
  const score = a.seen.score
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0) return impossible('seen.score', `seen.score must be a finite number >= 0, got ${String(score)}`)
  if (!textOk(a.seen.context, p.maxFieldChars, false)) return impossible('seen.context', `seen.context longer than ${p.maxFieldChars}`)
  if (!textOk(a.seen.parameter, p.maxFieldChars, true)) return impossible('seen.parameter', `seen.parameter longer than ${p.maxFieldChars}`)
  if (!textOk(a.seen.explanation, p.maxExplanationChars, true)) return impossible('seen.explanation', `seen.explanation longer than ${p.maxExplanationChars}`)
  const indicators = a.sources.length + a.signatures.length
  if (indicators > p.maxIndicators) return impossible('sources+signatures', `${indicators} indicators, at most ${p.maxIndicators}`)

  for (let i = 0; i < a.sources.length; i++) {
    const s = a.sources[i]
    if (typeof s.address !== 'string' || s.address.length > 45 || isIP(s.address) === 0) return impossible(`sources[${i}].address`, 'address must be an IPv4 or IPv6 address (no port, no prefix)')
    if (s.address.includes('%')) return impossible(`sources[${i}].address`, 'a zone index (%iface) means nothing on another host')
    if (UNSPECIFIED_ADDRESSES.has(s.address)) return impossible(`sources[${i}].address`, 'the unspecified address cannot be a source')
    if (!ttlOk(s.ttlSec, p)) return impossible(`sources[${i}].ttlSec`, `ttlSec must be in [1, ${p.maxTtlSec}]`)
  }

  for (let i = 0; i < a.signatures.length; i++) {
    const s = a.signatures[i]
    const at = `signatures[${i}]`
    if (!textOk(s.id, p.maxFieldChars, false)) return impossible(`${at}.id`, `id must be 1..${p.maxFieldChars} characters`)
    if (!textOk(s.context, p.maxFieldChars, false)) return impossible(`${at}.context`, `context must be 1..${p.maxFieldChars} characters`)
    if (!textOk(s.parameter, p.maxFieldChars, true)) return impossible(`${at}.parameter`, `parameter longer than ${p.maxFieldChars}`)
    if (!textOk(s.generator, p.maxFieldChars, false)) return impossible(`${at}.generator`, `generator must be 1..${p.maxFieldChars} characters`)
    // an empty token set would match every value
    if (s.tokens.length === 0 || s.tokens.length > p.maxTokensPerSignature) return impossible(`${at}.tokens`, `a signature has 1..${p.maxTokensPerSignature} tokens, got ${s.tokens.length}`)
    for (let j = 0; j < s.tokens.length; j++) {
      if (!textOk(s.tokens[j], p.maxTokenChars, false)) return impossible(`${at}.tokens[${j}]`, `a token is 1..${p.maxTokenChars} characters`)
    }
    if (!Number.isInteger(s.sampleCount) || s.sampleCount < 1) return impossible(`${at}.sampleCount`, 'sampleCount must be >= 1')
  }

  if (a.evidenceDigest != null && (a.evidenceDigest.byteLength === 0 || a.evidenceDigest.byteLength > p.maxEvidenceDigestBytes)) {
    return impossible('evidenceDigest', `evidenceDigest must be 1..${p.maxEvidenceDigestBytes} bytes`)
  }
  return undefined
}
