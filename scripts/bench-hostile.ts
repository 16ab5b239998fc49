/**
 * `npm run bench:hostile`: the ingest isolate's memory while eight signed 32 MiB deliveries arrive at once, measured
 * in workerd (the worker under wrangler's programmatic API, as `npm start` runs it). For each shape of delivery it
 * posts eight at once to the ingest worker's own socket, reads the isolate's heap through its V8 inspector all along
 * (`Runtime.getHeapUsage` after a forced full collection: JS heap and ArrayBuffers; see sampleHeap) until the writer
 * holds every article they carry (queued ones included: the queue consumer, and locally the Durable Object, run in the
 * same isolate), and reports the peak beside the workerd process's peak resident memory (VmHWM, reset before each
 * shape), which also counts Miniflare's KV, queue and cache simulators. V8's own report of every collection
 * (`--trace-gc`, `--trace-gc-verbose`) gives what the inspector cannot see, the heap inside synchronous steps: the JS
 * heap only grows between two collections, so the largest figure at the start of one is its true peak. Each figure is
 * also given for the time until every delivery was answered (the webhook's part, with whatever the consumer and the
 * writer did meanwhile).
 * Writes bench-results/bench-hostile.json. `BENCH_SHAPES=padding,texts` runs some shapes only. Needs only the
 * project. Takes a few minutes for padding, many more for the queued shapes on a loaded machine.
 * `BENCH_HEAP_OWNERS=1` also runs V8's sampling heap profiler and says which code held the live JS heap at its
 * highest reading (OWNERS): locally the webhook, the queue consumer and the writers share one isolate, deployed each
 * Durable Object has its own, so this splits the figure the way a deployment would.
 *
 * Shapes, each a body of (nearly) 32 MiB:
 * - padding: one small article and a 32 MiB unknown field (test/memory.test.ts's delivery): bytes, text, JSON;
 * - texts: a batch of eight articles of 4 Mi characters of prose each, the largest articles allowed (queued: the
 *   consumer normalizes them);
 * - batch: a batch of 5,000 articles of 6.5 KB (the most a batch may hold; queued, normalized in chunks);
 * - html: a batch of seven HTML pages of 4 Mi characters each, the largest page allowed, paragraphs of markup under
 *   the limit of markup openings, so each is parsed into a DOM and read by Readability (queued, one page a chunk).
 *
 * A delivery answered 503 (the isolate's body budget was taken for 30 s, read-body.ts) is sent again after its
 * Retry-After, as a Standard Webhooks sender does; the retries are counted.
 */

import { createHmac } from 'node:crypto'
import { appendFileSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { LIMITS } from '@edgewire/shared/article'
import { BENCH_SECRET, benchVars, writerStats } from './lib/bench-servers'
import { descendantsNamed, fmt, mib, processMemory } from './lib/bench-stats'
import { startDevServers, stopWorkersOnSignal, type WorkerName } from './lib/dev-servers'
import { GcTrace, traceGarbageCollections } from './lib/gc-trace'
import { ROOT } from './lib/local-config'
import { prose } from './lib/prose'
import { findUserWorkerd, type HeapSample, isolateHeap, sampleHeap } from './lib/workerd-probe'

stopWorkersOnSignal()

const SHAPES = (process.env.BENCH_SHAPES ?? 'padding,texts,batch,html').split(',')
/**
 * `BENCH_HEAP_CAP_MIB=N`: caps every isolate's JS heap at N MiB (V8's --max-heap-size, through Miniflare's
 * MINIFLARE_WORKERD_V8_FLAGS), so a heap that needs more at any moment, inside a synchronous step too, makes V8
 * collect without end or abort workerd, which the run reports. 80 is the isolate's 128 MB (122 MiB) less the body
 * budget (32 MiB) and 10 MiB for other buffers. Off by default: the readings above are the measurement.
 */
const HEAP_CAP_MIB = Number(process.env.BENCH_HEAP_CAP_MIB ?? 0)
if (HEAP_CAP_MIB > 0) {
  process.env.MINIFLARE_WORKERD_V8_FLAGS =
    `${process.env.MINIFLARE_WORKERD_V8_FLAGS ?? ''} --max-heap-size=${HEAP_CAP_MIB}`.trim()
}
// V8 reports every collection of every isolate, inside synchronous steps too, where the inspector cannot read
// (`--trace-gc`: the JS heap before each collection and after it; `--trace-gc-verbose`: the heap's spaces and the
// ArrayBuffer backing stores once it ends). Lines reach this process through wrangler's logger
// (EDGEWIRE_LOG_LEVEL=log); BENCH_GC_LOG=<file> keeps the ingest worker's lines.
traceGarbageCollections()
const GC_LOG = process.env.BENCH_GC_LOG
/** V8's collections in the ingest workerd, since the last reset (scripts/lib/gc-trace.ts). */
const ingestGc = new GcTrace()
function onWorkerOutput(worker: WorkerName, line: string): void {
  if (worker !== 'ingest') return
  if (GC_LOG && /^\[\d+:0x/.test(line.trim())) appendFileSync(GC_LOG, `${line}\n`)
  ingestGc.read(line)
}
/** The isolate whose heap went highest: the ingest worker's (its bodies are 32 MiB), not Miniflare's own. */
const ingestGcPeaks = () => ingestGc.top()

/** Deliveries sent at once (`BENCH_DELIVERIES`, eight by default: the figure). */
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 8)
/**
 * Who held the heap, by function name (see heapOwners): the first of these from the allocation up names the owner.
 * Private methods appear as V8 names them, with their `#`. What the ingest worker does (webhook, queue consumer)
 * runs in its own isolates deployed; what the writer does, in the writer's Durable Object's.
 */
const OWNERS: Record<string, string> = {
  ...Object.fromEntries(
    ['analyzeDoc', 'invert', 'encodePostings', 'storeFields', 'finishInSteps', 'assemble', 'toIndexDoc'].map((f) => [
      f,
      'writer: segment build',
    ]),
  ),
  ...Object.fromEntries(
    ['#buildSegment', '#writeSegment', '#flushSegment', '#mergeSegments', '#flushOnce', 'alarm'].map((f) => [
      f,
      'writer: maintenance',
    ]),
  ),
  ...Object.fromEntries(
    ['#applyNew', '#applyUpsert', '#rememberAnswer', '#storedAnswer', 'lookupDelivery'].map((f) => [
      f,
      'writer: apply',
    ]),
  ),
  ...Object.fromEntries(['#flushToKv', 'changeBlock', 'getArticle', 'head'].map((f) => [f, 'writer: reads and KV'])),
  ...Object.fromEntries(['normalizeOp', 'normalizeArticle'].map((f) => [f, 'ingest: normalize'])),
  ...Object.fromEntries(['applyChunk', 'handleQueue'].map((f) => [f, 'ingest: queue consumer'])),
  ...Object.fromEntries(['applyDelivery'].map((f) => [f, 'ingest: to the writers'])),
  ...Object.fromEntries(
    [
      'handleWebhook',
      'handleEvent',
      'readSignedEvent',
      'readBodyLimited',
      'decodeUtf8',
      'parseJson',
      'validate',
      'enqueueDelivery',
      'chunkItems',
      'queuedResult',
    ].map((f) => [f, 'ingest: webhook']),
  ),
}
const HEAP_OWNERS = process.env.BENCH_HEAP_OWNERS === '1'
/** How long a shape may take to be applied after it was answered (`BENCH_APPLY_WAIT_MIN`, 20 minutes by default). */
const APPLY_WAIT_MS = Number(process.env.BENCH_APPLY_WAIT_MIN ?? 20) * 60_000
/** The memory limit of a Workers isolate, 128 MB, read the stricter way (10^6 bytes: 122 MiB). */
const ISOLATE_LIMIT = 128e6

const log = (line: string) => process.stderr.write(`${line}\n`)

/** `webhook-signature` of a body per Standard Webhooks (HMAC-SHA256 of "{id}.{timestamp}.{body}"), over its bytes. */
function sign(secret: string, id: string, timestamp: number, body: Uint8Array): string {
  const mac = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
  mac.update(`${id}.${timestamp}.`)
  mac.update(body)
  return `v1,${mac.digest('base64')}`
}

/**
 * A whole HTML page of exactly `chars` characters: head, navigation, an article of paragraphs of prose (about 400
 * characters each, so some 18,000 markup openings: under the 50,000 past which a page is read as text), a footer.
 * No double quotes, which JSON would escape.
 */
function page(chars: number, seed: string): string {
  const head = `<!doctype html><html lang=en><head><meta charset=utf-8><title>Report ${seed}</title><meta name=author content='Desk ${seed}'></head><body><nav><a href=/>Home</a> <a href=/markets>Markets</a></nav><article><h1>Report ${seed}</h1>`
  const tail = '</article><footer>Copyright the publisher.</footer></body></html>'
  const paragraphs = prose(chars, seed)
    .split('\n\n')
    .map((p) => `<p>${p}</p>`)
    .join('\n')
  const body = paragraphs.slice(0, chars - head.length - tail.length)
  return `${head}${body}${' '.repeat(chars - head.length - tail.length - body.length)}${tail}`
}

interface Delivery {
  bytes: Uint8Array<ArrayBuffer>
  /** articles the writer will hold once it is applied */
  articles: number
}

/** The eight bodies of a shape; each delivery's articles are its own, so none is answered `unchanged`. */
function deliveries(shape: string, run: string): Delivery[] {
  const timestamp = new Date().toISOString()
  const encode = (event: unknown) => new TextEncoder().encode(JSON.stringify(event))
  return Array.from({ length: DELIVERIES }, (_, d) => {
    const tag = `${run}d${d}`
    if (shape === 'padding') {
      const head = encode({
        type: 'article.upsert',
        timestamp,
        data: { externalId: `pad-${tag}`, text: 'A small story.' },
      })
      // The same event with a padding field that fills the body to 32 MiB (unknown fields are ignored).
      const prefix = new TextDecoder().decode(head.subarray(0, head.length - 2))
      const open = new TextEncoder().encode(`${prefix},"padding":"`)
      const close = new TextEncoder().encode('"}}')
      const bytes = new Uint8Array(LIMITS.maxBodyBytes).fill(0x78)
      bytes.set(open, 0)
      bytes.set(close, bytes.length - close.length)
      return { bytes, articles: 1 }
    }
    if (shape === 'texts' || shape === 'batch') {
      const n = shape === 'texts' ? 8 : LIMITS.maxBatchArticles
      const event = (chars: number) => ({
        type: 'article.batch',
        timestamp,
        data: {
          articles: Array.from({ length: n }, (_, i) => ({
            externalId: `${shape}-${tag}-${i}`,
            title: `Report ${tag} ${i}`,
            text: prose(Math.min(chars, LIMITS.maxContentChars), `${tag}a${i}`),
          })),
        },
      })
      // As many characters as fit: JSON escapes each line break in two bytes, so the first guess is trimmed once.
      const guess = Math.floor(LIMITS.maxBodyBytes / n)
      const first = encode(event(guess))
      const bytes =
        first.length <= LIMITS.maxBodyBytes
          ? first
          : encode(event(Math.floor(guess * (LIMITS.maxBodyBytes / first.length)) - 64))
      if (bytes.length > LIMITS.maxBodyBytes)
        throw new Error(`a ${shape} body of ${bytes.length} bytes is over the limit`)
      return { bytes, articles: n }
    }
    if (shape === 'html') {
      const pages = Math.floor(LIMITS.maxBodyBytes / (LIMITS.maxContentChars + 4096))
      const event = {
        type: 'article.batch',
        timestamp,
        data: {
          articles: Array.from({ length: pages }, (_, i) => ({
            url: `https://hostile.example/${tag}/${i}`,
            html: page(LIMITS.maxContentChars, `${tag}p${i}`),
          })),
        },
      }
      const bytes = encode(event)
      if (bytes.length > LIMITS.maxBodyBytes) throw new Error(`an html body of ${bytes.length} bytes is over the limit`)
      return { bytes, articles: pages }
    }
    throw new Error(`unknown shape ${shape}`)
  })
}

const dir = await mkdtemp(join(tmpdir(), 'edgewire-hostile-'))
const PORT = 31001 + Math.floor(Math.random() * 500) * 2
log('Starting the workers…')
const servers = await startDevServers({
  ingestPort: PORT,
  searchPort: PORT + 1,
  persistTo: join(dir, 'state'),
  vars: benchVars(),
  onOutput: onWorkerOutput,
})
const results: Record<string, unknown> = {
  deliveries: DELIVERIES,
  bodyBytes: LIMITS.maxBodyBytes,
  heapCapMiB: HEAP_CAP_MIB,
}
try {
  const ingest = findUserWorkerd(servers, 'ingest')
  const poke = () => fetch(`${ingest.entry}/healthz`).then((r) => r.arrayBuffer())
  // The user worker's workerd is the largest under the ingest process (wrangler runs its proxy in another).
  const workerd = () =>
    descendantsNamed(servers.pids.ingest, 'workerd')
      .map((pid) => ({ pid, memory: processMemory(pid) }))
      .sort((a, b) => (b.memory?.rss ?? 0) - (a.memory?.rss ?? 0))[0]
  // Retried once: a kept-alive connection the worker closed while this process was busy building bodies fails once.
  const documents = async () => (await writerStats(servers).catch(() => writerStats(servers))).documents
  const idle = await isolateHeap(ingest.inspector, poke)
  if (HEAP_CAP_MIB > 0) log(`JS heap of each isolate capped at ${HEAP_CAP_MIB} MiB (--max-heap-size)`)
  log(
    `Ingest isolate at rest, after GC: ${mib(idle.afterGc.usedSize + idle.afterGc.backingStorageSize)} (JS heap ${mib(idle.afterGc.usedSize)}, ArrayBuffers ${mib(idle.afterGc.backingStorageSize)})`,
  )
  results.idle = idle
  for (const shape of SHAPES) {
    const batch = deliveries(shape, `${Date.now().toString(36)}`)
    const signed = batch.map(({ bytes }, i) => ({ id: `msg_hostile_${shape}_${Date.now()}_${i}`, bytes }))
    const expected = (await documents()) + batch.reduce((n, d) => n + d.articles, 0)
    const proc = workerd()
    // Resets the process's peak resident memory (VmHWM) to its current size, so the peak below is this shape's.
    if (proc) {
      try {
        writeFileSync(`/proc/${proc.pid}/clear_refs`, '5')
      } catch {
        log('  (could not reset VmHWM: the process peak below may be an earlier one)')
      }
    }
    const rssBefore = proc ? processMemory(proc.pid)?.rss : undefined
    log(
      `${shape}: ${DELIVERIES} signed deliveries of ${mib(Math.max(...batch.map((d) => d.bytes.length)))} at once, ${expected} documents expected…`,
    )
    ingestGc.reset()
    const sampler = await sampleHeap(ingest.inspector, poke, 100, HEAP_OWNERS ? OWNERS : undefined)
    const started = performance.now()
    let retried = 0
    const answers = await Promise.all(
      signed
        .map(async (d) => {
          for (let attempt = 0; ; attempt++) {
            // Signed at each attempt, as a sender's retry is (the timestamp must stay in the window).
            const ts = Math.floor(Date.now() / 1000)
            const res = await fetch(`${ingest.entry}/webhooks/articles`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'webhook-id': d.id,
                'webhook-timestamp': String(ts),
                'webhook-signature': sign(BENCH_SECRET, d.id, ts, d.bytes),
              },
              body: d.bytes,
            })
            const text = await res.text()
            if (res.status === 503 && attempt < 20) {
              retried++
              await sleep(Number(res.headers.get('retry-after') ?? '5') * 1000)
              continue
            }
            const statuses = res.status === 202 ? (JSON.parse(text) as { results: { status: string }[] }).results : []
            return { status: res.status, statuses: statuses.map((r) => r.status), ms: performance.now() - started }
          }
        })
        .map((answer) =>
          // A connection cut: workerd aborted (a heap over the cap does that).
          answer.catch(() => ({ status: 0, statuses: [] as string[], ms: performance.now() - started })),
        ),
    )
    if (answers.some((a) => a.status === 0)) {
      await sampler.stop().catch(() => [])
      results[shape] = { aborted: true, answers: answers.map((a) => a.status) }
      log(`  workerd aborted under a ${HEAP_CAP_MIB} MiB heap: ${answers.map((a) => a.status).join(' ')}`)
      break
    }
    const answeredMs = performance.now() - started
    // The webhook's own part ends here; what follows (the queue consumer, and locally the writer and its relay, Durable
    // Objects that run in this same isolate) is measured apart.
    const gcAnswering = ingestGcPeaks()
    // Until the writer holds them all (or APPLY_WAIT_MS); a writer that cannot be asked means workerd aborted.
    let held: number | null = await documents().catch(() => null)
    while (held !== null && held < expected && performance.now() - started < answeredMs + APPLY_WAIT_MS) {
      await sleep(500)
      held = await documents().catch(() => null)
    }
    if (held === null) {
      await sampler.stop().catch(() => [])
      results[shape] = {
        aborted: true,
        answers: answers.map((a) => a.status),
        abortedAfterMs: performance.now() - started,
      }
      log(`  workerd aborted while the deliveries were applied (JS heap cap ${HEAP_CAP_MIB} MiB)`)
      break
    }
    const appliedMs = performance.now() - started
    const samples: HeapSample[] = await sampler.stop()
    // The sampler's own forced collections are in these figures too; they only lower what follows them.
    const gc = ingestGcPeaks()
    const after = await isolateHeap(ingest.inspector, poke)
    const peakOf = (f: (s: HeapSample) => number) => samples.reduce((m, s) => Math.max(m, f(s)), 0)
    const live = (s: HeapSample) => s.afterGc.usedSize + s.afterGc.backingStorageSize
    const peakLive = peakOf(live)
    const peakSample = samples.find((s) => live(s) === peakLive)
    const procAfter = proc ? processMemory(proc.pid) : null
    const counts: Record<string, number> = {}
    for (const a of answers) for (const s of a.statuses) counts[s] = (counts[s] ?? 0) + 1
    const answering = samples.filter((s) => s.atMs <= answeredMs)
    const peakAnswering = (f: (s: HeapSample) => number) => answering.reduce((m, s) => Math.max(m, f(s)), 0)
    const figures = {
      answering: {
        samples: answering.length,
        peakIsolateLive: peakAnswering(live),
        peakIsolateUncollected: peakAnswering((s) => s.beforeGc.usedSize + s.beforeGc.backingStorageSize),
        gc: gcAnswering,
      },
      answers: answers.map((a) => a.status),
      resultCounts: counts,
      answeredMs: Math.round(answeredMs),
      appliedMs: Math.round(appliedMs),
      documentsHeld: held,
      documentsExpected: expected,
      samples: samples.length,
      peakIsolateLive: peakLive,
      peakIsolateLiveAtMs: peakSample ? Math.round(peakSample.atMs) : null,
      peakLiveJsHeap: peakOf((s) => s.afterGc.usedSize),
      peakLiveArrayBuffers: peakOf((s) => s.afterGc.backingStorageSize),
      peakIsolateUncollected: peakOf((s) => s.beforeGc.usedSize + s.beforeGc.backingStorageSize),
      peakIsolateCommitted: peakOf((s) => s.beforeGc.totalSize + s.beforeGc.backingStorageSize),
      peakUncollectedArrayBuffers: peakOf((s) => s.beforeGc.backingStorageSize),
      retried503: retried,
      gc,
      afterGc: after.afterGc.usedSize + after.afterGc.backingStorageSize,
      workerdRssBefore: rssBefore,
      workerdPeakRss: procAfter?.peak,
      underLimit: peakLive < ISOLATE_LIMIT,
      ownersAtPeak: sampler.ownersAtPeak(),
    }
    results[shape] = figures
    log(
      `  answers ${figures.answers.join(' ')} (${JSON.stringify(counts)}) after ${fmt(answeredMs / 1000)} s; all ${held}/${expected} documents held after ${fmt(appliedMs / 1000)} s`,
    )
    log(
      `  ingest isolate peak live (${samples.length} readings, each after a full GC): ${mib(peakLive)} (JS heap ${mib(figures.peakLiveJsHeap)}, ArrayBuffers ${mib(figures.peakLiveArrayBuffers)} at their own peaks); limit ${mib(ISOLATE_LIMIT)}`,
    )
    log(
      `  before each GC up to ${mib(figures.peakIsolateUncollected)} (garbage V8 had not collected yet; locally no limit hurries it); ${mib(figures.afterGc)} after the run`,
    )
    log(
      `  heap V8 had reserved (committed) plus ArrayBuffers, at most ${mib(figures.peakIsolateCommitted)}; ${retried} deliveries answered 503 and sent again`,
    )
    if (gcAnswering)
      log(
        `  until every delivery was answered (the webhook's part): V8's collections saw the JS heap up to ${mib(gcAnswering.beforeCollection)}, JS heap + ArrayBuffers at their ends up to ${mib(gcAnswering.heapAndBuffers)} (ArrayBuffers ${mib(gcAnswering.backingStores)}); the inspector, after a full GC, up to ${mib(figures.answering.peakIsolateLive)}`,
      )
    if (gc)
      log(
        `  V8's own collections (${gc.collections}, ${gc.fullCollections} full; synchronous steps included): JS heap up to ${mib(gc.beforeCollection)} when a collection began, up to ${mib(gc.afterFull)} left live by a full one, ${mib(gc.reserved)} reserved; JS heap + ArrayBuffers at the end of a collection up to ${mib(gc.heapAndBuffers)} (ArrayBuffers up to ${mib(gc.backingStores)})`,
      )
    if (rssBefore !== undefined && procAfter)
      log(`  workerd process: ${mib(rssBefore)} resident before, peak ${mib(procAfter.peak)} (all of Miniflare)`)
    const owners = figures.ownersAtPeak
    if (owners) {
      log(
        `  the most V8's sampling profile found held after a collection: ${mib(owners.total)}, ${fmt(owners.atMs / 1000)} s in (the JS heap read ${mib(owners.used)} at the isolate's next idle moment):`,
      )
      for (const [owner, bytes] of Object.entries(owners.byOwner).sort((a, b) => b[1] - a[1]))
        log(`    ${owner}: ${mib(bytes)}`)
      for (const { stack, bytes } of owners.topStacks.slice(0, 12)) log(`    ${mib(bytes)}  ${stack}`)
    }
  }
} finally {
  await servers.stop()
  await rm(dir, { recursive: true, force: true })
}
await mkdir(join(ROOT, 'bench-results'), { recursive: true })
writeFileSync(join(ROOT, 'bench-results', 'bench-hostile.json'), `${JSON.stringify(results, null, 2)}\n`)
log('Wrote bench-results/bench-hostile.json')
