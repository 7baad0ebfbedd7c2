/**
 * The layering of immune-mesh (docs/architecture.md, "Layers"), checked by
 * `npm test` (npm run lint:deps) with dependency-cruiser:
 *
 *   core/      the bottom layer: imports nothing of the project
 *   protocol/  what crosses between nodes: imports core/ only
 *   node/      the node: imports core/ and protocol/, never sim/
 *   sim/       the simulator: imports node/, protocol/, core/
 *   bin/       thin CLI shims
 *
 * A folder (e.g. node/respond) is entered from outside through its index.ts;
 * the files at the root of a layer (node/errors.ts, node/observation.ts, ...)
 * are that layer's shared vocabulary and may be imported directly. Type-only
 * imports count (tsPreCompilationDeps). Folder-level cycles are checked by
 * test/architecture/layers.test.ts on the same graph.
 */
const LAYERS = '(core|protocol|node|sim)'

module.exports = {
  forbidden: [
    {
      name: 'core-is-the-bottom',
      comment: 'core/ (clock, prng, bounded collections, proc, log sink, checker, base error) imports nothing of the project',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(protocol|node|sim|bin|bench|scripts|test)/' }
    },
    {
      name: 'protocol-never-imports-node',
      comment: 'the wire and the mesh know nothing of the node or the simulator',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { path: '^(node|sim|bin)/' }
    },
    {
      name: 'node-never-imports-sim',
      comment: 'the node runs without the simulator',
      severity: 'error',
      from: { path: '^node/' },
      to: { path: '^(sim|bin)/' }
    },
    {
      name: 'folders-through-their-index',
      comment: 'a module outside a folder imports that folder through its index.ts',
      severity: 'error',
      from: { path: `^${LAYERS}/([^/]+)/` },
      to: { path: `^${LAYERS}/[^/]+/`, pathNot: ['^$1/$2/', '/index\\.ts$'] }
    },
    {
      name: 'layer-roots-through-index',
      comment: 'the shared files at a layer root (and bin/) import folders through their index.ts',
      severity: 'error',
      from: { path: `^(${LAYERS}/[^/]+\\.ts|bin/)` },
      to: { path: `^${LAYERS}/[^/]+/`, pathNot: ['/index\\.ts$'] }
    },
    {
      name: 'core-through-its-index',
      comment: 'core/ is entered through core/index.ts',
      severity: 'error',
      from: { path: '^(protocol|node|sim|bin)/' },
      to: { path: '^core/', pathNot: '^core/index\\.ts$' }
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true }
    }
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] }
  }
}
