/**
 * Request bodies as parameters (issue 9): what a person reads as the fields
 * of a request, whatever the encoding the client chose.
 *
 * - `application/x-www-form-urlencoded` (or no Content-Type): form.ts.
 * - `application/json` and `application/*+json`: every scalar becomes one
 *   parameter named by its path, objects joined with '.', arrays as `[]`
 *   (`{"a":{"b":[{"c":1}]}}` → `a.b[].c = "1"`): the index is dropped so
 *   that a longer list does not make new parameter names, and the same field
 *   has the same model in a form post and in its JSON version (`{"qty":2}`
 *   and `qty=2` are one parameter `qty`). Strings are taken as they are,
 *   numbers and booleans as their JSON text, null as ''.
 * - `multipart/form-data`: every part is a parameter named by its
 *   Content-Disposition name; a file part's value is its file name (its
 *   content is not a parameter).
 * - anything else (XML, text, invalid JSON, a JSON scalar): one opaque
 *   parameter `(body)`.
 * Each parse is bounded: at most `maxParams` parameters are kept (the total
 * present is returned), JSON nesting beyond MAX_JSON_DEPTH is one value.
 */
import { parseForm } from './form.js'
import type { FormParam } from './form.js'

/** Name of the pseudo-parameter holding a body that has no fields. */
export const RAW_BODY_PARAM = '(body)'
/** Deeper JSON is kept as its text under the path reached. */
export const MAX_JSON_DEPTH = 32

export type BodyKind = 'form' | 'json' | 'multipart' | 'opaque'

/** The body kind of a Content-Type header value. */
export function bodyKindOf (contentType: string | undefined): BodyKind {
  if (contentType == null || contentType.trim() === '') return 'form'
  const type = contentType.split(';')[0].trim().toLowerCase()
  if (type === 'application/x-www-form-urlencoded') return 'form'
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) return 'json'
  if (type === 'multipart/form-data') return 'multipart'
  return 'opaque'
}

interface Sink { out: FormParam[], max: number, total: number }

function add (s: Sink, name: string, value: string): void {
  s.total++
  if (s.out.length < s.max) s.out.push({ name, value, rawLength: value.length, flags: 0 })
}

function walk (s: Sink, v: unknown, path: string, depth: number): void {
  if (v === null) { add(s, path, ''); return }
  if (typeof v === 'string') { add(s, path, v); return }
  if (typeof v === 'number' || typeof v === 'boolean') { add(s, path, String(v)); return }
  if (depth >= MAX_JSON_DEPTH) { add(s, path, JSON.stringify(v)); return }
  if (Array.isArray(v)) {
    const p = `${path}[]`
    if (v.length === 0) { add(s, p, ''); return }
    for (const x of v) { if (s.total > s.max * 4) return; walk(s, x, p, depth + 1) }
    return
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v as Record<string, unknown>)
    if (keys.length === 0) { add(s, path === '' ? RAW_BODY_PARAM : path, ''); return }
    for (const k of keys) {
      if (s.total > s.max * 4) return
      walk(s, (v as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`, depth + 1)
    }
  }
}

/** Flattens a parsed JSON value into parameters (see the module comment); returns the number present. */
export function flattenJson (value: unknown, out: FormParam[], maxParams = 256): number {
  out.length = 0
  const s: Sink = { out, max: maxParams, total: 0 }
  if (value === null || typeof value !== 'object') { add(s, RAW_BODY_PARAM, typeof value === 'string' ? value : JSON.stringify(value)); return s.total }
  walk(s, value, '', 0)
  return s.total
}

/** The boundary parameter of a multipart Content-Type, or null. */
export function multipartBoundary (contentType: string): string | null {
  const m = /;\s*boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(contentType)
  return m == null ? null : (m[1] ?? m[2])
}

/** Parses a multipart/form-data body into parameters; returns the number present (null when it has no part). */
export function parseMultipart (body: string, boundary: string, out: FormParam[], maxParams = 256): number | null {
  out.length = 0
  const delim = `--${boundary}`
  let pos = body.indexOf(delim)
  if (pos < 0) return null
  const s: Sink = { out, max: maxParams, total: 0 }
  let parts = 0
  while (pos >= 0) {
    let start = pos + delim.length
    if (body.startsWith('--', start)) break // closing delimiter
    if (body.charCodeAt(start) === 13) start++
    if (body.charCodeAt(start) === 10) start++
    const next = body.indexOf(delim, start)
    let end = next < 0 ? body.length : next
    // the line break before the delimiter belongs to it
    if (next >= 0 && body.charCodeAt(end - 1) === 10) end--
    if (next >= 0 && body.charCodeAt(end - 1) === 13) end--
    const part = body.slice(start, end)
    const headEnd = part.search(/\r?\n\r?\n/)
    const head = headEnd < 0 ? part : part.slice(0, headEnd)
    const content = headEnd < 0 ? '' : part.slice(headEnd + (part[headEnd] === '\r' ? 4 : 2))
    const disp = /^content-disposition:[^\n]*$/im.exec(head)?.[0] ?? ''
    const name = /;\s*name="([^"]*)"/i.exec(disp)?.[1] ?? /;\s*name=([^;\s]+)/i.exec(disp)?.[1]
    const filename = /;\s*filename="([^"]*)"/i.exec(disp)?.[1]
    parts++
    if (name != null) add(s, name, filename ?? content)
    if (next < 0 || s.total > s.max * 4) break
    pos = next
  }
  return parts === 0 ? null : s.total
}

/**
 * Parses a body into parameters by its Content-Type (see the module
 * comment). Returns the number of parameters present (may exceed out.length).
 */
export function parseBody (body: string, contentType: string | undefined, out: FormParam[], maxParams = 256): number {
  out.length = 0
  if (body === '') return 0
  const kind = bodyKindOf(contentType)
  if (kind === 'form') return parseForm(body, out, maxParams)
  if (kind === 'json') {
    let v: unknown
    try { v = JSON.parse(body) } catch { v = undefined }
    if (v !== undefined) return flattenJson(v, out, maxParams)
  } else if (kind === 'multipart') {
    const b = multipartBoundary(contentType ?? '')
    const n = b == null ? null : parseMultipart(body, b, out, maxParams)
    if (n != null) return n
  }
  out.length = 0
  if (maxParams > 0) out.push({ name: RAW_BODY_PARAM, value: body, rawLength: body.length, flags: 0 })
  return 1
}
