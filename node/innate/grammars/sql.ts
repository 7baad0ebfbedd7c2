/**
 * SQL: does the value, placed into a query, end the literal it was meant to be
 * and go on as SQL? (Su & Wassermann: an injection changes the parse tree;
 * libinjection: a token fingerprint of the result.)
 *
 * Three contexts: a single-quoted string ('…'), a double-quoted string ("…",
 * MySQL), and a number (…= 42). In a string context the breaking token is the
 * first quote that closes the string; in the numeric context it is the first
 * token after a leading number (or a leading ')').
 *
 * The tokens after the break must form SQL that the query would accept:
 *   - they start with a continuation (logical operator, comparison, UNION,
 *     ';', ')', ',', a comment, a clause keyword such as ORDER or WAITFOR);
 *   - no two operands follow each other; ';' starts a statement; UNION is
 *     followed by SELECT; parentheses close at most the 3 the query opened,
 *     and end balanced unless a comment ends the query;
 *   - the value ends where the query's own text can go on: inside a string
 *     the query's closing quote completes, after a comment, or (numeric
 *     context) in code.
 * English or Spanish text with an apostrophe ("O'Brien", "L'Hospitalet")
 * fails these at once: a word follows the closing quote.
 *
 * Strong: UNION SELECT, a stacked statement, a function call, a comparison
 * (tautology), a clause keyword, or a logical operator with a real operand.
 * Weak: a bare comment after the break (`admin'--`), or a logical operator
 * whose operand is the empty string the query closes.
 */
import type { Work } from '../decode.js'
import type { GrammarFinding } from './grammar.js'

const T_STRING = 115 // s
const T_NUMBER = 49 // 1
const T_WORD = 110 // n
const T_KEYWORD = 107 // k
const T_UNION = 85 // U
const T_LOGIC = 38 // &
const T_OP = 111 // o
const T_CMP = 61 // =
const T_OPEN = 40 // (
const T_CLOSE = 41 // )
const T_COMMA = 44 // ,
const T_SEMI = 59 // ;
const T_COMMENT = 99 // c
const T_VAR = 118 // v
const T_FUNC = 102 // f
const T_OTHER = 63 // ?

const LOGIC = new Set(['and', 'or', 'xor', '&&', '||'])
const CMP_WORDS = new Set(['like', 'rlike', 'regexp', 'in', 'between', 'is', 'sounds', 'similar', 'glob', 'match'])
const OP_WORDS = new Set(['not', 'div', 'mod', 'collate', 'escape', 'binary'])
const LITERAL_WORDS = new Set(['null', 'true', 'false', 'unknown', 'current_user', 'current_date', 'current_timestamp', 'localtime'])
const UNION_WORDS = new Set(['union', 'intersect', 'except'])
/** Keywords that start a statement (after ';'). */
const STATEMENT = new Set(['select', 'insert', 'update', 'delete', 'drop', 'create', 'alter', 'truncate', 'replace', 'merge', 'exec', 'execute',
  'declare', 'set', 'waitfor', 'shutdown', 'grant', 'revoke', 'use', 'begin', 'commit', 'rollback', 'call', 'load', 'show', 'desc', 'describe',
  'handler', 'with', 'if', 'print', 'kill', 'backup', 'restore', 'rename', 'lock', 'unlock', 'do', 'copy'])
/** Keywords that may directly follow the broken literal or number (a clause the query goes on with). */
const CLAUSE = new Set(['order', 'group', 'having', 'limit', 'offset', 'into', 'procedure', 'waitfor', 'for', 'from', 'where', 'select', 'union', 'when', 'then', 'else', 'end', 'as', 'returning', 'fetch', 'top'])
const OTHER_KEYWORDS = new Set(['by', 'all', 'distinct', 'values', 'table', 'database', 'schema', 'view', 'index', 'column', 'user', 'on', 'join', 'inner',
  'outer', 'left', 'right', 'cross', 'natural', 'using', 'case', 'asc', 'outfile', 'dumpfile', 'infile', 'data', 'delay', 'time', 'exists', 'top', 'procedure',
  'function', 'trigger', 'key', 'primary', 'add', 'modify', 'change', 'ignore', 'low_priority', 'high_priority', 'straight_join', 'sql_calc_found_rows', 'char', 'nchar', 'varchar'])

export interface SqlToken { t: number, s: number, e: number, w: string }

export interface SqlLex {
  tokens: SqlToken[]
  /** Quote (39, 34) when the text ends inside a string literal that this quote opened, else 0. */
  openQuote: number
  /** The text ends inside a comment (`--`, `#`, or an unterminated block comment). */
  inComment: boolean
  /** The token cap was reached before the end. */
  capped: boolean
}

const MAX_TOKENS = 64

function isWordChar (c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 0xc0
}
function isSpace (c: number): boolean { return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 }
function isDigit (c: number): boolean { return c >= 48 && c <= 57 }
function isHex (c: number): boolean { return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) }

/** Lexes text[pos, end) as SQL code. Linear: each character is consumed once. */
export function lexSql (text: string, pos: number, end: number, work: Work): SqlLex {
  const tokens: SqlToken[] = []
  let i = pos
  let openQuote = 0
  let inComment = false
  const push = (t: number, s: number, e: number, w = ''): void => { tokens.push({ t, s, e, w }) }
  while (i < end && tokens.length < MAX_TOKENS) {
    const c = text.charCodeAt(i)
    if (isSpace(c)) { i++; continue }
    const n1 = i + 1 < end ? text.charCodeAt(i + 1) : 0
    // comments
    if ((c === 45 && n1 === 45) || c === 35) { push(T_COMMENT, i, end); inComment = true; i = end; break }
    if (c === 47 && n1 === 42) {
      const close = text.indexOf('*/', i + 2)
      work.n += (close < 0 ? end : close) - i
      if (i + 2 < end && text.charCodeAt(i + 2) === 33) { // /*! … */ : MySQL runs what is inside
        i += 3
        while (i < end && isDigit(text.charCodeAt(i))) i++
        continue
      }
      if (close < 0 || close + 2 > end) { push(T_COMMENT, i, end); inComment = true; i = end; break }
      i = close + 2 // a block comment is whitespace
      continue
    }
    if (c === 42 && n1 === 47) { i += 2; continue } // end of a /*! … */ block
    // strings
    if (c === 39 || c === 34) {
      let j = i + 1
      let closed = false
      while (j < end) {
        const d = text.charCodeAt(j)
        if (d === c) {
          if (j + 1 < end && text.charCodeAt(j + 1) === c) { j += 2; continue } // '' escape
          closed = true
          break
        }
        j++
      }
      if (!closed) { push(T_STRING, i, end); openQuote = c; i = end; break }
      push(T_STRING, i, j + 1)
      i = j + 1
      continue
    }
    if (c === 96) { // `identifier`
      const close = text.indexOf('`', i + 1)
      work.n += (close < 0 ? end : close) - i
      const e = close < 0 || close >= end ? end : close + 1
      push(T_WORD, i, e, 'ident')
      i = e
      continue
    }
    if (c === 91) { // [identifier] (T-SQL)
      const close = text.indexOf(']', i + 1)
      work.n += (close < 0 ? end : close) - i
      if (close > i && close < end) { push(T_WORD, i, close + 1, 'ident'); i = close + 1; continue }
      push(T_OTHER, i, i + 1); i++; continue
    }
    // numbers
    if (isDigit(c) || (c === 46 && isDigit(n1))) {
      let j = i + 1
      if (c === 48 && (n1 === 120 || n1 === 88)) { j = i + 2; while (j < end && isHex(text.charCodeAt(j))) j++ } else {
        while (j < end && (isDigit(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++
        const e = j < end ? text.charCodeAt(j) : 0
        if ((e === 101 || e === 69) && j + 1 < end) {
          const s = text.charCodeAt(j + 1)
          const k = (s === 43 || s === 45) ? j + 2 : j + 1
          if (k < end && isDigit(text.charCodeAt(k))) { j = k; while (j < end && isDigit(text.charCodeAt(j))) j++ }
        }
      }
      push(T_NUMBER, i, j)
      i = j
      continue
    }
    // variables
    if (c === 64) {
      let j = i + 1
      if (j < end && text.charCodeAt(j) === 64) j++
      while (j < end && isWordChar(text.charCodeAt(j))) j++
      push(T_VAR, i, j)
      i = j
      continue
    }
    // words
    if (isWordChar(c)) {
      let j = i + 1
      while (j < end && (isWordChar(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++
      const w = text.slice(i, j).toLowerCase()
      // N'…', X'…', B'…', E'…' literals
      if (j - i === 1 && j < end && text.charCodeAt(j) === 39 && (w === 'n' || w === 'x' || w === 'b' || w === 'e')) { i = j; continue }
      let k = j
      while (k < end && isSpace(text.charCodeAt(k))) k++
      const call = k < end && text.charCodeAt(k) === 40
      let t: number
      if (LOGIC.has(w)) t = T_LOGIC
      else if (CMP_WORDS.has(w)) t = T_CMP
      else if (OP_WORDS.has(w)) t = T_OP
      else if (LITERAL_WORDS.has(w)) t = T_NUMBER
      else if (UNION_WORDS.has(w)) t = T_UNION
      else if (call && !STATEMENT.has(w) && !CLAUSE.has(w) && w !== 'in' && w !== 'values' && w !== 'exists' && w !== 'on' && w !== 'using') t = T_FUNC
      else if (STATEMENT.has(w) || CLAUSE.has(w) || OTHER_KEYWORDS.has(w)) t = T_KEYWORD
      else t = T_WORD
      push(t, i, j, w)
      i = j
      continue
    }
    // operators and punctuation
    if (c === 40) { push(T_OPEN, i, i + 1); i++; continue }
    if (c === 41) { push(T_CLOSE, i, i + 1); i++; continue }
    if (c === 44) { push(T_COMMA, i, i + 1); i++; continue }
    if (c === 59) { push(T_SEMI, i, i + 1); i++; continue }
    if (c === 61 || c === 60 || c === 62 || (c === 33 && n1 === 61)) {
      let j = i + 1
      while (j < end && j < i + 3 && (text.charCodeAt(j) === 61 || text.charCodeAt(j) === 62 || text.charCodeAt(j) === 60)) j++
      push(T_CMP, i, j, text.slice(i, j))
      i = j
      continue
    }
    if ((c === 124 && n1 === 124) || (c === 38 && n1 === 38)) { push(T_LOGIC, i, i + 2, text.slice(i, i + 2)); i += 2; continue }
    if (c === 43 || c === 45 || c === 42 || c === 47 || c === 37 || c === 124 || c === 38 || c === 94 || c === 126 || c === 33) {
      push(T_OP, i, i + 1, text[i]); i++; continue
    }
    if (c === 46) { push(T_OP, i, i + 1, '.'); i++; continue } // a.b
    push(T_OTHER, i, i + 1)
    i++
  }
  work.n += i - pos
  return { tokens, openQuote, inComment, capped: tokens.length >= MAX_TOKENS && i < end }
}

const isOperand = (t: number): boolean => t === T_STRING || t === T_NUMBER || t === T_WORD || t === T_VAR || t === T_CLOSE
const FIRST_OK = new Set([T_LOGIC, T_CMP, T_UNION, T_SEMI, T_CLOSE, T_COMMA, T_COMMENT, T_OP])

interface TailVerdict { ok: boolean, strong: boolean, last: number, why: string, union?: boolean, stacked?: boolean }

/**
 * Checks the tokens after the break (tokens[from…]) as the rest of a query
 * (see the module comment). `stringContext`: the query closes an open string
 * with `quote` after the value.
 */
function judgeTail (lx: SqlLex, from: number, quote: number): TailVerdict {
  const toks = lx.tokens
  const bad: TailVerdict = { ok: false, strong: false, last: from, why: '' }
  if (from >= toks.length) return bad
  const first = toks[from]
  if (!FIRST_OK.has(first.t) && !(first.t === T_KEYWORD && CLAUSE.has(first.w))) return bad
  // an arithmetic operator only continues a number ('5-3'); '-' , '+' after a closed string is not an injection worth naming
  if (first.t === T_OP && first.w !== '||' && first.w !== '&&' && first.w !== 'not') return bad
  let depth = 0
  let minDepth = 0
  let prev = -1
  let prevW = ''
  let hasUnion = false
  let hasStacked = false
  let hasFunc = false
  let hasCmp = false
  let hasLogic = false
  let logicOperandReal = false
  let hasClause = false
  let hasComment = false
  let afterLogic = false
  for (let k = from; k < toks.length; k++) {
    const tk = toks[k]
    // '*' where an operand goes (SELECT *, COUNT(*), a.*) is one
    const t = tk.t === T_OP && tk.w === '*' && (prev === T_OPEN || prev === T_COMMA || prev === T_KEYWORD || (prev === T_OP && prevW === '.')) ? T_NUMBER : tk.t
    if (t === T_OTHER) return bad
    // an operator needs an operand after it (not a comment, not the end)
    if ((t === T_COMMENT) && (prev === T_LOGIC || prev === T_CMP || (prev === T_OP && prevW !== '*'))) return bad
    if ((tk.w === 'order' || tk.w === 'group') && toks[k + 1]?.w !== 'by') return bad
    if (isOperand(t) && t !== T_CLOSE && prev >= 0 && isOperand(prev)) return bad
    if (t === T_CLOSE) {
      if (prev === T_LOGIC || prev === T_CMP || prev === T_OP || prev === T_COMMA || prev === T_SEMI) return bad
      depth--
      if (depth < minDepth) minDepth = depth
      if (minDepth < -3) return bad
    } else if (t === T_OPEN) {
      if (prev === T_CLOSE || prev === T_NUMBER || prev === T_STRING) return bad
      depth++
    } else if (t === T_COMMA) {
      if (prev === T_LOGIC || prev === T_CMP || prev === T_OP || prev === T_OPEN) return bad
    } else if (t === T_SEMI) {
      const nx = toks[k + 1]
      if (nx == null) return bad // the query's own text would follow a finished statement
      if (nx.t === T_COMMENT) { /* ';--' */ } else if (nx.t === T_KEYWORD && STATEMENT.has(nx.w)) hasStacked = true
      else return bad
    } else if (t === T_UNION) {
      let nx = toks[k + 1]
      if (nx != null && nx.t === T_KEYWORD && (nx.w === 'all' || nx.w === 'distinct')) nx = toks[k + 2]
      if (nx == null || !((nx.t === T_KEYWORD && nx.w === 'select') || nx.t === T_OPEN)) return bad
      hasUnion = true
    } else if (t === T_FUNC) {
      hasFunc = true
    } else if (t === T_CMP) {
      hasCmp = true
    } else if (t === T_LOGIC) {
      hasLogic = true
      afterLogic = true
    } else if (t === T_COMMENT) {
      hasComment = true
    } else if (t === T_KEYWORD) {
      if (prevW === 'union' && t === T_KEYWORD) { /* union all */ }
      if (CLAUSE.has(tk.w) || STATEMENT.has(tk.w)) hasClause = true
    }
    if (afterLogic && t !== T_LOGIC && t !== T_OP && t !== T_OPEN) {
      afterLogic = false
      // the operand after OR/AND: the empty string the query closes is not a real one
      const appClosedEmpty = t === T_STRING && k === toks.length - 1 && lx.openQuote !== 0 && tk.e - tk.s <= 1
      if (!appClosedEmpty) logicOperandReal = true
    }
    prev = t
    prevW = tk.w
  }
  const last = toks[toks.length - 1]
  // where the value ends must let the query's own text go on
  if (!lx.capped) {
    if (last.t === T_KEYWORD || last.t === T_UNION) return bad
    if (lx.inComment) {
      if (depth > 0) return bad
    } else if (quote !== 0) {
      if (lx.openQuote !== quote || depth !== 0) return bad
    } else {
      if (lx.openQuote !== 0 || depth !== 0) return bad
      if (last.t === T_LOGIC || last.t === T_CMP || last.t === T_OP || last.t === T_COMMA || last.t === T_OPEN) return bad
    }
  }
  if (!(hasLogic || hasUnion || hasStacked || hasComment || hasClause || hasFunc || (quote !== 0 && hasCmp))) return bad
  const strong = hasUnion || hasStacked || hasFunc || hasCmp || hasClause || (hasLogic && logicOperandReal)
  const why = hasUnion ? 'UNION SELECT' : hasStacked ? 'a stacked statement' : hasFunc ? 'a function call' : hasCmp ? 'a comparison' : hasClause ? 'a clause keyword'
    : hasLogic ? (logicOperandReal ? 'a logical operator' : 'a logical operator with an empty operand') : 'a comment that ends the query'
  return { ok: true, strong, last: toks.length - 1, why, union: hasUnion, stacked: hasStacked }
}

function fingerprint (lx: SqlLex, from: number, to: number): string {
  let f = ''
  for (let k = from; k <= to && f.length < 16; k++) f += String.fromCharCode(lx.tokens[k].t)
  return f
}

/** Finds where the string context opened by `quote` ends in the value: the first lone quote. −1 when it never does. */
function stringBreak (text: string, quote: number, work: Work): number {
  const q = quote === 39 ? "'" : '"'
  work.n += text.length
  let i = text.indexOf(q)
  while (i >= 0) {
    work.n++
    if (i + 1 < text.length && text.charCodeAt(i + 1) === quote) { i = text.indexOf(q, i + 2); continue } // '' stays in the string
    return i
  }
  return -1
}

function spanOf (text: string, from: number, to: number): string {
  return text.slice(from, Math.min(to, from + 256))
}

/** SQL findings of one decoded value (at most one per context, the first context that breaks wins). */
export function inspectSql (text: string, work: Work, out: GrammarFinding[]): void {
  // string contexts
  for (const quote of [39, 34]) {
    const b = stringBreak(text, quote, work)
    if (b < 0) continue
    const lx = lexSql(text, b + 1, text.length, work)
    const v = judgeTail(lx, 0, quote)
    if (!v.ok) continue
    const end = lx.tokens[v.last].e
    out.push({
      grammar: 'sql',
      context: quote === 39 ? 'single-quoted string' : 'double-quoted string',
      token: text[b],
      offset: b,
      span: spanOf(text, b, end),
      fingerprint: 's' + fingerprint(lx, 0, v.last),
      strength: v.strong ? 'strong' : 'weak',
      why: `closes the string, then ${v.why}`
    })
    return
  }
  // numeric context: a leading number (or ')') then SQL
  let i = 0
  while (i < text.length && isSpace(text.charCodeAt(i))) i++
  if (i >= text.length) return
  const c = text.charCodeAt(i)
  if (!(isDigit(c) || c === 41 || (c === 45 && i + 1 < text.length && isDigit(text.charCodeAt(i + 1))))) { inspectBareWord(text, i, work, out); return }
  const lx = lexSql(text, c === 45 ? i + 1 : i, text.length, work)
  if (lx.tokens.length < 2 && lx.tokens[0]?.t !== T_CLOSE) return
  const from = lx.tokens[0].t === T_CLOSE ? 0 : 1
  if (from === 1 && lx.tokens[0].t !== T_NUMBER) return
  const v = judgeTail(lx, from, 0)
  if (!v.ok) return
  const brk = lx.tokens[from]
  out.push({
    grammar: 'sql',
    context: 'numeric',
    token: text.slice(brk.s, brk.e),
    offset: brk.s,
    span: spanOf(text, brk.s, lx.tokens[v.last].e),
    fingerprint: fingerprint(lx, 0, v.last),
    strength: v.strong ? 'strong' : 'weak',
    why: `ends the number, then ${v.why}`
  })
}

/**
 * The value placed bare (an identifier or a number the application did not
 * quote, e.g. `IN (${v})`, `ORDER BY ${v}`) when it starts with a word: one
 * word, then `)` or `;`, then UNION SELECT or a stacked statement, ending in a
 * comment that cuts the query's own text off (`queso1; DROP TABLE t--`,
 * `x) UNION SELECT a, b#`). Weak: the context is a guess, and the word may
 * be text; English with a semicolon ("Done; call me") has no comment after.
 */
function inspectBareWord (text: string, i: number, work: Work, out: GrammarFinding[]): void {
  // cheap test first: one word, then ')' or ';'
  let j = i
  while (j < text.length && isWordChar(text.charCodeAt(j))) j++
  if (j === i) return
  let k = j
  while (k < text.length && isSpace(text.charCodeAt(k))) k++
  work.n += k - i
  if (k >= text.length || (text.charCodeAt(k) !== 41 && text.charCodeAt(k) !== 59)) return
  const lx = lexSql(text, i, text.length, work)
  const toks = lx.tokens
  if (toks.length < 3 || toks[0].t !== T_WORD || !(toks[1].t === T_CLOSE || toks[1].t === T_SEMI)) return
  if (!lx.inComment && toks[toks.length - 1].t !== T_COMMENT) return
  const v = judgeTail(lx, 1, 0)
  if (!v.ok || !(v.union === true || v.stacked === true)) return
  const brk = toks[1]
  out.push({
    grammar: 'sql',
    context: 'bare word',
    token: text.slice(brk.s, brk.e),
    offset: brk.s,
    span: spanOf(text, brk.s, toks[v.last].e),
    fingerprint: fingerprint(lx, 0, v.last),
    strength: 'weak',
    why: `ends a bare word, then ${v.why} and a comment`
  })
}
