import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { descendantsNamed } from './bench-stats'

/**
 * Finds, under one `wrangler dev`, the workerd that runs the user's worker, and two of its sockets:
 *
 * - its own HTTP entry. `wrangler dev` puts a proxy worker (in a second workerd) in front of the user's worker, and
 *   that hop costs a few milliseconds of local plumbing that a deployed worker never has; benchmarks time both.
 * - its V8 inspector, to read the isolate's own heap (`Runtime.getHeapUsage`): the process's RSS also counts
 *   Miniflare's KV, cache and rate-limit simulators, which live in the same workerd.
 *
 * Linux only (reads /proc), like the rest of the benchmark's process measurements.
 */
export interface UserWorkerd {
  pid: number
  /** `http://127.0.0.1:<port>` of the worker's entry socket, without wrangler's proxy in front */
  entry: string
  /** `ws://…` of the worker isolate's inspector */
  inspector: string
}

/** TCP ports a process listens on (from its socket inodes and /proc/<pid>/net/tcp). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (match?.[1]) inodes.add(match[1])
    } catch {}
  }
  const ports: number[] = []
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/)
    // cols: sl, local_address, rem_address, st, …, inode (10th)
    if (cols[3] !== '0A' || !inodes.has(cols[9] ?? '')) continue
    ports.push(Number.parseInt(cols[1]?.split(':')[1] ?? '', 16))
  }
  return ports
}

async function probe(url: string): Promise<string | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
    return res.ok ? await res.text() : null
  } catch {
    return null
  }
}

/**
 * The workerd under `wranglerPid` whose inspector lists `core:user:<workerName>`, its inspector URL, and its entry
 * socket (the port, other than `publicPort`, that answers `/healthz`).
 */
export async function findUserWorkerd(
  wranglerPid: number,
  workerName: string,
  publicPort: number,
): Promise<UserWorkerd | null> {
  for (const pid of descendantsNamed(wranglerPid, 'workerd')) {
    const ports = listeningPorts(pid).filter((p) => p !== publicPort)
    let inspector: string | undefined
    for (const port of ports) {
      const list = await probe(`http://127.0.0.1:${port}/json`)
      if (!list?.startsWith('[')) continue
      const targets = JSON.parse(list) as { id: string; webSocketDebuggerUrl: string }[]
      inspector = targets.find((t) => t.id === `core:user:${workerName}`)?.webSocketDebuggerUrl
      if (inspector) break
    }
    if (!inspector) continue
    for (const port of ports) {
      if ((await probe(`http://127.0.0.1:${port}/healthz`))?.includes('"ok":true')) {
        return { pid, entry: `http://127.0.0.1:${port}`, inspector }
      }
    }
  }
  return null
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
