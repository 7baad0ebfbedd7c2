/**
 * Templates: does the value, placed into a template that is rendered
 * server-side (Jinja2, Twig, Handlebars, FreeMarker, Velocity, Thymeleaf,
 * Spring EL, JSP EL, ERB, EJS, …), open an expression?
 *
 * Delimiters `{{ … }}`, `{% … %}`, `${ … }`, `#{ … }`, `*{ … }`, `<%= … %>`,
 * `<% … %>`; the breaking token is the opening delimiter. The expression
 * inside (up to the closing delimiter, at most 512 characters) is tokenised:
 * a plain name (`${name}`, `{{user}}`) is text, as in many documents.
 *
 * Strong: a call (`x()`), a dunder or reflection name (`__class__`,
 * `getClass`, `constructor`, `Runtime`, `forName`, `popen`, `system`,
 * `require`, `process`, `exec`), or an attribute chain with a call.
 * Weak: arithmetic between literals (`{{7*7}}`, the usual probe), an
 * attribute access, a filter (`{{x|e}}`), an index.
 */
import type { Work } from '../decode.js'
import type { GrammarFinding } from './grammar.js'

const DELIMS: ReadonlyArray<[string, string]> = [['{{', '}}'], ['{%', '%}'], ['${', '}'], ['#{', '}'], ['*{', '}'], ['<%=', '%>'], ['<%', '%>']]
const REFLECTION = /__[a-z]+__|getclass|forname|classloader|constructor|runtime|processbuilder|popen|subprocess|system|require|process|exec|eval|import|globals|builtins|mro|subclasses|getruntime|invoke|newinstance|t\(java/
const MAX_EXPR = 512

/** Template findings of one decoded value. */
export function inspectTemplate (text: string, work: Work, out: GrammarFinding[]): void {
  let best: GrammarFinding | null = null
  let opens = 0
  for (let i = 0; i < text.length && opens < 64; i++) {
    const c = text.charCodeAt(i)
    if (c !== 123 && c !== 36 && c !== 35 && c !== 42 && c !== 60) continue
    let open = ''
    let close = ''
    for (const [o, cl] of DELIMS) if (text.startsWith(o, i)) { open = o; close = cl; break }
    if (open === '') continue
    opens++
    const from = i + open.length
    const stop = text.indexOf(close, from)
    work.n += (stop < 0 ? text.length : stop) - from
    if (stop < 0 || stop - from > MAX_EXPR) continue
    const expr = text.slice(from, stop)
    const lower = expr.toLowerCase()
    const trimmed = expr.trim()
    if (trimmed === '' || /^[A-Za-z_][A-Za-z0-9_]*$/.test(trimmed) || /^[0-9.]+$/.test(trimmed)) { i = stop; continue }
    const call = /[A-Za-z0-9_\])]\s*\(/.test(expr)
    const reflect = REFLECTION.test(lower)
    const arith = /^\s*[0-9.]+\s*[-+*/%]\s*[0-9.]+\s*$/.test(expr)
    const attr = /[A-Za-z_\])]\s*\.\s*[A-Za-z_]/.test(expr)
    const filter = /[A-Za-z_\])]\s*\|\s*[A-Za-z_]/.test(expr)
    const index = /[A-Za-z_\])]\s*\[/.test(expr)
    if (!(call || reflect || arith || attr || filter || index)) { i = stop; continue }
    const strong = call || reflect
    const why = reflect ? 'an expression that reaches the runtime (reflection, process or module access)' : call ? 'an expression with a call' : arith ? 'an arithmetic expression (a probe)' : attr ? 'an attribute access' : filter ? 'a filter' : 'an index'
    const f: GrammarFinding = { grammar: 'template', context: `${open}…${close}`, token: open, offset: i, span: text.slice(i, Math.min(stop + close.length, i + 256)), fingerprint: `${open}${call ? 'f' : ''}${reflect ? 'R' : ''}${arith ? '1o1' : ''}${attr ? '.' : ''}${filter ? '|' : ''}${index ? '[' : ''}${close}`, strength: strong ? 'strong' : 'weak', why: `opens ${why}` }
    if (strong) { out.push(f); return }
    if (best == null) best = f
    i = stop
  }
  if (best != null) out.push(best)
}
