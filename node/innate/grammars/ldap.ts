/**
 * LDAP: does the value, placed into a search filter `(attr=<value>)`
 * (RFC 4515), close the filter item and add filter syntax of its own?
 *
 * The breaking token is a `)` directly followed by `(`: what comes after must
 * read as a filter item: `(attr=…)`, `(attr>=…)`, `(attr~=…)`, or a
 * composition `(&…)`, `(|…)`, `(!…)` (the absolute true/false filters `(&)`,
 * `(|)` included). `*)(uid=*))(|(uid=*` and `admin)(&)` are found;
 * "see (a) (b)" is text. Every finding is strong.
 */
import type { Work } from '../decode.js'
import type { GrammarFinding } from './grammar.js'

function isAttrChar (c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 59 || c === 95
}

/** LDAP findings of one decoded value. */
export function inspectLdap (text: string, work: Work, out: GrammarFinding[]): void {
  let i = text.indexOf(')(')
  let tries = 0
  while (i >= 0 && tries < 64) {
    tries++
    let j = i + 2
    const c = text.charCodeAt(j)
    let item = ''
    if (c === 38 || c === 124 || c === 33) item = `(${text[j]}`
    else {
      const s = j
      while (j < text.length && j - s < 64 && isAttrChar(text.charCodeAt(j))) j++
      if (j > s) {
        const op = text.slice(j, j + 2)
        if (text.charCodeAt(j) === 61 || op === '>=' || op === '<=' || op === '~=' || text.startsWith(':=', j) || (text.charCodeAt(j) === 58 && /^:[A-Za-z0-9.:-]{0,64}:?=/.test(text.slice(j, j + 68)))) item = `(${text.slice(s, j)}=`
      }
    }
    work.n += j - i
    if (item !== '') {
      const end = text.indexOf(')', i + 2)
      out.push({ grammar: 'ldap', context: 'filter value', token: ')', offset: i, span: text.slice(i, Math.min(text.length, (end < 0 ? text.length : end + 1) + 64, i + 256)), fingerprint: `)${item}`, strength: 'strong', why: `closes the filter item, then opens ${item}…)` })
      return
    }
    i = text.indexOf(')(', i + 1)
  }
}
