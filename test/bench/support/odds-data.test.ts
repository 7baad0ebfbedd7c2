import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { listOddsFiles, readOddsCsv, selectRows } from '../../../bench/support/odds-data.js'
import { rocAuc } from '../../../bench/support/roc-auc.js'

const dir = mkdtempSync(join(tmpdir(), 'odds-data-test-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('odds gzip CSV reader', () => {
  it('parses header, rows (CRLF or LF, no trailing newline) and labels into typed arrays', async () => {
    const lines = ['f0,f1,label']
    for (let i = 0; i < 5000; i++) lines.push(`${i},${-i / 4},${i % 100 === 0 ? '1.0' : '0'}`)
    const file = join(dir, 'toy.csv.gz')
    writeFileSync(file, gzipSync(lines.join('\r\n')))
    const set = await readOddsCsv(file)
    expect(set.name).toBe('toy')
    expect(set.rows).toBe(5000)
    expect(set.dims).toBe(2)
    expect(set.data[2 * 4999]).toBe(4999)
    expect(set.data[2 * 4999 + 1]).toBe(-4999 / 4)
    expect(set.labels.reduce((a, b) => a + b, 0)).toBe(50)
    const sub = selectRows(set, [0, 100, 4999])
    expect(Array.from(sub.labels)).toEqual([1, 1, 0])
    expect(Array.from(sub.data)).toEqual([0, 0, 100, -25, 4999, -4999 / 4])
    expect(listOddsFiles(dir)).toEqual([file])
  })

  it('refuses a file whose header does not end in label, or a short row', async () => {
    const bad = join(dir, 'bad.csv.gz')
    writeFileSync(bad, gzipSync('a,b\n1,2\n'))
    await expect(readOddsCsv(bad)).rejects.toThrow(/label/)
    const short = join(dir, 'short.csv.gz')
    writeFileSync(short, gzipSync('f0,f1,label\n1,2,0\n3,0\n'))
    await expect(readOddsCsv(short)).rejects.toThrow(/fields/)
  })
})

describe('rank ROC-AUC', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 for all ties, and counts ties half', () => {
    expect(rocAuc([0.1, 0.2, 0.9, 0.8], [0, 0, 1, 1])).toBe(1)
    expect(rocAuc([0.9, 0.8, 0.1, 0.2], [0, 0, 1, 1])).toBe(0)
    expect(rocAuc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5)
    // pairs: (0.5 vs 0.5) tie = 0.5, (0.5 vs 0.2) win, (0.9 vs both) wins: 3.5 / 4
    expect(rocAuc([0.5, 0.2, 0.5, 0.9], [0, 0, 1, 1])).toBe(0.875)
    expect(Number.isNaN(rocAuc([1, 2], [0, 0]))).toBe(true)
  })
})
