import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createBoundedLog, createStore } from '../../../node/store/index.js'

let dir = ''
afterEach(() => { if (dir !== '') rmSync(dir, { recursive: true, force: true }) })

describe('bounded log (the received-alert log)', () => {
  it('keeps at most maxEntries (+10% between prunes), deletes the oldest, counts what a restart finds', async () => {
    dir = mkdtempSync(join(tmpdir(), 'immune-blog-'))
    let store = createStore({ dataDir: dir })
    await store.open()
    const log = createBoundedLog(store.sub('alerts'), 100)
    await log.open()
    for (let i = 0; i < 1000; i++) {
      await log.put(`${String(i).padStart(15, '0')}:a${i}`, { i })
      expect(log.size).toBeLessThanOrEqual(110)
    }
    // an update of an existing entry is not a new one
    await log.put(`${String(999).padStart(15, '0')}:a999`, { i: 999, outcome: 'accepted' }, false)
    const keys: string[] = []
    for await (const k of store.sub('alerts').keys()) keys.push(k)
    expect(keys.length).toBe(log.size)
    expect(keys[keys.length - 1]).toBe(`${String(999).padStart(15, '0')}:a999`)
    expect(Number(keys[0].split(':')[0])).toBe(1000 - keys.length)
    await store.close()
    // a smaller budget at the next start prunes at once
    store = createStore({ dataDir: dir })
    await store.open()
    const smaller = createBoundedLog(store.sub('alerts'), 10)
    await smaller.open()
    expect(smaller.size).toBe(10)
    let n = 0
    for await (const _ of store.sub('alerts').keys()) n++
    expect(n).toBe(10)
    await store.close()
  })
})
