import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { createInterface } from 'node:readline'
import { ROOT } from './local-config'
import type { WorkerAddresses, WorkerFailure, WorkerProcessOptions } from './worker-process'

export interface DevServers {
  ingest: string
  search: string
  /** the writer worker (the index's Durable Objects); its only route is /healthz */
  writer: string
  /** pids of the three worker processes (`wrangler dev` or worker-process.ts; their workerd runs beneath each) */
  pids: Record<WorkerName, number>
  /** Miniflare's own sockets of each worker (entry without wrangler's proxy, isolate inspector); null under the CLI */
  sockets: Record<WorkerName, WorkerAddresses> | null
  /** the search processes beyond the first (`searchProcesses`), each another isolate over the same local state */
  moreSearch: WorkerAddresses[]
  stop(): Promise<void>
  /** Kills all three at once with SIGKILL, as a crash or a pulled plug would: no graceful shutdown. */
  crash(): void
  /**
   * Stops the (first) search worker process and starts a new one on the same port over the same state, as a deploy
   * or an eviction would: a new, empty isolate. Returns its new sockets (also put in `sockets`). Only with
   * 'startWorker'.
   */
  restartSearch(): Promise<WorkerAddresses>
  /** pids of every process this run started that is still alive (their process groups): none after `stop()` */
  survivors(): number[]
}

/** The workers of wrangler.toml, by their environment's name. */
export type WorkerName = 'writer' | 'ingest' | 'search'

export interface DevServerOptions {
  ingestPort: number
  searchPort: number
  /** the writer worker's port; default ingestPort + 2000 */
  writerPort?: number
  persistTo: string
  vars: Record<string, string>
  /** where wrangler's output goes; 'inherit' shows it, 'ignore' hides it */
  output?: 'inherit' | 'ignore' | 'pipe'
  /** takes each line of a worker's output instead (stdout and stderr; with EDGEWIRE_LOG_LEVEL=log, workerd's own) */
  onOutput?: (worker: WorkerName, line: string) => void
  /**
   * 'wrangler dev' runs the CLI, as a user does (`npm start`); 'startWorker' (the default) runs each worker through
   * wrangler's programmatic API in worker-process.ts, which also reports Miniflare's sockets of the worker.
   */
  via?: 'wrangler dev' | 'startWorker'
  /**
   * Search worker processes to run (default 1): each is another search isolate over the same KV and Cache API, as
   * the isolates of one location are (`npm run bench:readers`). Only with 'startWorker'; ports after searchPort + 1000.
   */
  searchProcesses?: number
  /**
   * V8 flags for one worker's workerd (Miniflare's MINIFLARE_WORKERD_V8_FLAGS, after any in the environment), such
   * as `--max-heap-size=64`: a heap limit, where locally nothing else limits an isolate's memory.
   */
  v8Flags?: Partial<Record<WorkerName, string>>
}

const BIN = join(ROOT, 'node_modules', '.bin')
const WRANGLER = join(BIN, 'wrangler')
const WORKER_PROCESS = join(ROOT, 'scripts', 'lib', 'worker-process.ts')

/**
 * Runs the three workers with wrangler (the `wrangler dev` CLI or its programmatic API) over one persisted local
 * state, each in a process (and so on a thread) of its own. The writer worker starts first: it hosts the index's
 * Durable Objects, which the other two reach through wrangler's local dev registry.
 */
export async function startDevServers(options: DevServerOptions): Promise<DevServers> {
  const children: ChildProcess[] = []
  running.push(children)
  // Wrangler finds the other worker's Durable Object through its dev registry. One registry per state folder
  // keeps two pipelines on one machine (a test run beside `npm start`) from reaching each other's workers.
  const registry = join(options.persistTo, '..', 'dev-registry')
  const via = options.via ?? 'startWorker'
  // One writer, unless the caller or the shell says otherwise: workerd runs every Durable Object of the writer
  // worker's process on one thread, so more writers only add work locally, where deployed each has its own (README,
  // "Shards"). `WRITER_SHARDS=4 npm start` runs the index as deployed.
  const vars = { WRITER_SHARDS: process.env.WRITER_SHARDS || '1', ...options.vars }
  const environment = {
    ...process.env,
    // wrangler needs Node 22; the project's own (node_modules/.bin/node) comes first even outside npm scripts.
    PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}`,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_LOG: process.env.EDGEWIRE_LOG_LEVEL ?? 'warn',
    // wrangler dev attaches a local trace collector and a data explorer to every worker by default. The
    // collector alone adds about 3 ms to each request here (a trivial worker: 4.2 → 1.4 ms p50, measured at
    // the worker's own socket); deployed workers have neither. Set them to true to use them.
    X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? 'false',
    X_LOCAL_EXPLORER: process.env.X_LOCAL_EXPLORER ?? 'false',
    WRANGLER_REGISTRY_PATH: registry,
    // Miniflare fetches a sample `Request.cf` from workers.cloudflare.com at every start, and offline prints a stack
    // trace per workerd (four) before it falls back to a placeholder. The only field read, request.cf.colo (the
    // location whose relay a search isolate uses, writer-feed.ts), falls back to one local location either way: use
    // the placeholder at once. CLOUDFLARE_CF_FETCH_ENABLED=true in the environment restores the fetch.
    CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
  }
  const output = options.onOutput ? 'pipe' : (options.output ?? 'inherit')
  const v8FlagsOf = (env: WorkerName) => {
    const flags = options.v8Flags?.[env]
    if (!flags) return {}
    return { MINIFLARE_WORKERD_V8_FLAGS: `${process.env.MINIFLARE_WORKERD_V8_FLAGS ?? ''} ${flags}`.trim() }
  }
  /** Hands each line of the child's output to onOutput, when one is given. */
  const follow = (child: ChildProcess, env: WorkerName) => {
    const onOutput = options.onOutput
    if (!onOutput) return
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => onOutput(env, line))
    }
  }
  const start = (env: WorkerName, port: number) => {
    if (via === 'startWorker') {
      const worker: WorkerProcessOptions = { env, port, persistTo: options.persistTo, registry, vars }
      const child = spawn(join(BIN, 'node'), ['--import', 'tsx', WORKER_PROCESS], {
        cwd: ROOT,
        stdio: ['ignore', output, output, 'ipc'],
        env: { ...environment, ...v8FlagsOf(env), EDGEWIRE_WORKER: JSON.stringify(worker) },
        detached: true,
      })
      children.push(child)
      follow(child, env)
      return child
    }
    const args = [
      'dev',
      '--env',
      env,
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      '--inspector-port',
      '0',
      '--persist-to',
      options.persistTo,
      '--show-interactive-dev-session=false',
      '--log-level',
      process.env.EDGEWIRE_LOG_LEVEL ?? 'warn',
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
    ]
    const child = spawn(WRANGLER, args, {
      cwd: ROOT,
      stdio: ['ignore', output, output],
      env: { ...environment, ...v8FlagsOf(env) },
      detached: true,
    })
    children.push(child)
    follow(child, env)
    return child
  }
  /** Stops children (SIGTERM to each process group, SIGKILL after 5 s). */
  const stopChildren = async (which: ChildProcess[]) => {
    await Promise.all(
      which.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.pid === undefined) return resolve()
            child.once('exit', () => resolve())
            try {
              process.kill(-child.pid, 'SIGTERM')
            } catch {
              resolve()
            }
            setTimeout(() => {
              try {
                if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
              } catch {}
              resolve()
            }, 5000).unref()
          }),
      ),
    )
  }
  const stop = () => stopChildren(children)
  /** Waits for /healthz; a worker process that reports it cannot start fails this at once, with its reason. */
  const healthy = <S extends Promise<WorkerAddresses> | null>(base: string, sockets: S, which = children) =>
    Promise.all([waitForHealth(base, which), sockets]).then(([, addresses]) => addresses)
  const search = `http://127.0.0.1:${options.searchPort}`
  const ingest = `http://127.0.0.1:${options.ingestPort}`
  const writerPort = options.writerPort ?? options.ingestPort + 2000
  const writer = `http://127.0.0.1:${writerPort}`
  try {
    const writerChild = start('writer', writerPort)
    const writerSockets = via === 'startWorker' ? addresses(writerChild) : null
    await healthy(writer, writerSockets)
    // One after another: Miniflares starting at once over the same state can find its SQLite files locked
    // (SQLITE_BUSY, and workerd does not start; seen in CI with the ingest and search workers started together).
    const ingestChild = start('ingest', options.ingestPort)
    const ingestSockets = via === 'startWorker' ? addresses(ingestChild) : null
    await healthy(ingest, ingestSockets)
    const searchChild = start('search', options.searchPort)
    const searchSockets = via === 'startWorker' ? addresses(searchChild) : null
    await healthy(search, searchSockets)
    let searchProcess = searchChild
    const sockets =
      writerSockets && ingestSockets && searchSockets
        ? { writer: await writerSockets, ingest: await ingestSockets, search: await searchSockets }
        : null
    const moreSearch: WorkerAddresses[] = []
    for (let i = 1; via === 'startWorker' && i < (options.searchProcesses ?? 1); i++) {
      const child = start('search', options.searchPort + 1000 + i)
      moreSearch.push(await addresses(child))
    }
    const crash = () => {
      for (const child of children) {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        } catch {}
      }
      // A killed process cannot withdraw its entry from wrangler's dev registry, and a restarted worker of the same
      // name does not replace an entry another process wrote until it is 90 s stale (Miniflare's WORKER_STALE_MS):
      // for that long the search worker's calls to the writer failed with "Network connection lost" and every cold
      // search answered 503. The registry is local plumbing the platform does not have; a crash takes it along.
      rmSync(registry, { recursive: true, force: true })
    }
    const servers: DevServers = {
      ingest,
      search,
      writer,
      pids: { writer: writerChild.pid ?? 0, ingest: ingestChild.pid ?? 0, search: searchChild.pid ?? 0 },
      sockets,
      moreSearch,
      stop,
      crash,
      restartSearch: async () => {
        if (via !== 'startWorker' || servers.sockets === null) throw new Error('restartSearch needs startWorker')
        await stopChildren([searchProcess])
        searchProcess = start('search', options.searchPort)
        const fresh = await healthy(search, addresses(searchProcess), [searchProcess])
        servers.sockets = { ...servers.sockets, search: fresh }
        servers.pids = { ...servers.pids, search: searchProcess.pid ?? 0 }
        return servers.sockets.search
      },
      survivors: () => processesInGroups(children.flatMap((c) => (c.pid === undefined ? [] : [c.pid]))),
    }
    return servers
  } catch (err) {
    await stop()
    throw err
  }
}

/** The addresses a worker-process.ts child sends once its worker answers; the IPC channel then closes. */
function addresses(child: ChildProcess): Promise<WorkerAddresses> {
  const answered = new Promise<WorkerAddresses>((resolve, reject) => {
    child.once('message', (message: WorkerAddresses | WorkerFailure) => {
      child.disconnect()
      if ('error' in message) reject(new Error(`the worker did not start: ${message.error}`))
      else resolve(message)
    })
    child.once('exit', (code) => reject(new Error(`worker process exited with code ${code} before it answered`)))
  })
  // A child that dies early fails waitForHealth first; this promise is then never awaited.
  answered.catch(() => undefined)
  return answered
}

/** Live processes whose process group is one of `groups` (each child leads its own: `detached`), from /proc. */
function processesInGroups(groups: number[]): number[] {
  const wanted = new Set(groups)
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // Fields after the command's closing parenthesis: state, ppid, pgrp, …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (fields[0] !== 'Z' && wanted.has(Number(fields[2]))) found.push(Number(entry))
    } catch {}
  }
  return found
}

/** Children of every startDevServers call, so a Ctrl-C during start-up can still stop them. */
const running: ChildProcess[][] = []

/** Stops every wrangler dev this process started (they run in their own process groups, out of Ctrl-C's reach). */
export function killAllDevServers(): void {
  for (const child of running.flat()) {
    if (child.exitCode !== null || child.pid === undefined) continue
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {}
  }
}

/**
 * Stops every worker this process started when it gets SIGINT or SIGTERM, then `cleanUp`, and exits (130). The
 * workers run in process groups of their own, out of the signal's reach, and a signal skips a script's `finally`: a
 * scratch bench killed mid-run left both workerd processes running for an hour, half a gigabyte each (session 12).
 */
export function stopWorkersOnSignal(cleanUp: () => void = () => undefined): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the workers…\n`)
      killAllDevServers()
      cleanUp()
      process.exit(130)
    })
  }
}

/** Polls /healthz until the worker answers 200, failing fast if its process exits. */
export async function waitForHealth(base: string, children: ChildProcess[] = [], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const dead = children.find((c) => c.exitCode !== null)
    if (dead) throw new Error(`wrangler dev exited with code ${dead.exitCode} before ${base} was ready`)
    try {
      const res = await fetch(`${base}/healthz`)
      if (res.ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${base} did not become healthy within ${timeoutMs / 1000}s`)
}
