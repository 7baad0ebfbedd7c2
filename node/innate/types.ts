/**
 * The records of the innate layer: where a value comes from, how it was
 * decoded, and what a grammar found in it.
 */

/**
 * The grammars the innate layer checks a value against. `probe` is not an
 * injection grammar: it reads the request path (and method) for the
 * footprints of scanners (a backup copy of a file, VCS or server metadata, a
 * write method on a server-side script; grammars/probe.ts).
 */
export const INNATE_GRAMMARS = ['sql', 'html', 'javascript', 'shell', 'path', 'template', 'ldap', 'http-header', 'probe'] as const
export type InnateGrammar = typeof INNATE_GRAMMARS[number]

/**
 * How sure a finding is that the value is an attack, not text that happens to
 * change a parse tree: `weak` (a tag like `<b>`, one `../`, a quote then a
 * comment) or `strong` (a script tag, an event handler, a tautology, a UNION
 * SELECT, a stacked statement, a command after a separator, …).
 */
export type InnateStrength = 'weak' | 'strong'

/** Where a value sits in a request. */
export type InnateLocation = 'query' | 'body' | 'path' | 'method' | 'header' | 'cookie' | 'json' | 'multipart' | 'value'

/** One decoding step applied to the value before a grammar read it, in order. */
export type DecodingStep =
  /** %XX → bytes → UTF-8 (Latin-1 when the bytes are not UTF-8), as a form or URL decoder does. */
  | 'url-decode'
  /** '+' read as a space (application/x-www-form-urlencoded). */
  | 'plus-as-space'
  /** A second %XX pass on what the application already decoded once (double encoding). */
  | 'double-url-decode'
  /** %uXXXX escapes (IIS, old ASP, JavaScript's escape()). */
  | 'percent-u-decode'
  /** Overlong UTF-8 (e.g. %C0%AE for '.') read as the character it spells, as lenient decoders do. */
  | 'overlong-utf8'
  /** &name; &#NN; &#xHH; character references, as a browser decodes attribute and text content. */
  | 'html-entity-decode'

/** How the value reached the inspector: still encoded (`form`: a query or form-body component; `url`: a path) or already decoded (`none`). */
export type InnateEncoding = 'form' | 'url' | 'none'

export interface InspectContext {
  location: InnateLocation
  /** Parameter, header or field name ('' for a path or a whole body). */
  name: string
  /** How the application decodes the raw value (default `none`: the value is what the application sees). */
  encoding?: InnateEncoding
}

/** One way the value breaks out of the syntax it may land in. */
export interface InnateFinding {
  grammar: InnateGrammar
  /** The syntactic context the value was assumed to land in, e.g. `single-quoted string`, `text`, `unquoted argument`. */
  context: string
  /** The breaking token: the first token that leaves the context (a closing quote, `<script`, `;`, `..`, CR LF, …). */
  token: string
  /** Offset of the breaking token in the decoded text (the text after `decodings`). */
  offset: number
  /**
   * The text of the injection: from the breaking token to the end of what the
   * grammar read as injected syntax (at most 256 characters). Clonal selection
   * cuts signatures from it.
   */
  span: string
  /** Token classes of the injected syntax, libinjection-style (e.g. `s&s=s`), where the grammar has them. */
  fingerprint: string
  strength: InnateStrength
  /** Decoding steps applied before the grammar read the value, in order. */
  decodings: DecodingStep[]
  location: InnateLocation
  name: string
  /** One line for people: grammar, context, token, offset, why, and the decodings. */
  explanation: string
}

export interface InnateResult {
  findings: InnateFinding[]
  /**
   * Characters examined, over every decoded view and grammar: the work the
   * inspection did. Bounded by a small constant times the value's length
   * (no backtracking); tests assert the bound instead of timing it.
   */
  work: number
  /** The value was longer than maxValueChars; only its first maxValueChars were read. */
  truncated: boolean
}
