// postinstall: apply the patches in this folder (patch-package) to the
// dependencies installed *inside* this package: a clone's `npm ci`, and a
// global install (`npm install -g immune-mesh-<v>.tgz`, the daemon's install),
// where npm nests every dependency under the package.
//
// When the package is a dependency of a project (an app that uses
// immune-mesh/agent: `npm install immune-mesh-<v>.tgz`), npm puts libp2p
// beside it, in the project's node_modules. Those copies are the project's,
// shared with whatever else uses them, and patch-package (which looks only
// under this package) would fail on each patch, exiting 1 under CI. So then
// this leaves them alone, says so in one line and succeeds: the patches only
// save CPU (docs/upstream-transport.md), nothing depends on them to be correct.
//
// Plain JavaScript: it runs before the build (npm ci runs postinstall first)
// and where tsx is not installed.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const patchDir = dirname(fileURLToPath(import.meta.url))
const root = dirname(patchDir)

/** The package a patch-package file is for: `@libp2p+yamux+8.0.3.patch` → `@libp2p/yamux`. */
const packageOf = (file) => file.slice(0, -'.patch'.length).split('+').slice(0, -1).join('/')

const patched = readdirSync(patchDir).filter((f) => f.endsWith('.patch')).map(packageOf)
const elsewhere = patched.filter((name) => !existsSync(join(root, 'node_modules', name, 'package.json')))

if (elsewhere.length > 0) {
  console.log(`immune-mesh: ${elsewhere.join(', ')} installed outside this package (shared with the project): transport patches not applied (they only save CPU; docs/upstream-transport.md)`)
} else {
  const bin = createRequire(join(root, 'package.json')).resolve('patch-package/index.js')
  const r = spawnSync(process.execPath, [bin], { cwd: root, stdio: 'inherit' })
  process.exitCode = r.status ?? 1
}
