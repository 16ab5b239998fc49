/**
 * `npm run bench:scale`: the path to 1,000,000 articles, simulated on the real engine in Node. Prints a table to
 * stdout, progress to stderr, and writes bench-results/bench-scale.json. About 6 minutes for 1 M on 2 cores.
 *
 * The corpus. 1 M synthetic articles are made from ../shared/corpus/reuters21578.jsonl, deterministically (a
 * mulberry32 stream per article, seeded by its number g): article g takes the title and body of a Reuters story
 * picked by its stream, and each word of 3+ letters is replaced, with probability 3 %, by a synthetic rare token
 * (three names to one number). The token's rank is drawn from a Pareto law, rank = ⌊100 · u^(−1/0.3)⌋, i.e. a
 * Zipf-like tail of exponent 1.3, so the number of distinct tokens keeps growing with the corpus (Heaps' law)
 * instead of stopping at Reuters' 72 k terms. Exponent and scale were chosen by simulating the draws so that the
 * vocabulary grows roughly as V(n) ≈ V_Reuters · (n / 21,578)^0.49 (0.49 is Heaps' β fitted on Reuters-RCV1,
 * Manning et al., IIR §5.1); the run prints the vocabulary it measured and the β between one shard and the whole
 * corpus (560 k terms and 0.53 in the first run: a little more vocabulary than RCV1, so the dictionary figures
 * err on the large side). Each article gets a url (date, title slug, g), its id as the
 * ingest worker makes it (first 32 hex of SHA-256 of "url:" + url), one minute of publication time after the
 * previous one, and a source (200), author (5,000) and 0–3 tags (500), each Zipf-distributed, so facets have
 * realistic dictionaries. Articles are generated shard by shard (never all at once).
 *
 * Per shard (id hash mod S; the id is already a SHA-256, its first 32 bits pick the shard), one at a time and
 * released afterwards: its articles go into a SQLite file with the writer's `articles` table (node:sqlite), so the
 * database size is measured; the build reads them back as the writer's flush does (SELECT article … ORDER BY seq,
 * JSON.parse, toIndexDoc, SegmentBuilder.add, finish) and is timed; the segment's section table gives the bytes by
 * section; splitParts the KV parts; then the parts are read into one buffer and opened as a search isolate does,
 * and the heap + array buffers held (after a full GC), the open time and query p50/p99 are measured. On the first shard the
 * build runs a second time, untimed, with every collection a full one, to measure the writer's live memory at its
 * highest (GC profiler samples).
 *
 * Fan-out: every shard is reopened from its bytes (kept in a temp dir) and each query goes to all S shards with
 * facets; each shard's answer is serialized as it would travel, and the front parses, merges the top 10 by score
 * and sums totals and facet counts. End-to-end ≈ slowest shard + merge + one hop (--hop-ms, default the 12.6 ms p99
 * of an empty /healthz through wrangler dev measured by `npm run bench`, see the README; with S calls in parallel
 * the slowest hop sets the pace, so its p99 is added). IDF is per index: a sample of --idf-docs articles in
 * --idf-shards shards is compared with one index over the same articles (overlap of the top 10).
 *
 * Options (`--name N` or `--name=N`): --docs (1,000,000), --shards (default: chosen from a pilot shard: held bytes
 * vs --budget-mb 64 × --headroom 0.75), --measure (shards built and measured, default all; the rest are
 * extrapolated from them), --queries (300), --hop-ms (12.6), --idf-docs (100,000), --idf-shards (4).
 * Run with `node --expose-gc` (the npm script does) so memory figures are measured after a full collection.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { GCProfiler, getHeapStatistics, setFlagsFromString } from 'node:v8'
import type { Article } from '@edgewire/shared/article'
import { readParts, SEGMENT_PART_BYTES, splitParts, toIndexDoc } from '@edgewire/shared/lifecycle'
import {
  type FacetCount,
  type FacetField,
  type IndexDoc,
  SearchIndex,
  type SearchParams,
  type SearchResult,
  Segment,
  SegmentBuilder,
} from '@edgewire/shared/search'
import { Section } from '../packages/shared/src/search/segment-format'
import { paretoRank, rareToken, zipfPick } from './lib/archive-corpus'
import { fmt, quantile, rng, titleQueries } from './lib/bench-stats'
import { ROOT } from './lib/local-config'

const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'reuters21578.jsonl')
const OUT = join(ROOT, 'bench-results', 'bench-scale.json')

function arg(name: string, fallback: number): number {
  const i = process.argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i < 0) return fallback
  const raw = process.argv[i]?.includes('=') ? process.argv[i]?.split('=')[1] : process.argv[i + 1]
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} needs a positive number, got ${raw}`)
    process.exit(2)
  }
  return value
}

const DOCS = Math.floor(arg('docs', 1_000_000))
const SHARDS_GIVEN = process.argv.some((a) => a === '--shards' || a.startsWith('--shards='))
const QUERY_COUNT = Math.floor(arg('queries', 300))
const WARMUP = Math.min(50, Math.floor(QUERY_COUNT / 5))
const BUDGET = arg('budget-mb', 64) * 1024 * 1024
const HEADROOM = arg('headroom', 0.75)
const HOP_MS = arg('hop-ms', 12.6)
const IDF_DOCS = Math.min(DOCS, Math.floor(arg('idf-docs', 100_000)))
const IDF_SHARDS = Math.floor(arg('idf-shards', 4))
/** The shard count DESIGN.md estimated; the pilot shard is built at this count when --shards is not given. */
const PILOT_SHARDS = 24
const SEED = 20261128

// Synthetic vocabulary (see the header): replacement probability, Pareto scale and Zipf exponent.
const RARE_FRACTION = 0.03
const RARE_SCALE = 100
const RARE_EXPONENT = 1.3
/** Heaps' β of Reuters-RCV1 (IIR §5.1), the growth the synthetic vocabulary aims at. */
const HEAPS_BETA = 0.49

/** Cloudflare limits the figures are compared with (developers.cloudflare.com, Workers and Durable Objects limits). */
const LIMITS = {
  isolateMemory: 128 * 1024 * 1024,
  doCpuMs: 30_000,
  doStorage: 10 * 1024 ** 3,
  subrequestsPaid: 10_000,
}

if (!existsSync(CORPUS)) {
  console.error(`npm run bench:scale needs ${CORPUS} (the shared corpus beside the project); it is not there.`)
  process.exit(2)
}

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) console.error('(run with node --expose-gc, as `npm run bench:scale` does, for memory figures)')
/** Heap + array buffers after a full collection. */
function held(): number {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
/** Heap + external memory as V8 counts it (the measure of the GC profiler's samples), after a full collection. */
function v8Held(): number {
  gc?.()
  gc?.()
  const h = getHeapStatistics()
  return h.used_heap_size + h.external_memory
}

const log = (line: string) => process.stderr.write(`${line}\n`)
const started = performance.now()
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`
const MB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const int = (n: number) => Math.round(n).toLocaleString('en-US')

interface ReutersDoc {
  id: string
  title?: string
  body?: string
  published?: string
}

const reuters = readFileSync(CORPUS, 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as ReutersDoc)
const slugs = reuters.map((d) =>
  (d.title ?? '')
    .toLowerCase()
    .match(/[a-z0-9]+/g)
    ?.slice(0, 8)
    .join('-'),
)

const queries = titleQueries(reuters, QUERY_COUNT)

// --- the synthetic corpus -----------------------------------------------------------------------------------------

const EPOCH = Date.UTC(2020, 0, 1)
const docStream = (g: number) => rng((SEED ^ Math.imul(g + 1, 0x9e3779b1)) >>> 0)
function urlOf(g: number, base: number): string {
  const day = new Date(EPOCH + g * 60_000).toISOString().slice(0, 10).replaceAll('-', '/')
  return `https://news${(g % 7) + 1}.example/${day}/${slugs[base] || 'story'}-${g.toString(36)}`
}
const idOf = (url: string) => createHash('sha256').update(`url:${url}`).digest('hex').slice(0, 32)

/** Synthetic article g, as the writer stores it (the Article JSON of its row). */
function synthesize(g: number): Article {
  const random = docStream(g)
  const base = Math.floor(random() * reuters.length)
  const doc = reuters[base] ?? { id: '', title: '', body: '' }
  const url = urlOf(g, base)
  const replace = (text: string) =>
    text.replace(/[A-Za-z]{3,}/g, (word) =>
      random() < RARE_FRACTION ? rareToken(paretoRank(random(), RARE_SCALE, RARE_EXPONENT)) : word,
    )
  const title = replace(doc.title ?? '')
  const body = replace(doc.body ?? '')
  const tags: string[] = []
  for (let n = Math.floor(random() * 4); n > 0; n--) tags.push(`tag-${zipfPick(random(), 500)}`)
  const author = `Author ${zipfPick(random(), 5000)}`
  const published = new Date(EPOCH + g * 60_000).toISOString()
  return {
    id: idOf(url),
    url,
    externalId: null,
    title,
    byline: author,
    author,
    published,
    source: `Wire ${zipfPick(random(), 200)}`,
    lang: 'en',
    tags: [...new Set(tags)],
    body,
    summary: body.slice(0, 300),
    wordCount: body.split(/\s+/).length,
    contentHash: createHash('sha256').update(`${title}\n${body}`).digest('hex'),
    ingestedAt: published,
    updatedAt: published,
  }
}

// Shard of every article: the first 32 bits of its id (computed once; 4 bytes an article).
log(`${int(DOCS)} synthetic articles from ${int(reuters.length)} Reuters stories; hashing ids…`)
const idBits = new Uint32Array(DOCS)
for (let g = 0; g < DOCS; g++) {
  const base = Math.floor(docStream(g)() * reuters.length)
  idBits[g] = Number.parseInt(idOf(urlOf(g, base)).slice(0, 8), 16)
}

// --- one shard: SQLite rows, build, sections, parts, open, queries ------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'edgewire-scale-'))
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }))
const segmentFile = (shards: number, k: number) => join(tmp, `segment-${shards}-${k}.bin`)

/** The writer's articles table (workers/writer/src/index-writer.ts). */
const ARTICLES_TABLE = `
CREATE TABLE articles (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, record_hash TEXT,
  published_ms INTEGER, event_ms INTEGER NOT NULL, article TEXT, kv_pending INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX articles_by_seq ON articles(seq);
CREATE INDEX articles_kv_pending ON articles(kv_pending) WHERE kv_pending = 1;`

const SECTION_NAMES = new Map<number, string>(Object.entries(Section).map(([name, i]) => [i, name]))
/** Bytes per section, read from the segment's own table (header 16 bytes, then offset/length u32 pairs). */
function sectionSizes(bytes: Uint8Array): Record<string, number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = view.getUint32(8, true)
  const sizes: Record<string, number> = { header: 16 + count * 8 }
  for (let i = 0; i < count; i++) {
    const name = SECTION_NAMES.get(i) ?? `section${i}`
    sizes[name] = view.getUint32(16 + i * 8 + 4, true)
  }
  return sizes
}
/** Stored text a hit shows (urls and bodies for snippets, titles, with their offsets) vs the rest: the index proper. */
function sectionGroups(sizes: Record<string, number>): Record<'index' | 'bodies' | 'titles', number> {
  const groups = { index: 0, bodies: 0, titles: 0 }
  const stored: Record<string, keyof typeof groups> = {
    bodies: 'bodies',
    bodyOffsets: 'bodies',
    titles: 'titles',
    titleOffsets: 'titles',
  }
  for (const [name, n] of Object.entries(sizes)) groups[stored[name] ?? 'index'] += n
  return groups
}

interface Latency {
  p50: number
  p99: number
  mean: number
}
function timeQueries(run: (q: string) => unknown): Latency {
  for (const q of queries.slice(0, WARMUP)) run(q)
  const times: number[] = []
  for (const q of queries) {
    const t = performance.now()
    run(q)
    times.push(performance.now() - t)
  }
  return {
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
  }
}
const page = (q: string, extra: Partial<SearchParams> = {}): SearchParams => ({
  q,
  limit: 10,
  offset: 0,
  sort: 'relevance',
  ...extra,
})

interface ShardFigures {
  shards: number
  shard: number
  docs: number
  /** article JSON as stored in the writer's rows */
  articleBytes: number
  sqliteBytes: number
  generateMs: number
  /** reading rows, JSON.parse, toIndexDoc, add */
  readMs: number
  finishMs: number
  buildCpuMs: number
  /** heap + buffers the builder holds with every document added, before finish() */
  writerHeldBeforeFinish: number
  /** the writer's live memory at its highest over the build (measured on the first shard only) */
  writerPeak: number | null
  /** heap + buffers held once finish() returns: the segment bytes (the builder lets go of its documents as it packs) */
  writerHeldAfterFinish: number
  segmentBytes: number
  sections: Record<string, number>
  groups: Record<'index' | 'bodies' | 'titles', number>
  parts: number
  terms: number
  /** join the KV parts, Segment.open, new SearchIndex */
  openMs: number
  firstQueryMs: number
  /** heap + buffers while loading: the KV parts and their joined copy */
  loadPeak: number
  heldAfterOpen: number
  heldAfterQueries: number
  defaults: Latency
  exact: Latency
}

const vocabulary = new Set<string>()

const FLUSH_ROWS = 'SELECT article FROM articles WHERE seq > ? AND seq <= ? AND deleted = 0 ORDER BY seq'
/** Reads the rows as the writer's flush does and adds them to a builder. */
function addRows(db: DatabaseSync, docs: number): SegmentBuilder {
  const builder = new SegmentBuilder()
  for (const row of db.prepare(FLUSH_ROWS).iterate(0, docs)) {
    builder.add(toIndexDoc(JSON.parse(row.article as string) as Article))
  }
  return builder
}

/**
 * The writer's live memory at its highest over a whole build, above what was held before: V8 is told to make every
 * collection a full one meanwhile (slow, so this build is not the timed one), and the highest heap + external memory
 * left after a collection is the figure (or what is held at the end, when higher).
 */
function writerPeakMemory(db: DatabaseSync, docs: number): number {
  const base = v8Held()
  setFlagsFromString('--gc-global')
  const profiler = new GCProfiler()
  profiler.start()
  const builder = addRows(db, docs)
  const bytes = builder.finish()
  const atEnd = v8Held() - base
  const gcs = profiler.stop().statistics
  setFlagsFromString('--no-gc-global')
  const live = gcs.map((s) => s.afterGC.heapStatistics.usedHeapSize + s.afterGC.heapStatistics.externalMemory - base)
  return bytes.byteLength > 0 ? Math.max(atEnd, ...live) : atEnd
}

async function measureShard(shards: number, k: number, probe: boolean): Promise<ShardFigures> {
  const dbFile = join(tmp, `shard-${shards}-${k}.sqlite`)
  rmSync(dbFile, { force: true })
  const db = new DatabaseSync(dbFile)
  db.exec(ARTICLES_TABLE)
  let t = performance.now()
  const insert = db.prepare(
    'INSERT INTO articles (id, seq, record_hash, published_ms, event_ms, article) VALUES (?, ?, ?, ?, ?, ?)',
  )
  let docs = 0
  let articleBytes = 0
  db.exec('BEGIN')
  for (let g = 0; g < DOCS; g++) {
    if ((idBits[g] ?? 0) % shards !== k) continue
    const article = synthesize(g)
    const json = JSON.stringify(article)
    articleBytes += Buffer.byteLength(json)
    const ms = Date.parse(article.published ?? '')
    insert.run(article.id, ++docs, article.contentHash, ms, ms, json)
  }
  db.exec('COMMIT')
  const generateMs = performance.now() - t

  // The writer's flush: rows in seq order → Article → IndexDoc → segment.
  const baseHeld = held()
  const cpu = process.cpuUsage()
  t = performance.now()
  let builder: SegmentBuilder | null = addRows(db, docs)
  const readMs = performance.now() - t
  let cpuSpent = process.cpuUsage(cpu)
  const writerHeldBeforeFinish = held() - baseHeld
  const cpu2 = process.cpuUsage()
  t = performance.now()
  let bytes: Uint8Array | null = builder.finish()
  const finishMs = performance.now() - t
  const cpuFinish = process.cpuUsage(cpu2)
  cpuSpent = { user: cpuSpent.user + cpuFinish.user, system: cpuSpent.system + cpuFinish.system }
  const writerHeldAfterFinish = held() - baseHeld
  builder = null
  const writerPeak = probe ? writerPeakMemory(db, docs) : null
  db.close()
  const sqliteBytes = statSync(dbFile).size
  rmSync(dbFile)

  const sections = sectionSizes(bytes)
  const parts = splitParts(bytes).length
  const segmentBytes = bytes.byteLength
  writeFileSync(segmentFile(shards, k), bytes)
  bytes = null

  // A search isolate: KV parts (separate buffers), read one after another into one buffer, opened.
  const base = held()
  let kvParts: Uint8Array[] = splitParts(readFileSync(segmentFile(shards, k))).map((p) => p.slice())
  t = performance.now()
  // Each part is let go once copied, as a part read from KV is.
  const arrives = async (i: number) => {
    const part = kvParts[i] ?? new Uint8Array()
    kvParts[i] = new Uint8Array()
    return part
  }
  const segment = Segment.open(await readParts(segmentBytes, kvParts.length, arrives))
  const index = new SearchIndex([segment])
  const openMs = performance.now() - t
  const loadPeak = held() - base
  kvParts = []
  t = performance.now()
  index.search(page('cocoa exports'))
  const firstQueryMs = performance.now() - t
  const heldAfterOpen = held() - base
  const defaults = timeQueries((q) => index.search(page(q)))
  const exact = timeQueries((q) => index.search(page(q, { fuzzy: false, prefix: false })))
  const heldAfterQueries = held() - base
  for (const term of segment.termList()) vocabulary.add(term)
  return {
    shards,
    shard: k,
    docs,
    articleBytes,
    sqliteBytes,
    generateMs,
    readMs,
    finishMs,
    buildCpuMs: (cpuSpent.user + cpuSpent.system) / 1000,
    writerHeldBeforeFinish,
    writerPeak,
    writerHeldAfterFinish,
    segmentBytes,
    sections,
    groups: sectionGroups(sections),
    parts,
    terms: segment.termCount,
    openMs,
    firstQueryMs,
    loadPeak,
    heldAfterOpen,
    heldAfterQueries,
    defaults,
    exact,
  }
}

function report(f: ShardFigures): void {
  log(
    `  shard ${f.shard}/${f.shards}: ${int(f.docs)} docs, built in ${fmt((f.readMs + f.finishMs) / 1000)} s ` +
      `(${fmt(((f.readMs + f.finishMs) * 1000) / f.docs, 0)} µs/article), segment ${MB(f.segmentBytes)} ` +
      `(bodies ${MB(f.groups.bodies)}), ${int(f.terms)} terms, held ${MB(f.heldAfterQueries)}, ` +
      `p50/p99 ${fmt(f.defaults.p50, 2)}/${fmt(f.defaults.p99, 1)} ms · ${elapsed()}`,
  )
}

// --- S: from the flag, or from a pilot shard's held bytes against the budget --------------------------------------

let pilot: ShardFigures | null = null
let shardCount: number
const target = BUDGET * HEADROOM
if (SHARDS_GIVEN) {
  shardCount = Math.floor(arg('shards', PILOT_SHARDS))
} else {
  log(`pilot: shard 0 of ${PILOT_SHARDS} (S from DESIGN.md's estimate) to measure the bytes a reader holds…`)
  pilot = await measureShard(PILOT_SHARDS, 0, true)
  report(pilot)
  const perDoc = pilot.heldAfterQueries / pilot.docs
  shardCount = Math.max(1, Math.ceil((DOCS * perDoc) / target))
  log(
    `  ${fmt(perDoc, 0)} bytes held per article → S = ⌈${int(DOCS)} × ${fmt(perDoc, 0)} / ${MB(target)}⌉ = ${shardCount}`,
  )
}
const measureCount = Math.min(shardCount, Math.floor(arg('measure', shardCount)))

// --- every shard, one at a time -----------------------------------------------------------------------------------

log(`${shardCount} shards, ${measureCount} built and measured · ${elapsed()}`)
if (pilot !== null && pilot.shards !== shardCount) vocabulary.clear()
const figures: ShardFigures[] = []
for (let k = 0; k < measureCount; k++) {
  const f =
    pilot !== null && pilot.shards === shardCount && k === 0 ? pilot : await measureShard(shardCount, k, k === 0)
  if (f !== pilot) report(f)
  figures.push(f)
}

const mean = (pick: (f: ShardFigures) => number) => figures.reduce((n, f) => n + pick(f), 0) / figures.length
const max = (pick: (f: ShardFigures) => number) => Math.max(...figures.map(pick))
const docsPerShard = mean((f) => f.docs)
const heldPerDoc = mean((f) => f.heldAfterQueries / f.docs)
const bodiesPerDoc = mean((f) => f.groups.bodies / f.docs)
const buildUsPerDoc = mean((f) => ((f.readMs + f.finishMs) * 1000) / f.docs)
const cpuUsPerDoc = mean((f) => (f.buildCpuMs * 1000) / f.docs)

// --- fan-out: a query to every shard, merged by the front ---------------------------------------------------------

interface Merged {
  total: number
  ids: string[]
  facets: Partial<Record<FacetField, FacetCount[]>>
}
/** What the front does with the shards' answers: top `limit` by score, totals and facet counts summed. */
function merge(results: SearchResult[], limit: number): Merged {
  let total = 0
  const hits: { id: string; score: number }[] = []
  const counts = new Map<FacetField, Map<string, number>>()
  for (const r of results) {
    total += r.total
    for (const h of r.hits) hits.push({ id: h.id, score: h.score })
    for (const [field, list] of Object.entries(r.facets ?? {}) as [FacetField, FacetCount[]][]) {
      const into = counts.get(field) ?? new Map<string, number>()
      counts.set(field, into)
      for (const { value, count } of list) into.set(value, (into.get(value) ?? 0) + count)
    }
  }
  hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
  const facets: Partial<Record<FacetField, FacetCount[]>> = {}
  for (const [field, into] of counts) {
    facets[field] = [...into]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1))
      .slice(0, 20)
  }
  return { total, ids: hits.slice(0, limit).map((h) => h.id), facets }
}

log(`fan-out: reopening ${figures.length} shards from their bytes · ${elapsed()}`)
const fanout = (() => {
  const indexes = figures.map((f) => new SearchIndex([Segment.open(readFileSync(segmentFile(shardCount, f.shard)))]))
  const params = (q: string) => page(q, { facets: ['source', 'author', 'lang', 'tags'] })
  for (const q of queries.slice(0, WARMUP)) for (const index of indexes) JSON.stringify(index.search(params(q)))
  const perShard: number[] = []
  const slowest: number[] = []
  const sum: number[] = []
  const mergeMs: number[] = []
  const endToEnd: number[] = []
  let payloadBytes = 0
  for (const q of queries) {
    const payloads: string[] = []
    let worst = 0
    let all = 0
    for (const index of indexes) {
      const t = performance.now()
      payloads.push(JSON.stringify(index.search(params(q))))
      const took = performance.now() - t
      perShard.push(took)
      worst = Math.max(worst, took)
      all += took
      payloadBytes += payloads[payloads.length - 1]?.length ?? 0
    }
    const t = performance.now()
    merge(
      payloads.map((p) => JSON.parse(p) as SearchResult),
      10,
    )
    const took = performance.now() - t
    slowest.push(worst)
    sum.push(all)
    mergeMs.push(took)
    endToEnd.push(worst + took + HOP_MS)
  }
  const q = (xs: number[]) => ({ p50: quantile(xs, 0.5), p99: quantile(xs, 0.99) })
  return {
    shards: indexes.length,
    queries: queries.length,
    perShard: q(perShard),
    slowest: q(slowest),
    sum: q(sum),
    merge: q(mergeMs),
    payloadBytesPerShard: payloadBytes / (queries.length * indexes.length),
    hopMs: HOP_MS,
    endToEnd: q(endToEnd),
  }
})()
log(
  `  per shard p50/p99 ${fmt(fanout.perShard.p50, 2)}/${fmt(fanout.perShard.p99, 1)} ms, slowest of ` +
    `${fanout.shards} ${fmt(fanout.slowest.p50, 1)}/${fmt(fanout.slowest.p99, 1)} ms, merge ` +
    `${fmt(fanout.merge.p50, 2)}/${fmt(fanout.merge.p99, 2)} ms · ${elapsed()}`,
)
for (const f of figures) rmSync(segmentFile(shardCount, f.shard), { force: true })

// --- per-shard IDF: merged shards vs one index over the same articles ---------------------------------------------

log(`IDF: ${int(IDF_DOCS)} articles in ${IDF_SHARDS} shards vs one index · ${elapsed()}`)
const idf = (() => {
  const whole = new SegmentBuilder()
  const parts = Array.from({ length: IDF_SHARDS }, () => new SegmentBuilder())
  for (let g = 0; g < IDF_DOCS; g++) {
    const doc: IndexDoc = toIndexDoc(synthesize(g))
    whole.add(doc)
    parts[(idBits[g] ?? 0) % IDF_SHARDS]?.add(doc)
  }
  const wholeSegment = Segment.open(whole.finish())
  const one = new SearchIndex([wholeSegment])
  const shardIndexes = parts.map((b) => new SearchIndex([Segment.open(b.finish())]))
  const compare = (extra: Partial<SearchParams>) => {
    let overlap = 0
    let tieAware = 0
    let same = 0
    let totalsEqual = 0
    let asked = 0
    for (const q of queries) {
      const global = one.search(page(q, { ...extra, limit: 100 }))
      const top = global.hits.slice(0, 10)
      if (top.length === 0) continue
      asked++
      const merged = merge(
        shardIndexes.map((index) => index.search(page(q, extra))),
        10,
      )
      const inTop = new Set(top.map((h) => h.id))
      const scoreOf = new Map(global.hits.map((h) => [h.id, h.score]))
      const tenth = top[top.length - 1]?.score ?? 0
      let hits = 0
      let tied = 0
      for (const id of merged.ids) {
        if (inTop.has(id)) hits++
        else if (Math.abs((scoreOf.get(id) ?? -1) - tenth) <= 1e-6 * Math.max(1, tenth)) tied++
      }
      overlap += hits / top.length
      tieAware += Math.min(1, (hits + tied) / top.length)
      if (hits === top.length) same++
      if (merged.total === global.total) totalsEqual++
    }
    return {
      queries: asked,
      overlapAt10: overlap / asked,
      overlapAt10TiesCounted: tieAware / asked,
      identicalTop10: same / asked,
      totalsEqual: totalsEqual / asked,
    }
  }
  return {
    docs: IDF_DOCS,
    shards: IDF_SHARDS,
    terms: wholeSegment.termCount,
    defaults: compare({}),
    exact: compare({ fuzzy: false, prefix: false }),
  }
})()
log(
  `  overlap@10 defaults ${fmt(idf.defaults.overlapAt10, 3)} (ties counted ${fmt(idf.defaults.overlapAt10TiesCounted, 3)}), ` +
    `exact ${fmt(idf.exact.overlapAt10, 3)}; totals equal ${fmt(idf.defaults.totalsEqual * 100, 0)} % / ` +
    `${fmt(idf.exact.totalsEqual * 100, 0)} % · ${elapsed()}`,
)

// --- what breaks first ---------------------------------------------------------------------------------------------

const measuredDocs = figures.reduce((n, f) => n + f.docs, 0)
const extrapolated = measureCount < shardCount
const vocabularyAll = extrapolated ? Number.NaN : vocabulary.size
const shardTerms = mean((f) => f.terms)
const heapsShard = Math.log(vocabulary.size / shardTerms) / Math.log(measuredDocs / docsPerShard)
const indexPerDoc = heldPerDoc - bodiesPerDoc
const heldPerShard = mean((f) => f.heldAfterQueries)
const swapPeak = max((f) => f.heldAfterQueries + f.loadPeak)
const shardsWithoutBodies = Math.max(1, Math.ceil((DOCS * indexPerDoc) / target))
const buildSeconds = mean((f) => f.readMs + f.finishMs) / 1000
const probed = figures.find((f) => f.writerPeak !== null) ?? figures[0]
const writerPeak = probed?.writerPeak ?? Number.NaN
const writerHeld = max((f) => f.writerHeldBeforeFinish)
const sqlitePerShard = mean((f) => f.sqliteBytes)
const partsPerShard = max((f) => f.parts)
const rewrites = Math.log(docsPerShard / 1000) / Math.log(4)

const rows: [string, string, string][] = []
const row = (what: string, value: string, note = '') => rows.push([what, value, note])
row(
  'articles / shards (S)',
  `${int(DOCS)} / ${shardCount}`,
  SHARDS_GIVEN ? '--shards' : `S = ⌈N × held per article / ${MB(target)}⌉`,
)
row(
  'shards built and measured',
  `${measureCount} (${int(measuredDocs)} articles)`,
  extrapolated ? 'the rest extrapolated' : 'all',
)
row(
  'articles per shard',
  int(docsPerShard),
  `min ${int(Math.min(...figures.map((f) => f.docs)))}, max ${int(max((f) => f.docs))}`,
)
row(
  'vocabulary: one shard / all',
  `${int(shardTerms)} / ${extrapolated ? 'n/a' : int(vocabularyAll)}`,
  Number.isFinite(heapsShard) ? `Heaps β between them ${fmt(heapsShard, 2)} (RCV1: ${HEAPS_BETA})` : '',
)
row(
  'article JSON per shard (rows)',
  MB(mean((f) => f.articleBytes)),
  `${fmt(
    mean((f) => f.articleBytes / f.docs),
    0,
  )} B/article`,
)
row('SQLite file per shard', MB(sqlitePerShard), `writer's articles table; DO limit ${MB(LIMITS.doStorage)}`)
row(
  'segment per shard',
  MB(mean((f) => f.segmentBytes)),
  `${fmt(
    mean((f) => f.segmentBytes / f.docs),
    0,
  )} B/article`,
)
row(
  '  index part',
  MB(mean((f) => f.groups.index)),
  `${fmt(
    mean((f) => f.groups.index / f.docs),
    0,
  )} B/article (postings ${MB(mean((f) => f.sections.postings ?? 0))}, terms ${MB(mean((f) => f.sections.terms ?? 0))})`,
)
row('  urls and bodies (+ offsets)', MB(mean((f) => f.groups.bodies)), `${fmt(bodiesPerDoc, 0)} B/article`)
row('  titles (+ offsets)', MB(mean((f) => f.groups.titles)), '')
row('KV parts per shard', `${partsPerShard}`, `${MB(SEGMENT_PART_BYTES)} each`)
row(
  'writer build per shard (flush/merge)',
  `${fmt(buildSeconds, 1)} s`,
  `${fmt(buildUsPerDoc, 0)} µs/article wall, ${fmt(cpuUsPerDoc, 0)} µs CPU; DO limit ${LIMITS.doCpuMs / 1000} s`,
)
row(
  'writer memory during a shard build',
  `${MB(writerPeak)} live at its peak`,
  `${MB(writerHeld)} with every row added, before finish(); isolate ${MB(LIMITS.isolateMemory)}`,
)
row(
  'reader: open (join parts + open)',
  `${fmt(
    mean((f) => f.openMs),
    1,
  )} ms`,
  `first query ${fmt(
    mean((f) => f.firstQueryMs),
    1,
  )} ms`,
)
row(
  'reader: held after open / queries',
  `${MB(mean((f) => f.heldAfterOpen))} / ${MB(heldPerShard)}`,
  `${fmt(heldPerDoc, 0)} B/article; budget ${MB(BUDGET)}`,
)
/** "p50 / p99 ms" with p50 to `p50Digits` and p99 to `p99Digits` decimals. */
const p50p99 = (p50: number, p99: number, p50Digits = 2, p99Digits = 1): string =>
  `${fmt(p50, p50Digits)} / ${fmt(p99, p99Digits)} ms`
row(
  'reader: while loading (parts + joined)',
  MB(max((f) => f.loadPeak)),
  `swap to a new full-shard segment: ${MB(swapPeak)}`,
)
row(
  'shard query p50 / p99, defaults',
  p50p99(
    mean((f) => f.defaults.p50),
    max((f) => f.defaults.p99),
  ),
  'mean of shard p50s / worst shard p99',
)
row(
  'shard query p50 / p99, exact',
  p50p99(
    mean((f) => f.exact.p50),
    max((f) => f.exact.p99),
  ),
  '',
)
row(
  'fan-out: per shard, with 4 facets',
  p50p99(fanout.perShard.p50, fanout.perShard.p99),
  `${fmt(fanout.payloadBytesPerShard / 1024, 1)} KB answer per shard`,
)
row(
  `fan-out: slowest of ${fanout.shards} shards`,
  p50p99(fanout.slowest.p50, fanout.slowest.p99, 1),
  `all shards' CPU ${p50p99(fanout.sum.p50, fanout.sum.p99, 1)} per query`,
)
row('fan-out: front merge (parse + top 10 + sums)', p50p99(fanout.merge.p50, fanout.merge.p99, 2, 2), '')
row(
  'fan-out: end to end (estimate)',
  p50p99(fanout.endToEnd.p50, fanout.endToEnd.p99, 1),
  `slowest shard + merge + ${HOP_MS} ms hop`,
)
row(
  `IDF per shard (${int(IDF_DOCS)} in ${IDF_SHARDS} vs 1): overlap@10`,
  `${fmt(idf.defaults.overlapAt10, 3)} defaults, ${fmt(idf.exact.overlapAt10, 3)} exact`,
  `ties counted ${fmt(idf.defaults.overlapAt10TiesCounted, 3)} / ${fmt(idf.exact.overlapAt10TiesCounted, 3)}; identical top 10 ${fmt(idf.defaults.identicalTop10 * 100, 0)} %`,
)
row(
  '  totals equal to one index',
  `${fmt(idf.defaults.totalsEqual * 100, 0)} % defaults, ${fmt(idf.exact.totalsEqual * 100, 0)} % exact`,
  'fuzzy/prefix expand per shard',
)
row(
  'one reader holding all articles',
  MB(heldPerDoc * DOCS),
  `${fmt((heldPerDoc * DOCS) / BUDGET, 0)} × the ${MB(BUDGET)} budget (extrapolated)`,
)
row('S if bodies left the reader', `${shardsWithoutBodies}`, `${fmt(indexPerDoc, 0)} B/article held without bodies`)
row('merge rewrites of each article', fmt(rewrites, 1), `log4(${int(docsPerShard)} / 1,000)`)
row('fan-out subrequests per query', `${shardCount}`, `of ${int(LIMITS.subrequestsPaid)} (paid plan)`)

const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)))
console.log(`\n${'figure'.padEnd(widths[0] ?? 0)}  ${'measured'.padEnd(widths[1] ?? 0)}  note`)
for (const r of rows) console.log(`${r[0].padEnd(widths[0] ?? 0)}  ${r[1].padEnd(widths[1] ?? 0)}  ${r[2]}`)

mkdirSync(join(ROOT, 'bench-results'), { recursive: true })
writeFileSync(
  OUT,
  `${JSON.stringify(
    {
      docs: DOCS,
      shards: shardCount,
      measured: measureCount,
      budgetBytes: BUDGET,
      headroom: HEADROOM,
      synthetic: { rareFraction: RARE_FRACTION, rareScale: RARE_SCALE, rareExponent: RARE_EXPONENT, seed: SEED },
      vocabulary: { perShard: shardTerms, all: vocabularyAll, heapsBeta: heapsShard, idfSampleTerms: idf.terms },
      pilot,
      perShard: figures,
      summary: {
        docsPerShard,
        heldPerDoc,
        bodiesPerDoc,
        indexPerDoc,
        buildUsPerDoc,
        cpuUsPerDoc,
        buildSeconds,
        writerHeld,
        writerPeak,
        sqlitePerShard,
        partsPerShard,
        swapPeak,
        oneReaderBytes: heldPerDoc * DOCS,
        shardsWithoutBodies,
        rewrites,
      },
      fanout,
      idf,
      queries: queries.length,
      seconds: (performance.now() - started) / 1000,
    },
    null,
    2,
  )}\n`,
)
log(`wrote ${OUT} · ${elapsed()}`)
