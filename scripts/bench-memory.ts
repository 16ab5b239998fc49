/**
 * `npm run bench:memory`: the peak memory of a search isolate while it loads and swaps segments, and of the index
 * writer's isolate while it builds them at their ceilings (issue 13: 64 MB for a reader, 96 MB for a writer), in the
 * real workers under workerd (wrangler's `startWorker`, as `npm start` runs them).
 *
 * Peaks come from V8's own report of every collection (gc-trace.ts: `--trace-gc --trace-gc-verbose`), which sees
 * inside synchronous steps where the inspector cannot: per window of the run, the JS heap when a collection began
 * (its true peak, garbage included) and JS heap + ArrayBuffers at the end of a collection (segment bytes included).
 * Locally nothing limits an isolate's heap, so V8 lets garbage pile up for hundreds of MB before it collects in full;
 * throughout each window both isolates are therefore also collected in full between their tasks, as fast as they
 * answer (workerd-probe.ts: sampleHeap, as bench:hostile does): garbage never piles up, the collections' figures come
 * near what the isolate needs, and the samples give the live heap between tasks. The writers and their relays share
 * the writer worker's isolate (locally every Durable Object of a worker is in one), so the writer's figures are that
 * isolate's; its idle figure is given beside them.
 *
 * Two parts (`-- --part reuters` or `-- --part large` runs one):
 * - reuters: Reuters-21578 (../shared/corpus) through the signed batch webhook, a search every 100 ms at the search
 *   worker throughout: ingest and merges (the reader swaps as it follows), then `POST /admin/reindex` (every segment
 *   rebuilt one per round, the reader swapping to each: a warm isolate swapping to rebuilt segments), then the
 *   search worker restarted and searched once (a cold load of every segment).
 * - large: long articles (lib/prose.ts, a word of its own in every sentence), all in one writer: one flush at
 *   FLUSH_MAX_CHARS (five articles of about 1.6 Mi characters), four flushes sized so that their four segments sum
 *   just below MAX_BUILD_BYTES, and the merge of those four; then a reindex that rebuilds both segments with no
 *   webhook beside.
 *
 * `WRITER_SHARDS=4 npm run bench:memory` runs four writers, as deployed (one by default, as every local run). Writes
 * bench-results/bench-memory.json; the last line printed is one JSON object of the headline figures. A few minutes
 * per part.
 */

import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { FLUSH_MAX_CHARS, MAX_BUILD_BYTES } from '@edgewire/shared/lifecycle'
import { shardOf } from '@edgewire/shared/shards'
import { BENCH_SECRET, benchVars, reindex, settledWriterStats, writerStats } from './lib/bench-servers'
import { fmt, mib, titleQueries } from './lib/bench-stats'
import { readReuters, reutersInput } from './lib/corpus'
import { type DevServers, startDevServers, stopWorkersOnSignal, type WorkerName } from './lib/dev-servers'
import { type GcPeaks, GcTrace, traceGarbageCollections } from './lib/gc-trace'
import { ROOT } from './lib/local-config'
import { prose } from './lib/prose'
import { WebhookClient } from './lib/webhook-client'
import { findUserWorkerd, type HeapSample, isolateHeap, sampleHeap } from './lib/workerd-probe'

stopWorkersOnSignal()

const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'reuters21578.jsonl')
const args = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const PARTS = (arg('part') ?? 'reuters,large').split(',')
/** `WRITER_SHARDS=N npm run bench:memory`: the writers the index is split over (1 locally unless set: dev-servers). */
const SHARDS = Number(process.env.WRITER_SHARDS || '1')
/** How often the search worker is searched during a window (each search may start a sync, and so a swap). */
const SEARCH_EVERY_MS = 100
/** Characters of one long article, so that its JSON stays below what the ingest worker stores (1.8 MB). */
const ARTICLE_CHARS = 1_600_000
/** The longest a window may wait for what it waits for. */
const WAIT_MS = 10 * 60_000

const log = (line: string) => process.stderr.write(`${line}\n`)

// Before any workerd starts: V8 reports every collection of every isolate.
traceGarbageCollections()
const gc = { writer: new GcTrace(), ingest: new GcTrace(), search: new GcTrace() }
/** The writers' maintenance rounds as they log them, and the reader's swaps (see onOutput). */
const events = { flushes: 0, merges: 0, swaps: 0, lastSwapAt: 0 }
function onOutput(worker: WorkerName, line: string): void {
  if (gc[worker].read(line)) return
  if (worker === 'writer' && line.includes('"index maintenance"')) {
    const round = parseLogLine(line)
    if (round?.flushed) events.flushes++
    if (round?.merged) events.merges++
  }
  if (worker === 'search' && line.includes('"index snapshot loaded"')) {
    events.swaps++
    events.lastSwapAt = Date.now()
  }
}
function parseLogLine(line: string): Record<string, unknown> | null {
  try {
    return JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>
  } catch {
    return null
  }
}

/** What one window of the run saw: each isolate's peaks (V8's collections) and the work done meanwhile. */
interface WindowFigures {
  label: string
  seconds: number
  writer: GcPeaks | null
  reader: GcPeaks | null
  /** JS heap + ArrayBuffers after a full collection forced between tasks, at most (sampleHeap) */
  writerSampledLive: number
  readerSampledLive: number
  flushes: number
  merges: number
  swaps: number
}

async function window(label: string, run: () => Promise<void>): Promise<WindowFigures> {
  log(`${label}…`)
  gc.writer.reset()
  gc.search.reset()
  const before = { ...events }
  const sample = async (worker: WorkerName) => {
    const w = findUserWorkerd(currentServers(), worker)
    return sampleHeap(w.inspector, () => fetch(`${w.entry}/healthz`).then((r) => r.arrayBuffer()))
  }
  const samplers = [await sample('writer'), await sample('search')]
  const started = performance.now()
  await run()
  const seconds = (performance.now() - started) / 1000
  const [writerSamples = [], searchSamples = []] = await Promise.all(samplers.map((s) => s.stop()))
  const live = (samples: HeapSample[]) =>
    samples.reduce((m, s) => Math.max(m, s.afterGc.usedSize + s.afterGc.backingStorageSize), 0)
  const figures: WindowFigures = {
    label,
    seconds,
    writer: gc.writer.top(),
    reader: gc.search.top(),
    writerSampledLive: live(writerSamples),
    readerSampledLive: live(searchSamples),
    flushes: events.flushes - before.flushes,
    merges: events.merges - before.merges,
    swaps: events.swaps - before.swaps,
  }
  const peaks = (who: string, p: GcPeaks | null, sampled: number) =>
    p
      ? `${who}: JS heap up to ${mib(p.beforeCollection)} when a collection began; JS heap + ArrayBuffers up to ${mib(p.heapAndBuffers)} at the end of one (ArrayBuffers up to ${mib(p.backingStores)}), ${mib(p.liveAfterFull)} at the end of a full one; ${p.collections} collections (${p.fullCollections} full); between tasks, after a full collection, up to ${mib(sampled)}`
      : `${who}: no collection`
  log(
    `  ${fmt(figures.seconds)} s, ${figures.flushes} flushes, ${figures.merges} merges or rebuilds, ${figures.swaps} reader swaps`,
  )
  log(`  ${peaks('writer isolate', figures.writer, figures.writerSampledLive)}`)
  log(`  ${peaks('search isolate', figures.reader, figures.readerSampledLive)}`)
  return figures
}

/** The rebuilds and merges are counted from the writers' log lines: a run that sees none cannot wait for them. */
function expectWriterLogs(): void {
  if (events.flushes === 0) throw new Error("no 'index maintenance' line of the writers reached this process")
}

async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(250)
  }
}

interface WriterNow {
  documents: number
  headSeq: number
  manifestSeq: number
  kvPending: number
  segments: number
  segmentBytes: number
}
const writerNow = async (servers: DevServers) => (await writerStats(servers)) as unknown as WriterNow

/** Searches the search worker's own socket every SEARCH_EVERY_MS until stopped: a busy isolate syncs and swaps. */
function keepSearching(servers: DevServers, queries: string[]): { stop(): Promise<void> } {
  let running = true
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const entry = findUserWorkerd(servers, 'search').entry
      const q = queries[i % queries.length] ?? 'oil'
      await fetch(`${entry}/search?q=${encodeURIComponent(q)}`)
        .then((r) => r.arrayBuffer())
        .catch(() => undefined)
      await sleep(SEARCH_EVERY_MS)
    }
  })()
  return {
    async stop() {
      running = false
      await loop
    },
  }
}

/** One isolate after a full collection, through its inspector: what it holds. */
async function held(servers: DevServers, worker: WorkerName): Promise<{ jsHeap: number; buffers: number }> {
  const w = findUserWorkerd(servers, worker)
  const heap = await isolateHeap(w.inspector, () => fetch(`${w.entry}/healthz`).then((r) => r.arrayBuffer()))
  return { jsHeap: heap.afterGc.usedSize, buffers: heap.afterGc.backingStorageSize }
}

const PORT = 33001 + Math.floor(Math.random() * 500) * 2
const dir = await mkdtemp(join(tmpdir(), 'edgewire-memory-'))
/** The servers of the part running now (a window samples their isolates). */
let running: DevServers | null = null
const currentServers = (): DevServers => {
  if (!running) throw new Error('no servers running')
  return running
}
async function withServers<T>(name: string, run: (servers: DevServers) => Promise<T>): Promise<T> {
  const servers = await startDevServers({
    ingestPort: PORT,
    searchPort: PORT + 1,
    persistTo: join(dir, name),
    vars: benchVars(),
    onOutput,
  })
  running = servers
  try {
    return await run(servers)
  } finally {
    running = null
    await servers.stop()
  }
}

const results: Record<string, unknown> = {
  shards: SHARDS,
  flushMaxChars: FLUSH_MAX_CHARS,
  maxBuildBytes: MAX_BUILD_BYTES,
}

async function reutersPart(): Promise<Record<string, unknown>> {
  if (!existsSync(CORPUS)) throw new Error(`--part reuters needs ${CORPUS}`)
  const docs = await readReuters(CORPUS)
  const queries = titleQueries(docs, 200)
  return withServers('reuters', async (servers) => {
    const idle = { writer: await held(servers, 'writer'), reader: await held(servers, 'search') }
    const client = new WebhookClient(`${servers.ingest}/webhooks/articles`, BENCH_SECRET)
    const inputs = docs.map(reutersInput)
    const searchStats = async () =>
      (await (await fetch(`${servers.search}/stats`)).json()) as {
        documents: number
        snapshot: { segments: number; pending: number }
      }
    const searching = keepSearching(servers, queries)
    let segments = 0
    const ingest = await window(`Reuters: ${inputs.length} articles ingested, flushed and merged`, async () => {
      let next = 0
      await Promise.all(
        Array.from({ length: 2 }, async () => {
          while (next < inputs.length) {
            const from = next
            next += 1000
            const res = await client.send('article.batch', { articles: inputs.slice(from, from + 1000) })
            if (res.status !== 202) throw new Error(`batch at ${from} answered ${res.status}`)
          }
        }),
      )
      await until('every article searchable', async () => (await searchStats()).documents >= inputs.length)
      await settledWriterStats(servers)
      // The reader swaps to the writers' last manifests once that pays (SWAP_AFTER_MS): until it holds them all (a
      // merge that waited for the burst to pause may still change them meanwhile).
      await until('the reader on the last manifests', async () => {
        const s = await searchStats()
        segments = (await writerNow(servers)).segments
        return s.snapshot.segments === segments && s.snapshot.pending === 0
      })
    })
    expectWriterLogs()
    const afterIngest = { reader: await held(servers, 'search'), writer: await held(servers, 'writer') }
    const rebuild = await window(`Reuters: reindex, ${segments} segments rebuilt one per round`, async () => {
      const merges = events.merges
      await reindex(servers)
      await until('every segment rebuilt', async () => events.merges - merges >= segments)
      const rebuilt = Date.now()
      await until('the reader on the rebuilt segments', async () => events.lastSwapAt > rebuilt)
      // A swap may leave shards for the next syncs (SWAP_OPEN_BYTES), which follow within a few searches.
      await sleep(3000)
    })
    await searching.stop()
    let firstSearchMs = 0
    // Restarted before the window opens: the old process's last lines do not count as the new isolate's.
    await servers.restartSearch()
    const cold = await window('Reuters: the search worker restarted, its first search (a cold load)', async () => {
      const t = performance.now()
      const res = await fetch(`${findUserWorkerd(servers, 'search').entry}/search?q=oil`)
      await res.arrayBuffer()
      firstSearchMs = performance.now() - t
      if (res.status !== 200) throw new Error(`the first search answered ${res.status}`)
    })
    const afterCold = await held(servers, 'search')
    log(
      `  the reader after the cold load, after a full collection: ${mib(afterCold.jsHeap + afterCold.buffers)} (JS heap ${mib(afterCold.jsHeap)}, ArrayBuffers ${mib(afterCold.buffers)}); first search ${fmt(firstSearchMs)} ms`,
    )
    return { articles: inputs.length, segments, idle, ingest, afterIngest, rebuild, cold, afterCold, firstSearchMs }
  })
}

/** External ids whose articles all go to shard 0 (the id is as the ingest worker makes it: normalize/id.ts). */
function* shardZeroIds(prefix: string): Generator<string> {
  for (let n = 0; ; n++) {
    const externalId = `${prefix}-${n}`
    const id = createHash('sha256').update(`ext:${externalId}`).digest('hex').slice(0, 32)
    if (shardOf(id, SHARDS) === 0) yield externalId
  }
}

async function largePart(): Promise<Record<string, unknown>> {
  return withServers('large', async (servers) => {
    const idle = await held(servers, 'writer')
    const client = new WebhookClient(`${servers.ingest}/webhooks/articles`, BENCH_SECRET)
    const ids = shardZeroIds(`long-${Date.now().toString(36)}`)
    const article = (chars: number) => {
      const externalId = ids.next().value ?? ''
      return {
        externalId,
        title: `Report ${externalId}`,
        text: prose(chars, externalId.replace(/\W/g, '')),
        lang: 'en',
      }
    }
    const send = async (articles: ReturnType<typeof article>[]) => {
      const res = await client.send('article.batch', { articles })
      if (res.status !== 202) throw new Error(`a delivery answered ${res.status}: ${JSON.stringify(res.problem)}`)
    }
    /** Until every article sent is in a segment (and the merge that follows, if one is due, is done). */
    const flushed = async (documents: number) =>
      until('the flush', async () => {
        const w = await writerNow(servers)
        return w.documents >= documents && w.manifestSeq === w.headSeq
      })
    // Articles whose JSON comes to just under FLUSH_MAX_CHARS: one flush takes them all. Each stays below what the
    // ingest worker stores of one article (MAX_STORED_ARTICLE_BYTES, 1.8 MB of JSON; it cuts a longer body).
    const perFlush = Math.ceil(FLUSH_MAX_CHARS / ARTICLE_CHARS)
    const flushChars = Math.floor(FLUSH_MAX_CHARS / perFlush) - 16 * 1024
    const flush = await window(
      `a flush at FLUSH_MAX_CHARS: ${perFlush} articles of ${fmt(flushChars / 2 ** 20, 2)} Mi characters`,
      async () => {
        await send(Array.from({ length: perFlush }, () => article(flushChars)))
        await flushed(perFlush)
      },
    )
    expectWriterLogs()
    const afterFlush = await writerNow(servers)
    const bytesPerChar = afterFlush.segmentBytes / (perFlush * flushChars)
    log(
      `  ${afterFlush.segments} segment of ${mib(afterFlush.segmentBytes)} (${fmt(bytesPerChar, 2)} bytes per character)`,
    )
    // Four segments summing to just below MAX_BUILD_BYTES: the merge policy joins them.
    const segmentChars = Math.floor((MAX_BUILD_BYTES * 0.97) / 4 / bytesPerChar)
    const perSegment = Math.ceil(segmentChars / ARTICLE_CHARS)
    const mergeChars = Math.floor(segmentChars / perSegment)
    const merge = await window(
      `a merge at MAX_BUILD_BYTES: 4 flushes of ${perSegment} articles of ${fmt(mergeChars / 2 ** 20, 2)} Mi characters, then their merge`,
      async () => {
        const merges = events.merges
        for (let i = 1; i <= 4; i++) {
          await send(Array.from({ length: perSegment }, () => article(mergeChars)))
          await flushed(perFlush + i * perSegment)
        }
        await until('the merge', async () => events.merges > merges)
      },
    )
    const afterMerge = await writerNow(servers)
    log(`  ${afterMerge.segments} segments of ${mib(afterMerge.segmentBytes)} in all`)
    // What the isolate holds before the rebuilds (its code, the language data the webhook loaded, the writer's
    // state): the rebuilds' peaks above it are theirs.
    const beforeRebuild = await held(servers, 'writer')
    log(
      `  the writer's isolate before the rebuilds, after a full collection: ${mib(beforeRebuild.jsHeap + beforeRebuild.buffers)}`,
    )
    const rebuild = await window(`reindex: both segments rebuilt, one per round, no webhook beside`, async () => {
      const merges = events.merges
      await reindex(servers)
      await until('every segment rebuilt', async () => events.merges - merges >= afterMerge.segments)
      await until('the KV outbox', async () => (await writerNow(servers)).kvPending === 0)
    })
    return {
      idle,
      perFlush,
      flushChars,
      flush,
      afterFlush,
      perSegment,
      mergeChars,
      merge,
      afterMerge,
      beforeRebuild,
      rebuild,
    }
  })
}

try {
  if (PARTS.includes('reuters')) results.reuters = await reutersPart()
  if (PARTS.includes('large')) results.large = await largePart()
} finally {
  await rm(dir, { recursive: true, force: true })
}
await mkdir(join(ROOT, 'bench-results'), { recursive: true })
await writeFile(join(ROOT, 'bench-results', 'bench-memory.json'), `${JSON.stringify(results, null, 2)}\n`)

const MB = (bytes: number | undefined) => (bytes === undefined ? null : Math.round((bytes / 1e6) * 10) / 10)
const r = results as {
  reuters?: {
    ingest: WindowFigures
    rebuild: WindowFigures
    cold: WindowFigures
    afterCold: { jsHeap: number; buffers: number }
  }
  large?: { flush: WindowFigures; merge: WindowFigures; rebuild: WindowFigures }
}
const headline = {
  shards: SHARDS,
  readerPeakIngestMB: MB(r.reuters?.ingest.reader?.heapAndBuffers),
  readerPeakSwapMB: MB(r.reuters?.rebuild.reader?.heapAndBuffers),
  readerPeakColdLoadMB: MB(r.reuters?.cold.reader?.heapAndBuffers),
  readerHeldMB: r.reuters ? MB(r.reuters.afterCold.jsHeap + r.reuters.afterCold.buffers) : null,
  writerPeakReutersMB: MB(r.reuters?.ingest.writer?.heapAndBuffers),
  writerPeakReutersRebuildMB: MB(r.reuters?.rebuild.writer?.heapAndBuffers),
  writerPeakFlushMB: MB(r.large?.flush.writer?.heapAndBuffers),
  writerPeakMergeMB: MB(r.large?.merge.writer?.heapAndBuffers),
  writerPeakRebuildMB: MB(r.large?.rebuild.writer?.heapAndBuffers),
}
log('Wrote bench-results/bench-memory.json')
console.log(JSON.stringify(headline))
