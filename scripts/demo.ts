/**
 * `npm run demo`: the first thing a newcomer runs.
 *
 * Starts a few immune nodes (real `immune-node` daemons) on 127.0.0.1, each
 * protecting its own little web shop through the in-process agent; replays
 * normal customer traffic to every shop; then an SQL-injection attack against
 * ONE shop, and shows, step by step, how that node's signature spreads through
 * the community (each peer vets it against its own normal traffic before it
 * adopts it) and how the other shops then refuse the same attack (HTTP 403)
 * although they never met it themselves.
 *
 * It stops by itself, cleans up its processes and temp dirs and exits 0;
 * `--keep` leaves the nodes and shops running until Ctrl-C, to explore their
 * status endpoints.
 */
import { parseArgs } from 'node:util'
import { exitIfUnsupportedRuntime } from '../core/index.js'
import { createShopTraffic, SQLI_TAUTOLOGY, sqlInjection } from './demo-shop.js'
import type { ShopRequest } from './demo-shop.js'
import { createShopClient, startDemoShop } from './demo-app.js'
import type { DemoShop } from './demo-app.js'
import { getJson, makeBaseDir, removeDir, startNode, stopNode, waitFor } from './demo-nodes.js'
import type { DemoNode } from './demo-nodes.js'

const HELP = `usage: npm run demo [-- --keep] [-- --nodes N]

Starts N (default 4) immune nodes with a protected demo shop each on 127.0.0.1,
replays normal traffic, attacks one shop with SQL injection, and shows how the
community learns the attack and blocks it everywhere.

  --keep       keep the nodes and shops running at the end (Ctrl-C stops them)
  --nodes N    how many nodes (2 to 8)
  --train N    normal requests per shop before the attack (default 800)
  -h, --help   this text`

interface Member { name: string, node: DemoNode, shop: DemoShop }
interface SignatureView { id: string, origin: string, tokens: string[], status: string, reason: string, normalMatches: number, context: string, parameter: string }
interface PeerView { id: string, connected: boolean }
interface StatusView { contexts: Array<{ cell: string, context: string, phase: string, count: number }>, denyList: Array<{ address: string, expiresAtMs: number }> }
interface PeerExplanation { reputation: { value: number, weight: number }, events: Array<{ term: string, note?: string }> }

const color = process.stdout.isTTY === true && process.env.NO_COLOR == null
const paint = (code: string) => (s: string): string => color ? `\u001b[${code}m${s}\u001b[0m` : s
const bold = paint('1')
const dim = paint('2')
const green = paint('32')
const red = paint('31')
const cyan = paint('36')

const started = Date.now()
const secs = (fromMs: number): string => `${((Date.now() - fromMs) / 1000).toFixed(1)} s`
const out = (line = ''): void => { process.stdout.write(line + '\n') }
const short = (id: string): string => id.slice(0, 8)
const shortPeer = (id: string): string => `${id.slice(0, 8)}…${id.slice(-6)}`
const quoted = (tokens: string[]): string => tokens.map((t) => JSON.stringify(t)).join(' ')
const target = (r: ShopRequest): string => `${r.method} ${r.path}${r.query !== '' ? `?${decodeURIComponent(r.query.replace(/\+/g, ' '))}` : ''}${r.body !== '' ? `  body: ${decodeURIComponent(r.body.replace(/\+/g, ' '))}` : ''}`
const httpStatus = (s: number): string => s === 200 ? green('HTTP 200 OK') : s === 403 ? red('HTTP 403 Forbidden') : `HTTP ${s}`

let step = 0
const STEPS = 6
const heading = (text: string): void => {
  step++
  out()
  out(bold(`Step ${step}/${STEPS}  ${text}`))
}

const members: Member[] = []
/** The demo's temp dir (node data dirs and configs), made once the arguments are known to be good. */
let baseDir: string | null = null
const client = createShopClient()
let cleaning: Promise<void> | null = null
/** Stop what the demo started (shops, then nodes by their pid) and remove its temp dir; idempotent. */
const cleanup = async (): Promise<void> => {
  cleaning ??= (async () => {
    client.close()
    await Promise.all(members.map(async (m) => { await m.shop.close().catch(() => {}) }))
    await Promise.all(members.map(async (m) => { await stopNode(m.node) }))
    if (baseDir != null) removeDir(baseDir)
  })()
  await cleaning
}

async function main (): Promise<number> {
  exitIfUnsupportedRuntime('npm run demo')
  let values: { keep?: boolean, nodes?: string, train?: string, help?: boolean }
  try {
    values = parseArgs({
      options: { keep: { type: 'boolean' }, nodes: { type: 'string' }, train: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false
    }).values
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`)
    return 2
  }
  if (values.help === true) { out(HELP); return 0 }
  const n = Number(values.nodes ?? 4)
  const train = Number(values.train ?? 800)
  if (!Number.isInteger(n) || n < 2 || n > 8) { process.stderr.write(`--nodes ${String(values.nodes)}: a number from 2 to 8\n`); return 2 }
  if (!Number.isInteger(train) || train < 300 || train > 20_000) { process.stderr.write(`--train ${String(values.train)}: a number from 300 to 20000\n`); return 2 }
  const keep = values.keep === true
  const dir = makeBaseDir()
  baseDir = dir
  // Ctrl-C at any point: stop what we started, remove the temp dir
  let keepWaiting = false
  let interrupted = false
  const onSignal = (): void => {
    if (interrupted) process.exit(130)
    interrupted = true
    out()
    out('Stopping the nodes and shops…')
    void cleanup().then(() => { process.exit(keepWaiting ? 0 : 130) })
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  try {
    out(bold('immune-mesh demo'))
    out(`${n} web shops, each protected by its own immune node. The nodes form a community (peer-to-peer,`)
    out('no central server): when one of them meets an attack, it teaches the others.')

    // ---------------------------------------------------------------- 1. nodes and shops
    heading(`Start ${n} immune nodes, each with a protected web shop, on 127.0.0.1`)
    const t1 = Date.now()
    const config = {
      cells: [],
      learning: { minObservations: 60, minDurationSec: 0 },
      logging: { level: 'info', format: 'json' }
    }
    for (let i = 0; i < n; i++) {
      const name = `node-${i + 1}`
      const node = await startNode({ name, baseDir: dir, config, bootstrap: members.map((m) => m.node.addresses[0]) })
      const shop = await startDemoShop(name, node.api)
      members.push({ name, node, shop })
      out(`  ${bold(name)}  peer ${shortPeer(node.peerId)}   status ${cyan(`${node.api}/status`)}   shop ${shop.url}`)
    }
    await waitFor('every node connected to every other', async () => {
      for (const m of members) {
        const peers = await getJson(`${m.node.api}/peers`) as PeerView[]
        const connected = new Set(peers.filter((p) => p.connected).map((p) => p.id))
        if (!members.every((o) => o === m || connected.has(o.node.peerId))) return undefined
      }
      return true
    }, 30_000)
    out(`  The nodes found each other: each one is connected to its ${n - 1} peers in community "default" ${dim(`(${secs(t1)})`)}`)

    // ---------------------------------------------------------------- 2. normal traffic
    heading(`Normal customers use every shop (${train} requests each): each node learns what normal looks like`)
    out(dim('  Each request goes through the shop\'s agent, which asks its node first; while a node learns, it lets everything through.'))
    const t2 = Date.now()
    await Promise.all(members.map(async (m, i) => {
      const traffic = createShopTraffic(`demo-shop-${i + 1}`)
      const counts = new Map<number, number>()
      const queue = traffic.take(train)
      const worker = async (): Promise<void> => {
        for (let r = queue.shift(); r != null; r = queue.shift()) {
          const a = await client.send(m.shop.url, r)
          counts.set(a.status, (counts.get(a.status) ?? 0) + 1)
        }
      }
      await Promise.all(Array.from({ length: 6 }, worker))
      const st = await getJson(`${m.node.api}/status`) as StatusView
      const ctx = st.contexts.filter((c) => c.cell === 'ingest')
      const guarding = ctx.filter((c) => c.phase === 'guarding').length
      const served = counts.get(200) ?? 0
      const refused = train - served
      out(`  ${bold(m.name)}  ${train} requests: ${green(`${served} served`)}${refused > 0 ? `, ${red(`${refused} refused`)}` : ', 0 refused'}; ${guarding} of ${ctx.length} endpoints learned and now guarded${guarding < ctx.length ? ' (the others are still learning)' : ''}`)
    }))
    out(`  ${dim(`(${secs(t2)})`)}`)

    // ---------------------------------------------------------------- 3. the attack
    const victim = members[0]
    const others = members.slice(1)
    heading(`An attacker tries SQL injection on ${victim.name}'s shop`)
    const attack = sqlInjection(SQLI_TAUTOLOGY[0], '203.0.113.66')
    out(`  ${target(attack)}   ${dim(`(from ${attack.source})`)}`)
    const t3 = Date.now()
    const first = await client.send(victim.shop.url, attack, 'attack-0')
    const v0 = victim.shop.verdict('attack-0')
    out(`  → ${httpStatus(first.status)} at ${victim.name}: its own detector found the request abnormal (danger level ${v0?.danger ?? '?'})`)
    for (const r of (v0?.reasons ?? []).slice(0, 2)) out(dim(`      ${r.parameter != null && r.parameter !== '' ? `${r.parameter}: ` : ''}${r.feature} ${String(r.observed)}, expected ${r.expected}`))
    if (first.status !== 403) throw new Error(`${victim.name} did not block the attack (HTTP ${first.status})`)
    const local = await waitFor(`${victim.name}'s local signature`, async () => {
      const sigs = await getJson(`${victim.node.api}/signatures`) as SignatureView[]
      const s = sigs.filter((x) => x.origin === 'local')
      return s.length > 0 ? s : undefined
    }, 10_000, 100)
    for (const s of local) {
      out(`  → ${victim.name} made an attack signature from it (clonal selection: the parts of the request that its normal traffic never contains):`)
      out(`      signature ${bold(short(s.id))}  on ${s.context}, parameter ${s.parameter === '' ? '(any)' : s.parameter}: tokens ${cyan(quoted(s.tokens))}`)
    }
    out(`  → and published it to its community in an alert signed with its libp2p key.`)
    const deny = (await getJson(`${victim.node.api}/status`) as StatusView).denyList.find((d) => d.address === attack.source)
    if (deny != null) out(`  → ${victim.name} also refuses every request from ${attack.source} for the next ${Math.round((deny.expiresAtMs - Date.now()) / 60_000)} minutes (its local policy for danger level 2).`)
    const localIds = new Set(local.map((s) => s.id))

    // ---------------------------------------------------------------- 4. the community learns
    heading('The community learns: each peer checks the signature against its OWN normal traffic before adopting it')
    await Promise.all(others.map(async (m) => {
      const s = await waitFor(`${m.name} adopts the signature`, async () => {
        const sigs = await getJson(`${m.node.api}/signatures`) as SignatureView[]
        return sigs.find((x) => localIds.has(x.id) && x.status === 'adopted')
      }, 20_000, 100)
      const origin = members.find((x) => x.node.peerId === s.origin)?.name ?? shortPeer(s.origin)
      out(`  ${bold(m.name)}  adopted signature ${bold(short(s.id))} from ${origin} ${dim(`(${secs(t3)} after the attack)`)}: ${s.reason}; tokens ${cyan(quoted(s.tokens))}`)
    }))

    // ---------------------------------------------------------------- 5. proactive immunity
    heading('The attacker moves on to the other shops, with variants of the attack that they have never seen')
    let blockedEverywhere = true
    for (const [i, m] of others.entries()) {
      const variant = sqlInjection(SQLI_TAUTOLOGY[1 + (i % (SQLI_TAUTOLOGY.length - 1))], `203.0.113.${101 + i}`)
      const id = `attack-${i + 1}`
      const a = await client.send(m.shop.url, variant, id)
      const v = m.shop.verdict(id)
      const bySignature = v?.reasons[0]?.feature === 'signature'
      const sigId = /signature ([0-9a-f]+)/.exec(v?.reasons[0]?.expected ?? '')?.[1]
      const origin = sigId != null && localIds.has(sigId) ? victim.name : 'a peer'
      out(`  ${bold(m.name)}  ${target(variant)}`)
      out(`          → ${httpStatus(a.status)}${bySignature && sigId != null ? `: blocked by signature ${bold(short(sigId))} learned from ${origin}; this node had never seen this attack` : ''}`)
      if (a.status !== 403) blockedEverywhere = false
    }
    out(`  Each peer now trusts ${victim.name} a little more: its warning proved right where the peer could check it itself.`)
    for (const m of others) {
      const why = await getJson(`${m.node.api}/peers/${victim.node.peerId}`) as PeerExplanation
      const r1 = why.events.filter((e) => e.term === 'R1').length
      out(`  ${bold(m.name)}  reputation of ${victim.name}: ${why.reputation.value.toFixed(2)} (weight ${why.reputation.weight.toFixed(2)}, ${r1} corroborated warning${r1 === 1 ? '' : 's'})`)
    }
    out('  Normal customers are still served:')
    for (const [i, m] of members.entries()) {
      const normal = createShopTraffic(`demo-after-${i + 1}`).take(20)
      let ok = 0
      for (const r of normal) if ((await client.send(m.shop.url, r)).status === 200) ok++
      out(`  ${bold(m.name)}  ${ok === normal.length ? green(`${ok} of ${normal.length} normal requests served`) : red(`${ok} of ${normal.length} normal requests served`)}`)
    }

    // ---------------------------------------------------------------- 6. explore
    heading('Explore what each node knows')
    for (const m of members) out(`  ${bold(m.name)}  ${cyan(`${m.node.api}/status`)}   shop ${m.shop.url}`)
    out(dim('  Other views on each node: /signatures /alerts /peers /peers/<id> /decisions /decisions/<id> /metrics'))
    out(dim(`  e.g.  curl -s ${members[1].node.api}/signatures`))
    out()
    if (!blockedEverywhere) throw new Error('a shop did not block the attack')
    out(bold(`The attack on ${victim.name} made all ${n} shops immune to it. (${secs(started)})`))

    clearTimeout(watchdog)
    if (keep) {
      keepWaiting = true
      out()
      out(`The nodes and shops keep running (--keep). Press Ctrl-C to stop them.`)
      await new Promise<never>(() => {})
    }
    out('Stopping the nodes and shops (run with --keep to explore them).')
    await cleanup()
    out(`Done in ${secs(started)}.`)
    return 0
  } catch (err) {
    process.stderr.write(`\ndemo failed: ${(err as Error).message}\n`)
    for (const m of members) {
      const tail = m.node.log().split('\n').filter((l) => l.trim() !== '').slice(-8).join('\n')
      process.stderr.write(`\n--- last log lines of ${m.name} ---\n${tail}\n`)
    }
    await cleanup()
    return 1
  }
}

// a hard bound on the demo part: it never hangs a terminal or a CI job (--keep waits only after it)
const WATCHDOG_MS = 170_000
const watchdog = setTimeout(() => {
  process.stderr.write(`demo: not finished after ${WATCHDOG_MS / 1000} s, giving up\n`)
  void cleanup().finally(() => { process.exit(1) })
}, WATCHDOG_MS)

process.exitCode = await main()
clearTimeout(watchdog)
