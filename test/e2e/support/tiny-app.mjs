// A tiny HTTP application for end-to-end tests: the cell a daemon supervises.
// Listens on 127.0.0.1:$TINY_APP_PORT (or the first argument; 0 = any free port)
// and answers every request with its own pid. On SIGTERM it exits after
// $TINY_APP_STOP_DELAY_MS (default 0), like an app that drains its requests.
// Plain JS so the daemon runs it with `node` directly (no tsx start-up cost on
// every renewal).
import { createServer } from 'node:http'

const port = Number(process.env.TINY_APP_PORT ?? process.argv[2] ?? 0)
const server = createServer((req, res) => {
  const body = JSON.stringify({ pid: process.pid, path: req.url })
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
})
server.listen(port, '127.0.0.1')
const stopDelayMs = Number(process.env.TINY_APP_STOP_DELAY_MS ?? 0)
const stop = () => {
  setTimeout(() => {
    server.close(() => process.exit(0))
    setTimeout(() => process.exit(0), 500).unref()
  }, stopDelayMs)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
