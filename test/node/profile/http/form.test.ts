import { describe, expect, it } from 'vitest'
import { DECODE_BAD_ESCAPE, DECODE_BAD_UTF8, decodeFormComponent, parseForm } from '../../../../node/profile/http/form.js'
import type { FormParam } from '../../../../node/profile/http/form.js'

const dec = (s: string): { text: string, flags: number } => { const d = decodeFormComponent(s, { text: '', flags: 0 }); return { text: d.text, flags: d.flags } }

describe('form decoding', () => {
  it("decodes '+' and %XX as UTF-8", () => {
    expect(dec('Vino+Rioja')).toEqual({ text: 'Vino Rioja', flags: 0 })
    expect(dec('caf%C3%A9%20%E2%82%AC')).toEqual({ text: 'café €', flags: 0 })
    expect(dec('a%2Bb')).toEqual({ text: 'a+b', flags: 0 })
  })

  it('reads invalid UTF-8 as Latin-1 and flags it', () => {
    expect(dec('Jam%F3n')).toEqual({ text: 'Jamón', flags: DECODE_BAD_UTF8 })
    expect(dec('%C3')).toEqual({ text: 'Ã', flags: DECODE_BAD_UTF8 }) // truncated sequence
    expect(dec('%ED%A0%80')).toMatchObject({ flags: DECODE_BAD_UTF8 }) // surrogate
    expect(dec('%C0%AF')).toMatchObject({ flags: DECODE_BAD_UTF8 }) // overlong '/'
  })

  it('keeps malformed escapes literally and flags them', () => {
    expect(dec('100%')).toEqual({ text: '100%', flags: DECODE_BAD_ESCAPE })
    expect(dec('%zz%41')).toEqual({ text: '%zzA', flags: DECODE_BAD_ESCAPE })
  })

  it('splits pairs, keeps order and repeats, skips empty pairs, bounds the count', () => {
    const out: FormParam[] = []
    expect(parseForm('a=1&&b=&c&a=2', out)).toBe(4)
    expect(out.map((p) => [p.name, p.value])).toEqual([['a', '1'], ['b', ''], ['c', ''], ['a', '2']])
    expect(parseForm('x=1&y=2&z=3', out, 2)).toBe(3)
    expect(out).toHaveLength(2)
    expect(parseForm('', out)).toBe(0)
    expect(out).toHaveLength(0)
  })
})
