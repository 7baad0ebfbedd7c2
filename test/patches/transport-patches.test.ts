/**
 * The two transport fixes in patches/ (applied by patch-package on install;
 * write-up with figures in docs/upstream-transport.md) do what they say, on
 * the installed packages themselves.
 */
import { defaultLogger } from '@libp2p/logger'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { StreamState, YamuxStream } from '@libp2p/yamux/stream'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'

/** the list type of the yamux package's own uint8arraylist (3.x; ours is 2.x, the same at run time) */
type FrameData = Parameters<YamuxStream['handleData']>[0]['data']

/** unsigned LEB128, as uint8-varint encodes a length prefix */
function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}

/** uint8-varint's decode contract: the value, or a RangeError while the prefix is incomplete */
function readVarint (buf: Uint8Array | { byteLength: number, get: (i: number) => number }): number {
  let value = 0
  let scale = 1
  for (let i = 0; i < buf.byteLength; i++) {
    const b = buf instanceof Uint8Array ? buf[i] : buf.get(i)
    value += (b & 0x7f) * scale
    if (b < 0x80) return value
    scale *= 0x80
  }
  throw new RangeError('Could not decode varint')
}

/** yamux frame types (hashicorp/yamux spec.md; not exported by @libp2p/yamux) */
const DATA = 0
const WINDOW_UPDATE = 1
/** @libp2p/yamux's INITIAL_STREAM_WINDOW: 256 KiB */
const INITIAL_WINDOW = 256 * 1024

describe('transport patches', () => {
  it('yamux grants receive credit once half the window is used, not after every data frame', () => {
    const sent: Array<{ type: number, length: number }> = []
    const stream = new YamuxStream({
      id: 'test-1',
      streamId: 1,
      state: StreamState.Established,
      direction: 'inbound',
      log: defaultLogger().forComponent('test:yamux'),
      sendFrame: (header) => { sent.push({ type: header.type, length: header.length }); return true },
      getRTT: () => -1
    })
    let delivered = 0
    stream.addEventListener('message', (e) => { delivered += e.data.byteLength })
    const frame = 600 // a typical signed alert in one gossipsub RPC
    const frames = Math.ceil(INITIAL_WINDOW / frame) // a whole window's worth
    for (let i = 0; i < frames; i++) {
      stream.handleData({ header: { type: DATA, flag: 0, streamID: 1, length: frame }, data: new Uint8ArrayList(new Uint8Array(frame)) as unknown as FrameData })
    }
    expect(delivered).toBe(frames * frame)
    const updates = sent.filter((f) => f.type === WINDOW_UPDATE)
    // unpatched: one update per data frame (437 here); patched: one each time half the window has been used
    expect(updates.length).toBe(1)
    expect(updates[0].length).toBe(Math.ceil(INITIAL_WINDOW / 2 / frame) * frame)
    stream.abort(new Error('test over'))
  })

  it('the length-prefixed decoder stops on an empty buffer instead of throwing and catching a RangeError per chunk', () => {
    let emptyReads = 0
    const decoder = new LengthPrefixedDecoder({
      lengthDecoder: (buf) => {
        if (buf.byteLength === 0) emptyReads++
        return readVarint(buf)
      },
      encodingLength: (n) => varint(n).length
    })
    const message = new Uint8Array(100).fill(7)
    const chunk = Uint8Array.from([...varint(message.byteLength), ...message])
    const out: number[] = []
    for (let i = 0; i < 50; i++) for (const m of decoder.decode(chunk)) out.push(m.byteLength)
    expect(out).toEqual(new Array(50).fill(100))
    expect(emptyReads).toBe(0)
    // a chunk boundary inside a length prefix still waits for the rest
    const split = Uint8Array.from([...varint(300), ...new Uint8Array(300)])
    expect([...decoder.decode(split.subarray(0, 1))]).toHaveLength(0)
    expect([...decoder.decode(split.subarray(1))].map((m) => m.byteLength)).toEqual([300])
  })
})
