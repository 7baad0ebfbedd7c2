import { describe, expect, it } from 'vitest'
import { RAW_BODY_PARAM, bodyKindOf, flattenJson, multipartBoundary, parseBody, parseMultipart } from '../../../../node/profile/http/body.js'
import type { FormParam } from '../../../../node/profile/http/form.js'

const pairs = (out: FormParam[]): Array<[string, string]> => out.map((p) => [p.name, p.value])

describe('request bodies as parameters', () => {
  it('kinds by Content-Type', () => {
    expect(bodyKindOf(undefined)).toBe('form')
    expect(bodyKindOf('application/x-www-form-urlencoded; charset=UTF-8')).toBe('form')
    expect(bodyKindOf('application/json')).toBe('json')
    expect(bodyKindOf('application/vnd.api+json')).toBe('json')
    expect(bodyKindOf('multipart/form-data; boundary=x')).toBe('multipart')
    expect(bodyKindOf('text/xml')).toBe('opaque')
  })

  it('JSON: paths a.b[].c, scalars as text, array indices dropped', () => {
    const out: FormParam[] = []
    const n = flattenJson({ a: { b: [{ c: 1 }, { c: 2.5 }], d: true, e: null }, s: "o'neill", empty: [], o: {} }, out)
    expect(n).toBe(7)
    expect(pairs(out)).toEqual([['a.b[].c', '1'], ['a.b[].c', '2.5'], ['a.d', 'true'], ['a.e', ''], ['s', "o'neill"], ['empty[]', ''], ['o', '']])
    expect(pairs((flattenJson(42, out), out))).toEqual([[RAW_BODY_PARAM, '42']])
  })

  it('JSON: bounded in parameters and depth', () => {
    const out: FormParam[] = []
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]))
    expect(flattenJson(wide, out, 10)).toBeGreaterThan(10)
    expect(out.length).toBe(10)
    let deep: unknown = 'x'
    for (let i = 0; i < 100; i++) deep = { d: deep }
    flattenJson(deep, out)
    expect(out.length).toBe(1)
    expect(out[0].name.split('.').length).toBe(32)
  })

  it('invalid JSON and other types are one opaque parameter', () => {
    const out: FormParam[] = []
    expect(parseBody('{"a":', 'application/json', out)).toBe(1)
    expect(pairs(out)).toEqual([[RAW_BODY_PARAM, '{"a":']])
    parseBody('<a/>', 'application/xml', out)
    expect(out[0].name).toBe(RAW_BODY_PARAM)
  })

  it('multipart: fields by name, a file by its file name, CRLF or LF, quoted boundary, missing closing delimiter', () => {
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b')
    expect(multipartBoundary('multipart/form-data;boundary=----WebKitFormBoundary7MA4YWxk')).toBe('----WebKitFormBoundary7MA4YWxk')
    const out: FormParam[] = []
    const body = '--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nMy cat\r\n--B\r\nContent-Disposition: form-data; name="file"; filename="cat.png"\r\nContent-Type: image/png\r\n\r\n\u0089PNG\r\n--B--\r\n'
    expect(parseMultipart(body, 'B', out)).toBe(2)
    expect(pairs(out)).toEqual([['title', 'My cat'], ['file', 'cat.png']])
    parseBody('--B\nContent-Disposition: form-data; name=q\n\nlamp\n--B\nContent-Disposition: form-data; name="cut"\n\ntrunc', 'multipart/form-data; boundary=B', out)
    expect(pairs(out)).toEqual([['q', 'lamp'], ['cut', 'trunc']])
    // no part at all: opaque
    parseBody('hello', 'multipart/form-data; boundary=B', out)
    expect(out[0].name).toBe(RAW_BODY_PARAM)
  })
})
