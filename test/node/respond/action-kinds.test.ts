import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createManualClock, silentLog } from '../../../core/index.js'
import { validateConfig } from '../../../node/config/index.js'
import { createResponseSystem } from '../../../node/daemon/response-system.js'
import { BUILTIN_ACTIONS, createCellResolver, createDenyList, createResponderRegistry, createThreatLevel } from '../../../node/respond/index.js'
import type { ResponderContext } from '../../../node/respond/index.js'
import { createStore } from '../../../node/store/store.js'

const dir = mkdtempSync(join(tmpdir(), 'immune-kinds-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('action kinds: each brings its responder; the body builds them by walking the registry', () => {
  it('every built-in kind makes a responder of its own name, from one context shape', async () => {
    const clock = createManualClock()
    const ctx: ResponderContext = {
      clock,
      logger: silentLog,
      denyList: createDenyList({ clock }),
      threat: createThreatLevel({ clock }),
      cells: createCellResolver({ cells: [], supervisors: new Map() }),
      firewall: () => null,
      options: {}
    }
    const registry = createResponderRegistry(BUILTIN_ACTIONS.map(k => k.createResponder(ctx)))
    expect(registry.names().sort()).toEqual(BUILTIN_ACTIONS.map(k => k.type).sort())
    // the block-source responder built from the context really writes the context's deny list
    const block = registry.get('block-source')
    const receipt = await block?.apply({ id: 'd1', cell: 'web', level: 2, origin: 'local', action: 'block-source', target: { kind: 'source', address: '198.51.100.7' }, params: {}, createdAtMs: clock.now(), expiresAtMs: clock.now() + 60_000, reason: 'test', context: 'GET /', explanation: '' } as never)
    expect(receipt).toMatchObject({ added: true })
    expect(ctx.denyList.isDenied('198.51.100.7')).toBe(true)
  })

  it('the daemon response system serves exactly the registered kinds, with the firewall read at apply time', async () => {
    const config = validateConfig({ dataDir: join(dir, 'data'), policy: { nftables: 'off' } })
    const clock = createManualClock()
    const store = createStore({ dataDir: config.dataDir })
    await store.open()
    const rs = createResponseSystem({ clock, store }, { config })
    try {
      await rs.start()
      expect(rs.responders.names().sort()).toEqual(BUILTIN_ACTIONS.map(k => k.type).sort())
    } finally {
      await rs.stop()
      await store.close()
    }
  })
})
