/**
 * The model of one parameter of one endpoint: what its values looked like in
 * training. Each feature turns a new value into a p-value against the training
 * values (add-one smoothed), in the spirit of Kruegel & Vigna (2003) and
 * Immunizer:
 *
 *   H1 length            two-sided empirical, Chebyshev tail (LengthModel)
 *   H2 unseen-characters punctuation, space, control characters never seen in this parameter (NoveltyTracker, leave-one-out)
 *   H2′ unseen-letters   non-ASCII letters never seen (tracked apart: names bring new accents far more often than new punctuation)
 *   H3 character-count   a symbol seen before, but more often per value than usual (rare 1-grams); beyond the
 *                        most any value had, e^{−1/μ} per extra with μ the symbol's mean count
 *   H4 structure         the collapsed character-class shape ("a@a.a") (CategoricalCounter)
 *   H5 enumeration       value outside a small learned set (turned off when the set grows large)
 *   H6 unseen-3grams     3-grams of the folded value never seen (NoveltyTracker, leave-one-out; its tail beyond
 *                        the training range in units of the mean novelty of a new value: scaledTail)
 *   H7 encoding          malformed %-escapes or invalid UTF-8 more often than in training
 *   H0 type              the value's type (value-types.ts: number, name, e-mail, date, UUID, token, URL,
 *                        User-Agent, text) among the types this parameter's values had (CategoricalCounter)
 *
 * Typed values (issue 9):
 *   - a number of a parameter that has numbers: H1 is its magnitude
 *     (MagnitudeModel, a range with a learned distribution) and nothing else
 *     is tested: a new id, price or quantity is not an unseen enumeration value;
 *   - a UUID, hex string or token of a parameter that has them: H1 length
 *     only (their values, 3-grams and shapes are not even learned; their
 *     symbols are, so that text in such a parameter is judged);
 *   - any other value of a recognised type (a name, an e-mail address, a
 *     date, a URL, a User-Agent, or the first number of a text parameter):
 *     every feature, but H2–H4 are novelty, because the type's grammar
 *     explains its symbols (the apostrophe of O'Neill, the '@' of an e-mail).
 *
 * Evidence and novelty (term-sink.ts): H1, H2, H3, H4 and H7 are evidence
 * (H2–H4 for text only, see above); H0 type, H2′ unseen letters, H5
 * enumeration and H6 3-grams are novelty (new values, new words, accents, a
 * new type come every day), and so is H7 when the only invalid UTF-8
 * decodes to Latin-1 letters (a legacy form encoding of the same text,
 * %F1 = ñ).
 *
 * "Symbol" = any character other than an ASCII letter or digit; H3 counts
 * non-letters only (accents are H2′'s business).
 */
import { gramFold, isAsciiAlnum, isLetter, shapeCode, showChars, showValue } from './char-class.js'
import { DECODE_BAD_UTF8, DECODE_FLAGS } from './form.js'
import type { HttpModelParams } from './http-model-params.js'
import type { TermSink } from './term-sink.js'
import { CategoricalCounter } from '../stats/categorical.js'
import type { CategoricalJSON } from '../stats/categorical.js'
import { LengthModel } from '../stats/length-model.js'
import type { LengthModelJSON } from '../stats/length-model.js'
import { MagnitudeModel } from '../stats/magnitude-model.js'
import type { MagnitudeModelJSON } from '../stats/magnitude-model.js'
import { NoveltyTracker } from '../stats/novelty-tracker.js'
import type { NoveltyTrackerJSON } from '../stats/novelty-tracker.js'
import { OPAQUE_TYPES, numberValue, valueTypeOf } from './value-types.js'

/** Features per parameter (for the Bonferroni count). */
export const PARAM_FEATURES = 9
/**
 * Families of entangled features (TermSink 'order-families'): value novelty {H0, H5, H6},
 * length {H1}, alphabet and shape {H2, H2′, H3, H4}, encoding {H7}.
 */
const F_VALUE = 0
const F_LENGTH = 1
const F_ALPHABET = 2
const F_ENCODING = 3
export const PARAM_FAMILIES: readonly number[] = Object.freeze([3, 1, 4, 1])
/** Distinct types tracked per parameter (all of them). */
const MAX_TYPES = 16
/** Per-value count bins of a symbol: 1..COUNT_BINS-1, and COUNT_BINS or more. */
const COUNT_BINS = 8

export interface ParamModelJSON {
  n: number
  length: LengthModelJSON
  symbols: NoveltyTrackerJSON<number>
  letters: NoveltyTrackerJSON<number>
  symbolCounts: Array<[number, number[]]>
  shapes: CategoricalJSON
  values: CategoricalJSON
  grams: NoveltyTrackerJSON<number>
  flags: number[]
  /** Absent in snapshots written before value types. */
  types?: CategoricalJSON
  magnitude?: MagnitudeModelJSON
}

// ---- scratch space shared by every model (single-threaded, never re-entered) ----
const symCount = new Int32Array(65536)
const symList: number[] = []
/** Split of symList: non-letters and non-ASCII letters. */
const punctList: number[] = []
const letterList: number[] = []
const gramSet = new Set<number>()
let shapeStr = ''
let shapeBuf = new Uint16Array(64)

/** One 3-gram as a number: a small integer for Latin-1 grams (fast Map keys), exact above 2^48 otherwise. */
function packGram (a: number, b: number, c: number): number {
  if ((a | b | c) < 256) return (a << 16) | (b << 8) | c
  return 281474976710656 + a * 4294967296 + b * 65536 + c
}

/** A 3-gram holding a character other than an ASCII letter, a digit, a space or the start/end marks. */
function gramHasSymbol (g: number): boolean {
  let a: number, b: number, c: number
  if (g < 16777216) { a = g >> 16; b = (g >> 8) & 255; c = g & 255 } else {
    const r = g - 281474976710656
    a = Math.floor(r / 4294967296); b = Math.floor(r / 65536) % 65536; c = r % 65536
  }
  return isSymbolCode(a) || isSymbolCode(b) || isSymbolCode(c)
}

function isSymbolCode (x: number): boolean {
  return x !== STX && x !== ETX && x !== 32 && !isAsciiAlnum(x) && !(x >= 128 && isLetter(x))
}

function unpackGram (g: number): string {
  let a: number, b: number, c: number
  if (g < 16777216) { a = g >> 16; b = (g >> 8) & 255; c = g & 255 } else {
    const r = g - 281474976710656
    a = Math.floor(r / 4294967296); b = Math.floor(r / 65536) % 65536; c = r % 65536
  }
  const ch = (x: number): string => x === STX ? '^' : x === ETX ? '$' : String.fromCharCode(x)
  return ch(a) + ch(b) + ch(c)
}

const STX = 2
const ETX = 3

/** True when every character above ASCII is a letter (what %F1-style Latin-1 form encoding of names gives). */
function highCharsAreLetters (value: string): boolean {
  let any = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 128) continue
    if (!isLetter(c)) return false
    any = true
  }
  return any
}

/** Fills symList/symCount, shapeStr and gramSet for `value` (first `maxChars` characters). */
function analyse (value: string, maxChars: number, maxShapeChars: number): void {
  for (let i = 0; i < symList.length; i++) symCount[symList[i]] = 0
  symList.length = 0
  gramSet.clear()
  const len = Math.min(value.length, maxChars)
  if (shapeBuf.length < maxShapeChars + 1) shapeBuf = new Uint16Array(maxShapeChars + 1)
  let prevShape = -1
  let shapeLen = 0
  // 3-grams over the folded value framed by STX…ETX
  let g2 = STX
  let g1 = STX
  for (let i = 0; i < len; i++) {
    const c = value.charCodeAt(i)
    if (!isAsciiAlnum(c)) {
      if (symCount[c] === 0) symList.push(c)
      symCount[c]++
    }
    const s = shapeCode(c)
    if (s !== prevShape) {
      prevShape = s
      if (shapeLen < maxShapeChars) shapeBuf[shapeLen] = s
      else if (shapeLen === maxShapeChars) shapeBuf[shapeLen] = 0x2026 // …
      shapeLen++
    }
    const f = gramFold(c)
    gramSet.add(packGram(g2, g1, f))
    g2 = g1
    g1 = f
  }
  gramSet.add(packGram(g2, g1, ETX))
  shapeStr = String.fromCharCode.apply(null, shapeBuf.subarray(0, Math.min(shapeLen, maxShapeChars + 1)) as unknown as number[])
  punctList.length = 0
  letterList.length = 0
  for (const c of symList) (c >= 128 && isLetter(c) ? letterList : punctList).push(c)
}

export class ParamModel {
  n = 0
  readonly length: LengthModel
  readonly symbols: NoveltyTracker<number>
  readonly letters: NoveltyTracker<number>
  readonly symbolCounts: Map<number, Float64Array>
  readonly shapes: CategoricalCounter
  readonly values: CategoricalCounter
  readonly grams: NoveltyTracker<number>
  readonly flags: number[]
  readonly types: CategoricalCounter
  readonly magnitude: MagnitudeModel

  constructor (readonly name: string, readonly params: Readonly<HttpModelParams>, json?: ParamModelJSON) {
    if (json == null) {
      this.length = new LengthModel()
      this.symbols = new NoveltyTracker<number>(params.maxSymbols, params.noveltyTailFactor)
      this.letters = new NoveltyTracker<number>(params.maxSymbols, params.noveltyTailFactor)
      this.symbolCounts = new Map()
      this.shapes = new CategoricalCounter(params.maxShapes, 'saturate')
      this.values = new CategoricalCounter(params.maxEnumValues, 'disable')
      this.grams = new NoveltyTracker<number>(params.maxGrams, params.noveltyTailFactor, true)
      this.flags = DECODE_FLAGS.map(() => 0)
      this.types = new CategoricalCounter(MAX_TYPES, 'saturate')
      this.magnitude = new MagnitudeModel()
    } else {
      this.n = json.n
      this.length = LengthModel.restore(json.length)
      this.symbols = NoveltyTracker.restore(json.symbols, params.maxSymbols, params.noveltyTailFactor)
      this.letters = NoveltyTracker.restore(json.letters, params.maxSymbols, params.noveltyTailFactor)
      this.symbolCounts = new Map(json.symbolCounts.map(([c, h]) => [c, Float64Array.from(h)]))
      this.shapes = CategoricalCounter.restore(json.shapes, params.maxShapes, 'saturate')
      this.values = CategoricalCounter.restore(json.values, params.maxEnumValues, 'disable')
      this.grams = NoveltyTracker.restore(json.grams, params.maxGrams, params.noveltyTailFactor, true)
      this.flags = DECODE_FLAGS.map((_, i) => json.flags[i] ?? 0)
      this.types = json.types != null ? CategoricalCounter.restore(json.types, MAX_TYPES, 'saturate') : new CategoricalCounter(MAX_TYPES, 'saturate')
      this.magnitude = MagnitudeModel.restore(json.magnitude)
    }
  }

  learn (value: string, flags: number): void {
    const p = this.params
    this.n++
    this.length.learn(value.length)
    const type = valueTypeOf(value)
    this.types.learn(type)
    if (type === 'number') this.magnitude.learn(numberValue(value))
    for (let i = 0; i < DECODE_FLAGS.length; i++) if ((flags & DECODE_FLAGS[i].flag) !== 0) this.flags[i]++
    analyse(value, p.maxAnalysedChars, p.maxShapeChars)
    this.symbols.learn(punctList)
    this.letters.learn(letterList)
    for (const c of symList) {
      let h = this.symbolCounts.get(c)
      if (h === undefined) {
        if (this.symbolCounts.size >= p.maxSymbols) continue
        h = new Float64Array(COUNT_BINS)
        this.symbolCounts.set(c, h)
      }
      h[Math.min(symCount[c], COUNT_BINS) - 1]++
    }
    // identifiers: their type, length and symbols are what is learned (no random shapes or 3-grams, no stored tokens)
    if (OPAQUE_TYPES.has(type)) return
    this.shapes.learn(shapeStr)
    if (value.length > p.maxEnumValueChars && !this.values.disabled) this.values.disable()
    this.values.learn(value)
    this.grams.learn(gramSet)
  }

  /** Parameter name the reasons of the current score() carry. */
  private label = ''
  /** The current score() ignores lengths (a value of another field judged by this model: a header by the app's values). */
  private lengthless = false

  /**
   * Adds this value's PARAM_FEATURES tests to `sink`; reasons name `label`
   * (default: this parameter). `lengthless`: H1 is not tested (the value
   * belongs to another kind of field whose lengths this model cannot know).
   */
  score (value: string, flags: number, sink: TermSink, label = this.name, lengthless = false): void {
    const p = this.params
    this.label = label
    this.lengthless = lengthless
    const name = label
    sink.group(PARAM_FAMILIES)
    // the fast path: a value of a small enumeration seen in training is consistent with every feature
    if (!this.values.disabled && this.values.count(value) > 0) {
      const pe = this.values.pValue(value, p.reasonMaxP, p.minP)
      sink.skip(1)
      if (sink.test(pe, F_VALUE, true)) {
        const seen = this.values.count(value)
        const n = this.n
        sink.push(pe, name, 'enumeration', () => [`value ${showValue(value)}`, `rare (${seen} of ${n})`])
      }
      sink.skip(PARAM_FEATURES - 3)
      this.scoreEncoding(value, flags, sink)
      return
    }
    const type = valueTypeOf(value)

    // H0 type (novelty): a value of a type this parameter never had (an e-mail as login, a name with an apostrophe
    // where only single words came) is news, not evidence
    const pt = this.types.pValue(type, p.reasonMaxP, p.minP)
    if (sink.test(pt, F_VALUE, true)) {
      const n = this.n
      sink.push(pt, name, 'type', () => [type, `${this.types.top(4).join(', ')} (${n} values)`])
    }

    // H5 enumeration (novelty; and the fast path: a value seen in training is consistent with every other feature).
    // Numbers of a numeric parameter are a range, not an enumeration; known identifiers are random.
    const numeric = type === 'number' && this.magnitude.n > 0
    const opaque = OPAQUE_TYPES.has(type) && this.types.count(type) > 0
    if (!this.values.disabled && !numeric && !opaque) {
      const pe = this.values.pValue(value, p.reasonMaxP, p.minP)
      if (sink.test(pe, F_VALUE, true)) {
        const seen = this.values.count(value)
        const n = this.n
        sink.push(pe, name, 'enumeration', () => [`value ${showValue(value)}`,
          seen > 0 ? `rare (${seen} of ${n})` : `one of {${this.values.top(8).map((v) => showValue(v, 24)).join(', ')}${this.values.size > 8 ? ', …' : ''}}`])
      }
    } else {
      sink.skip(1)
    }
    if (numeric) this.scoreNumber(value, sink)
    else if (opaque) this.scoreOpaque(value, sink)
    else this.scoreShape(value, sink, type !== 'text')
    this.scoreEncoding(value, flags, sink)
  }

  /** H7 encoding. */
  private scoreEncoding (value: string, flags: number, sink: TermSink): void {
    const p = this.params
    const n1 = this.n + 1
    const name = this.label
    // H7 encoding (evidence, unless the invalid UTF-8 only spelled letters in a legacy charset)
    let pf = 1
    let worstFlag = -1
    if (flags !== 0) {
      for (let i = 0; i < DECODE_FLAGS.length; i++) {
        if ((flags & DECODE_FLAGS[i].flag) === 0) continue
        const q = Math.max(p.minP, (1 + this.flags[i]) / n1)
        if (q < pf) { pf = q; worstFlag = i }
      }
    }
    const legacyLetters = worstFlag >= 0 && DECODE_FLAGS[worstFlag].flag === DECODE_BAD_UTF8 && highCharsAreLetters(value)
    if (sink.test(pf, F_ENCODING, legacyLetters) && worstFlag >= 0) {
      const f = worstFlag
      const n = this.n
      const c = this.flags[f]
      sink.push(pf, name, 'encoding', () => [DECODE_FLAGS[f].name, `in ${c} of ${n} values`])
    }
  }

  /** A number of a numeric parameter: H1 is its magnitude (evidence); nothing else varies. */
  private scoreNumber (value: string, sink: TermSink): void {
    const x = numberValue(value)
    const pm = this.lengthless ? 1 : this.magnitude.pValue(x)
    if (sink.test(pm, F_LENGTH)) {
      const [lo, hi] = this.magnitude.range
      sink.push(pm, this.label, 'magnitude', () => [value.length > 24 ? showValue(value, 24) : x, `numbers in ${lo}–${hi}`])
    }
    sink.skip(PARAM_FEATURES - 4)
  }

  /** An identifier (UUID, hex, token) of a parameter that has them: H1 length only. */
  private scoreOpaque (value: string, sink: TermSink): void {
    const len = value.length
    const pl = this.lengthless ? 1 : this.length.pValue(len, this.params.minP, this.params.relativeLength)
    if (sink.test(pl, F_LENGTH)) sink.push(pl, this.label, 'length', () => [len, `${this.length.min}–${this.length.max}`])
    sink.skip(PARAM_FEATURES - 4)
  }

  /**
   * H6 unseen 3-grams of the analysed value. New words are novelty; for text
   * (`typed` false), the unseen 3-grams that hold a symbol (a quote next to
   * a word, an escape sequence) are evidence, with the leave-one-out p-value
   * of their own count (conservative: training novelty of any kind counts).
   */
  private scoreGrams (sink: TermSink, typed: boolean): void {
    const p = this.params
    let novel = 0
    let symbolic = 0
    for (const g of gramSet) {
      if (this.grams.has(g)) continue
      novel++
      if (!typed && gramHasSymbol(g)) symbolic++
    }
    const pg = this.grams.pNovel(novel, p.minP)
    const pe = symbolic > 0 ? this.grams.pNovel(symbolic, p.minP) : 1
    if (sink.testSplit(pg, pe, F_VALUE) && novel > 0) {
      const ex: number[] = []
      for (const g of gramSet) { if (!this.grams.has(g)) ex.push(g); if (ex.length >= 6) break }
      const k = novel
      const owned = this.grams.largestOwned
      sink.push(pg, this.label, 'unseen-3grams', () => [`${k} unseen${symbolic > 0 ? `, ${symbolic} with symbols` : ''} (${ex.map((g) => JSON.stringify(unpackGram(g))).join(' ')}${k > ex.length ? ' …' : ''})`,
        `at most ${owned} unseen in a training value`])
    }
  }

  /**
   * H1–H4 and H6: the features of a value not seen verbatim in training.
   * `typed`: the value is of a recognised type (a name, an e-mail address, a
   * date…) whose grammar explains its symbols, so H2–H4 are novelty.
   */
  private scoreShape (value: string, sink: TermSink, typed: boolean): void {
    const p = this.params
    const n1 = this.n + 1
    const name = this.label

    // H1 length (for a type this parameter never had, on a relative scale: an e-mail where short user names came)
    const len = value.length
    const pl = this.lengthless ? 1 : this.length.pValue(len, p.minP, typed && this.types.count(valueTypeOf(value)) === 0 ? Math.max(1, p.relativeLength) : p.relativeLength)
    if (sink.test(pl, F_LENGTH)) sink.push(pl, name, 'length', () => [len, `${this.length.min}–${this.length.max}`])

    analyse(value, p.maxAnalysedChars, p.maxShapeChars)

    // H2 unseen characters and letters, H3 character counts
    let unseen = 0
    let unseenLetters = 0
    for (const c of punctList) if (!this.symbols.has(c)) unseen++
    for (const c of letterList) if (!this.letters.has(c)) unseenLetters++
    let pCount = 1
    let worstChar = -1
    for (const c of punctList) {
      const h = this.symbolCounts.get(c)
      if (h === undefined) continue
      const x = Math.min(symCount[c], COUNT_BINS)
      let ge = 0
      for (let j = x - 1; j < COUNT_BINS; j++) ge += h[j]
      let pc: number
      if (ge > 0) pc = Math.max(p.minP, (1 + ge) / n1)
      else {
        // beyond the most any training value had: e^{−1/μ} per extra, μ ≥ 1 the mean count among the values that have
        // the symbol (a full stop per sentence grows with the text; a second @ is one extra of a once-per-value symbol)
        let maxSeen = 0
        let with_ = 0
        let sum = 0
        for (let j = COUNT_BINS - 1; j >= 0; j--) {
          if (maxSeen === 0 && h[j] > 0) maxSeen = j + 1
          with_ += h[j]
          sum += (j + 1) * h[j]
        }
        const ratio = Math.max(p.noveltyTailFactor, Math.exp(-with_ / sum))
        pc = Math.max(p.minP, 1 / n1) * Math.pow(ratio, Math.max(0, symCount[c] - maxSeen - 1))
      }
      if (pc < pCount) { pCount = pc; worstChar = c }
    }
    const pu = this.symbols.pNovel(unseen, p.minP)
    if (sink.test(pu, F_ALPHABET, typed) && unseen > 0) {
      const chars = punctList.filter((c) => !this.symbols.has(c))
      sink.push(pu, name, 'unseen-characters', () => [showChars(chars), `only ${showChars(this.symbols.topItems(24))} besides letters and digits`])
    }
    const pul = this.letters.pNovel(unseenLetters, p.minP)
    if (sink.test(pul, F_ALPHABET, true) && unseenLetters > 0) {
      const chars = letterList.filter((c) => !this.letters.has(c))
      sink.push(pul, name, 'unseen-letters', () => [showChars(chars), this.letters.size === 0 ? 'only ASCII letters' : `ASCII and ${showChars(this.letters.topItems(24))}`])
    }
    if (sink.test(pCount, F_ALPHABET, typed) && worstChar >= 0) {
      const h = this.symbolCounts.get(worstChar)!
      const c = worstChar
      const x = symCount[c]
      const n = this.n
      const df = this.symbols.df(c) + this.letters.df(c)
      sink.push(pCount, name, 'character-count', () => {
        let maxSeen = 0
        for (let j = COUNT_BINS - 1; j >= 0; j--) if (h[j] > 0) { maxSeen = j + 1; break }
        return [`${showChars([c])} ×${x}`, `in ${df} of ${n} values, at most ${maxSeen >= COUNT_BINS ? `${COUNT_BINS}+` : maxSeen} per value`]
      })
    }

    // H4 structure
    const ps = this.shapes.pValue(shapeStr, p.reasonMaxP, p.minP)
    if (sink.test(ps, F_ALPHABET, typed)) {
      const shape = shapeStr
      sink.push(ps, name, 'structure', () => [showValue(shape), `one of {${this.shapes.top(6).map((s) => showValue(s, 24)).join(', ')}${this.shapes.size > 6 ? ', …' : ''}}`])
    }

    // H6 unseen 3-grams
    this.scoreGrams(sink, typed)
  }

  toJSON (): ParamModelJSON {
    return {
      n: this.n,
      length: this.length.toJSON(),
      symbols: this.symbols.toJSON(),
      letters: this.letters.toJSON(),
      symbolCounts: [...this.symbolCounts.entries()].map(([c, h]) => [c, Array.from(h)]),
      shapes: this.shapes.toJSON(),
      values: this.values.toJSON(),
      grams: this.grams.toJSON(),
      flags: this.flags.slice(),
      types: this.types.toJSON(),
      magnitude: this.magnitude.toJSON()
    }
  }
}
