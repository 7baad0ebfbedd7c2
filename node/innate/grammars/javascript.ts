/**
 * JavaScript: does the value, placed into a script, end the literal it was
 * meant to be and run code? Contexts: a single-quoted, double-quoted or
 * template string ('…', "…", `…`; backslash escapes stay in the string), and
 * a number (var n = 42;).
 *
 * After the break the tokens must go on as an expression or statement (they
 * start with an operator or ';', ',', ')', ']', '}'; no two operands meet;
 * brackets close at most the 3 the script opened and end balanced unless a
 * comment ends the script) and end where the script's own text can go on:
 * inside a string the script's closing quote completes, in a `//` or `<!--`
 * comment, or (number context) in code. A finding needs a call
 * (`alert(1)`, a tagged template) or an assignment to a property
 * (`document.cookie=…`): it is always strong. `it's` fails at once (a word
 * follows the quote), `5' - 3` has no call.
 */
import type { Work } from '../decode.js'
import type { GrammarFinding } from './grammar.js'

const J_IDENT = 110 // n
const J_NUMBER = 49 // 1
const J_STRING = 115 // s
const J_OP = 111 // o
const J_OPEN = 40 // ( [ {
const J_CLOSE = 41 // ) ] }
const J_SEMI = 59 // ; ,
const J_COMMENT = 99 // c
const J_KEYWORD = 107 // k
const J_ASSIGN = 61 // =
const J_OTHER = 63 // ?

const PREFIX = new Set(['typeof', 'void', 'new', 'delete', 'await', 'yield', 'in', 'instanceof', 'of'])
const STATEMENT = new Set(['var', 'let', 'const', 'if', 'else', 'for', 'while', 'do', 'function', 'return', 'throw', 'try', 'catch', 'finally', 'switch', 'case', 'default', 'break', 'continue', 'with', 'class', 'import', 'export', 'debugger'])
const LITERAL = new Set(['true', 'false', 'null', 'undefined', 'this', 'NaN', 'Infinity'])
const MAX_TOKENS = 64

interface JsToken { t: number, s: number, e: number, ch: number }

function isIdentStart (c: number): boolean { return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 0xc0 }
function isIdentPart (c: number): boolean { return isIdentStart(c) || (c >= 48 && c <= 57) }
function isSpace (c: number): boolean { return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 }
function isDigit (c: number): boolean { return c >= 48 && c <= 57 }

interface JsLex { tokens: JsToken[], openQuote: number, inComment: boolean, capped: boolean }

function lexJs (text: string, pos: number, work: Work): JsLex {
  const end = text.length
  const tokens: JsToken[] = []
  let openQuote = 0
  let inComment = false
  let i = pos
  while (i < end && tokens.length < MAX_TOKENS) {
    const c = text.charCodeAt(i)
    if (isSpace(c)) { i++; continue }
    const n1 = i + 1 < end ? text.charCodeAt(i + 1) : 0
    if (c === 47 && n1 === 47) { // line comment: to the end of the line
      let j = i + 2
      while (j < end && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++
      if (j >= end) { tokens.push({ t: J_COMMENT, s: i, e: end, ch: c }); inComment = true; i = end; break }
      i = j
      continue
    }
    if (c === 60 && text.startsWith('!--', i + 1)) { tokens.push({ t: J_COMMENT, s: i, e: end, ch: c }); inComment = true; i = end; break }
    if (c === 47 && n1 === 42) {
      const close = text.indexOf('*/', i + 2)
      if (close < 0) { tokens.push({ t: J_COMMENT, s: i, e: end, ch: c }); inComment = true; i = end; break }
      i = close + 2
      continue
    }
    if (c === 39 || c === 34 || c === 96) {
      let j = i + 1
      let closed = false
      while (j < end) {
        const d = text.charCodeAt(j)
        if (d === 92) { j += 2; continue }
        if (d === c) { closed = true; break }
        j++
      }
      if (!closed) { tokens.push({ t: J_STRING, s: i, e: end, ch: c }); openQuote = c; i = end; break }
      tokens.push({ t: J_STRING, s: i, e: j + 1, ch: c })
      i = j + 1
      continue
    }
    if (isDigit(c) || (c === 46 && isDigit(n1))) {
      let j = i + 1
      while (j < end && (isIdentPart(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++
      tokens.push({ t: J_NUMBER, s: i, e: j, ch: c })
      i = j
      continue
    }
    if (isIdentStart(c) || c === 92) {
      let j = i + 1
      while (j < end && (isIdentPart(text.charCodeAt(j)) || text.charCodeAt(j) === 92)) j++
      const w = text.slice(i, j)
      const t = LITERAL.has(w) ? J_NUMBER : PREFIX.has(w) ? J_OP : STATEMENT.has(w) ? J_KEYWORD : J_IDENT
      tokens.push({ t, s: i, e: j, ch: c })
      i = j
      continue
    }
    if (c === 40 || c === 91 || c === 123) { tokens.push({ t: J_OPEN, s: i, e: i + 1, ch: c }); i++; continue }
    if (c === 41 || c === 93 || c === 125) { tokens.push({ t: J_CLOSE, s: i, e: i + 1, ch: c }); i++; continue }
    if (c === 59 || c === 44) { tokens.push({ t: J_SEMI, s: i, e: i + 1, ch: c }); i++; continue }
    if (c === 61 && n1 !== 61 && n1 !== 62) { tokens.push({ t: J_ASSIGN, s: i, e: i + 1, ch: c }); i++; continue }
    if ('+-*/%<>=!&|^~?:.'.includes(text[i])) {
      let j = i + 1
      while (j < end && j < i + 4 && '+-*/%<>=!&|^~?:.'.includes(text[j]) && !(text.charCodeAt(j) === 47 && (text.charCodeAt(j + 1) === 47 || text.charCodeAt(j + 1) === 42))) j++
      // compound assignment (+=, ||=, …) counts as an assignment
      const op = text.slice(i, j)
      tokens.push({ t: op.length >= 2 && op.endsWith('=') && !/^(==|===|!=|!==|<=|>=)$/.test(op) ? J_ASSIGN : J_OP, s: i, e: j, ch: c })
      i = j
      continue
    }
    tokens.push({ t: J_OTHER, s: i, e: i + 1, ch: c })
    i++
  }
  work.n += i - pos
  return { tokens, openQuote, inComment, capped: tokens.length >= MAX_TOKENS && i < end }
}

const operand = (t: number): boolean => t === J_IDENT || t === J_NUMBER || t === J_STRING || t === J_CLOSE

function judge (lx: JsLex, from: number, quote: number): { ok: boolean, last: number, why: string } {
  const toks = lx.tokens
  const bad = { ok: false, last: from, why: '' }
  const first = toks[from]
  if (first == null) return bad
  if (!(first.t === J_OP || first.t === J_SEMI || first.t === J_CLOSE || first.t === J_ASSIGN)) return bad
  let depth = 0
  let minDepth = 0
  let call = false
  let assign = false
  let prev = -1
  for (let k = from; k < toks.length; k++) {
    const t = toks[k].t
    if (t === J_OTHER) return bad
    if ((t === J_IDENT || t === J_NUMBER || t === J_STRING) && operand(prev)) {
      // a tagged template (`alert`1``) is a call; anything else is two operands in a row
      if (t === J_STRING && toks[k].ch === 96 && (prev === J_IDENT || prev === J_CLOSE)) call = true
      else return bad
    }
    if (t === J_OPEN) {
      if (toks[k].ch === 40 && (prev === J_IDENT || prev === J_CLOSE)) call = true
      depth++
    } else if (t === J_CLOSE) {
      depth--
      if (depth < minDepth) minDepth = depth
      if (minDepth < -3) return bad
    } else if (t === J_ASSIGN) {
      if (prev === J_IDENT || prev === J_CLOSE) assign = true
    }
    prev = t
  }
  if (!lx.capped) {
    if (lx.inComment) { if (depth > 0) return bad } else if (quote !== 0) {
      if (lx.openQuote !== quote || depth !== 0) return bad
    } else if (lx.openQuote !== 0 || depth !== 0 || prev === J_OP || prev === J_ASSIGN) return bad
  }
  if (!call && !assign) return bad
  return { ok: true, last: toks.length - 1, why: call ? 'a call' : 'an assignment' }
}

function fp (lx: JsLex, to: number): string {
  let f = ''
  for (let k = 0; k <= to && f.length < 16; k++) f += String.fromCharCode(lx.tokens[k].t)
  return f
}

/** The first unescaped `quote` in text (backslash escapes), or −1. */
function stringBreak (text: string, quote: string): number {
  let i = text.indexOf(quote)
  while (i >= 0) {
    let bs = 0
    for (let j = i - 1; j >= 0 && text.charCodeAt(j) === 92 && bs < 64; j--) bs++
    if (bs % 2 === 0) return i
    i = text.indexOf(quote, i + 1)
  }
  return -1
}

/** JavaScript findings of one decoded value. */
export function inspectJavascript (text: string, work: Work, out: GrammarFinding[]): void {
  const contexts: Array<[string, string]> = [["'", 'single-quoted string'], ['"', 'double-quoted string'], ['`', 'template string']]
  for (const [q, context] of contexts) {
    const b = stringBreak(text, q)
    if (b < 0) continue
    const lx = lexJs(text, b + 1, work)
    const v = judge(lx, 0, q.charCodeAt(0))
    if (!v.ok) continue
    out.push({ grammar: 'javascript', context, token: q, offset: b, span: text.slice(b, Math.min(lx.tokens[v.last].e, b + 256)), fingerprint: 's' + fp(lx, v.last), strength: 'strong', why: `closes the string, then ${v.why}` })
    return
  }
  let i = 0
  while (i < text.length && isSpace(text.charCodeAt(i))) i++
  if (i >= text.length || !isDigit(text.charCodeAt(i))) return
  const lx = lexJs(text, i, work)
  if (lx.tokens.length < 2 || lx.tokens[0].t !== J_NUMBER) return
  const v = judge(lx, 1, 0)
  if (!v.ok) return
  const brk = lx.tokens[1]
  out.push({ grammar: 'javascript', context: 'number', token: text.slice(brk.s, brk.e), offset: brk.s, span: text.slice(brk.s, Math.min(lx.tokens[v.last].e, brk.s + 256)), fingerprint: fp(lx, v.last), strength: 'strong', why: `ends the number, then ${v.why}` })
}
