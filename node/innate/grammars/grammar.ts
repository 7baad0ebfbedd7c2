/** What one grammar reports about one decoded view of a value (the inspector adds location, name and decodings). */
import type { InnateGrammar, InnateStrength } from '../types.js'

export interface GrammarFinding {
  grammar: InnateGrammar
  context: string
  token: string
  offset: number
  span: string
  fingerprint: string
  strength: InnateStrength
  /** Why this is a break-out, in a few words ("closes the string, then a comparison"). */
  why: string
}
