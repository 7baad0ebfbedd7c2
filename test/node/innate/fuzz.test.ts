import { describe, expect, it } from 'vitest'
import { createInnateDetector } from '../../../node/innate/index.js'
import type { InnateEncoding } from '../../../node/innate/index.js'
import { createPrng } from '../../../core/index.js'

/**
 * The innate detector is fed hostile input: 10^5 seeded random and mutated
 * values must never throw, and its work (characters examined, over every
 * view and grammar: InnateResult.work) must stay within a constant times the
 * length, so no value can make it backtrack. Counted, never timed.
 */
const d = createInnateDetector()
/** Work allowed per character (9 grammars × 3 views × the bounded rescans each grammar documents) and per value. */
const PER_CHAR = 400
const PER_VALUE = 2000

const ALPHABET = "aAzZ09 '\"`<>/\\;|&$(){}[]#%+=-*.,:!?@^~\r\n\t\0é€"
const SEEDS = ["' OR '1'='1", '1 UNION SELECT a FROM b--', '<script>alert(1)</script>', '" onmouseover="x()', "';alert(1)//", 'x; cat /etc/passwd', '$(id)',
  '../../etc/passwd', '{{7*7}}', '${T(x).exec()}', '*)(uid=*', 'a\r\nSet-Cookie: x', '%2527', '&lt;b&gt;', '%c0%ae%c0%ae/', '<!--#exec cmd="ls" -->', 'javascript:x()',
  '/x.jsp.bak', '/.git/config', 'q javascript:alert(1)', 'x) union select a#', 'a/etc/passwd', '....//', '/a.jpg/b.php', 'x::$DATA', 'w; drop table t--']
const ENCODINGS: InnateEncoding[] = ['none', 'form', 'url']

function randomValue (r: ReturnType<typeof createPrng>): string {
  const n = r.nextInt(80)
  let s = ''
  for (let i = 0; i < n; i++) s += ALPHABET[r.nextInt(ALPHABET.length)]
  return s
}

function mutate (r: ReturnType<typeof createPrng>, s: string): string {
  let out = s
  const k = 1 + r.nextInt(4)
  for (let i = 0; i < k; i++) {
    const at = r.nextInt(out.length + 1)
    switch (r.nextInt(4)) {
      case 0: out = out.slice(0, at) + ALPHABET[r.nextInt(ALPHABET.length)] + out.slice(at); break
      case 1: out = out.slice(0, at) + out.slice(at + 1); break
      case 2: out = out.slice(0, at) + SEEDS[r.nextInt(SEEDS.length)] + out.slice(at); break
      default: out = out.slice(0, at) + out.slice(at, at + 1 + r.nextInt(8)).repeat(1 + r.nextInt(6)) + out.slice(at)
    }
  }
  return out
}

describe('innate detector under fuzzing', () => {
  it('10^5 random and mutated values: nothing thrown, work linear in the length', () => {
    const r = createPrng('innate-fuzz')
    let worst = 0
    let findings = 0
    for (let i = 0; i < 100_000; i++) {
      const v = i % 2 === 0 ? randomValue(r) : mutate(r, SEEDS[r.nextInt(SEEDS.length)])
      // every fifth value is a request path (the probe grammar reads paths only), with a method on it
      const asPath = i % 5 === 0
      const res = asPath ? d.inspect(v, { location: 'path', name: '', encoding: 'url' }) : d.inspect(v, { location: 'query', name: 'q', encoding: ENCODINGS[i % 3] })
      if (asPath) d.inspectHttp({ method: i % 10 === 0 ? v.slice(0, 12) : 'PUT', path: v, query: '', body: '', headers: {} })
      findings += res.findings.length
      const ratio = (res.work - PER_VALUE) / Math.max(1, v.length)
      if (ratio > worst) worst = ratio
      if (res.work > PER_CHAR * v.length + PER_VALUE) expect.fail(`work ${res.work} for ${JSON.stringify(v)}`)
      for (const f of res.findings) if (f.offset < 0 || f.span.length > 256) expect.fail(`finding out of bounds for ${JSON.stringify(v)}: ${JSON.stringify(f)}`)
    }
    // the mutated attacks keep being found: the fuzz exercises the grammars, not only the fast path
    expect(findings).toBeGreaterThan(10_000)
    expect(worst).toBeLessThan(PER_CHAR)
    console.log(`innate fuzz: worst work per character ${worst.toFixed(1)}`)
  })

  it('pathological 64 KiB values: bounded work, nothing thrown', () => {
    const K64 = 65_536
    const fill = (unit: string): string => unit.repeat(Math.ceil(K64 / unit.length)).slice(0, K64)
    const units = ["'", '"', '<', '<a ', '<!--', '</a', "' or ", '1 or ', '(', ')(', '/*', '`', '[', ';cat', '; x', '$(', '../', '..\\', '{{', '${', '#{', '<%',
      '\r\n', '%25', '%', '&#', '&#0', '&lt;', '\\', ' on', 'x="', "'||'", '-- ', 'a', ' ', '\0', 'é', '%c0%ae', '.bak/', '/.git', '~', 'javascript:', ':',
      '/etc/passwd', 'a) union select 1#', '....//', 'x;', '/a.gif', '::']
    let worstUnit = 0
    for (const u of units) {
      for (const encoding of ENCODINGS) {
        const v = fill(u)
        const res = d.inspect(v, { location: encoding === 'url' ? 'path' : 'query', name: 'q', encoding })
        expect(res.work, `${JSON.stringify(u)} ${encoding}`).toBeLessThanOrEqual(PER_CHAR * v.length + PER_VALUE)
        worstUnit = Math.max(worstUnit, res.work / v.length)
      }
    }
    // one value mixing everything, and a value longer than maxValueChars (read up to it, flagged truncated)
    const mixed = fill(units.join(''))
    expect(d.inspect(mixed, { location: 'body', name: 'b', encoding: 'form' }).work).toBeLessThanOrEqual(PER_CHAR * K64 + PER_VALUE)
    console.log(`innate 64 KiB: worst work per character ${worstUnit.toFixed(1)}`)
    const long = d.inspect('a'.repeat(200_000) + "' OR '1'='1", { location: 'body', name: 'b' })
    expect(long.truncated).toBe(true)
    expect(long.work).toBeLessThanOrEqual(PER_CHAR * 65_536 + PER_VALUE)
  })
})
