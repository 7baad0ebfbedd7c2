/**
 * The layering (docs/architecture.md, "Layers"). The dependency rules
 * (.dependency-cruiser.cjs) run in `npm test` before vitest (npm run
 * lint:deps); this test checks what those rules cannot express: the folder
 * graph dependency-cruiser builds has no cycle (config↔respond and
 * respond↔supervisor were the last two).
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cruise } from 'dependency-cruiser'

const root = join(import.meta.dirname, '..', '..')
const SOURCES = ['core', 'protocol', 'node', 'sim', 'bin']

/**
 * The unit of the graph: a module's subsystem folder (node/innate with its
 * grammars/, node/profile with http/ and stats/: one unit, as for the
 * index.ts rule of .dependency-cruiser.cjs). A folder's index.ts (its public
 * face, re-exporting its parts and subfolders) and the shared files at a
 * layer's root (node/errors.ts, sim/index.ts, ...) are units of their own:
 * a subfolder that imports node/errors.ts does not depend on every folder
 * that node/index re-exports.
 */
function unitOf (path: string): string {
  if (/^[a-z]+\/[^/]+\/index\.ts$/.test(path) || /^[a-z]+\/[^/]+\.ts$/.test(path)) return path
  return path.split('/').slice(0, 2).join('/')
}

/** Strongly connected components with more than one unit (Tarjan). */
function folderCycles (edges: Map<string, Set<string>>): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const out: string[][] = []
  const visit = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++
    stack.push(v); on.add(v)
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)) } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = []
      let w: string
      do { w = stack.pop()!; on.delete(w); scc.push(w) } while (w !== v)
      if (scc.length > 1) out.push(scc.sort())
    }
  }
  for (const v of edges.keys()) if (!idx.has(v)) visit(v)
  return out
}

describe('layers', () => {
  it('no two folders depend on each other, directly or through others', async () => {
    const result = await cruise(SOURCES, { tsPreCompilationDeps: true, doNotFollow: { path: 'node_modules' }, exclude: { path: '^(dist|node_modules)/' } }, undefined, { tsConfig: { fileName: join(root, 'tsconfig.json') } } as never)
    const output = result.output as { modules: Array<{ source: string, dependencies: Array<{ resolved: string }> }> }
    const edges = new Map<string, Set<string>>()
    for (const m of output.modules) {
      if (!SOURCES.some(s => m.source.startsWith(`${s}/`))) continue
      const from = unitOf(m.source)
      const set = edges.get(from) ?? new Set<string>()
      edges.set(from, set)
      for (const d of m.dependencies) {
        const to = unitOf(d.resolved)
        if (to !== from && SOURCES.some(s => d.resolved.startsWith(`${s}/`))) set.add(to)
      }
    }
    expect(edges.size).toBeGreaterThan(30)
    expect(edges.get('node/config')).toContain('node/respond/index.ts')
    expect(folderCycles(edges)).toEqual([])
  }, 60_000)
})
