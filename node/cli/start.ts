/**
 * `immune-node start`: run the daemon in the foreground until SIGINT/SIGTERM.
 * Bad config, a busy port, a locked or unwritable data dir: one clear line on
 * stderr and exit code 2.
 */
import { checkConfigPaths, loadConfig, mergeOverrides } from '../config/index.js'
import { ConfigError } from '../errors.js'
import type { ConfigOverrides } from '../config/index.js'
import { EXIT_OK } from './command.js'
import type { Command } from './command.js'
import { VERSION } from './version.js'

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the node: learn, guard, respond and gossip (foreground; stop with Ctrl-C or SIGTERM)',
  usage: 'start [--config FILE] [--data-dir DIR] [--listen MULTIADDR]... [--bootstrap MULTIADDR]... [--api-port PORT]',
  help: `options:
  -c, --config FILE        JSON or YAML config (default: the embedded default: protect this host,
                           API on 127.0.0.1:7070, community "default")
  --data-dir DIR           where identity, profiles, decisions and the audit trail live
  --listen MULTIADDR       libp2p listen address (repeatable or comma-separated), e.g. /ip4/127.0.0.1/tcp/4001
  --bootstrap MULTIADDR    a peer to join through, ending in /p2p/<peerId> (repeatable)
  --api-port PORT          port of the local API (0: any free port)
  --api-host HOST          address of the local API (a token is required off loopback)
  --new-identity           accept a new identity.key beside an existing database (refused otherwise:
                           the node would get a new peer id beside its old state)

Every config key and its default: docs/configuration.md. Check a file first with
"immune-node config check FILE".

examples:
  immune-node start
  immune-node start --data-dir /tmp/n1 --api-port 7071 --listen /ip4/127.0.0.1/tcp/4001
  immune-node start --data-dir /tmp/n2 --api-port 7072 --listen /ip4/127.0.0.1/tcp/4002 \\
    --bootstrap /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...`,
  options: {
    config: { type: 'string', short: 'c' },
    'data-dir': { type: 'string' },
    listen: { type: 'string', multiple: true },
    bootstrap: { type: 'string', multiple: true },
    'api-port': { type: 'string' },
    'api-host': { type: 'string' },
    'new-identity': { type: 'boolean' }
  },
  async run (args, io) {
    const v = args.values
    const overrides: ConfigOverrides = {}
    if (typeof v['data-dir'] === 'string') overrides.dataDir = v['data-dir']
    if (Array.isArray(v.listen)) overrides.listen = v.listen.flatMap((x) => x.split(','))
    if (Array.isArray(v.bootstrap)) overrides.bootstrap = v.bootstrap.flatMap((x) => x.split(','))
    if (typeof v['api-port'] === 'string') overrides.apiPort = v['api-port']
    if (typeof v['api-host'] === 'string') overrides.apiHost = v['api-host']
    const file = typeof v.config === 'string' ? v.config : undefined
    const config = mergeOverrides(loadConfig(file), overrides)
    // a missing command, cwd or hook is a config problem (exit 2, naming the field), not a spawn error later
    const pathIssues = checkConfigPaths(config)
    if (pathIssues.length > 0) throw new ConfigError(pathIssues, file)
    // loaded here, not at the top: the other commands (status, release, config check, --help) start in a fraction of the time
    const { createDaemon } = await import('../daemon/index.js')
    const daemon = await createDaemon({ config, version: VERSION, allowNewIdentity: v['new-identity'] === true })
    let signals = 0
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++
      if (signals > 1) {
        io.err(`immune-node: second ${sig}: exiting now`)
        process.exit(130)
      }
      daemon.logger.info({ signal: sig }, 'shutting down')
      void daemon.stop()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    // A foreground daemon runs until a signal stops it. The clock's timers are
    // unref'd, so without this handle a start-up step that only waits on one
    // (e.g. ending a cell's orphan left by a killed node) lets the event loop
    // drain and the process exit 13 in the middle of start().
    const keepAlive = setInterval(() => {}, 1 << 30)
    try {
      await daemon.start()
    } catch (err) {
      clearInterval(keepAlive)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      throw err
    }
    const a = daemon.apiAddress()
    io.err(`immune-node ${VERSION}: peer ${daemon.peerId}\n  api     http://${a.host}:${a.port}/status\n  listen  ${daemon.addresses().join('\n          ')}`)
    await daemon.stopped
    clearInterval(keepAlive)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    return EXIT_OK
  }
}
