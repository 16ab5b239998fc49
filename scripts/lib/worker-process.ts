/**
 * One worker of wrangler.toml, started through wrangler's programmatic API (`unstable_DevEnv`, what
 * `unstable_startWorker` and `wrangler dev` run) in a process of its own, so that a test or the bench can stop it,
 * or kill it as a crash would, without stopping itself. startDevServers spawns it; it answers over IPC with the
 * addresses Miniflare gives it:
 *
 * - `url`: the public address, behind wrangler's proxy worker (as `wrangler dev` serves it);
 * - `entry`: Miniflare's own entry socket for the worker, without the proxy in front (the local plumbing a deployed
 *   worker never has: benchmarks time both);
 * - `inspector`: the V8 inspector of the worker's isolate (`core:user:<name>`), to read its heap.
 *
 * Run by startDevServers only: `node --import tsx scripts/lib/worker-process.ts` with EDGEWIRE_WORKER set to a
 * WorkerProcessOptions JSON.
 */
import { join } from 'node:path'
import { unstable_DevEnv } from 'wrangler'
import type { WorkerName } from './dev-servers'
import { ROOT } from './local-config'

export interface WorkerProcessOptions {
  env: WorkerName
  port: number
  persistTo: string
  /** wrangler's dev registry folder, through which ingest and search reach the writer worker's Durable Objects */
  registry: string
  vars: Record<string, string>
}

/** What the process sends its parent when the worker cannot start (a build error, a bad config). */
export interface WorkerFailure {
  error: string
}

/** wrangler's error events carry a reason and a cause; a UserError is an Error. */
function describeError(event: unknown): string {
  if (event instanceof Error) return event.message
  const { reason, cause } = (event ?? {}) as { reason?: unknown; cause?: unknown }
  const detail = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause)
  return [reason, detail].filter((part) => typeof part === 'string' && part !== '').join(': ') || String(event)
}

/** What the process sends its parent once the worker answers. */
export interface WorkerAddresses {
  url: string
  entry: string
  inspector: string
}

const options = JSON.parse(process.env.EDGEWIRE_WORKER ?? 'null') as WorkerProcessOptions | null
if (!options || !process.send) {
  console.error('worker-process.ts is started by startDevServers (scripts/lib/dev-servers.ts), not by hand.')
  process.exit(2)
}
const send = process.send.bind(process)

const devEnv = new unstable_DevEnv()
// A failed build or a worker that cannot start is reported here, not by startWorker(), whose `ready` then never
// settles: tell the parent why and exit, instead of leaving it to wait for a /healthz that will never answer.
let started = false
devEnv.on('error', (event: unknown) => {
  const reason = describeError(event)
  console.error(`worker-process (${options.env}): ${reason}`)
  if (started) return
  send({ error: reason } satisfies WorkerFailure)
  process.exit(3)
})
// Miniflare's own addresses for the user worker come with every reload (the proxy worker forwards to them).
const reloaded = new Promise<{ entry: string; inspector: string }>((resolve, reject) => {
  devEnv.once('reloadComplete', (event: { proxyData: ReloadProxyData }) => {
    const { userWorkerUrl: u, userWorkerInspectorUrl: i } = event.proxyData
    if (!i) return reject(new Error('wrangler started the worker without an inspector'))
    resolve({ entry: `${u.protocol}//${u.hostname}:${u.port}`, inspector: `ws://${i.hostname}:${i.port}${i.pathname}` })
  })
})
interface ReloadProxyData {
  userWorkerUrl: { protocol: string; hostname: string; port: string }
  userWorkerInspectorUrl?: { hostname: string; port: string; pathname: string }
}

const worker = await devEnv.startWorker({
  config: join(ROOT, 'wrangler.toml'),
  env: options.env,
  bindings: Object.fromEntries(
    Object.entries(options.vars).map(([name, value]) => [name, { type: 'plain_text', value }]),
  ),
  dev: {
    remote: false,
    server: { hostname: '127.0.0.1', port: options.port },
    inspector: { hostname: '127.0.0.1', port: 0 },
    persist: options.persistTo,
    registry: options.registry,
    watch: false,
    liveReload: false,
  },
})
await worker.ready
const sockets = await reloaded
started = true
send({ url: (await worker.url).origin, ...sockets } satisfies WorkerAddresses)

const stop = async () => {
  await worker.dispose()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
