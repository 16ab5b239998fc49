/**
 * `npm run bench:archive [-- --articles N]`: a publisher's archive (1,000,000 articles by default) through the real
 * workers under wrangler's `startWorker` (workerd), the instrument of issue 13. Needs ../shared/corpus.
 *
 * 1. The corpus: N synthetic articles made deterministically from Reuters-21578 and Wikinews sentences, with sources,
 *    authors, tags, languages (mostly en) and dates over ten years (scripts/lib/archive-corpus.ts), generated one
 *    batch at a time: never all in memory.
 * 2. Ingest: signed `article.batch` webhooks of 1,000 (two in flight) until `/stats` counts every accepted article;
 *    meanwhile a freshness probe a second (an upsert with a unique word, then searches at the worker's socket until
 *    it is found, timed from its 202), and both isolates' heaps sampled through their inspectors every 250 ms.
 * 3. Settle: KV's outbox drained, merges done (KV bytes are only all there then).
 * 4. Warm search at the search worker's own socket, each search paired with an empty `/healthz` on the same
 *    connection (worker time = search − `/healthz`, as scripts/lib/live-phases.ts): plain, with the four facets, and
 *    with a one-year date filter, each on queries of its own after a warm-up set; then 30 new plain queries twice,
 *    first reading their hits' body blocks, then with the blocks held (what a page's snippets cost).
 * 5. The search worker restarted alone (a new isolate, the state kept): the first search, and the heap it then holds.
 * 6. KV: puts, removals and bytes written, counted from Miniflare's persistence directory (scripts/lib/kv-counter.ts),
 *    and the keys and bytes KV holds at the end, per article.
 * 7. SQLite FTS5 (node:sqlite, bm25, porter) in this process on the same articles (generated again) and queries:
 *    build in transactions of 1,000, freshness (insert + commit + query), the three kinds of query, first query
 *    from a closed file, bytes; Edgewire's figures as ratios of FTS5's.
 *
 * Prints a table and, last, one line of JSON with every figure; writes bench-results/bench-archive.json. Stops its
 * workers on every exit (Ctrl-C included) and reports any process of theirs still alive (`orphanProcesses`).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { setTimeout as sleep } from 'node:timers/promises'
import { type ArchiveArticle, ArchiveCorpus, EPOCH_MS, REUTERS, SPAN_MS } from './lib/archive-corpus'
import { BENCH_SECRET, benchVars, settledWriterStats, writerStats } from './lib/bench-servers'
import { fmt, quantile, rng, titleQuerySets } from './lib/bench-stats'
import { type DevServers, startDevServers, stopWorkersOnSignal, type WorkerName } from './lib/dev-servers'
import { HeapSampler } from './lib/heap-sampler'
import { PairedTimer } from './lib/http-timer'
import { KvCounter } from './lib/kv-counter'
import { ROOT } from './lib/local-config'
import { Progress } from './lib/progress'
import { WebhookClient } from './lib/webhook-client'
import { type CpuSummary, cpuProfile, heapComposition, isolateHeap } from './lib/workerd-probe'

function arg(name: string, fallback: number, min = 1): number {
  const i = process.argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i < 0) return fallback
  const raw = process.argv[i]?.includes('=') ? process.argv[i]?.split('=')[1] : process.argv[i + 1]
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} needs a whole number of at least ${min}, got ${raw}`)
    process.exit(2)
  }
  return value
}

const ARTICLES = arg('articles', 1_000_000)
const QUERIES = arg('queries', 300)
const BATCH = 1000
const CONCURRENCY = 2
const PROBE_GAP_MS = 1000
const PROBE_GIVE_UP_MS = 60_000
/** The wait for every article to be searchable gives up when the reader's count has not grown for this long. */
const STALL_MS = arg('stall-minutes', 10) * 60_000
const FTS5_FRESHNESS_SAMPLES = 100
/** `--heap-snapshot`: after the first search of the restarted reader, what its heap is made of (stops it for seconds). */
const HEAP_SNAPSHOT = process.argv.includes('--heap-snapshot')
/** `--keep-state`: the workers' local state (KV, the writers' SQLite) is left where it was made, and its path printed. */
const KEEP_STATE = process.argv.includes('--keep-state')
/**
 * `--cpu-profile[=writer|ingest|search]` (all three when not said): CPU profiles, summed by function, of the writer
 * isolate (the writers and their relays), the ingest isolate (the webhook) and the search isolate from the first
 * batch until all are searchable (what bounds the ingest rate), of the search isolate during a second pass of the
 * timed warm searches, after them (what a query's time goes to; the timed warm figures are not profiled), and of the
 * restarted search isolate through its first search. Sampling slows an isolate a little, so a profiled load or first search is not the bench's figure; and
 * workerd answers one inspector session at a time, so an isolate's heap is not sampled while it is profiled (its
 * peak then leaves out the load, or the cold load).
 */
const CPU_PROFILE = (() => {
  const flag = process.argv.find((a) => a === '--cpu-profile' || a.startsWith('--cpu-profile='))
  const which = flag?.split('=')[1]
  if (which !== undefined && which !== 'writer' && which !== 'ingest' && which !== 'search') {
    console.error(`--cpu-profile takes writer, ingest or search, got ${which}`)
    process.exit(2)
  }
  const profiled = (worker: WorkerName) => flag !== undefined && (which === undefined || which === worker)
  return { writer: profiled('writer'), ingest: profiled('ingest'), search: profiled('search') }
})()
/**
 * `--writer-heap-cap=N` (64 unless said; 0: none): the writer worker's workerd runs with V8's JS heap capped at N MiB
 * (`--max-heap-size`), as a deployed isolate's memory is capped (at 128 MB, ArrayBuffers included). Locally nothing
 * limits it, so V8 lets garbage pile up long before it collects, and an uncapped writer's sampled peak (134 MB at
 * 1,000,000, session 16) says more about V8's laziness than about what the writer needs. Under the cap V8 collects
 * as a capped isolate's must, and a writer that needed more would abort the run (workerd stops on a heap out of
 * memory). 64 MiB is half the platform's limit: the writer's ArrayBuffers (segments being built and read) come on top.
 */
const WRITER_HEAP_CAP_MIB = arg('writer-heap-cap', 64, 0)
const FACETS = 'source,author,lang,tags'
const OUT = join(ROOT, 'bench-results', 'bench-archive.json')

if (!existsSync(REUTERS)) {
  console.error(`npm run bench:archive needs ${REUTERS} (the shared corpus beside the project); it is not there.`)
  process.exit(2)
}

const log = (line: string) => process.stderr.write(`${line}\n`)
const started = performance.now()
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`
const MB = (bytes: number) => bytes / 1024 / 1024
const int = (n: number) => Math.round(n).toLocaleString('en-US')
const loads: number[] = []
const loadTimer = setInterval(() => loads.push(loadavg()[0] ?? 0), 10_000).unref()

const corpus = new ArchiveCorpus(ARTICLES)
/** Queries asked twice after the warm ones: their hits' body blocks read, then held (what a page's snippets cost). */
const HELD_QUERIES = 30
// Disjoint query sets (no timed query seen before it is timed): warm-up, plain, facets, date filter, blocks.
const [warmup = [], plain = [], faceted = [], dated = [], fifth = []] = titleQuerySets(corpus.reutersTitles, QUERIES, 5)
const blockQueries = fifth.slice(0, HELD_QUERIES)
/** A one-year window inside the ten years for each date-filtered query, the same for every engine. */
const windows = (() => {
  const random = rng(20261130)
  const year = 365 * 86_400_000
  return dated.map(() => {
    const from = EPOCH_MS + Math.floor(random() * (SPAN_MS - year))
    return { from: new Date(from).toISOString().slice(0, 10), to: new Date(from + year).toISOString().slice(0, 10) }
  })
})()
const searchPath = (q: string, extra = '') => `/search?q=${encodeURIComponent(q)}${extra}`
const datePart = (i: number) => `&from=${windows[i]?.from}&to=${windows[i]?.to}`

const dir = mkdtempSync(join(tmpdir(), 'edgewire-archive-'))
const persistTo = join(dir, 'state')
const PORT = 31001 + Math.floor(Math.random() * 1000) * 2
let servers: DevServers | null = null
stopWorkersOnSignal(() => {
  if (!KEEP_STATE) rmSync(dir, { recursive: true, force: true })
})

interface ReaderStats {
  documents: number
  indexVersion: number
  syncedAt: string | null
  snapshot?: { version: number; segments: number; pending: number }
}

interface Latency {
  queries: number
  searchP50Ms: number
  searchP99Ms: number
  healthzP50Ms: number
  workerP50Ms: number
  workerP99Ms: number
  non200: number
}
/** Prints where a profiled isolate's CPU went: its busiest functions by own time and by time on the stack. */
function logCpu(what: string, cpu: CpuSummary): void {
  log(`  CPU of ${what}: busy ${fmt(cpu.busyMs / 1000, 1)} of ${fmt(cpu.profiledMs / 1000, 1)} s`)
  log('    self ms · function')
  for (const f of cpu.self) log(`    ${int(f.ms).padStart(8)} · ${f.fn}`)
  log('    total ms · function (on the stack)')
  for (const f of cpu.total) log(`    ${int(f.ms).padStart(8)} · ${f.fn}`)
}

const q50 = (xs: number[]) => quantile(xs, 0.5)
const q99 = (xs: number[]) => quantile(xs, 0.99)

/** Searches at the worker's socket, each followed by an empty /healthz on the same connection. */
async function timeSearches(entry: string, paths: string[]): Promise<Latency> {
  const timer = new PairedTimer(entry)
  try {
    for (const path of paths) await timer.time(path)
  } finally {
    timer.close()
  }
  const { search, floor, worker, non200 } = timer
  return {
    queries: search.length,
    searchP50Ms: q50(search),
    searchP99Ms: q99(search),
    healthzP50Ms: q50(floor),
    workerP50Ms: q50(worker),
    workerP99Ms: q99(worker),
    non200,
  }
}

const results: Record<string, unknown> = {}
const edgewire: Record<string, number> = {}
let kv: KvCounter | null = null
let samplers: HeapSampler[] = []
try {
  log(
    `bench:archive: ${int(ARTICLES)} articles on ${cpus().length} cores (load average ${loadavg()
      .map((l) => fmt(l, 2))
      .join(' ')})`,
  )
  servers = await startDevServers({
    ingestPort: PORT,
    searchPort: PORT + 1,
    persistTo,
    vars: benchVars(0),
    output: 'ignore',
    v8Flags: WRITER_HEAP_CAP_MIB > 0 ? { writer: `--max-heap-size=${WRITER_HEAP_CAP_MIB}` } : {},
  })
  if (WRITER_HEAP_CAP_MIB > 0) log(`The writer's JS heap capped at ${WRITER_HEAP_CAP_MIB} MiB (--max-heap-size)`)
  const up = servers
  const sockets = up.sockets
  if (sockets === null) throw new Error('startWorker reports the sockets; none came')
  kv = new KvCounter(persistTo)
  kv.start()
  const poke = (entry: string) => () => fetch(`${entry}/healthz`).then((r) => r.arrayBuffer())
  const writerHeap = new HeapSampler(sockets.writer.inspector, poke(sockets.writer.entry), 250)
  const ingestHeap = new HeapSampler(sockets.ingest.inspector, poke(sockets.ingest.entry), 250)
  const readerHeap = new HeapSampler(sockets.search.inspector, poke(sockets.search.entry), 250)
  samplers = [writerHeap, ingestHeap, readerHeap]
  await Promise.all(samplers.map((s) => s.start()))
  const client = new WebhookClient(`${up.ingest}/webhooks/articles`, BENCH_SECRET)
  /** The search isolate's own figures (GET /stats at its socket). */
  const readerStats = async () => {
    for (;;) {
      const res = await fetch(`${sockets.search.entry}/stats`)
      if (res.status === 200) return (await res.json()) as ReaderStats
      await res.arrayBuffer()
      await sleep(250)
    }
  }

  // 2. Ingest, with freshness probes beside.
  log(`Ingesting in signed batches of ${BATCH} (${CONCURRENCY} in flight), a freshness probe a second…`)
  const progress = new Progress('ingest', ARTICLES)
  // A profiled isolate's heap is not sampled meanwhile: workerd answers one inspector session at a time.
  const loadProfiles: {
    worker: WorkerName
    heap: HeapSampler
    key: string
    profile: Awaited<ReturnType<typeof cpuProfile>>
  }[] = []
  for (const [worker, heap, key] of [
    ['writer', writerHeap, 'writerCpu'],
    ['ingest', ingestHeap, 'ingestCpu'],
    ['search', readerHeap, 'loadSearchCpu'],
  ] as const) {
    if (!CPU_PROFILE[worker]) continue
    await heap.stop()
    loadProfiles.push({
      worker,
      heap,
      key,
      profile: await cpuProfile(sockets[worker].inspector, poke(sockets[worker].entry)),
    })
  }
  const t0 = performance.now()
  let accepted = 0
  let rejected = 0
  let next = 0
  let ingesting = true
  const probes: number[] = []
  /** batches answered 202 with fewer results than articles, and the articles without a result */
  const short: { from: number; results: number }[] = []
  let unanswered = 0
  /** how long each batch webhook took to answer (a writer busy with a merge holds them) */
  const batchMs: number[] = []
  let probesLost = 0
  let probesAccepted = 0
  let probeNon200 = 0
  const probeLoop = async () => {
    for (let i = 0; ingesting; i++) {
      const began = performance.now()
      const marker = `archiveprobe${i}x${Date.now().toString(36)}`
      const sent = await client.send('article.upsert', {
        externalId: `archive-probe-${marker}`,
        title: `Freshness probe ${marker}`,
        text: `This probe carries the marker ${marker} and nothing else of note.`,
        lang: 'en',
      })
      if (sent.status !== 202) {
        probeNon200++
        continue
      }
      probesAccepted++
      const acceptedAt = performance.now()
      for (;;) {
        // A connection reset counts as an answer other than 200: unhandled, it ended one run at 28,000 articles
        // (session 13, not seen again in the next two) and left both workers running.
        const res = await fetch(`${sockets.search.entry}/search?q=${marker}&fuzzy=false&prefix=false`).catch(() => null)
        const found = res?.status === 200 && ((await res.json()) as { total: number }).total > 0
        if (res?.status !== 200) {
          probeNon200++
          await res?.arrayBuffer()
        }
        if (found) {
          probes.push(performance.now() - acceptedAt)
          break
        }
        if (performance.now() - acceptedAt > PROBE_GIVE_UP_MS) {
          probesLost++
          break
        }
        await sleep(20)
      }
      const wait = began + PROBE_GAP_MS - performance.now()
      if (wait > 0 && ingesting) await sleep(wait)
    }
  }
  const probing = probeLoop()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ARTICLES) {
        const from = next
        next = Math.min(ARTICLES, next + BATCH)
        const articles: ArchiveArticle[] = []
        for (const a of corpus.articles(from, next)) articles.push(a)
        const sentAt = performance.now()
        const res = await client.send('article.batch', { articles })
        batchMs.push(performance.now() - sentAt)
        if (res.status !== 202)
          throw new Error(`batch at ${from} answered ${res.status}: ${JSON.stringify(res.problem)}`)
        for (const r of res.results) r.status === 'rejected' ? rejected++ : accepted++
        // The contract answers one result per article; a 202 without them is counted (its articles were accepted).
        if (res.results.length !== articles.length) {
          short.push({ from, results: res.results.length })
          unanswered += articles.length - res.results.length
        }
        progress.tick(articles.length, `writer heap peak ${fmt(MB(writerHeap.peak), 0)} MB`)
      }
    }),
  )
  const acceptedMs = performance.now() - t0
  log(
    `  all ${int(accepted)} accepted after ${fmt(acceptedMs / 1000, 1)} s (${rejected} rejected, ${unanswered} in batches answered without results; a batch answered in ${fmt(q50(batchMs) / 1000, 1)} s p50, ${fmt(Math.max(...batchMs) / 1000, 1)} s at most); waiting until searchable…`,
  )
  const expected = accepted + unanswered
  const searchable = new Progress('searchable', expected)
  let reader = await readerStats()
  let stalled = false
  for (let last = 0, grewAt = performance.now(); ; ) {
    reader = await readerStats()
    const counted = Math.min(reader.documents, expected)
    const syncedAgo = reader.syncedAt === null ? Number.NaN : (Date.now() - Date.parse(reader.syncedAt)) / 1000
    searchable.tick(
      Math.max(0, counted - last),
      `reader synced ${fmt(syncedAgo, 0)} s ago, snapshot v${reader.snapshot?.version ?? '?'} · writer heap peak ${fmt(MB(writerHeap.peak), 0)} MB`,
    )
    if (counted > last) grewAt = performance.now()
    last = Math.max(last, counted)
    // Probes go on meanwhile, one at a time: every probe found is counted, and at most one more may be.
    if (reader.documents >= expected + probes.length + (probesAccepted > probes.length + probesLost ? 1 : 0)) break
    if (performance.now() - grewAt > STALL_MS) {
      stalled = true
      log(
        `\n  the reader's count has not grown for ${STALL_MS / 60_000} min: giving up the wait (${JSON.stringify(reader)})`,
      )
      break
    }
    await sleep(250)
  }
  const searchableMs = performance.now() - t0
  ingesting = false
  await probing
  for (const { worker, heap, key, profile } of loadProfiles) {
    const cpu = await profile.stop(30)
    results[key] = cpu
    logCpu(`the ${worker} isolate, from the first batch until all were searchable`, cpu)
    await heap.start()
  }
  edgewire.ingestPerSec = stalled ? Number.NaN : expected / (searchableMs / 1000)
  edgewire.freshnessP50Ms = q50(probes)
  edgewire.freshnessP99Ms = q99(probes)
  results.ingest = {
    articles: ARTICLES,
    accepted,
    rejected,
    acceptedSeconds: acceptedMs / 1000,
    searchableSeconds: stalled ? null : searchableMs / 1000,
    stalled: stalled ? { afterSeconds: searchableMs / 1000, reader } : null,
    batchesAnsweredShort: short,
    articlesPerSecond: edgewire.ingestPerSec,
    batchAnswer: { p50Ms: q50(batchMs), p99Ms: q99(batchMs), maxMs: Math.max(...batchMs) },
    freshness: {
      probes: probes.length,
      lost: probesLost,
      non200: probeNon200,
      p50Ms: edgewire.freshnessP50Ms,
      p99Ms: edgewire.freshnessP99Ms,
    },
  }
  log(
    `  all searchable after ${fmt(searchableMs / 1000, 1)} s: ${int(edgewire.ingestPerSec)} articles/s; freshness p50 ${fmt(q50(probes), 0)} / p99 ${fmt(q99(probes), 0)} ms (${probes.length} probes, ${probesLost} not found within ${PROBE_GIVE_UP_MS / 1000} s) · ${elapsed()}`,
  )

  // 3. Settle: KV's outbox drained, then no merge for two seconds.
  let writer = await writerStats(up)
  const drain = new Progress('KV outbox', writer.kvPending)
  for (let pending = writer.kvPending; writer.kvPending > 0; pending = writer.kvPending) {
    await sleep(1000)
    writer = await writerStats(up)
    drain.tick(Math.max(0, pending - writer.kvPending))
  }
  const inKvMs = performance.now() - t0
  writer = await settledWriterStats(up)
  const settledMs = performance.now() - t0
  Object.assign(results.ingest as object, {
    allInKvSeconds: inKvMs / 1000,
    settledSeconds: settledMs / 1000,
    segments: writer.segments,
  })
  log(
    `  all in KV after ${fmt(inKvMs / 1000, 1)} s; settled in ${writer.segments} segments after ${fmt(settledMs / 1000, 1)} s · ${elapsed()}`,
  )

  // 4. Warm search at the worker's socket.
  log(`Warm search: ${QUERIES} warm-up queries, then ${QUERIES} each plain, with facets, with a date filter…`)
  const entry = sockets.search.entry
  await timeSearches(
    entry,
    warmup.map((q) => searchPath(q)),
  )
  const plainLatency = await timeSearches(
    entry,
    plain.map((q) => searchPath(q)),
  )
  const facetLatency = await timeSearches(
    entry,
    faceted.map((q) => searchPath(q, `&facets=${FACETS}`)),
  )
  const dateLatency = await timeSearches(
    entry,
    dated.map((q, i) => searchPath(q, datePart(i))),
  )
  results.warmSearch = { plain: plainLatency, facets: facetLatency, dateFilter: dateLatency }
  edgewire.searchP50Ms = plainLatency.workerP50Ms
  edgewire.searchP99Ms = plainLatency.workerP99Ms
  edgewire.facetSearchP50Ms = facetLatency.workerP50Ms
  edgewire.facetSearchP99Ms = facetLatency.workerP99Ms
  edgewire.dateSearchP50Ms = dateLatency.workerP50Ms
  edgewire.dateSearchP99Ms = dateLatency.workerP99Ms
  for (const [label, f] of [
    ['plain', plainLatency],
    ['facets', facetLatency],
    ['date filter', dateLatency],
  ] as const) {
    log(
      `  ${label}: worker time p50 ${fmt(f.workerP50Ms, 2)} / p99 ${fmt(f.workerP99Ms, 1)} ms (search ${fmt(f.searchP50Ms, 2)} / ${fmt(f.searchP99Ms, 1)}, /healthz p50 ${fmt(f.healthzP50Ms, 2)}; ${f.non200} non-200)`,
    )
  }
  // What the hits' body blocks cost a page: queries no set before asked, whose blocks are mostly not held (the body
  // cache holds 16 MiB, some 2 % of a million articles' bodies), then the same queries with their blocks held.
  const blocksRead = await timeSearches(
    entry,
    blockQueries.map((q) => searchPath(q)),
  )
  const blocksHeld = await timeSearches(
    entry,
    blockQueries.map((q) => searchPath(q)),
  )
  results.warmSearchBlocks = { queries: blockQueries.length, read: blocksRead, held: blocksHeld }
  edgewire.blocksReadSearchP50Ms = blocksRead.workerP50Ms
  edgewire.blocksHeldSearchP50Ms = blocksHeld.workerP50Ms
  log(
    `  ${blockQueries.length} plain queries, their hits' body blocks read: worker time p50 ${fmt(blocksRead.workerP50Ms, 2)} ms; the same queries again, the blocks held: p50 ${fmt(blocksHeld.workerP50Ms, 2)} ms`,
  )
  // One inspector session at a time: the sampler's ends before the probe's opens.
  await readerHeap.stop()
  if (CPU_PROFILE.search) {
    const profile = await cpuProfile(sockets.search.inspector, poke(entry))
    await timeSearches(entry, [
      ...plain.map((q) => searchPath(q)),
      ...faceted.map((q) => searchPath(q, `&facets=${FACETS}`)),
      ...dated.map((q, i) => searchPath(q, datePart(i))),
    ])
    const cpu = await profile.stop(30)
    results.warmSearchCpu = cpu
    logCpu('the search isolate, the timed warm searches again', cpu)
  }
  const readerSettled = await isolateHeap(sockets.search.inspector, poke(entry))

  // 5. The search worker restarted alone: a new isolate over the same state.
  log(`Restarting the search worker… · ${elapsed()}`)
  const fresh = await up.restartSearch()
  const coldHeap = new HeapSampler(fresh.inspector, poke(fresh.entry), 50)
  // Profiled, the cold load's heap is not sampled (one inspector session at a time): its peak is the load's.
  const coldProfile = CPU_PROFILE.search ? await cpuProfile(fresh.inspector, poke(fresh.entry), 250) : null
  if (!coldProfile) {
    await coldHeap.start()
    // A new isolate may leave its first inspector session unanswered: have one answer (an empty /healthz loads no
    // index) before the first search, so the samples cover it.
    for (let i = 0; i < 5 && coldHeap.samples === 0; i++) await coldHeap.sample()
    samplers = [writerHeap, ingestHeap, coldHeap]
  }
  const coldQuery = plain[0] ?? 'oil'
  const t1 = performance.now()
  const first = await fetch(`${fresh.entry}${searchPath(coldQuery)}`)
  await first.arrayBuffer()
  edgewire.firstSearchMs = performance.now() - t1
  if (first.status !== 200) throw new Error(`the first search after the restart answered ${first.status}`)
  if (coldProfile) {
    const cpu = await coldProfile.stop(30)
    results.firstSearchCpu = cpu
    logCpu('the restarted search isolate through its first search (timed while profiled)', cpu)
  } else {
    await coldHeap.sample()
    await coldHeap.stop()
  }
  const readerCold = await isolateHeap(fresh.inspector, poke(fresh.entry))
  log(`  first search after the restart: ${fmt(edgewire.firstSearchMs, 0)} ms`)
  if (HEAP_SNAPSHOT) {
    // A measurement apart: a failure says so and the bench goes on (its figures do not depend on it).
    const held = await heapComposition(fresh.inspector, poke(fresh.entry)).catch((err: unknown) => {
      log(`  no heap snapshot of the search isolate: ${String(err)}`)
      return null
    })
    if (held) log(`  what the restarted search isolate holds (a heap snapshot): ${fmt(MB(held.total), 1)} MB in all`)
    for (const g of held?.groups ?? [])
      log(`    ${fmt(MB(g.bytes), 2).padStart(8)} MB  ${int(g.count).padStart(10)}  ${g.group}`)
  }
  await Promise.all([writerHeap.stop(), ingestHeap.stop()])
  samplers = []
  const writerSettled = await isolateHeap(sockets.writer.inspector, poke(sockets.writer.entry))
  edgewire.writerPeakHeapMB = MB(writerHeap.peak)
  edgewire.readerPeakHeapMB = MB(Math.max(readerHeap.peak, coldHeap.peak))
  const heapFigures = (h: { afterGc: { usedSize: number; backingStorageSize: number } }) => ({
    heapMB: MB(h.afterGc.usedSize),
    arrayBuffersMB: MB(h.afterGc.backingStorageSize),
  })
  results.memory = {
    how: 'V8 JS heap + ArrayBuffers of the isolate, through its inspector: peaks sampled every 250 ms (every 50 ms around the first search after the restart) without forcing a collection; settled figures after a full collection',
    writer: {
      heapCapMiB: WRITER_HEAP_CAP_MIB || null,
      peakMB: MB(writerHeap.peak),
      peakHeapMB: MB(writerHeap.peakHeap),
      peakArrayBuffersMB: MB(writerHeap.peakBuffers),
      samples: writerHeap.samples,
      unanswered: writerHeap.unanswered,
      settled: heapFigures(writerSettled),
    },
    ingest: {
      peakMB: MB(ingestHeap.peak),
      samples: ingestHeap.samples,
      unanswered: ingestHeap.unanswered,
    },
    reader: {
      peakDuringLoadAndSearchMB: MB(readerHeap.peak),
      peakAroundFirstSearchMB: MB(coldHeap.peak),
      samples: readerHeap.samples + coldHeap.samples,
      unanswered: readerHeap.unanswered + coldHeap.unanswered,
      settledBeforeRestart: heapFigures(readerSettled),
      afterFirstSearch: heapFigures(readerCold),
    },
  }
  log(
    `  peak heap + ArrayBuffers: writer ${fmt(edgewire.writerPeakHeapMB, 0)} MB (the ingest isolate ${fmt(MB(ingestHeap.peak), 0)}), reader ${fmt(edgewire.readerPeakHeapMB, 0)} MB (after a GC: reader ${fmt(MB(readerCold.afterGc.usedSize + readerCold.afterGc.backingStorageSize), 1)} MB after the first search)`,
  )

  // 6. KV.
  kv.stop()
  const stored = kv.stored()
  edgewire.kvPutsPerArticle = kv.puts / (accepted + unanswered)
  edgewire.kvRemovalsPerArticle = kv.removals / (accepted + unanswered)
  edgewire.kvBytesWrittenPerArticle = kv.bytesPut / (accepted + unanswered)
  edgewire.kvBytesStoredPerArticle = stored.bytes / (accepted + unanswered)
  results.kv = {
    how: "counted from Miniflare's persistence directory: a put stores a new file, a delete or an overwrite removes one; reads are not counted",
    puts: kv.puts,
    removals: kv.removals,
    putsRemovedBeforeSeen: kv.unreadPuts,
    bytesWritten: kv.bytesPut,
    storedKeys: stored.keys,
    storedBytes: stored.bytes,
    storedByPrefix: stored.byPrefix,
  }
  // The writer's own storage: its Durable Object's SQLite database (articles, outbox, segments' table, deliveries).
  const doDir = join(persistTo, 'v3', 'do', 'edgewire-writer-IndexWriter')
  const doBytes = existsSync(doDir)
    ? readdirSync(doDir)
        .filter((f) => !f.startsWith('metadata.'))
        .reduce((n, f) => n + statSync(join(doDir, f)).size, 0)
    : Number.NaN
  edgewire.writerSqliteBytesPerArticle = doBytes / (accepted + unanswered)
  results.writerStorage = { sqliteBytes: doBytes }
  log(
    `  KV: ${fmt(edgewire.kvPutsPerArticle, 2)} puts and ${fmt(edgewire.kvRemovalsPerArticle, 2)} removals per article, ${int(edgewire.kvBytesWrittenPerArticle)} bytes written and ${int(edgewire.kvBytesStoredPerArticle)} stored per article (${int(stored.keys)} keys); the writer's SQLite ${int(edgewire.writerSqliteBytesPerArticle)} bytes per article`,
  )
} finally {
  for (const s of samplers) await s.stop().catch(() => undefined)
  kv?.stop()
  if (servers !== null) {
    await servers.stop()
    const survivors = servers.survivors()
    for (const pid of survivors) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    results.orphanProcesses = survivors.length
  }
  if (KEEP_STATE) {
    log(`The local state is kept in ${persistTo} (${int(kv?.puts ?? 0)} KV values among others) · ${elapsed()}`)
  } else {
    log(`Removing the local state (${int(kv?.puts ?? 0)} KV values among others)… · ${elapsed()}`)
    rmSync(dir, { recursive: true, force: true })
  }
}

// 7. SQLite FTS5 on the same articles and queries.
log(`SQLite FTS5 (node:sqlite) on the same ${int(ARTICLES)} articles and queries… · ${elapsed()}`)
const fts5 = (() => {
  const ftsDir = mkdtempSync(join(tmpdir(), 'edgewire-archive-fts5-'))
  const file = join(ftsDir, 'archive.db')
  try {
    const db = new DatabaseSync(file)
    // Durable as the writer's commits are (WAL, synchronous NORMAL: a commit survives a crash of the process).
    db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
      CREATE VIRTUAL TABLE docs USING fts5(url UNINDEXED, title, body, source UNINDEXED, author UNINDEXED,
        lang UNINDEXED, tags UNINDEXED, published UNINDEXED, tokenize = 'porter unicode61');`)
    const insert = db.prepare(
      'INSERT INTO docs (url, title, body, source, author, lang, tags, published) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    )
    const add = (a: ArchiveArticle) =>
      insert.run(
        a.url,
        a.title,
        a.text,
        a.source,
        a.author ?? null,
        a.lang,
        JSON.stringify(a.tags),
        Date.parse(a.published),
      )
    const progress = new Progress('FTS5 build', ARTICLES)
    const t0 = performance.now()
    for (let from = 0; from < ARTICLES; from += BATCH) {
      const to = Math.min(ARTICLES, from + BATCH)
      db.exec('BEGIN')
      for (const a of corpus.articles(from, to)) add(a)
      db.exec('COMMIT')
      progress.tick(to - from)
    }
    const buildMs = performance.now() - t0
    const toMatch = (q: string) =>
      q
        .split(/[^\p{L}\p{N}]+/u)
        .filter(Boolean)
        .map((w) => `"${w}"`)
        .join(' OR ')
    const find = db.prepare('SELECT rowid FROM docs WHERE docs MATCH ? LIMIT 1')
    const freshness: number[] = []
    for (let i = 0; i < FTS5_FRESHNESS_SAMPLES; i++) {
      const marker = `ftsprobe${i}x${Date.now().toString(36)}`
      const t = performance.now()
      insert.run(
        `https://probe.example/${marker}`,
        `Freshness probe ${marker}`,
        `The marker ${marker}.`,
        'Probe',
        null,
        'en',
        '[]',
        Date.now(),
      )
      if (find.all(`"${marker}"`).length !== 1) throw new Error(`FTS5 did not find ${marker}`)
      freshness.push(performance.now() - t)
    }
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    db.close()
    const bytes = statSync(file).size

    const open = () => new DatabaseSync(file, { readOnly: true })
    const t = performance.now()
    let reader = open()
    const top = (r: DatabaseSync) =>
      r.prepare(
        "SELECT url, title, snippet(docs, 2, '', '', '…', 12) AS snippet FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10",
      )
    top(reader).all(toMatch(plain[0] ?? 'oil'))
    const firstQueryMs = performance.now() - t
    reader.close()
    reader = open()
    const select = top(reader)
    const facetQueries = ['source', 'author', 'lang'].map((field) =>
      reader.prepare(
        `SELECT ${field} AS value, count(*) AS n FROM docs WHERE docs MATCH ? AND ${field} IS NOT NULL GROUP BY ${field} ORDER BY n DESC LIMIT 20`,
      ),
    )
    const tagFacet = reader.prepare(
      'SELECT j.value AS value, count(*) AS n FROM docs, json_each(docs.tags) AS j WHERE docs MATCH ? GROUP BY j.value ORDER BY n DESC LIMIT 20',
    )
    const datedSelect = reader.prepare(
      "SELECT url, title, snippet(docs, 2, '', '', '…', 12) AS snippet FROM docs WHERE docs MATCH ? AND published BETWEEN ? AND ? ORDER BY bm25(docs) LIMIT 10",
    )
    const time = (qs: string[], run: (match: string, i: number) => unknown) => {
      const times: number[] = []
      qs.forEach((q, i) => {
        const match = toMatch(q)
        const t = performance.now()
        if (match) run(match, i)
        times.push(performance.now() - t)
      })
      return { p50Ms: q50(times), p99Ms: q99(times) }
    }
    time(warmup, (m) => select.all(m))
    const plainTimes = time(plain, (m) => select.all(m))
    const facetTimes = time(faceted, (m) => {
      select.all(m)
      for (const f of facetQueries) f.all(m)
      tagFacet.all(m)
    })
    const dateTimes = time(dated, (m, i) =>
      datedSelect.all(m, Date.parse(windows[i]?.from ?? ''), Date.parse(windows[i]?.to ?? '') + 86_399_999),
    )
    reader.close()
    return {
      engine: 'SQLite FTS5 (node:sqlite, bm25, porter), in this process',
      buildSeconds: buildMs / 1000,
      ingestPerSec: ARTICLES / (buildMs / 1000),
      freshnessP50Ms: q50(freshness),
      freshnessP99Ms: q99(freshness),
      plain: plainTimes,
      facets: facetTimes,
      dateFilter: dateTimes,
      firstSearchMs: firstQueryMs,
      bytes,
      bytesPerArticle: bytes / ARTICLES,
    }
  } finally {
    rmSync(ftsDir, { recursive: true, force: true })
  }
})()
results.fts5 = fts5
clearInterval(loadTimer)

// The table, the JSON file and the last line.
const ratio = (a: number | undefined, b: number) => (a === undefined ? Number.NaN : a / b)
const ratios = {
  ingestPerSec: ratio(edgewire.ingestPerSec, fts5.ingestPerSec),
  freshnessP50: ratio(edgewire.freshnessP50Ms, fts5.freshnessP50Ms),
  freshnessP99: ratio(edgewire.freshnessP99Ms, fts5.freshnessP99Ms),
  searchP50: ratio(edgewire.searchP50Ms, fts5.plain.p50Ms),
  searchP99: ratio(edgewire.searchP99Ms, fts5.plain.p99Ms),
  facetSearchP50: ratio(edgewire.facetSearchP50Ms, fts5.facets.p50Ms),
  facetSearchP99: ratio(edgewire.facetSearchP99Ms, fts5.facets.p99Ms),
  dateSearchP50: ratio(edgewire.dateSearchP50Ms, fts5.dateFilter.p50Ms),
  dateSearchP99: ratio(edgewire.dateSearchP99Ms, fts5.dateFilter.p99Ms),
  firstSearch: ratio(edgewire.firstSearchMs, fts5.firstSearchMs),
  bytesPerArticle: ratio(edgewire.kvBytesStoredPerArticle, fts5.bytesPerArticle),
}
results.ratiosToFts5 = ratios
const seconds = (performance.now() - started) / 1000
const machine = {
  cores: cpus().length,
  loadAverageAtEnd: loadavg(),
  loadAverage1mMean: loads.length > 0 ? loads.reduce((a, b) => a + b, 0) / loads.length : loadavg()[0],
  loadAverage1mMax: Math.max(...loads, loadavg()[0] ?? 0),
}
results.machine = machine
results.seconds = seconds

const rows: [string, string, string, string][] = []
const row = (what: string, ours: number | undefined, theirs: number, r: number, digits = 1) =>
  rows.push([what, fmt(ours ?? Number.NaN, digits), fmt(theirs, digits), `${fmt(r, 2)}×`])
row('ingest until searchable, articles/s', edgewire.ingestPerSec, fts5.ingestPerSec, ratios.ingestPerSec, 0)
row('freshness p50, ms', edgewire.freshnessP50Ms, fts5.freshnessP50Ms, ratios.freshnessP50, 2)
row('freshness p99, ms', edgewire.freshnessP99Ms, fts5.freshnessP99Ms, ratios.freshnessP99, 2)
row('warm search p50, ms (worker time)', edgewire.searchP50Ms, fts5.plain.p50Ms, ratios.searchP50, 2)
row('warm search p99, ms', edgewire.searchP99Ms, fts5.plain.p99Ms, ratios.searchP99, 2)
row('  with 4 facets p50, ms', edgewire.facetSearchP50Ms, fts5.facets.p50Ms, ratios.facetSearchP50, 2)
row('  with 4 facets p99, ms', edgewire.facetSearchP99Ms, fts5.facets.p99Ms, ratios.facetSearchP99, 2)
row('  with a date filter p50, ms', edgewire.dateSearchP50Ms, fts5.dateFilter.p50Ms, ratios.dateSearchP50, 2)
row('  with a date filter p99, ms', edgewire.dateSearchP99Ms, fts5.dateFilter.p99Ms, ratios.dateSearchP99, 2)
row('first search after a restart, ms', edgewire.firstSearchMs, fts5.firstSearchMs, ratios.firstSearch, 1)
row('bytes stored per article', edgewire.kvBytesStoredPerArticle, fts5.bytesPerArticle, ratios.bytesPerArticle, 0)
console.log(`\n${'figure'.padEnd(38)} ${'Edgewire'.padStart(10)} ${'FTS5'.padStart(10)} ${'ratio'.padStart(8)}`)
for (const [what, ours, theirs, r] of rows)
  console.log(`${what.padEnd(38)} ${ours.padStart(10)} ${theirs.padStart(10)} ${r.padStart(8)}`)
console.log(
  `writer / reader peak heap + ArrayBuffers: ${fmt(edgewire.writerPeakHeapMB ?? Number.NaN, 1)} / ${fmt(edgewire.readerPeakHeapMB ?? Number.NaN, 1)} MB; KV per article: ${fmt(edgewire.kvPutsPerArticle ?? Number.NaN, 2)} puts, ${fmt(edgewire.kvRemovalsPerArticle ?? Number.NaN, 2)} removals, ${int(edgewire.kvBytesWrittenPerArticle ?? Number.NaN)} bytes written`,
)
console.log(
  `${int(ARTICLES)} articles in ${fmt(seconds / 60, 1)} min on ${machine.cores} cores, load average 1 min mean ${fmt(machine.loadAverage1mMean ?? Number.NaN, 2)}, max ${fmt(machine.loadAverage1mMax, 2)}; orphan processes ${results.orphanProcesses ?? 'n/a'}`,
)
mkdirSync(join(ROOT, 'bench-results'), { recursive: true })
writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`)
log(`wrote ${OUT}`)
console.log(
  JSON.stringify({
    articles: ARTICLES,
    ...edgewire,
    fts5: {
      ingestPerSec: fts5.ingestPerSec,
      freshnessP50Ms: fts5.freshnessP50Ms,
      freshnessP99Ms: fts5.freshnessP99Ms,
      searchP50Ms: fts5.plain.p50Ms,
      searchP99Ms: fts5.plain.p99Ms,
      facetSearchP50Ms: fts5.facets.p50Ms,
      facetSearchP99Ms: fts5.facets.p99Ms,
      dateSearchP50Ms: fts5.dateFilter.p50Ms,
      dateSearchP99Ms: fts5.dateFilter.p99Ms,
      firstSearchMs: fts5.firstSearchMs,
      bytesPerArticle: fts5.bytesPerArticle,
    },
    ratiosToFts5: ratios,
    orphanProcesses: results.orphanProcesses,
    seconds,
    loadAverage1mMean: machine.loadAverage1mMean,
  }),
)
