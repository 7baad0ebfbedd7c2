import { describe, expect, it } from 'vitest'
import { isName, isUserAgent, valueTypeOf, wordCount } from '../../../../node/profile/http/value-types.js'

describe('value types (issue 9: as a person reads a value)', () => {
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['4', 'number'], ['-12', 'number'], ['12.50', 'number'], ['12,5', 'number'], ['05190', 'number'], ['6731145539547954', 'number'],
    ['2024-05-12', 'date'], ['2024-05-12T10:20:30Z', 'date'], ['2024-05-12T10:20:30.123+02:00', 'date'], ['12/05/2024', 'date'], ['12.05.24', 'date'], ['10:20', 'date'],
    ['550e8400-e29b-41d4-a716-446655440000', 'uuid'],
    ['1F767F17239C9B670A39E9B10C3825F4', 'hex'], ['d41d8cd98f00b204e9800998ecf8427e', 'hex'], ['aaaaaaaaaaaaaaaaaaaa', 'name'], ['417938005782479A', 'hex'], ['deadbeefcafebabedeadbeef', 'name'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'token'], ['a8Fk2Lq9Zx3Vb7Nm', 'token'],
    ['alice@example.com', 'email'], ["o'neill@example.org", 'email'], ['bob+shop@mail.example.co.uk', 'email'],
    ['https://www.example.com/search?q=lamp&page=2', 'url'], ['http://localhost:8080/tienda1/index.jsp', 'url'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', 'ua'],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'ua'], ['curl/8.5.0', 'ua'],
    ["O'Neill", 'name'], ['Jean-Luc Picard', 'name'], ['José María', 'name'], ['Vandellòs i l\'Hospitalet de l\'Infant', 'name'], ['J. R. R. Tolkien', 'name'], ['Melilla', 'name'],
    // what no grammar explains is text
    ["' OR '1'='1", 'text'], ['admin\'--', 'text'], ['<script>alert(1)</script>', 'text'], ['../../etc/passwd', 'text'], ['a@b@c.com', 'text'],
    ['1 OR 1=1', 'text'], ['invoice-2021-05.pdf', 'text'], ['C/ Mayor 12', 'text'], ["sqlmap/1.7.2#stable (https://sqlmap.org)", 'text'],
    ["Mozilla/5.0' AND 1=1--", 'text'], ['Mozilla/5.0 (x\' or 1=1)', 'text'], ['s/hakor', 'text'], ['javascript:alert(1)', 'text']
  ]
  for (const [v, t] of cases) it(`${JSON.stringify(v)} is ${t}`, () => { expect(valueTypeOf(v)).toBe(t) })

  it('names: apostrophes and hyphens only between letters, at most 8 words', () => {
    expect(isName("d'")).toBe(false)
    expect(isName("'abc")).toBe(false)
    expect(isName('a  b')).toBe(false)
    expect(isName('a b c d e f g h')).toBe(true)
    expect(isName('a b c d e f g h i')).toBe(false)
    expect(wordCount('Juan Diego de Guadalupe')).toBe(4)
  })

  it('User-Agents need a version starting with a digit', () => {
    expect(isUserAgent('Tet/r3mero')).toBe(false)
    expect(isUserAgent('Wget/1.21.4')).toBe(true)
  })

  it('recognisers are linear on hostile input (64 KiB)', () => {
    const long = 'a'.repeat(65_536)
    const t0 = process.cpuUsage()
    for (const v of [long, `${long}@x.com`, `Mozilla/5.0 (${long}`, `${'a.'.repeat(32_768)}`, `${'1'.repeat(65_536)}`]) valueTypeOf(v)
    const used = process.cpuUsage(t0)
    // not a timing assertion on the code under test: a guard against catastrophic backtracking (seconds, not ms)
    expect(used.user + used.system).toBeLessThan(2_000_000)
  })
})
