import { setTimeout as sleep } from 'node:timers/promises'
import type { DevServers, WorkerName } from './dev-servers'

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

/** The sockets of one of the three workers; servers started with the `wrangler dev` CLI do not report them. */
export function findUserWorkerd(servers: DevServers, worker: WorkerName): UserWorkerd {
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

/** One reading of a heap sampler: when (ms since it started), and the isolate's figures before and after a full GC. */
export interface HeapSample {
  atMs: number
  /** as the isolate stood, garbage not yet collected included */
  beforeGc: IsolateHeap
  /** after a full collection forced at once: what it really held (live objects and the buffers they keep) */
  afterGc: IsolateHeap
}

/** A node of V8's sampling heap profile (`HeapProfiler.getSamplingProfile`): a call stack and what it allocated. */
interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  /** bytes of sampled allocations made in this frame that are still live */
  selfSize: number
  children: SamplingNode[]
}

/** Live JS heap by the code that allocated it, from a sampling profile (bytes, estimated by V8's sampling). */
export interface HeapOwners {
  /** the sampled live heap in all */
  total: number
  /** by `owners` entry: the first function of the stack, from the allocation up, that the table names */
  byOwner: Record<string, number>
  /** the largest stacks: the allocating function and its nearest named callers, from the allocation up */
  topStacks: { stack: string; bytes: number }[]
}

/**
 * Attributes a sampling profile's live allocations: each to the first function of its stack (from the allocation
 * towards the root) that `owners` names, else to 'other'. Async functions lose their callers after an await, so the
 * allocating function and its nearest callers say more than the root.
 */
export function heapOwners(root: SamplingNode, owners: Record<string, string>): HeapOwners {
  const byOwner: Record<string, number> = {}
  const stacks = new Map<string, number>()
  let total = 0
  const walk = (node: SamplingNode, path: string[]) => {
    const here = node.callFrame.functionName ? [...path, node.callFrame.functionName] : path
    if (node.selfSize > 0) {
      total += node.selfSize
      const owner = [...here].reverse().find((name) => owners[name] !== undefined)
      const key = owner === undefined ? 'other' : (owners[owner] ?? 'other')
      byOwner[key] = (byOwner[key] ?? 0) + node.selfSize
      const stack = here.slice(-6).reverse().join(' < ')
      stacks.set(stack, (stacks.get(stack) ?? 0) + node.selfSize)
    }
    for (const child of node.children) walk(child, here)
  }
  walk(root, [])
  const topStacks = [...stacks]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20)
    .map(([stack, bytes]) => ({ stack, bytes }))
  return { total, byOwner, topStacks }
}

/**
 * Reads an isolate's heap over and over through one inspector session until `stop()`, for a peak while the isolate
 * works: `Runtime.getHeapUsage`, then `HeapProfiler.collectGarbage` and `Runtime.getHeapUsage` again, as fast as the
 * isolate answers. Without the collection the figure says more about when V8 chose to collect (locally no limit makes
 * it hurry) than about what the isolate needs. The isolate answers between its tasks, never inside one long
 * synchronous step, so the live figure is what each step left held, not the step's own temporaries. `poke` (a
 * request to the worker) runs when an answer waits more than `pokeAfterMs`, so an idle isolate still answers.
 *
 * With `owners` (function name → owner), V8's sampling heap profiler runs too (`HeapProfiler.startSampling`), read
 * after each forced collection and attributed by heapOwners: `ownersAtPeak()` is the reading that held the most, and
 * who held it. Only the JS heap: ArrayBuffers are not sampled. The heap readings themselves come at the isolate's next
 * idle moment, after the task that ran since the collection, garbage included, so they may stand above what it held.
 */
export async function sampleHeap(
  inspectorUrl: string,
  poke: () => Promise<unknown>,
  pokeAfterMs = 100,
  owners?: Record<string, string>,
): Promise<{ stop(): Promise<HeapSample[]>; ownersAtPeak(): (HeapOwners & { atMs: number; used: number }) | null }> {
  const ws = new WebSocket(inspectorUrl)
  await new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = () => reject(new Error(`cannot open the inspector at ${inspectorUrl}`))
  })
  const started = performance.now()
  const samples: HeapSample[] = []
  let nextId = 0
  const waiting = new Map<number, (result: unknown) => void>()
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown }
    if (message.id !== undefined) waiting.get(message.id)?.(message.result)
  }
  let running = true
  /** One inspector call; undefined when stopped before it was answered. */
  const call = async <T>(method: string, params?: Record<string, unknown>): Promise<T | undefined> => {
    const id = ++nextId
    const answered = new Promise<T>((resolve) => waiting.set(id, (result) => resolve(result as T)))
    ws.send(JSON.stringify({ id, method, ...(params ? { params } : {}) }))
    for (;;) {
      const result = await Promise.race([answered, sleep(pokeAfterMs).then(() => undefined)])
      if (result !== undefined) {
        waiting.delete(id)
        return result
      }
      if (!running) return undefined
      await poke().catch(() => undefined)
    }
  }
  let atPeak: (HeapOwners & { atMs: number; used: number }) | null = null
  const loop = (async () => {
    await call('HeapProfiler.enable')
    // One sample per 64 KiB allocated on average: a few thousand samples over a heap of hundreds of MiB.
    if (owners) await call('HeapProfiler.startSampling', { samplingInterval: 65536 })
    while (running) {
      const atMs = performance.now() - started
      const beforeGc = await call<IsolateHeap>('Runtime.getHeapUsage')
      if (!beforeGc || !(await call('HeapProfiler.collectGarbage'))) return
      const afterGc = await call<IsolateHeap>('Runtime.getHeapUsage')
      if (!afterGc) return
      samples.push({ atMs, beforeGc, afterGc })
      if (owners) {
        // Read right after the collection: what it left live, and what was allocated since and not yet collected.
        // (A reading of the heap's use comes at the isolate's next idle moment, after whatever task ran meanwhile.)
        const profile = await call<{ profile: { head: SamplingNode } }>('HeapProfiler.getSamplingProfile')
        const held = profile ? heapOwners(profile.profile.head, owners) : null
        if (held && held.total > (atPeak?.total ?? 0)) atPeak = { atMs, used: afterGc.usedSize, ...held }
      }
      await sleep(20)
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      ws.close()
      return samples
    },
    ownersAtPeak: () => atPeak,
  }
}

/**
 * A session that workerd left unanswered, or closed: right after another session on the same isolate ended, workerd
 * may answer a new one's first call and then close it (seen in the end-to-end test, one run in three: the calls
 * after `Profiler.enable` went into a closed socket, and the profile waited for `Profiler.stop` until the test timed
 * out). A new session then works.
 */
class SessionUnanswered extends Error {}

/** The chunks of one heap snapshot, through a session of its own; SessionUnanswered when it is not answered at all. */
async function takeSnapshot(inspectorUrl: string, poke: () => Promise<unknown>): Promise<string[]> {
  const ws = new WebSocket(inspectorUrl)
  await new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = () => reject(new Error(`cannot open the inspector at ${inspectorUrl}`))
  })
  const chunks: string[] = []
  let nextId = 0
  const waiting = new Map<number, () => void>()
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: { chunk: string } }
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk' && message.params) chunks.push(message.params.chunk)
    if (message.id !== undefined) waiting.get(message.id)?.()
  }
  const call = async (method: string, params: Record<string, unknown> | null, waitMs: number): Promise<boolean> => {
    const id = ++nextId
    const answered = new Promise<true>((resolve) => waiting.set(id, () => resolve(true)))
    ws.send(JSON.stringify({ id, method, ...(params ? { params } : {}) }))
    const deadline = Date.now() + waitMs
    for (;;) {
      // One request, then a pause: the isolate reads inspector messages only while it has work.
      await poke().catch(() => undefined)
      const done = await Promise.race([answered, sleep(250).then(() => false)])
      if (done) return true
      if (Date.now() > deadline) return false
    }
  }
  try {
    if (!(await call('HeapProfiler.enable', null, 5_000))) throw new SessionUnanswered()
    if (!(await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, 300_000))) {
      throw new Error('the inspector did not finish a heap snapshot in 5 minutes')
    }
    return chunks
  } finally {
    ws.close()
  }
}

/** What a heap snapshot found, grouped: V8's node type and, for objects, their constructor (bytes of self size). */
export interface HeapComposition {
  /** self sizes of every node in the snapshot (JS heap and the native backing stores V8 reports) */
  total: number
  groups: { group: string; count: number; bytes: number }[]
}

/**
 * Takes a heap snapshot of the isolate behind an inspector URL (`HeapProfiler.takeHeapSnapshot`, which collects
 * first) and groups its nodes by what they are: strings, arrays, ArrayBuffer backing stores, objects by constructor.
 * Says what a reader's memory is made of, where `Runtime.getHeapUsage` gives only two sums. The snapshot stops the
 * isolate for as long as it takes (seconds at a few hundred MB): a measurement apart, never beside timed work.
 */
export async function heapComposition(
  inspectorUrl: string,
  poke: () => Promise<unknown>,
  top = 25,
): Promise<HeapComposition> {
  // As in isolateHeap: workerd may leave a session unanswered (right after another closed); a new one then works.
  let chunks: string[] = []
  for (let attempt = 1; ; attempt++) {
    try {
      chunks = await takeSnapshot(inspectorUrl, poke)
      break
    } catch (err) {
      if (attempt >= 4 || !(err instanceof SessionUnanswered)) throw err
    }
  }
  const snapshot = JSON.parse(chunks.join('')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
    nodes: number[]
    strings: string[]
  }
  const fields = snapshot.snapshot.meta.node_fields
  const types = snapshot.snapshot.meta.node_types[0]
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const groups = new Map<string, { count: number; bytes: number }>()
  let total = 0
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt] ?? 0] ?? '?'
    const name = snapshot.strings[snapshot.nodes[i + nameAt] ?? 0] ?? ''
    const bytes = snapshot.nodes[i + sizeAt] ?? 0
    total += bytes
    // Strings are named by their text: group them by kind. Objects and natives by their constructor.
    const group =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? `(${type})`
        : `${type} ${name.slice(0, 60)}`
    const g = groups.get(group) ?? { count: 0, bytes: 0 }
    g.count++
    g.bytes += bytes
    groups.set(group, g)
  }
  return {
    total,
    groups: [...groups]
      .map(([group, g]) => ({ group, ...g }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, top),
  }
}

/** A node of V8's CPU profile (`Profiler.stop`): a call frame, its callees by id. */
interface CpuProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

/** Where an isolate's CPU went while profiled: by function, its own samples and those with it on the stack. */
export interface CpuSummary {
  /** time the profile covers and time the isolate was running code (not idle), ms */
  profiledMs: number
  busyMs: number
  /** the functions that ran most themselves (self) and were on the stack most (total), ms; `name (file:line)` */
  self: { fn: string; ms: number }[]
  total: { fn: string; ms: number }[]
}

/**
 * Profiles an isolate's CPU through its inspector (`Profiler.start` … `Profiler.stop`, a sample every `intervalUs`)
 * until `stop()`, and sums where the time went. Says what bounds a phase (the ingest isolate while an archive comes
 * in: normalizing, SQLite, builds, the KV outbox), where a heap figure cannot. Sampling costs the isolate a little:
 * figures of a profiled run are not the bench's timings.
 */
export async function cpuProfile(
  inspectorUrl: string,
  poke: () => Promise<unknown>,
  intervalUs = 1000,
): Promise<{ stop(top?: number): Promise<CpuSummary> }> {
  // As in isolateHeap: workerd may leave a session unanswered (right after another closed); a new one then works.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startProfile(inspectorUrl, poke, intervalUs)
    } catch (err) {
      if (attempt >= 4 || !(err instanceof SessionUnanswered)) throw err
    }
  }
}

async function startProfile(
  inspectorUrl: string,
  poke: () => Promise<unknown>,
  intervalUs: number,
): Promise<{ stop(top?: number): Promise<CpuSummary> }> {
  const ws = new WebSocket(inspectorUrl)
  await new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = () => reject(new Error(`cannot open the inspector at ${inspectorUrl}`))
  })
  let nextId = 0
  const waiting = new Map<number, { resolve(result: unknown): void; reject(err: Error): void }>()
  ws.onclose = () => {
    for (const caller of waiting.values()) caller.reject(new SessionUnanswered('the inspector closed the session'))
    waiting.clear()
  }
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } }
    if (message.id === undefined) return
    const caller = waiting.get(message.id)
    if (message.error) caller?.reject(new Error(`the inspector refused a call: ${message.error.message}`))
    // workerd answers Profiler.enable, setSamplingInterval and start with the call's own method and no result.
    else caller?.resolve(message.result ?? {})
  }
  /** One call; undefined when not answered within `waitMs`. */
  const call = async <T>(method: string, params: Record<string, unknown> | null, waitMs: number) => {
    // A closed socket drops what is sent into it without a word (the WebSocket standard): say so at once.
    if (ws.readyState !== WebSocket.OPEN) throw new SessionUnanswered('the inspector closed the session')
    const id = ++nextId
    const answered = new Promise<T>((resolve, reject) =>
      waiting.set(id, { resolve: (result) => resolve(result as T), reject }),
    )
    ws.send(JSON.stringify({ id, method, ...(params ? { params } : {}) }))
    const deadline = Date.now() + waitMs
    for (;;) {
      // The isolate reads inspector messages only while it has work: a request, then a pause.
      const result = await Promise.race([answered, sleep(250).then(() => undefined)])
      if (result !== undefined) return result
      if (Date.now() > deadline) return undefined
      await poke().catch(() => undefined)
    }
  }
  if ((await call('Profiler.enable', null, 5_000)) === undefined) {
    ws.close()
    throw new SessionUnanswered()
  }
  try {
    const set = await call('Profiler.setSamplingInterval', { interval: intervalUs }, 30_000)
    if (set === undefined || (await call('Profiler.start', null, 30_000)) === undefined) throw new SessionUnanswered()
  } catch (err) {
    ws.close()
    throw err
  }
  return {
    async stop(top = 25) {
      try {
        const stopped = await call<{
          profile: {
            nodes: CpuProfileNode[]
            startTime: number
            endTime: number
            samples: number[]
            timeDeltas: number[]
          }
        }>('Profiler.stop', null, 120_000)
        if (stopped === undefined) throw new Error('the inspector did not answer Profiler.stop in 2 minutes')
        return summarizeCpuProfile(stopped.profile, top)
      } finally {
        ws.close()
      }
    },
  }
}

/** Self and total time per function of a V8 CPU profile. */
function summarizeCpuProfile(
  profile: { nodes: CpuProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] },
  top = 25,
): CpuSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const name = (n: CpuProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame
    const file = url.split('/').pop() ?? ''
    return file ? `${functionName || '(anonymous)'} (${file}:${lineNumber + 1})` : functionName || '(anonymous)'
  }
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let busy = 0
  profile.samples.forEach((id, i) => {
    // The delta before a sample is the time it stands for (V8's own reading of a profile).
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    const node = byId.get(id)
    if (node === undefined) return
    const own = name(node)
    self.set(own, (self.get(own) ?? 0) + ms)
    if (node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)') return
    busy += ms
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)
      if (n === undefined || n.callFrame.functionName === '(root)') continue
      const fn = name(n)
      if (seen.has(fn)) continue
      seen.add(fn)
      total.set(fn, (total.get(fn) ?? 0) + ms)
    }
  })
  const ranked = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, ms }))
  return {
    profiledMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busy,
    self: ranked(self),
    total: ranked(total),
  }
}
