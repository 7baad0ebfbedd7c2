/**
 * The Node.js versions immune-mesh supports: 22 and newer (22 and 24 are the
 * LTS lines CI runs). The libp2p 3 stack needs Node 22 (p-retry 8 declares
 * `node >=22`; libp2p calls `Promise.withResolvers`, native from 22), and
 * Node 20 reached end of life in April 2026. package.json `engines` says the
 * same (a test keeps the two equal).
 *
 * The entry points (bin/, the demo) check first, so an older Node gets one
 * clear line instead of a dial that hangs deep inside libp2p.
 */
export const MIN_NODE_MAJOR = 22

/** Why this Node.js version cannot run immune-mesh, or null when it can. */
export function unsupportedRuntime (nodeVersion: string): string | null {
  const major = Number(/^v?(\d+)\./.exec(nodeVersion)?.[1])
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return null
  return `Node.js ${nodeVersion.replace(/^v/, '')} is not supported: immune-mesh needs Node.js ${MIN_NODE_MAJOR} or newer (22 and 24 LTS are tested). ` +
    `Install a supported Node.js, or run this command through one from the npm registry: npx -y -p node@24 -- <command>`
}

/** For entry points: print why and exit 2 when this process runs on an unsupported Node.js. */
export function exitIfUnsupportedRuntime (program: string): void {
  const why = unsupportedRuntime(process.versions.node)
  if (why == null) return
  process.stderr.write(`${program}: ${why}\n`)
  process.exit(2)
}
