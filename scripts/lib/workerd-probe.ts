import { setTimeout as sleep } from 'node:timers/promises'
import type { DevServers } from './dev-servers'

/**
 * The user worker's own workerd sockets under one startDevServers run, as Miniflare reports them to wrangler's
 * programmatic API (scripts/lib/worker-process.ts):
 *
 * - its HTTP entry. wrangler puts a proxy worker (in a second workerd) in front of the user's worker, and that hop
 *   costs a few milliseconds of local plumbing that a deployed worker never has; benchmarks time both.
 * - its V8 inspector, to read the isolate's own heap (`Runtime.getHeapUsage`): the process's RSS also counts
 *   Miniflare's KV, cache and rate-limit simulators, which live in the same workerd.
 */
export interface UserWorkerd {
  /** `http://127.0.0.1:<port>` of the worker's entry socket, without wrangler's proxy in front */
  entry: string
  /** `ws://…` of the worker isolate's inspector */
  inspector: string
}

/** The sockets of one of the two workers; servers started with the `wrangler dev` CLI do not report them. */
export function findUserWorkerd(servers: DevServers, worker: 'ingest' | 'search'): UserWorkerd {
  if (!servers.sockets) throw new Error("the wrangler dev CLI does not report Miniflare's sockets: use startWorker")
  const { entry, inspector } = servers.sockets[worker]
  return { entry, inspector }
}

/** V8 heap figures of one isolate, through its inspector (bytes). */
export interface IsolateHeap {
  /** objects on the JS heap, live or not yet collected */
  usedSize: number
  /** the heap V8 has reserved */
  totalSize: number
  /** ArrayBuffer backing stores (the index segments live here) */
  backingStorageSize: number
}

/**
 * The heap of the isolate behind an inspector WebSocket URL, before and after a full garbage collection
 * (`Runtime.getHeapUsage`, `HeapProfiler.collectGarbage`). workerd reads inspector messages only while the isolate
 * has work, so `poke` (a request to the worker) runs beside each call.
 */
export async function isolateHeap(
  inspectorUrl: string,
  poke: () => Promise<unknown>,
): Promise<{ beforeGc: IsolateHeap; afterGc: IsolateHeap }> {
  // Right after a start, workerd may leave a first inspector session unanswered: a new session then works.
  for (let attempt = 1; ; attempt++) {
    try {
      return await readHeap(inspectorUrl, poke)
    } catch (err) {
      if (attempt >= 4) throw err
    }
  }
}

async function readHeap(
  inspectorUrl: string,
  poke: () => Promise<unknown>,
): Promise<{ beforeGc: IsolateHeap; afterGc: IsolateHeap }> {
  const ws = new WebSocket(inspectorUrl)
  let nextId = 0
  const waiting = new Map<number, (result: unknown) => void>()
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown }
    if (message.id !== undefined) waiting.get(message.id)?.(message.result)
  }
  const call = async <T>(method: string): Promise<T> => {
    const id = ++nextId
    const answered = new Promise<T>((resolve) => waiting.set(id, (result) => resolve(result as T)))
    ws.send(JSON.stringify({ id, method }))
    const deadline = Date.now() + 5_000
    for (;;) {
      // One request, then a pause: the isolate needs idle moments to read inspector messages.
      await poke()
      const result = await Promise.race([answered, sleep(250).then(() => undefined)])
      if (result !== undefined) return result
      if (Date.now() > deadline) throw new Error(`the inspector did not answer ${method}`)
    }
  }
  try {
    await new Promise((resolve, reject) => {
      ws.onopen = resolve
      ws.onerror = () => reject(new Error(`cannot open the inspector at ${inspectorUrl}`))
    })
    const beforeGc = await call<IsolateHeap>('Runtime.getHeapUsage')
    await call('HeapProfiler.enable')
    await call('HeapProfiler.collectGarbage')
    const afterGc = await call<IsolateHeap>('Runtime.getHeapUsage')
    return { beforeGc, afterGc }
  } finally {
    ws.close()
  }
}
