/**
 * `npm run bench:engine`: the search engine against raw MiniSearch 7.2 on ../shared/corpus/reuters21578.jsonl in
 * Node (title + body): build time, snapshot bytes, open/load time, heap held after open, query p50/p99 for typical
 * 1–3 word queries (drawn from titles with a fixed seed) with the API's default fuzzy/prefix, and without.
 *
 * Memory figures are read after full collections (the script exposes gc itself; see held()).
 * Options: --docs=N (first N docs), --queries=N.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import MiniSearch from 'minisearch'
import { stemmer } from 'stemmer'
import { eng } from 'stopword'
import { type IndexDoc, SearchIndex, Segment, SegmentBuilder } from '../packages/shared/src/search'
import { HEADER_BYTES, Section } from '../packages/shared/src/search/segment-format'
import { quantile, titleQuerySets } from './lib/bench-stats'

const CORPUS = join(import.meta.dirname, '..', '..', 'shared', 'corpus', 'reuters21578.jsonl')

function arg(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`))
  return hit === undefined ? fallback : Number(hit.slice(name.length + 3))
}

/**
 * A full collection before every memory reading. Without one the readings counted whatever garbage the build had
 * left (hundreds of MB here) and whatever a collection in between had freed: run without node --expose-gc (as
 * `npx tsx scripts/bench-engine.ts` runs it), "held after open" came out at a few MB, or below zero, for a 23 MB
 * segment. So the script exposes gc itself rather than relying on the flag.
 */
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
/** Memory figures this close together count as settled. */
const SETTLED_BYTES = 256 * 1024
/**
 * JS heap + ArrayBuffers in use, after full collections, read again after a turn of the event loop until two
 * readings agree (V8 frees a dead ArrayBuffer's memory after the collection, off the main thread).
 */
async function held(): Promise<number> {
  let last = Number.NaN
  for (let i = 0; i < 20; i++) {
    gc()
    gc()
    await new Promise((resolve) => setTimeout(resolve, 20))
    const m = process.memoryUsage()
    const now = m.heapUsed + m.arrayBuffers
    if (Math.abs(now - last) < SETTLED_BYTES) return now
    last = now
  }
  return last
}

interface RawDoc {
  id: string
  title?: string
  body?: string
  published?: string
  author?: string
  source?: string
  lang?: string
}

const maxDocs = arg('docs', Number.POSITIVE_INFINITY)
const raw = readFileSync(CORPUS, 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .slice(0, maxDocs)
  .map((l) => JSON.parse(l) as RawDoc)
const docs: IndexDoc[] = raw.map((d) => {
  const published = d.published === undefined ? Number.NaN : Date.parse(`${d.published}Z`)
  return {
    id: d.id,
    title: d.title ?? '',
    body: d.body ?? '',
    url: null,
    source: d.source ?? null,
    author: d.author ?? null,
    lang: d.lang ?? 'en',
    tags: [],
    published: Number.isNaN(published) ? null : published,
  }
})

// Typical queries: 1–3 words of a random title (the benchmarks' shared set), and as many others from the same
// generator to warm up on, so that no timed query was seen before.
const wanted = arg('queries', 500)
const [queries = [], warmup = []] = titleQuerySets(docs, wanted, 2)

function timeQueries(run: (q: string) => unknown): { p50: number; p99: number; mean: number; slowest: string } {
  for (const q of warmup) run(q) // the JIT warms up on other queries
  const times: number[] = []
  const byQuery: [string, number][] = []
  for (const q of queries) {
    const t = performance.now()
    run(q)
    const took = performance.now() - t
    times.push(took)
    byQuery.push([q, took])
  }
  times.sort((a, b) => a - b)
  const slowest = byQuery
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([q, took]) => `"${q}" ${took.toFixed(1)} ms`)
    .join(', ')
  return {
    slowest,
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
  }
}

const rows: [string, string, string][] = []
const row = (what: string, ours: string, mini: string): void => {
  rows.push([what, ours, mini])
}
const ms = (x: number): string => `${x.toFixed(2)} ms`
const mb = (x: number): string => `${(x / 1024 / 1024).toFixed(1)} MB`

console.log(`${docs.length} docs, ${queries.length} queries, e.g. ${queries.slice(0, 5).join(' | ')}`)

// --- ours
let t = performance.now()
let builder: SegmentBuilder | null = new SegmentBuilder()
for (const d of docs) builder.add(d)
let bytes: Uint8Array | null = builder.finish()
const buildMs = performance.now() - t
const segmentBytes = bytes.byteLength
// The index without the stored bodies (the measure of issue 15's positions): the section table's bodies length.
const bodiesBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(HEADER_BYTES + Section.bodies * 8 + 4, true)
const postingsBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(
  HEADER_BYTES + Section.postings * 8 + 4,
  true,
)
// What an isolate holds: the snapshot bytes as loaded from storage, and the opened index.
const snapshot = bytes.slice()
bytes = null
builder = null
// The snapshot bytes are held too: counted in the figure below.
const before = (await held()) - snapshot.byteLength
t = performance.now()
const index = new SearchIndex([Segment.open(snapshot)])
const openMs = performance.now() - t
t = performance.now()
index.search({ q: 'cocoa exports', limit: 10, offset: 0, sort: 'relevance' })
const firstQueryMs = performance.now() - t
const oursHeap = (await held()) - before
const search = (q: string, fuzzy?: boolean, prefix?: boolean) =>
  index.search({
    q,
    limit: 10,
    offset: 0,
    sort: 'relevance',
    ...(fuzzy === undefined ? {} : { fuzzy }),
    ...(prefix === undefined ? {} : { prefix }),
  })
const oursDefault = timeQueries((q) => search(q))
const oursExact = timeQueries((q) => search(q, false, false))
// Steady state: caches (stems, merged term list, typo neighbours, score accumulators) filled by the queries above.
const oursHeapAfterQueries = (await held()) - before
// A fresh index over the same segment: the one above already keeps these queries' typo neighbours.
const faceted = new SearchIndex([Segment.open(snapshot)])
const oursFacets = timeQueries((q) =>
  faceted.search({ q, limit: 10, offset: 0, sort: 'relevance', facets: ['source', 'author', 'lang', 'tags'] }),
)

const withMini = !process.argv.includes('--no-mini')
// --- the same documents as 10 segments plus the last 1,000 in the memtable (a writer between compactions)
const tail = 1000
const chunk = Math.ceil((docs.length - tail) / 10)
const parts: Segment[] = []
for (let i = 0; i < docs.length - tail; i += chunk) {
  const b = new SegmentBuilder()
  for (const d of docs.slice(i, Math.min(i + chunk, docs.length - tail))) b.add(d)
  parts.push(Segment.open(b.finish()))
}
t = performance.now()
const split = new SearchIndex(parts)
const splitOpenMs = performance.now() - t
t = performance.now()
for (const d of docs.slice(docs.length - tail)) split.upsert(d)
const upsertMs = (performance.now() - t) / tail
const splitDefault = timeQueries((q) => split.search({ q, limit: 10, offset: 0, sort: 'relevance' }))

// --- raw MiniSearch, configured as measured in the brief: stop words + Porter stemming, title and body
const stop = new Set(eng)
const miniOptions = {
  fields: ['title', 'body'],
  storeFields: ['title'],
  processTerm: (term: string) => (stop.has(term.toLowerCase()) ? null : stemmer(term.toLowerCase())),
}
t = performance.now()
let mini: MiniSearch | null = new MiniSearch(miniOptions)
if (withMini) mini.addAll(docs.map((d) => ({ id: d.id, title: d.title, body: d.body })))
const miniBuildMs = performance.now() - t
let json: string | null = JSON.stringify(mini)
mini = null
const miniJsonBytes = Buffer.byteLength(json)
// The JSON is held across both readings (it was dropped before the second, which took its 16 MB off the index's).
const miniBefore = await held()
t = performance.now()
const loaded = MiniSearch.loadJSON(json, miniOptions)
const miniLoadMs = performance.now() - t
t = performance.now()
loaded.search('cocoa exports')
const miniFirstMs = performance.now() - t
const miniHeap = (await held()) - miniBefore
json = null
const miniDefault = timeQueries((q) => (withMini ? loaded.search(q, { fuzzy: 0.2, prefix: true }).slice(0, 10) : []))
const miniExact = timeQueries((q) => (withMini ? loaded.search(q).slice(0, 10) : []))

row('build (Node)', ms(buildMs), ms(miniBuildMs))
row('snapshot bytes', mb(segmentBytes), `${mb(miniJsonBytes)} JSON (no bodies stored)`)
row(
  '  without bodies / postings section',
  `${((segmentBytes - bodiesBytes) / 1e6).toFixed(2)} MB / ${(postingsBytes / 1e6).toFixed(2)} MB (10^6 bytes)`,
  '',
)
row('open / loadJSON', ms(openMs), ms(miniLoadMs))
row('first query after open', ms(firstQueryMs), ms(miniFirstMs))
row('heap + buffers held after open', mb(oursHeap), mb(miniHeap))
row(`  … after ${2 * (queries.length + warmup.length)} queries`, mb(oursHeapAfterQueries), '')
row(
  'query p50 / p99, defaults',
  `${ms(oursDefault.p50)} / ${ms(oursDefault.p99)}`,
  `fuzzy 0.2 + prefix: ${ms(miniDefault.p50)} / ${ms(miniDefault.p99)}`,
)
row(
  'query p50 / p99, exact',
  `${ms(oursExact.p50)} / ${ms(oursExact.p99)}`,
  `${ms(miniExact.p50)} / ${ms(miniExact.p99)}`,
)
row('query p50 / p99, defaults + 4 facets', `${ms(oursFacets.p50)} / ${ms(oursFacets.p99)}`, 'n/a')
row('10 segments + 1,000 in memtable: p50 / p99', `${ms(splitDefault.p50)} / ${ms(splitDefault.p99)}`, 'n/a')
row('  index over 10 segments / upsert per doc', `${ms(splitOpenMs)} / ${ms(upsertMs)}`, 'n/a')
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0), 10))
console.log(`\n${'measure'.padEnd(widths[0] ?? 0)}  ${'edgewire engine'.padEnd(widths[1] ?? 0)}  raw MiniSearch 7.2`)
for (const r of rows) console.log(`${r[0].padEnd(widths[0] ?? 0)}  ${r[1].padEnd(widths[1] ?? 0)}  ${r[2]}`)
console.log(`\nslowest (defaults): ${oursDefault.slowest}`)
console.log(`slowest (10 segments + memtable): ${splitDefault.slowest}`)
console.log(
  '\nOurs stores every field a hit and its snippet need (id, title, url, body, source, author, date, lang, tags);' +
    '\nour query times include building the 10 hits with snippets; MiniSearch returns ids and titles only.',
)
