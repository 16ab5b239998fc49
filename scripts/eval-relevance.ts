/**
 * `npm run eval`: nDCG@10, MRR@10 and recall@100 of the search engine on ../shared/corpus/relevance, beside the
 * figures of other engines from the corpus README. Uses the same Analyzer, SegmentBuilder and SearchIndex as the
 * search worker, with the API's default query settings (fuzzy and prefix as DEFAULT_QUERY_OPTIONS).
 *
 * The queries are sent as text, not in the query syntax: quote marks and a minus sign before a word are read as
 * spaces. CISI's and Cranfield's queries are prose written for librarians (CISI's mostly abstracts of papers), where
 * they are punctuation (`the "training" phase`, `"Office of the Future," "Office Technology,"`, Cranfield's `-dash`
 * for a hyphen); nobody searching types them as operators, and the other engines' figures beside ours read them as
 * words. `--syntax` sends the queries as written, to see what the syntax does to such prose.
 *
 * The documents are split over 4 shards, as deployed (wrangler.toml's WRITER_SHARDS), by `shardOf(id)`, one segment each, and searched as one
 * SearchIndex over all of them, as a search isolate holds the writers' segments; `--shards=N` splits them over N
 * (1: one index). With more than one shard it also prints overlap@10: per query, the share of the unsharded
 * index's top 10 that the sharded one returns in its top 10 (the aim is at least 0.95).
 *
 * Experiments (not the defaults): --stemmer=porter2|none --no-stop --bigrams=off|words|runs --no-josa
 *   --k1=1.2 --b=0.75 --btitle=0.5 --title=2.5 --fuzzy=0|1 --prefix=0|1 --prox=0.25 (0 = no proximity)
 *   --depth=30 (candidates reranked by proximity) --proxfull=16 (query words up to which proximity weighs in full)
 *   --syntax --only=cisi,cranfield,cjk,lead (lead: a synthetic English news set, run only when asked; see leadSet)
 *   --shards=4
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  Analyzer,
  type AnalyzerOptions,
  type Bm25Params,
  DEFAULT_ANALYZER_OPTIONS,
  DEFAULT_BM25,
  type IndexDoc,
  QUERY_LIMITS,
  SearchIndex,
  Segment,
  SegmentBuilder,
} from '../packages/shared/src/search'
import { shardOf } from '../packages/shared/src/shards'
import { type Judgments, mrrAt, ndcgAt, recallAt } from './lib/relevance-metrics'

const CORPUS = join(import.meta.dirname, '..', '..', 'shared', 'corpus')
const REL = join(CORPUS, 'relevance')

/** nDCG@10 of other engines, from ../shared/corpus/README.md (measured there, default settings). */
const OTHERS: Record<string, Record<string, number>> = {
  cisi: { MiniSearch: 0.265, 'MiniSearch p+f': 0.235, Lunr: 0.396, FTS5: 0.361, FlexSearch: 0.087, Orama: 0.116 },
  cranfield: { MiniSearch: 0.318, 'MiniSearch p+f': 0.253, Lunr: 0.374, FTS5: 0.351, FlexSearch: 0.18, Orama: 0.135 },
  cjk: {
    MiniSearch: 0.501,
    'MiniSearch p+f': 0.679,
    Lunr: 0,
    FTS5: 0.47,
    'FTS5 tri': 0.481,
    FlexSearch: 0.545,
    Orama: 0.002,
  },
}
const AIMS: Record<string, number> = { cisi: 0.4, cranfield: 0.37, cjk: 0.85 }

interface RawDoc {
  id: string
  title?: string
  body?: string
  url?: string
  author?: string
  published?: string
  source?: string
  lang?: string
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T)
}

function toIndexDoc(d: RawDoc): IndexDoc {
  const published = d.published === undefined ? Number.NaN : Date.parse(d.published)
  return {
    id: String(d.id),
    title: d.title ?? '',
    body: d.body ?? '',
    url: d.url ?? null,
    source: d.source ?? null,
    author: d.author ?? null,
    lang: d.lang ?? 'en',
    tags: [],
    published: Number.isNaN(published) ? null : published,
  }
}

function arg(name: string): string | undefined {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (hit === undefined) return undefined
  const eq = hit.indexOf('=')
  return eq < 0 ? 'true' : hit.slice(eq + 1)
}

function num(name: string, fallback: number): number {
  const v = arg(name)
  return v === undefined ? fallback : Number(v)
}

const analyzerOptions: AnalyzerOptions = {
  ...DEFAULT_ANALYZER_OPTIONS,
  ...(arg('stemmer') !== undefined ? { stemmer: arg('stemmer') as AnalyzerOptions['stemmer'] } : {}),
  ...(arg('no-stop') !== undefined ? { stopWords: false } : {}),
  ...(arg('bigrams') !== undefined ? { cjkBigrams: arg('bigrams') as AnalyzerOptions['cjkBigrams'] } : {}),
  ...(arg('no-josa') !== undefined ? { koreanSuffixes: false } : {}),
}
const bm25: Bm25Params = {
  ...DEFAULT_BM25,
  k1: num('k1', DEFAULT_BM25.k1),
  bBody: num('b', DEFAULT_BM25.bBody),
  bTitle: num('btitle', DEFAULT_BM25.bTitle),
  titleWeight: num('title', DEFAULT_BM25.titleWeight),
}
const fuzzyArg = arg('fuzzy')
const prefixArg = arg('prefix')
const analyzer = new Analyzer(analyzerOptions)

interface Query {
  qid: string
  text: string
  lang?: string
}

interface Scores {
  ndcg: number
  mrr: number
  recall: number
  overlap: number
  n: number
}

/** Shards the documents are split over (see the top of this file). */
const SHARDS = num('shards', 4)

/** The documents as a search isolate holds them over `shards` writers: one segment per shard, one SearchIndex. */
function buildIndex(docs: RawDoc[], maxQueryChars: number, shards: number): SearchIndex {
  const builders = Array.from({ length: shards }, () => ({ builder: new SegmentBuilder({ analyzer, bm25 }), docs: 0 }))
  for (const d of docs) {
    const doc = toIndexDoc(d)
    const shard = builders[shardOf(doc.id, shards)]
    if (!shard) continue
    shard.builder.add(doc)
    shard.docs++
  }
  const segments = builders
    .filter((b) => b.docs > 0)
    .map((b) => Segment.open(b.builder.finish(), { analyzerId: analyzer.id }))
  return new SearchIndex(segments, {
    analyzer,
    bm25,
    limits: { maxQueryChars },
    ...(arg('prox') !== undefined ? { proximityWeight: num('prox', 1) } : {}),
    ...(arg('depth') !== undefined ? { proximityDepth: num('depth', 30) } : {}),
    ...(arg('proxfull') !== undefined ? { proximityFullWords: num('proxfull', 16) } : {}),
  })
}

/** The share of `one`'s top 10 that `sharded` has in its top 10 (1 when both are empty). */
function overlapAt10(sharded: string[], one: string[]): number {
  const top = one.slice(0, 10)
  if (top.length === 0) return sharded.length === 0 ? 1 : 0
  const kept = new Set(sharded.slice(0, 10))
  return top.filter((id) => kept.has(id)).length / top.length
}

function evaluate(
  docs: RawDoc[],
  queries: Query[],
  qrels: { qid: string; docId: string; rel: number }[],
  maxQueryChars: number,
) {
  const t0 = performance.now()
  const index = buildIndex(docs, maxQueryChars, SHARDS)
  const buildMs = performance.now() - t0
  const unsharded = SHARDS > 1 ? buildIndex(docs, maxQueryChars, 1) : null
  const judged = new Map<string, Judgments>()
  for (const r of qrels) {
    const m = judged.get(String(r.qid)) ?? new Map<string, number>()
    m.set(String(r.docId), r.rel)
    judged.set(String(r.qid), m)
  }
  const byGroup = new Map<string, Scores>()
  const add = (group: string, s: { ndcg: number; mrr: number; recall: number; overlap: number }): void => {
    const g = byGroup.get(group) ?? { ndcg: 0, mrr: 0, recall: 0, overlap: 0, n: 0 }
    g.ndcg += s.ndcg
    g.mrr += s.mrr
    g.recall += s.recall
    g.overlap += s.overlap
    g.n++
    byGroup.set(group, g)
  }
  let searchMs = 0
  for (const q of queries) {
    const j = judged.get(String(q.qid))
    if (j === undefined) continue
    const params = {
      // As text: quotes and leading minus signs read as spaces (see the top of this file); --syntax: as written.
      q: arg('syntax') !== undefined ? q.text : q.text.replace(/["\u201c\u201d\u201e]|(?<!\S)-/gu, ' '),
      limit: 100,
      offset: 0,
      sort: 'relevance' as const,
      ...(fuzzyArg !== undefined ? { fuzzy: fuzzyArg === '1' || fuzzyArg === 'true' } : {}),
      ...(prefixArg !== undefined ? { prefix: prefixArg === '1' || prefixArg === 'true' } : {}),
    }
    const t1 = performance.now()
    const ranking = index.search(params).hits.map((h) => h.id)
    searchMs += performance.now() - t1
    const overlap = unsharded
      ? overlapAt10(
          ranking,
          unsharded.search(params).hits.map((h) => h.id),
        )
      : 1
    const s = {
      ndcg: ndcgAt(ranking, j, 10),
      mrr: mrrAt(ranking, j, 10),
      recall: recallAt(ranking, j, 100),
      overlap,
    }
    add('all', s)
    if (q.lang !== undefined) add(q.lang, s)
  }
  const queryMs = searchMs / Math.max(1, byGroup.get('all')?.n ?? 1)
  return { byGroup, buildMs, queryMs }
}

/**
 * `--only=lead`: a synthetic known-item set on English news, the only English news here with something to find.
 * 300 Reuters articles of 600+ characters, chosen with a fixed seed; the query is the first sentence of the body
 * (cut at 150 characters, as long as a descriptive query), and that sentence is removed from the article. Another
 * article holding the same sentence is the same story and counts as relevant too. Not a judged collection: a
 * query that is a sentence of the lost lead favours documents sharing its wording, not what a reader would judge.
 */
function leadSet(all: RawDoc[]): [RawDoc[], Query[], { qid: string; docId: string; rel: number }[]] {
  let seed = 12345
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  const pool = all.filter((d) => (d.body ?? '').length >= 600)
  const chosen = new Set<string>()
  while (chosen.size < 300) chosen.add(pool[Math.floor(rand() * pool.length)]?.id ?? '')
  const queries: Query[] = []
  const qrels: { qid: string; docId: string; rel: number }[] = []
  const docs = all.map((d) => {
    if (!chosen.has(d.id)) return d
    const body = d.body ?? ''
    const m = /^[\s\S]*?\.(?=\s+(?:&|[A-Z"]))/.exec(body)
    const sentence = (m?.[0] ?? body.slice(0, 150)).replace(/\s+/g, ' ').trim()
    let text = sentence
    if (text.length > 150) text = text.slice(0, text.lastIndexOf(' ', 150))
    queries.push({ qid: d.id, text })
    qrels.push({ qid: d.id, docId: d.id, rel: 1 })
    return { ...d, body: body.slice(m?.[0].length ?? 150) }
  })
  // Reuters repeats stories: another article holding the same sentence is the same story, so relevant too.
  const flat = docs.map((d) => ({ id: d.id, text: (d.body ?? '').replace(/\s+/g, ' ') }))
  for (const q of queries) {
    for (const d of flat) if (d.id !== q.qid && d.text.includes(q.text)) qrels.push({ qid: q.qid, docId: d.id, rel: 1 })
  }
  return [docs, queries, qrels]
}

const f3 = (x: number): string => x.toFixed(3)
const only = arg('only')?.split(',')
const sets: {
  key: string
  name: string
  load: () => [RawDoc[], Query[], { qid: string; docId: string; rel: number }[]]
  /** run only when named in --only */
  optional?: boolean
}[] = [
  {
    key: 'cisi',
    name: 'CISI',
    load: () => [
      readJsonl(join(REL, 'cisi.jsonl')),
      readJsonl(join(REL, 'cisi.queries.jsonl')),
      readJsonl(join(REL, 'cisi.qrels.jsonl')),
    ],
  },
  {
    key: 'cranfield',
    name: 'Cranfield',
    load: () => [
      readJsonl(join(REL, 'cranfield.jsonl')),
      readJsonl(join(REL, 'cranfield.queries.jsonl')),
      readJsonl(join(REL, 'cranfield.qrels.jsonl')),
    ],
  },
  {
    key: 'lead',
    name: 'reuters-lead',
    optional: true,
    load: () => leadSet(readJsonl<RawDoc>(join(CORPUS, 'reuters21578.jsonl'))),
  },
  {
    key: 'cjk',
    name: 'cjk-dev',
    load: () => [
      [
        ...readJsonl<RawDoc>(join(CORPUS, 'wikinews-ko.jsonl')),
        ...readJsonl<RawDoc>(join(CORPUS, 'wikinews-ja.jsonl')),
      ],
      readJsonl(join(REL, 'cjk-dev.queries.jsonl')),
      readJsonl(join(REL, 'cjk-dev.qrels.jsonl')),
    ],
  },
]

console.log(
  `analyzer ${analyzer.id}  bm25 k1=${bm25.k1} b=${bm25.bBody} bTitle=${bm25.bTitle} title×${bm25.titleWeight}` +
    `  fuzzy=${fuzzyArg ?? 'default'} prefix=${prefixArg ?? 'default'}` +
    `  queries ${arg('syntax') !== undefined ? 'in the query syntax (--syntax)' : 'as text'}` +
    `  ${SHARDS} shard${SHARDS === 1 ? '' : 's'}\n`,
)
const header = [
  'set',
  'queries',
  'nDCG@10',
  'MRR@10',
  'R@100',
  'aim',
  'best other (nDCG@10)',
  'build ms',
  'ms/query',
  ...(SHARDS > 1 ? ['overlap@10 vs 1 shard'] : []),
]
const rows: string[][] = []
for (const set of sets) {
  if (only === undefined ? set.optional === true : !only.includes(set.key)) continue
  const [docs, queries, qrels] = set.load()
  // As the API: queries cut at QUERY_LIMITS.maxQueryChars. Where that cuts, also whole (as the others were measured).
  const runs: [string, number][] = [['', QUERY_LIMITS.maxQueryChars]]
  if (queries.some((q) => q.text.length > QUERY_LIMITS.maxQueryChars)) runs.push([' (whole queries)', 1e6])
  for (const [suffix, maxQueryChars] of runs) {
    const { byGroup, buildMs, queryMs } = evaluate(docs, queries, qrels, maxQueryChars)
    const others = OTHERS[set.key] ?? {}
    const best = Object.entries(others).sort((a, b) => b[1] - a[1])[0]
    for (const [group, s] of byGroup) {
      const label = group === 'all' ? set.name + suffix : `  ${set.name} ${group}`
      rows.push([
        label,
        String(s.n),
        f3(s.ndcg / s.n),
        f3(s.mrr / s.n),
        f3(s.recall / s.n),
        group === 'all' && AIMS[set.key] !== undefined
          ? `≥ ${AIMS[set.key]?.toFixed(2)}`
          : group === 'ja'
            ? '(others < 0.27)'
            : '',
        group === 'all' && best !== undefined ? `${best[0]} ${f3(best[1])}` : '',
        group === 'all' ? buildMs.toFixed(0) : '',
        group === 'all' ? queryMs.toFixed(2) : '',
        ...(SHARDS > 1 ? [f3(s.overlap / s.n)] : []),
      ])
    }
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')
console.log(line(header))
console.log(widths.map((w) => '-'.repeat(w)).join('  '))
for (const r of rows) console.log(line(r))
console.log('\nOther engines on the same sets (nDCG@10, from ../shared/corpus/README.md):')
for (const [key, others] of Object.entries(OTHERS)) {
  console.log(
    `  ${key.padEnd(10)} ${Object.entries(others)
      .map(([e, v]) => `${e} ${f3(v)}`)
      .join(' · ')}`,
  )
}
console.log('\nnDCG uses linear gains (Cranfield graded 1–4, 4 = complete answer); MRR and recall count any grade.')
