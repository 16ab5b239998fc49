/**
 * `npm run bench:hostile`: the ingest isolate's memory while eight signed 32 MiB deliveries arrive at once, measured
 * in workerd (the worker under wrangler's programmatic API, as `npm start` runs it). For each shape of delivery it
 * posts eight at once to the ingest worker's own socket, reads the isolate's heap through its V8 inspector all along
 * (`Runtime.getHeapUsage` after a forced full collection: JS heap and ArrayBuffers; see sampleHeap) until the writer
 * holds every article they carry (queued ones included: the queue consumer, and locally the Durable Object, run in the
 * same isolate), and reports the peak beside the workerd process's peak resident memory (VmHWM, reset before each
 * shape), which also counts Miniflare's KV, queue and cache simulators.
 * Writes bench-results/bench-hostile.json. `BENCH_SHAPES=padding,texts` runs some shapes only. Needs only the
 * project. Takes a few minutes.
 *
 * Shapes, each a body of (nearly) 32 MiB:
 * - padding: one small article and a 32 MiB unknown field (test/memory.test.ts's delivery): bytes, text, JSON;
 * - texts: a batch of eight articles of 4 Mi characters of prose each, the largest articles allowed (queued: the
 *   consumer normalizes them);
 * - batch: a batch of 5,000 articles of 6.5 KB (the most a batch may hold; queued, normalized in chunks).
 */

import { createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { LIMITS } from '@edgewire/shared/article'
import { BENCH_SECRET, benchVars, writerStats } from './lib/bench-servers'
import { descendantsNamed, fmt, mib, processMemory } from './lib/bench-stats'
import { startDevServers } from './lib/dev-servers'
import { ROOT } from './lib/local-config'
import { findUserWorkerd, type HeapSample, isolateHeap, sampleHeap } from './lib/workerd-probe'

const SHAPES = (process.env.BENCH_SHAPES ?? 'padding,texts,batch').split(',')
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
const DELIVERIES = 8
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

/** Prose of news-like sentences, `chars` long, paragraphs separated by a blank line, its words unique to `seed`. */
function prose(chars: number, seed: string): string {
  const words = ['harbour', 'copper', 'shipment', 'ministry', 'quarterly', 'output', 'tariff', 'reserve', 'index']
  const parts: string[] = []
  let length = 0
  for (let i = 0; length < chars; i++) {
    const sentence =
      i % 6 === 5
        ? `The ${words[i % words.length]} figure ${seed}x${i} was revised.\n\n`
        : `The ${words[i % words.length]} of ${seed}x${i} rose ${i % 97} percent against the ${words[(i * 7) % words.length]} last week. `
    parts.push(sentence)
    length += sentence.length
  }
  return parts.join('').slice(0, chars)
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
    throw new Error(`unknown shape ${shape}`)
  })
}

const dir = await mkdtemp(join(tmpdir(), 'edgewire-hostile-'))
const PORT = 31001 + Math.floor(Math.random() * 500) * 2
log('Starting both workers…')
const servers = await startDevServers({
  ingestPort: PORT,
  searchPort: PORT + 1,
  persistTo: join(dir, 'state'),
  vars: benchVars(),
  output: 'ignore',
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
    const signed = batch.map(({ bytes }, i) => {
      const id = `msg_hostile_${shape}_${Date.now()}_${i}`
      const ts = Math.floor(Date.now() / 1000)
      return { id, ts, bytes, signature: sign(BENCH_SECRET, id, ts, bytes) }
    })
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
    const sampler = await sampleHeap(ingest.inspector, poke)
    const started = performance.now()
    const answers = await Promise.all(
      signed
        .map(async (d) => {
          const res = await fetch(`${ingest.entry}/webhooks/articles`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'webhook-id': d.id,
              'webhook-timestamp': String(d.ts),
              'webhook-signature': d.signature,
            },
            body: d.bytes,
          })
          const text = await res.text()
          const statuses = res.status === 202 ? (JSON.parse(text) as { results: { status: string }[] }).results : []
          return { status: res.status, statuses: statuses.map((r) => r.status), ms: performance.now() - started }
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
    // Until the writer holds them all; a writer that cannot be asked any more means workerd aborted meanwhile.
    let held: number | null = await documents().catch(() => null)
    while (held !== null && held < expected && performance.now() - started < 20 * 60_000) {
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
    const after = await isolateHeap(ingest.inspector, poke)
    const peakOf = (f: (s: HeapSample) => number) => samples.reduce((m, s) => Math.max(m, f(s)), 0)
    const live = (s: HeapSample) => s.afterGc.usedSize + s.afterGc.backingStorageSize
    const peakLive = peakOf(live)
    const peakSample = samples.find((s) => live(s) === peakLive)
    const procAfter = proc ? processMemory(proc.pid) : null
    const counts: Record<string, number> = {}
    for (const a of answers) for (const s of a.statuses) counts[s] = (counts[s] ?? 0) + 1
    const figures = {
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
      afterGc: after.afterGc.usedSize + after.afterGc.backingStorageSize,
      workerdRssBefore: rssBefore,
      workerdPeakRss: procAfter?.peak,
      underLimit: peakLive < ISOLATE_LIMIT,
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
    if (rssBefore !== undefined && procAfter)
      log(`  workerd process: ${mib(rssBefore)} resident before, peak ${mib(procAfter.peak)} (all of Miniflare)`)
  }
} finally {
  await servers.stop()
  await rm(dir, { recursive: true, force: true })
}
await mkdir(join(ROOT, 'bench-results'), { recursive: true })
writeFileSync(join(ROOT, 'bench-results', 'bench-hostile.json'), `${JSON.stringify(results, null, 2)}\n`)
log('Wrote bench-results/bench-hostile.json')
