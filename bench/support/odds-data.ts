/**
 * Streaming reader for the ODDS/ADBench CSVs in ../shared/data/odds
 * (gzip, header `f0..f{d-1},label`, label 1 = anomaly): gunzip with node:zlib,
 * parse numbers field by field straight into a growing row-major Float64Array,
 * never holding the whole text or an array per row (16_http: 567k rows in
 * about a second).
 */
import { createReadStream, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { createGunzip } from 'node:zlib'

export interface OddsSet {
  /** File name without `.csv.gz`, e.g. `16_http`. */
  name: string
  rows: number
  dims: number
  /** Row-major features, rows × dims. */
  data: Float64Array
  /** 1 = anomaly, 0 = normal. */
  labels: Uint8Array
}

/** `*.csv.gz` files of an ODDS folder, sorted by name. */
export function listOddsFiles (dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.csv.gz')).sort().map((f) => join(dir, f))
}

export async function readOddsCsv (path: string): Promise<OddsSet> {
  const name = basename(path).replace(/\.csv\.gz$/, '')
  const stream = createReadStream(path).pipe(createGunzip())
  stream.setEncoding('latin1')
  let dims = -1
  let data = new Float64Array(1 << 16)
  let labels = new Uint8Array(1 << 12)
  let rows = 0
  let pending = ''
  let lineNo = 0

  const parseLine = (line: string): void => {
    lineNo++
    if (line.length === 0) return
    if (dims < 0) {
      const cols = line.split(',')
      if (cols[cols.length - 1].trim() !== 'label') throw new Error(`${name}: header must end in "label", got ${cols[cols.length - 1]}`)
      dims = cols.length - 1
      return
    }
    if ((rows + 1) * dims > data.length) {
      const d = new Float64Array(data.length * 2); d.set(data); data = d
    }
    if (rows >= labels.length) {
      const l = new Uint8Array(labels.length * 2); l.set(labels); labels = l
    }
    let start = 0
    const base = rows * dims
    for (let f = 0; f <= dims; f++) {
      let end = line.indexOf(',', start)
      if (end < 0) {
        if (f !== dims) throw new Error(`${name}: line ${lineNo} has ${f + 1} fields, expected ${dims + 1}`)
        end = line.length
      }
      const v = Number(line.slice(start, end))
      if (Number.isNaN(v)) throw new Error(`${name}: line ${lineNo}, field ${f} is not a number: ${line.slice(start, end)}`)
      if (f < dims) data[base + f] = v
      else labels[rows] = v > 0.5 ? 1 : 0
      start = end + 1
    }
    rows++
  }

  for await (const chunk of stream as AsyncIterable<string>) {
    const text = pending + chunk
    let start = 0
    let nl = text.indexOf('\n', start)
    while (nl >= 0) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
      parseLine(text.slice(start, end))
      start = nl + 1
      nl = text.indexOf('\n', start)
    }
    pending = text.slice(start)
  }
  if (pending.length > 0) parseLine(pending.replace(/\r$/, ''))
  if (dims < 0) throw new Error(`${name}: empty file`)
  return { name, rows, dims, data: data.slice(0, rows * dims), labels: labels.slice(0, rows) }
}

/** Rows `ids` of a set as a new row-major matrix plus their labels. */
export function selectRows (set: OddsSet, ids: ArrayLike<number>): { data: Float64Array, labels: Uint8Array } {
  const d = set.dims
  const data = new Float64Array(ids.length * d)
  const labels = new Uint8Array(ids.length)
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i]
    data.set(set.data.subarray(r * d, r * d + d), i * d)
    labels[i] = set.labels[r]
  }
  return { data, labels }
}
