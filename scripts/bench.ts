/**
 * `npm run bench`: the index lifecycle at scale, against the real workers under `wrangler dev` (workerd), on
 * ../shared/corpus/reuters21578.jsonl, each figure beside raw MiniSearch and SQLite FTS5 on the same documents
 * and queries. Prints a table and writes bench-results/bench.json. Takes a few minutes.
 */

import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type BaselineFigures, type BenchDoc, fts5Baseline, miniSearchBaseline } from './lib/bench-baselines'
import { BENCH_SECRET, benchVars, pinSearchWorker, settledWriterStats, writerStats } from './lib/bench-servers'
import { descendantsNamed, fmt, mib, processMemory, quantile, titleQuerySets } from './lib/bench-stats'
import { readReuters, reutersInput } from './lib/corpus'
import { type DevServers, startDevServers, stopWorkersOnSignal } from './lib/dev-servers'
import { HttpTimer } from './lib/http-timer'
import { type LivePhaseFigures, livePhase, non200Text } from './lib/live-phases'
import { ROOT } from './lib/local-config'
import { WebhookClient } from './lib/webhook-client'
import { findUserWorkerd, isolateHeap } from './lib/workerd-probe'

stopWorkersOnSignal()

const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'reuters21578.jsonl')
const BATCH = 1000
const CONCURRENCY = 2
const FRESHNESS_SAMPLES = 100
const QUERY_COUNT = 500
/** `KV_PROPAGATION_MS=N npm run bench`: the search worker reads KV as a location N ms from the writer would. */
const PROPAGATION_MS = Number(process.env.KV_PROPAGATION_MS ?? 0)
/** `WRITER_SHARDS=N npm run bench`: the writers the index is split over (1 locally unless set: scripts/lib/dev-servers). */
const WRITERS = process.env.WRITER_SHARDS || '1'
/** Length of the after-burst and steady-feed phases (`BENCH_PHASE_SECONDS`, default 60). */
const PHASE_SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 60)
/** Restarts of the search worker alone, with the writer at rest, whose first searches give the median reported. */
const RESTARTS_AT_REST = 5

if (!existsSync(CORPUS)) {
  console.error(`npm run bench needs ${CORPUS} (the shared corpus beside the project); it is not there.`)
  process.exit(2)
}

const docs = await readReuters(CORPUS)

// Distinct queries in four sets: the timed ones (every engine), others that every engine answers first (JIT
// warm-up), and one set each for the uncompressed and the proxied HTTP timings, which run on the isolate the first
// timing warmed: no timed query was seen before it is timed.
const [queries = [], warmupQueries = [], identityQueries = [], proxyQueries = []] = titleQuerySets(docs, QUERY_COUNT, 4)

const dir = await mkdtemp(join(tmpdir(), 'edgewire-bench-'))
const PORT = 27001 + Math.floor(Math.random() * 1000) * 2
const start = () =>
  startDevServers({
    ingestPort: PORT,
    searchPort: PORT + 1,
    persistTo: join(dir, 'state'),
    vars: benchVars(PROPAGATION_MS),
    output: 'ignore',
  })

const log = (line: string) => process.stderr.write(`${line}\n`)

let statsFailures = 0
async function stats(
  servers: DevServers,
): Promise<{ documents: number; indexVersion: number; snapshotBytes?: number }> {
  // A non-200 (the worker failing while it loads) is counted and asked again, so the run reports it instead of dying.
  for (;;) {
    const res = await fetch(`${servers.search}/stats`)
    if (res.status === 200) return (await res.json()) as { documents: number; indexVersion: number }
    statsFailures++
    log(`  /stats answered ${res.status}: ${(await res.text()).slice(0, 120)}`)
    await sleep(250)
  }
}

/** Memory of the search worker's workerd (wrangler dev runs more than one; the worker's is the largest). */
function searchIsolateMemory(servers: DevServers): { rss: number; peak: number } | null {
  const all = descendantsNamed(servers.pids.search, 'workerd')
    .map(processMemory)
    .filter((m): m is { rss: number; peak: number } => m !== null)
  return all.sort((a, b) => b.rss - a.rss)[0] ?? null
}

let servers = await start()
const results: Record<string, unknown> = {}
/** `BENCH_PIN=1`: the search worker on a core of its own until the restart (see pinSearchWorker). */
const pinned = process.env.BENCH_PIN === '1' ? pinSearchWorker(servers) : null
if (pinned) log(`Pinned (BENCH_PIN=1): ${pinned.description}.`)
try {
  const baselineRss = searchIsolateMemory(servers)

  // 1. Ingest through the signed batch webhook until everything accepted is searchable.
  log(`Ingesting ${docs.length} Reuters-21578 articles in batches of ${BATCH} (${CONCURRENCY} in flight)…`)
  const client = new WebhookClient(`${servers.ingest}/webhooks/articles`, BENCH_SECRET)
  const inputs = docs.map(reutersInput)
  const t0 = performance.now()
  let accepted = 0
  let rejected = 0
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < inputs.length) {
        const from = next
        next += BATCH
        const res = await client.send('article.batch', { articles: inputs.slice(from, from + BATCH) })
        for (const r of res.results) r.status === 'rejected' ? rejected++ : accepted++
        if (res.status !== 202)
          throw new Error(`batch at ${from} answered ${res.status}: ${JSON.stringify(res.problem)}`)
      }
    }),
  )
  const acceptedMs = performance.now() - t0
  let current = await stats(servers)
  while (current.documents < accepted) {
    await sleep(20)
    current = await stats(servers)
  }
  const searchableMs = performance.now() - t0
  const worker = findUserWorkerd(servers, 'search')
  const readerCalls = async () => {
    const body = await writerStats(servers)
    return Object.values(body.readerCalls ?? {}).reduce((n, c) => n + c, 0)
  }
  const report = (label: string, f: LivePhaseFigures) =>
    log(
      `  ${label}: worker time (search − /healthz) p50 ${fmt(f.workerP50Ms, 2)} / p99 ${fmt(f.workerP99Ms, 2)} ms; search p50 ${fmt(f.searchP50Ms, 2)} / p99 ${fmt(f.searchP99Ms, 2)} ms; freshness p50 ${fmt(f.freshnessP50Ms)} / p99 ${fmt(f.freshnessP99Ms)} ms (${f.freshnessSamples} probes); ${non200Text(f)}; indexVersion down ${f.indexVersionDecreases}×; ${f.reappeared} of ${f.deletedProbes} deleted probes seen again; writer calls from readers ${fmt(f.writerReaderCallsPerSecond ?? 0, 1)}/s`,
    )
  // 1b. The minute after the burst: KV's outbox drains and merges run while searches and probes go on.
  log(`After the burst, ${PHASE_SECONDS} s of searches and freshness probes (KV_PROPAGATION_MS=${PROPAGATION_MS})…`)
  const afterBurst = await livePhase({
    workerUrl: worker.entry,
    client,
    seconds: PHASE_SECONDS,
    queries: warmupQueries,
    readerCalls,
    pinTimer: pinned?.besideSearch,
  })
  report('after the burst', afterBurst)
  results.afterBurst = afterBurst
  results.ingest = {
    articles: docs.length,
    accepted,
    rejected,
    acceptedSeconds: acceptedMs / 1000,
    allSearchableSeconds: searchableMs / 1000,
    articlesPerSecond: accepted / (searchableMs / 1000),
  }
  log(
    `  all ${accepted} searchable after ${fmt(searchableMs / 1000, 2)} s, ${fmt((searchableMs - acceptedMs) / 1000, 2)} s after the last 202 (${rejected} rejected)`,
  )

  // KV follows the index through the writer's outbox, which yields to indexing during a burst; wait for it, so
  // the latency figures below are taken on a quiet machine, and report how long KV lagged.
  let writer = await writerStats(servers)
  while (writer.kvPending > 0) {
    await sleep(250)
    writer = await writerStats(servers)
  }
  const kvMs = performance.now() - t0
  ;(results.ingest as Record<string, unknown>).allInKvSeconds = kvMs / 1000
  // Merges wait for the burst to pause; the latency figures are for the settled index (segment count unchanged
  // for two seconds).
  writer = await settledWriterStats(servers)
  const settledMs = performance.now() - t0
  ;(results.ingest as Record<string, unknown>).mergedSeconds = settledMs / 1000
  ;(results.ingest as Record<string, unknown>).segments = writer.segments
  log(
    `  all in KV after ${fmt(kvMs / 1000, 2)} s; merges settled after ${fmt(settledMs / 1000, 2)} s in ${writer.segments} segments`,
  )

  // 2. Freshness: from the 202 of one upsert to the first search that finds it.
  const freshness: number[] = []
  for (let i = 0; i < FRESHNESS_SAMPLES; i++) {
    const marker = `fresh${i}x${Date.now().toString(36)}`
    const sent = await client.send('article.upsert', {
      externalId: `bench-fresh-${i}`,
      title: `Freshness probe ${marker}`,
      text: `This probe carries the marker ${marker} and nothing else of note.`,
      lang: 'en',
    })
    const acceptedAt = performance.now()
    if (sent.status !== 202) throw new Error(`probe answered ${sent.status}`)
    for (;;) {
      const res = (await (await fetch(`${servers.search}/search?q=${marker}`)).json()) as { total: number }
      if (res.total > 0) break
      if (performance.now() - acceptedAt > 30_000) throw new Error(`probe ${marker} not searchable after 30 s`)
      await sleep(5)
    }
    freshness.push(performance.now() - acceptedAt)
  }
  results.freshness = { samples: freshness.length, p50Ms: quantile(freshness, 0.5), p99Ms: quantile(freshness, 0.99) }
  log(`  freshness p50 ${fmt(quantile(freshness, 0.5))} ms, p99 ${fmt(quantile(freshness, 0.99))} ms`)

  // 3. Warm search latency over HTTP on loopback: at the search worker's own workerd socket (what a deployed worker
  // answers: no local proxy in front), and through wrangler dev's proxy port (what `npm start` users hit).
  const timeSearch = async (q: string) => {
    const t = performance.now()
    const res = await fetch(`${servers.search}/search?q=${encodeURIComponent(q)}`)
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`search ${q} answered ${res.status}`)
    return performance.now() - t
  }
  const latency = async (base: string, headers: Record<string, string>, warmup: string[], timed: string[]) => {
    const timer = new HttpTimer(base, headers)
    try {
      for (const q of warmup) await timer.time(`/search?q=${encodeURIComponent(q)}`)
      const search: number[] = []
      for (const q of timed) search.push(await timer.time(`/search?q=${encodeURIComponent(q)}`))
      // The floor under every figure: an empty route over the same path.
      const floor: number[] = []
      for (let i = 0; i < timed.length; i++) floor.push(await timer.time('/healthz'))
      return {
        queries: search.length,
        p50Ms: quantile(search, 0.5),
        p99Ms: quantile(search, 0.99),
        healthzP50Ms: quantile(floor, 0.5),
        healthzP99Ms: quantile(floor, 0.99),
      }
    } finally {
      timer.close()
    }
  }
  // A browser asks for gzip; Miniflare's entry worker then compresses JSON in the worker's own thread (Cloudflare's
  // edge does it in front of a deployed worker, outside its CPU time). Timed both ways.
  const gzip = { 'accept-encoding': 'gzip, deflate, br' }
  const direct = await latency(worker.entry, gzip, warmupQueries, queries)
  const identity = { 'accept-encoding': 'identity' }
  const directIdentity = await latency(worker.entry, identity, warmupQueries.slice(0, 50), identityQueries)
  const proxied = await latency(servers.search, gzip, warmupQueries.slice(0, 50), proxyQueries)
  results.warmSearch = { ...direct, uncompressed: directIdentity, throughWranglerProxy: proxied }
  for (const [label, f] of [
    ['at the worker', direct],
    ['at the worker, uncompressed', directIdentity],
    ['through the wrangler dev proxy', proxied],
  ] as const) {
    log(
      `  warm search ${label}: p50 ${fmt(f.p50Ms, 2)} ms, p99 ${fmt(f.p99Ms, 2)} ms (an empty /healthz: p50 ${fmt(f.healthzP50Ms, 2)} ms, p99 ${fmt(f.healthzP99Ms, 2)} ms)`,
    )
  }
  // 3b. A steady feed: single upserts at 20/s and a 1,000-article batch every 5 s, with searches and probes beside.
  log(`A steady feed for ${PHASE_SECONDS} s (20 upserts/s + 1,000 articles every 5 s)…`)
  const steadyFeed = await livePhase({
    workerUrl: worker.entry,
    client,
    seconds: PHASE_SECONDS,
    queries: identityQueries,
    readerCalls,
    pinTimer: pinned?.besideSearch,
    feed: {
      articles: inputs.slice(0, 5000).map((a) => ({ externalId: a.externalId, title: a.title, text: a.text })),
      upsertsPerSecond: 20,
      batchSize: 1000,
      batchEverySeconds: 5,
    },
  })
  report('steady feed', steadyFeed)
  results.steadyFeed = steadyFeed
  results.kvPropagationMs = PROPAGATION_MS
  results.writerShards = Number(WRITERS)
  results.pinned = pinned?.description ?? null
  results.statsFailures = statsFailures
  const loaded = searchIsolateMemory(servers)
  const finalStats = await stats(servers)
  results.snapshot = finalStats

  // 4. First search after a restart (the processes stop; the persisted state stays).
  await servers.stop()
  servers = await start()
  const restartRss = searchIsolateMemory(servers)
  const firstSearchMs = await timeSearch(queries[0] ?? 'oil')
  const afterFirst = searchIsolateMemory(servers)
  results.restart = { firstSearchMs }
  log(
    `  first search after restart ${fmt(firstSearchMs)} ms (all three workers restarted, right after the steady feed)`,
  )
  // The search isolate itself, read through its V8 inspector: JS heap + ArrayBuffers (the segments), after a full
  // collection. The workerd process's RSS also holds Miniflare's KV and other simulators, so it is reported beside.
  const restarted = findUserWorkerd(servers, 'search')
  const heap = restarted
    ? await isolateHeap(restarted.inspector, () => fetch(`${restarted.entry}/healthz`).then((r) => r.arrayBuffer()))
    : undefined
  results.memory = {
    isolateHeapUsed: heap?.afterGc.usedSize,
    isolateArrayBuffers: heap?.afterGc.backingStorageSize,
    isolateTotal: heap ? heap.afterGc.usedSize + heap.afterGc.backingStorageSize : undefined,
    isolateHeapUsedBeforeGc: heap?.beforeGc.usedSize,
    isolateTotalBeforeGc: heap ? heap.beforeGc.usedSize + heap.beforeGc.backingStorageSize : undefined,
    searchWorkerdRssEmpty: baselineRss?.rss,
    searchWorkerdRssLoaded: loaded?.rss,
    searchWorkerdPeak: loaded?.peak,
    searchWorkerdRssBeforeFirstSearch: restartRss?.rss,
    searchWorkerdRssAfterFirstSearch: afterFirst?.rss,
    workerdRssGrowthOnLoad: afterFirst && restartRss ? afterFirst.rss - restartRss.rss : undefined,
  }
  if (heap) {
    log(
      `  search isolate after the cold load: ${mib(heap.afterGc.usedSize)} JS heap + ${mib(heap.afterGc.backingStorageSize)} ArrayBuffers (before GC ${mib(heap.beforeGc.usedSize + heap.beforeGc.backingStorageSize)} in all)`,
    )
  }

  // 4b. The first search after a restart again, with the writer at rest: the figure above also carries what the
  // writer still had to do after the feed (its KV outbox, flushes and merges, between which it answers the first
  // load's calls), so it moves with that backlog from run to run. Here the writer has settled and the search worker
  // alone restarts, several times: the search path's own cold start.
  const drainedBy = Date.now() + 240_000
  while ((await writerStats(servers)).kvPending > 0 && Date.now() < drainedBy) await sleep(1000)
  const atRestWriter = await settledWriterStats(servers)
  const atRest: number[] = []
  for (let i = 0; i < RESTARTS_AT_REST; i++) {
    await servers.restartSearch()
    atRest.push(await timeSearch(queries[i + 1] ?? 'oil'))
  }
  // Said when the wait gave up before the outbox was empty: the figure then still carries some backlog.
  const kvPendingAtRest = atRestWriter.kvPending
  results.restart = { firstSearchMs, atRestMs: atRest, atRestMedianMs: quantile(atRest, 0.5), kvPendingAtRest }
  log(
    `  first search after a restart, writer at rest: median ${fmt(quantile(atRest, 0.5))} ms of ${atRest.length} (${atRest.map((ms) => fmt(ms)).join(', ')}; the search worker alone restarted${kvPendingAtRest > 0 ? `; ${kvPendingAtRest} articles still waited for KV` : ''})`,
  )
} finally {
  await servers.stop()
  await rm(dir, { recursive: true, force: true })
}

// 5. A crash in the middle of an ingest: every article answered 202 before it is there after the restart.
{
  const crashDir = await mkdtemp(join(tmpdir(), 'edgewire-crash-'))
  const startCrashable = () =>
    startDevServers({
      ingestPort: PORT + 2,
      searchPort: PORT + 3,
      persistTo: join(crashDir, 'state'),
      vars: benchVars(),
      output: 'ignore',
    })
  let crashable = await startCrashable()
  try {
    const sender = new WebhookClient(`${crashable.ingest}/webhooks/articles`, BENCH_SECRET)
    const acknowledged = new Set<string>()
    const inputs = docs.slice(0, 10_000).map((d) => ({ externalId: d.id, title: d.title, text: d.body || d.title }))
    const sending = (async () => {
      for (let from = 0; from < inputs.length; from += 250) {
        const res = await sender.send('article.batch', { articles: inputs.slice(from, from + 250) }, undefined, 0)
        if (res.status !== 202) return
        for (const r of res.results) if (r.id && r.status !== 'rejected') acknowledged.add(r.id)
      }
    })().catch(() => undefined)
    while (acknowledged.size < 3000) await sleep(5)
    crashable.crash()
    await sending
    log(
      `Crashed the three workers (SIGKILL) in the middle of an ingest, after ${acknowledged.size} articles were answered 202…`,
    )
    crashable = await startCrashable()
    const deadline = Date.now() + 120_000
    let found = 0
    while (Date.now() < deadline) {
      found = (await stats(crashable)).documents
      if (found >= acknowledged.size) break
      await sleep(100)
    }
    let missing = 0
    for (const id of acknowledged) {
      const res = await fetch(`${crashable.search}/articles/${id}`)
      await res.arrayBuffer()
      if (res.status !== 200) missing++
    }
    results.crash = {
      acknowledgedBeforeCrash: acknowledged.size,
      searchableAfterRestart: found,
      missingArticles: missing,
    }
    log(`  after the restart: ${found} searchable, ${missing} of the ${acknowledged.size} acknowledged missing`)
  } finally {
    await crashable.stop()
    await rm(crashDir, { recursive: true, force: true })
  }
}

// 6. The same documents and queries in raw MiniSearch and SQLite FTS5.
log('Measuring raw MiniSearch and SQLite FTS5 in Node on the same documents and queries…')
const benchDocs: BenchDoc[] = docs.map((d) => ({ id: d.id, title: d.title, body: d.body }))
const baselines: BaselineFigures[] = [
  miniSearchBaseline(benchDocs, queries, warmupQueries),
  fts5Baseline(benchDocs, queries, warmupQueries),
]
results.baselines = baselines

await mkdir(join(ROOT, 'bench-results'), { recursive: true })
await writeFile(join(ROOT, 'bench-results', 'bench.json'), JSON.stringify(results, null, 2))

// The figures side by side, with Edgewire's as a ratio of each baseline's (for times: below 1 is faster).
{
  const r = results as {
    ingest: { articlesPerSecond: number }
    freshness: { p50Ms: number; p99Ms: number }
    warmSearch: { p50Ms: number; p99Ms: number; uncompressed: { p50Ms: number; p99Ms: number } }
    restart: { firstSearchMs: number; atRestMedianMs: number }
    memory: { isolateTotal?: number }
    snapshot: { snapshot?: { bytes: number; segments: number } }
    crash: { acknowledgedBeforeCrash: number; missingArticles: number }
    afterBurst: LivePhaseFigures
    steadyFeed: LivePhaseFigures
  }
  const [mini, fts] = baselines as [BaselineFigures, BaselineFigures]
  const mb = (bytes: number | undefined) => (bytes === undefined ? Number.NaN : bytes / 1e6)
  const rows: [string, number, number, number, string][] = [
    [
      'ingest until searchable, articles/s',
      r.ingest.articlesPerSecond,
      docs.length / (mini.buildMs / 1000),
      docs.length / (fts.buildMs / 1000),
      'baselines: in-memory build, no durability',
    ],
    [
      'warm search p50, ms',
      r.warmSearch.p50Ms,
      mini.queryP50Ms,
      fts.queryP50Ms,
      `HTTP at the worker; uncompressed ${fmt(r.warmSearch.uncompressed.p50Ms, 2)}; baselines in process`,
    ],
    [
      'warm search p99, ms',
      r.warmSearch.p99Ms,
      mini.queryP99Ms,
      fts.queryP99Ms,
      `uncompressed ${fmt(r.warmSearch.uncompressed.p99Ms, 2)}`,
    ],
    [
      'first search after a restart, ms',
      r.restart.firstSearchMs,
      mini.coldFirstQueryMs,
      fts.coldFirstQueryMs,
      'right after the steady feed; loadJSON / open + query',
    ],
    [
      'first search, restart at rest, ms',
      r.restart.atRestMedianMs,
      mini.coldFirstQueryMs,
      fts.coldFirstQueryMs,
      `median of ${RESTARTS_AT_REST}, writer settled`,
    ],
    [
      'index memory, MB',
      mb(r.memory.isolateTotal),
      mb(mini.memoryBytes),
      mb(fts.memoryBytes),
      'search isolate heap + buffers after GC; heap; file',
    ],
    [
      'snapshot, MB',
      mb(r.snapshot.snapshot?.bytes),
      mb(mini.snapshotBytes),
      mb(fts.snapshotBytes),
      `${r.snapshot.snapshot?.segments ?? '?'} segments; JSON; file`,
    ],
  ]
  const cell = (n: number) => fmt(n, n < 10 ? 2 : 1).padStart(9)
  const ratio = (a: number, b: number) => `${fmt(a / b, 2)}×`.padStart(7)
  console.log(
    `\n${'figure'.padEnd(36)} ${'Edgewire'.padStart(9)} ${'MiniSearch'.padStart(10)} ${'ratio'.padStart(7)} ${'FTS5'.padStart(9)} ${'ratio'.padStart(7)}  note`,
  )
  for (const [name, e, m, f, note] of rows) {
    console.log(
      `${name.padEnd(36)} ${cell(e)} ${cell(m).padStart(10)} ${ratio(e, m)} ${cell(f)} ${ratio(e, f)}  ${note}`,
    )
  }
  console.log(`${'freshness p50 / p99, ms'.padEnd(36)} ${fmt(r.freshness.p50Ms)} / ${fmt(r.freshness.p99Ms)}`)
  for (const [label, f] of [
    ['after the burst', r.afterBurst],
    ['steady feed', r.steadyFeed],
  ] as const) {
    console.log(
      `${label.padEnd(36)} worker p50 / p99 ${fmt(f.workerP50Ms, 2)} / ${fmt(f.workerP99Ms, 2)} ms, freshness p50 / p99 ${fmt(f.freshnessP50Ms)} / ${fmt(f.freshnessP99Ms)} ms, ${non200Text(f)}, indexVersion down ${f.indexVersionDecreases}×, ${f.reappeared} of ${f.deletedProbes} deleted probes seen again, writer ${fmt(f.writerReaderCallsPerSecond ?? 0, 1)} reader calls/s (KV_PROPAGATION_MS=${PROPAGATION_MS}, WRITER_SHARDS=${WRITERS}${pinned ? ', pinned' : ''})`,
    )
  }
  console.log(
    `${'crash mid-ingest (SIGKILL all)'.padEnd(36)} ${r.crash.missingArticles} of ${r.crash.acknowledgedBeforeCrash} acknowledged missing after the restart`,
  )
  console.log('\nAll figures: bench-results/bench.json')
}
