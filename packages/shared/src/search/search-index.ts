import { type Analyzer, DEFAULT_ANALYZER } from './analyzer'
import { type Bm25Params, DEFAULT_BM25, IMPACT_SCALE, idf, quantizeImpact, termImpact } from './bm25'
import { type FacetNumbering, type FacetValues, newFacetNumbering } from './facet-values'
import { type TermDictionary, typoWalk } from './fuzzy'
import { DEFAULT_QUERY_OPTIONS, QUERY_LIMITS, type QueryLimits } from './limits'
import { type MemDoc, Memtable } from './memtable'
import { docHasPhrase, forEachPositions, type Phrase, proximityAccumulators, segmentPhraseDocs } from './positions'
import { type ParsedQuery, parseQuery, type TermSource, type WeightedTerm } from './query'
import type { Segment } from './segment'
import { SegmentIds } from './segment-ids'
import { type MergedTerms, segmentTermsInSteps } from './segment-terms'
import { snippetMaker } from './snippet'
import type { TermList } from './term-list'
import { TopK } from './top-k'
import type { FacetCount, FacetField, IndexDoc, SearchHit, SearchParams, SearchResult, Suggestion } from './types'

/** Options of a live index; defaults are the ones the API uses. */
export interface SearchIndexOptions {
  analyzer?: Analyzer
  /** BM25F parameters for the memtable (default `DEFAULT_BM25`) */
  bm25?: Bm25Params
  /** query cost limits (default `QUERY_LIMITS`) */
  limits?: Partial<QueryLimits>
  /** weight of the proximity bonus (default PROXIMITY_WEIGHT; 0 = none) */
  proximityWeight?: number
  /** candidates reranked by proximity (default PROXIMITY_RERANK_DEPTH) */
  proximityDepth?: number
  /** query words up to which proximity weighs in full (default PROXIMITY_FULL_WORDS) */
  proximityFullWords?: number
}

/**
 * A hit whose url and snippet wait for its stored text, in a body block of `segment` (opened over its head) not in
 * memory.
 */
export interface BodyToRead {
  hit: SearchHit
  segment: Segment
  doc: number
}

/** What `SearchIndex.searchPage` answers: the result, the stored texts its hits wait for, and the snippet maker. */
export interface SearchPage {
  result: SearchResult
  bodiesToRead: BodyToRead[]
  snippet(body: string): string
}

/** A base segment with its deletion marks (owned by the live index, never written into the segment). */
interface SegmentState {
  segment: Segment
  deleted: Uint8Array | null
  deletedCount: number
  /** scratch score accumulator, one slot per doc, reset after each query */
  scores: Float32Array | null
  /** scratch list of the docs a query touched, in the order first touched (scoreSegment counts how many) */
  touched: Int32Array | null
}

/** A document that matched: where it lives, its score and sort keys. */
interface Candidate {
  /** segment number, or -1 for the memtable */
  seg: number
  doc: number
  score: number
  published: number
}

/** Per-segment compiled filter: which dictionary values pass. */
interface CompiledFilter {
  lang: Uint8Array | null
  source: Uint8Array | null
  author: Uint8Array | null
  tag: Uint8Array | null
  from: number
  to: number
}

const HANGUL_RE = /\p{Script=Hangul}/u

/**
 * Candidates reranked by proximity: the head of the BM25F ranking (pages beyond it keep BM25F order). 20, 30, 50 and
 * 100 measured alike on the dev sets, 20 and 30 to the third decimal with the long-query bound (DESIGN.md); 20 reads
 * a third fewer positions than 30, which long queries pay most for, and covers two pages of 10.
 */
export const PROXIMITY_RERANK_DEPTH = 20
/** Weight of the proximity bonus beside BM25F (1 = as Büttcher et al. add it; 0.2 chosen over all dev sets, DESIGN.md). */
export const PROXIMITY_WEIGHT = 0.2
/**
 * Proximity weighs in full for queries of up to this many distinct words, and in proportion less beyond:
 * PROXIMITY_WEIGHT · 16 / words. In a pasted paragraph nearly every candidate has query words next to each other,
 * so the bonus stops telling documents apart and only adds noise (CISI's whole queries, DESIGN.md). A query of a
 * sentence or two, a news query of a hundred characters included, keeps the full weight.
 */
export const PROXIMITY_FULL_WORDS = 16

/**
 * Where a query's terms are: their number in each segment (-1 where absent) and their document frequency over the
 * segments and the memtable, looked up once per query. A query asks for a term up to five times (its typo check, its
 * IDF, proximity's IDF, scoring, positions), and a lookup in a segment is a binary search comparing strings.
 */
class TermLookups {
  private readonly known = new Map<string, { termNos: number[]; docFreq: number }>()

  constructor(
    private readonly states: readonly SegmentState[],
    private readonly memtable: Memtable,
    /** the segments' merged terms, once built (their document frequencies answer docFreq without a segment each) */
    private readonly merged: () => readonly MergedTerms[] | null,
  ) {}

  /** Documents containing `term`, over segments and memtable. */
  docFreq(term: string): number {
    const known = this.known.get(term)
    if (known !== undefined) return known.docFreq
    const parts = this.merged()
    if (parts === null) return this.find(term).docFreq
    let docFreq = this.memtable.docFreq(term)
    for (const part of parts) docFreq += part.docFreq(term)
    return docFreq
  }

  /** The term's number in segment `segNo`, or -1. */
  termNo(segNo: number, term: string): number {
    return this.find(term).termNos[segNo] ?? -1
  }

  private find(term: string): { termNos: number[]; docFreq: number } {
    let found = this.known.get(term)
    if (found === undefined) {
      let docFreq = this.memtable.docFreq(term)
      const termNos = this.states.map(({ segment }) => {
        const termNo = segment.findTerm(term)
        if (termNo >= 0) docFreq += segment.termDocFreq[termNo] ?? 0
        return termNo
      })
      found = { termNos, docFreq }
      this.known.set(term, found)
    }
    return found
  }
}

/**
 * Runs `steps`, pausing after each, to their result; or null as soon as `built()` says that what they build was built
 * some other way meanwhile.
 */
function* untilBuilt<T>(steps: Generator<void, T>, built: () => boolean): Generator<void, T | null> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value
    yield
    if (built()) return null
  }
}

/** What evaluation needs of a query, prepared once for all segments. */
interface QueryPlan {
  /** null for the empty query */
  query: ParsedQuery | null
  /** where the query's terms are (the phrases' own lookups aside) */
  terms: TermLookups
  /** the query's terms with their IDF over all segments and the memtable */
  weighted: (WeightedTerm & { idf: number })[]
  /** no word or phrase asked: every document passing filters and exclusions matches, unscored */
  listsAll: boolean
}

/** Counts matches and facets, and keeps the best candidates in sort order. */
class Collector {
  total = 0
  /** the memtable's facet counts, by value */
  readonly facetCounts: Map<FacetField, Map<string, number>>
  /** the segments' facet counts, by the value's number (`FacetValues`), sized once every segment's are numbered */
  readonly segmentFacetCounts: { values: FacetValues; counts: Uint32Array }[] = []
  private readonly top: TopK<Candidate>

  constructor(
    private readonly sort: SearchParams['sort'],
    k: number,
    readonly facetFields: FacetField[],
  ) {
    this.top = new TopK<Candidate>(k)
    this.facetCounts = new Map(facetFields.map((f) => [f, new Map()]))
  }

  /** Sort keys, higher first: [primary, secondary]. Unknown dates sort last in both date orders. */
  offer(seg: number, doc: number, score: number, published: number): void {
    this.total++
    const date = dateKey(published)
    const sort = this.sort
    const a = sort === 'relevance' ? score : sort === 'newest' ? date : Number.isNaN(published) ? date : -published
    const b = sort === 'relevance' ? date : score
    if (this.top.wants(a, b)) this.top.push(a, b, { seg, doc, score, published })
  }

  /**
   * `offer` for a segment's match, its date read from the segment's column only if the match may be kept: under
   * relevance sort, once the page is full, a match scoring below every kept one is only counted. Most matches of a
   * long query are, and reading and comparing their dates was a good part of scoring them.
   */
  offerFrom(published: Float64Array, seg: number, doc: number, score: number): void {
    if (this.sort === 'relevance' && score < this.top.floor) {
      this.total++
      return
    }
    this.offer(seg, doc, score, published[doc] ?? Number.NaN)
  }

  sorted(): Candidate[] {
    return this.top.sorted()
  }

  facets(maxValues: number): SearchResult['facets'] {
    if (this.facetFields.length === 0) return undefined
    for (const { values, counts: numbered } of this.segmentFacetCounts) {
      const counts = this.facetCounts.get(values.field)
      if (counts === undefined) continue
      numbered.forEach((n, i) => {
        const value = values.values[i]
        if (n > 0 && value !== undefined) counts.set(value, (counts.get(value) ?? 0) + n)
      })
    }
    const out: SearchResult['facets'] = {}
    for (const [field, counts] of this.facetCounts) out[field] = topFacetValues(counts, maxValues)
    return out
  }
}

function dateKey(published: number): number {
  return Number.isNaN(published) ? Number.NEGATIVE_INFINITY : published
}

/** Sorted, distinct union of sorted lists. */
function unionSorted(lists: readonly (readonly number[])[]): number[] {
  const nonEmpty = lists.filter((l) => l.length > 0)
  if (nonEmpty.length <= 1) return [...(nonEmpty[0] ?? [])]
  return [...new Set(nonEmpty.flat())].sort((a, b) => a - b)
}

/**
 * Whether a segment document counts for this query: live, passing the filters, containing every phrase and no
 * exclusion (null when every document counts). Phrases and exclusions are resolved to document sets once per
 * segment.
 */
function segmentAcceptor(
  state: SegmentState,
  query: ParsedQuery | null,
  params: SearchParams,
): ((doc: number) => boolean) | null {
  const seg = state.segment
  const deleted = state.deleted
  const filter = hasFilters(params) ? compileFilter(seg, params) : null
  const required = (query?.phrases ?? []).map((p) => segmentPhraseDocs(seg, p))
  const excluded = new Set<number>()
  for (const p of query?.excluded ?? []) for (const doc of segmentPhraseDocs(seg, p)) excluded.add(doc)
  // Most queries check nothing per document: no call at all then.
  if (deleted === null && filter === null && required.length === 0 && excluded.size === 0) return null
  return (doc) =>
    !(deleted !== null && deleted[doc] === 1) &&
    (filter === null || passes(seg, doc, filter)) &&
    required.every((docs) => docs.has(doc)) &&
    !excluded.has(doc)
}

/** A memtable document's phrases and exclusions. */
function memDocMatches(d: MemDoc, query: ParsedQuery): boolean {
  const lookup = (term: string): readonly number[] | undefined => d.terms.positionsOf(term)
  const has = (p: Phrase): boolean => docHasPhrase(p, lookup)
  return query.phrases.every(has) && !query.excluded.some(has)
}

/**
 * Term-at-a-time BM25F over one segment: each term's stored impacts, times its weight and IDF, summed in a
 * per-segment accumulator; then every touched document is offered to `consider` (and its slot reset).
 */
function scoreSegment(
  state: SegmentState,
  segNo: number,
  plan: QueryPlan,
  consider: (doc: number, score: number) => void,
): void {
  const seg = state.segment
  state.scores ??= new Float32Array(seg.docCount)
  state.touched ??= new Int32Array(seg.docCount)
  const scores = state.scores
  const touched = state.touched
  let touchedCount = 0
  const postings = seg.postings
  for (const t of plan.weighted) {
    const termNo = plan.terms.termNo(segNo, t.term)
    if (termNo < 0) continue
    const factor = (t.weight * t.idf) / IMPACT_SCALE
    const df = seg.termDocFreq[termNo] ?? 0
    let pos = seg.termPostingOffsets[termNo] ?? 0
    let doc = -1
    for (let i = 0; i < df; i++) {
      let gap = 0
      let shift = 0
      let byte = 0
      do {
        byte = postings[pos++] ?? 0
        gap |= (byte & 0x7f) << shift
        shift += 7
      } while (byte & 0x80)
      doc += gap + 1
      const impact = postings[pos++] ?? 0
      const before = scores[doc] ?? 0
      if (before === 0) touched[touchedCount++] = doc
      scores[doc] = before + factor * impact
    }
  }
  for (let i = 0; i < touchedCount; i++) {
    const doc = touched[i] ?? 0
    const score = scores[doc] ?? 0
    scores[doc] = 0
    consider(doc, score)
  }
}

/** Query words whose typo neighbours an index keeps (a few hundred kilobytes at most). */
export const FUZZY_CACHE_ENTRIES = 1024

/** Terms of a sorted dictionary within `typos` of `term` (see typoWalk), with their typo count (the term excluded). */
function walkNeighbours(dictionary: TermDictionary, term: string, typos: number): Map<string, number> {
  const out = new Map<string, number>()
  typoWalk(dictionary, term, typos, (i, d) => {
    const candidate = dictionary.terms.at(i)
    if (candidate !== term) out.set(candidate, d)
  })
  return out
}

/** Suggestions are read from the titles of this many best matches. */
const SUGGEST_HITS = 50

/**
 * The live index: immutable base segments plus a small memtable of recent upserts. Upserts and deletes hide older
 * copies at once (a deletion mark per segment doc), so no query sees a ghost or a stale snippet.
 */
export class SearchIndex {
  private readonly analyzer: Analyzer
  private readonly bm25: Bm25Params
  private readonly limits: QueryLimits
  private readonly proximityWeight: number
  private readonly proximityDepth: number
  private readonly proximityFullWords: number
  private states: SegmentState[]
  private memtable: Memtable
  /** where each id's live copy sits in the base segments; built on the first upsert, delete or lookup */
  private idTable: SegmentIds | null = null
  /**
   * all segments' terms, merged and sorted, in two lists: the old segments' and the young's (segment-terms.ts), each
   * with its dictionary for typo walks; built on the first fuzzy or prefix expansion, or by prepareInSteps
   */
  private segmentTerms: [old: MergedTerms, young: MergedTerms] | null = null
  /** typo neighbours found in `segmentTerms`, by distance and query term (bounded; see FUZZY_CACHE_ENTRIES) */
  private fuzzyCache = new Map<string, ReadonlyMap<string, number>>()
  /** facet values numbered over the segments (taken from the index this one replaces; see FacetValues) */
  private readonly facetValues: FacetNumbering

  /**
   * `previous`: the index this one replaces (a reader's swap), whose table of its old segments' ids this one takes
   * while those segments are still its first (segment-ids.ts).
   */
  constructor(segments: Segment[] = [], options: SearchIndexOptions = {}, previous?: SearchIndex) {
    this.analyzer = options.analyzer ?? DEFAULT_ANALYZER
    // Anything built now (memtable impacts) uses the current parameters; segments keep their own
    // stored impacts until compacted.
    this.bm25 = options.bm25 ?? DEFAULT_BM25
    this.limits = { ...QUERY_LIMITS, ...options.limits }
    this.proximityWeight = options.proximityWeight ?? PROXIMITY_WEIGHT
    this.proximityDepth = options.proximityDepth ?? PROXIMITY_RERANK_DEPTH
    this.proximityFullWords = options.proximityFullWords ?? PROXIMITY_FULL_WORDS
    this.states = segments.map(newState)
    this.memtable = new Memtable(this.analyzer)
    this.facetValues = previous?.facetValues ?? newFacetNumbering()
    // With several segments the same id may appear twice: the later segment wins, so resolve at once.
    if (segments.length > 1) this.ids(previous?.idTable ?? undefined)
  }

  /** Documents search can find now. */
  get documentCount(): number {
    let n = this.memtable.size
    for (const s of this.states) n += s.segment.docCount - s.deletedCount
    return n
  }

  /** Documents waiting in the memtable (the writer compacts when this grows). */
  get pendingCount(): number {
    return this.memtable.size
  }

  /** Words (title and body) of the documents in the memtable: what it holds grows with them, not with documents. */
  get pendingTerms(): number {
    return this.memtable.totalTitleTerms + this.memtable.totalBodyTerms
  }

  /**
   * Adds or replaces a document; the old copy stops matching at once. `donor`: an index whose memtable may hold the
   * same document already analysed (see Memtable.upsert).
   */
  upsert(doc: IndexDoc, donor?: SearchIndex): void {
    this.hideInSegments(doc.id)
    this.memtable.upsert(doc, donor?.memtable)
  }

  /** Removes a document; it stops matching at once. */
  delete(id: string): void {
    this.hideInSegments(id)
    this.memtable.delete(id)
  }

  /** Whether a document with this id is searchable. */
  has(id: string): boolean {
    return this.memtable.has(id) || this.ids().find(id) !== undefined
  }

  /** The stored document, as search would show it (its segment opened whole: a head alone has no bodies). */
  get(id: string): IndexDoc | null {
    const fresh = this.memtable.get(id)
    if (fresh !== null) return fresh
    const loc = this.ids().find(id)
    const state = loc === undefined ? undefined : this.states[loc.seg]
    return loc === undefined || state === undefined ? null : state.segment.document(loc.doc)
  }

  /**
   * Runs a query: ranked, filtered, faceted and paged hits with snippets. Every segment must hold its bodies (opened
   * over the whole segment); an index over segment heads answers through `searchPage`.
   */
  search(params: SearchParams): SearchResult {
    const page = this.searchPage(params)
    if (page.bodiesToRead.length > 0) throw new Error('a hit needs a body block: search through searchPage')
    return page.result
  }

  /**
   * Runs a query like `search`, but leaves the url null and the snippet empty where a hit's stored text is in a body
   * block not in memory (a segment opened over its head): the caller reads those blocks (`Segment.bodyBlockOf`,
   * `Segment.storedIn`) and sets each such hit's url, and its snippet with `page.snippet(body)`. The page names the
   * segment objects themselves, so a swap of the index meanwhile changes nothing.
   */
  searchPage(params: SearchParams): SearchPage {
    const limit = clamp(Math.floor(params.limit), 0, this.limits.maxLimit)
    const offset = clamp(Math.floor(params.offset), 0, this.limits.maxOffset)
    const { candidates, total, facets, query } = this.evaluate(params, offset + limit)
    const page = candidates.slice(offset, offset + limit)
    const weights = new Map<string, number>()
    for (const t of query?.terms ?? []) weights.set(t.term, Math.min(1, t.weight))
    const snippet = snippetMaker(weights, this.analyzer, query?.phrases ?? [])
    const bodiesToRead: BodyToRead[] = []
    const hits = page.map((c) => this.hit(c, snippet, bodiesToRead))
    const result: SearchResult = { total, hits }
    if (facets !== undefined) result.facets = facets
    return { result, bodiesToRead, snippet }
  }

  /** Completions of what is being typed: the last word completed from titles of the best matches. */
  suggest(q: string, limit: number): Suggestion[] {
    const max = clamp(Math.floor(limit), 0, this.limits.maxSuggestions)
    const text = q.slice(0, this.limits.maxQueryChars)
    if (max === 0 || text.trim() === '') return []
    const { candidates, query } = this.evaluate(
      { q: text, limit: SUGGEST_HITS, offset: 0, sort: 'relevance', fuzzy: true, prefix: true },
      SUGGEST_HITS,
      true,
    )
    if (query === null) return []
    // Typo neighbours only when nothing completes what was typed ("dollr" → dollar, but "japa" → japan, not napa).
    const wanted = new Set([
      ...query.lastWordTerms,
      ...(query.completions.size > 0 ? query.completions : query.neighbours),
    ])
    const spans = this.analyzer.spans(text)
    const lastSpan = spans[spans.length - 1]
    const head = lastSpan !== undefined && lastSpan.end === text.length ? text.slice(0, lastSpan.start) : `${text} `
    // Forms of one word (oil price / oil prices, 대통령 / 대통령의) are one suggestion, shown as its commonest form.
    const byStem = new Map<string, { score: number; forms: Map<string, number> }>()
    for (const c of candidates) {
      const title = this.fieldTitle(c)
      for (const span of this.analyzer.spans(title)) {
        if (!span.terms.some((t) => wanted.has(t))) continue
        const stem = span.terms[0] ?? ''
        // A Korean stem is a word (일본의 → 일본); an English one often is not (compani), so show what was written.
        const word = HANGUL_RE.test(stem) ? stem : title.slice(span.start, span.end)
        const form = `${head}${word}`.toLowerCase().replace(/\s+/g, ' ').trim()
        const key = `${head.toLowerCase()}\u0000${stem}`
        const entry = byStem.get(key) ?? { score: 0, forms: new Map<string, number>() }
        entry.score += c.score
        entry.forms.set(form, (entry.forms.get(form) ?? 0) + c.score)
        byStem.set(key, entry)
        break
      }
    }
    return [...byStem.values()]
      .map((e) => ({ text: [...e.forms].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '', score: e.score }))
      .sort((a, b) => b.score - a.score || a.text.localeCompare(b.text))
      .slice(0, max)
      .map((e) => ({ text: e.text, score: Math.round(e.score * 1000) / 1000 }))
  }

  /**
   * Runs a query: parse it, score every segment and the memtable (filters, phrases, exclusions and deletions decide
   * which documents count), keep the best `k` in sort order, then rerank the head by proximity.
   */
  private evaluate(
    params: SearchParams,
    k: number,
    typing = false,
  ): { candidates: Candidate[]; total: number; facets: SearchResult['facets']; query: ParsedQuery | null } {
    const terms = new TermLookups(this.states, this.memtable, () => this.segmentTerms)
    const query = this.parse(params, typing, terms)
    const plan = this.plan(query, terms)
    const sort = params.sort === 'relevance' && plan.listsAll ? 'newest' : params.sort
    const rerank = sort === 'relevance' && !typing && this.proximityWeight > 0 && (query?.words.length ?? 0) >= 2
    const collector = new Collector(sort, rerank ? Math.max(k, this.proximityDepth) : k, params.facets ?? [])
    for (const field of collector.facetFields) {
      const values = this.facetValues[field]
      for (const { segment } of this.states) values.codesOf(segment)
      collector.segmentFacetCounts.push({ values, counts: new Uint32Array(values.values.length) })
    }
    this.states.forEach((state, segNo) => {
      this.evaluateSegment(state, segNo, plan, params, collector)
    })
    this.evaluateMemtable(plan, params, collector)
    const ranked = collector.sorted()
    const candidates = rerank && query !== null ? this.rerankByProximity(ranked, query, terms) : ranked
    return { candidates, total: collector.total, facets: collector.facets(this.limits.maxFacetValues), query }
  }

  /** The query analysed and expanded (null for the empty query). */
  private parse(params: SearchParams, typing: boolean, terms: TermLookups): ParsedQuery | null {
    const q = params.q.slice(0, this.limits.maxQueryChars)
    if (q.trim() === '') return null
    const options = {
      fuzzy: params.fuzzy ?? DEFAULT_QUERY_OPTIONS.fuzzy,
      prefix: params.prefix ?? DEFAULT_QUERY_OPTIONS.prefix,
      typing,
    }
    return parseQuery(q, this.analyzer, this.termSource(terms), options, this.limits)
  }

  /** What every segment needs: the terms with their IDF over the whole index. */
  private plan(query: ParsedQuery | null, terms: TermLookups): QueryPlan {
    const n = this.docCountForIdf()
    return {
      query,
      terms,
      weighted: query === null ? [] : query.terms.map((t) => ({ ...t, idf: idf(n, terms.docFreq(t.term)) })),
      listsAll: query === null || query.listsAll,
    }
  }

  /** One base segment: every live document passing the filters (and phrases, exclusions) that the query scores. */
  private evaluateSegment(
    state: SegmentState,
    segNo: number,
    plan: QueryPlan,
    params: SearchParams,
    collector: Collector,
  ): void {
    const seg = state.segment
    const accepts = segmentAcceptor(state, plan.query, params)
    const facets = collector.facetFields.length > 0 ? new SegmentFacetCounter(seg, collector.segmentFacetCounts) : null
    const consider = (doc: number, score: number): void => {
      if (accepts !== null && !accepts(doc)) return
      facets?.count(doc)
      collector.offerFrom(seg.published, segNo, doc, score)
    }
    if (plan.listsAll) {
      for (let doc = 0; doc < seg.docCount; doc++) consider(doc, 0)
    } else {
      scoreSegment(state, segNo, plan, consider)
    }
  }

  /** The memtable: few docs, scored with the same BM25F (impacts computed on the fly, same quantisation). */
  private evaluateMemtable(plan: QueryPlan, params: SearchParams, collector: Collector): void {
    const mem = this.memtable
    const hasFilter = hasFilters(params)
    const query = plan.query
    const consider = (local: number, score: number): void => {
      const d = mem.docs[local]
      if (d === null || d === undefined || (hasFilter && !docPasses(d.doc, params))) return
      if (query !== null && !memDocMatches(d, query)) return
      for (const [field, counts] of collector.facetCounts) {
        for (const v of docFacet(d.doc, field)) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1)
      }
      collector.offer(-1, local, score, d.doc.published ?? Number.NaN)
    }
    if (plan.listsAll) {
      for (let local = 0; local < mem.docs.length; local++) consider(local, 0)
      return
    }
    if (mem.size === 0) return
    const stats = this.fieldStats()
    const scores = new Map<number, number>()
    for (const t of plan.weighted) {
      for (const local of mem.postings.get(t.term) ?? []) {
        const d = mem.docs[local]
        const i = d?.terms.indexOf(t.term) ?? -1
        if (d === null || d === undefined || i < 0) continue
        const { terms } = d
        const impact = quantizeImpact(
          termImpact(this.bm25, stats, terms.titleTf(i), terms.bodyTf(i), terms.titleLength, terms.bodyLength),
        )
        scores.set(local, (scores.get(local) ?? 0) + (t.weight * t.idf * impact) / IMPACT_SCALE)
      }
    }
    for (const [local, score] of scores) consider(local, score)
  }

  /**
   * Proximity (BM25TP, Rasolofo & Savoy 2003, with the accumulators of Büttcher, Clarke & Lushman 2006): the best
   * candidates by BM25F (proximityDepth) gain, per query word, idf · acc / (K + acc), where acc sums idf(other) / d²
   * over the neighbouring occurrences of other query words d positions away (proximityAccumulators) and
   * K = k1 · (1 − b + b · length / average length), times PROXIMITY_WEIGHT (less for queries of more than
   * PROXIMITY_FULL_WORDS words). The bonus is never negative, so the head stays above the rest and pages stay
   * consistent.
   */
  private rerankByProximity(ranked: Candidate[], query: ParsedQuery, terms: TermLookups): Candidate[] {
    const depth = Math.min(ranked.length, this.proximityDepth)
    if (depth === 0) return ranked
    const head = ranked.slice(0, depth)
    const n = this.docCountForIdf()
    const wordIdf = query.words.map((word) => Math.max(0, ...word.map((t) => idf(n, terms.docFreq(t)))))
    const stats = this.fieldStats()
    const avgLength = Math.max(1, stats.avgTitle + stats.avgBody)
    const { k1, bBody } = this.bm25
    const positions = this.candidatePositions(head, query.words, terms)
    const weight = this.proximityWeight * Math.min(1, this.proximityFullWords / query.words.length)
    head.forEach((c, i) => {
      const acc = proximityAccumulators(positions[i] ?? [], wordIdf)
      const length = this.candidateLength(c)
      const K = k1 * (1 - bBody + (bBody * length) / avgLength)
      let bonus = 0
      acc.forEach((a, w) => {
        if (a > 0) bonus += ((wordIdf[w] ?? 0) * a) / (K + a)
      })
      c.score += weight * bonus
    })
    head.sort((a, b) => b.score - a.score || dateKey(b.published) - dateKey(a.published))
    return head.concat(ranked.slice(depth))
  }

  /** Per candidate (in their order), the positions of each query word: one walk per segment and term. */
  private candidatePositions(candidates: Candidate[], words: string[][], lookups: TermLookups): number[][][] {
    const out = candidates.map(() => words.map((): number[] => []))
    // segment → doc → candidate
    const bySegment = new Map<number, Map<number, number>>()
    candidates.forEach((c, i) => {
      if (c.seg < 0) {
        const d = this.memtable.docs[c.doc]
        words.forEach((terms, w) => {
          ;(out[i] as number[][])[w] = unionSorted(terms.map((t) => d?.terms.positionsOf(t) ?? []))
        })
        return
      }
      const docs = bySegment.get(c.seg) ?? new Map<number, number>()
      docs.set(c.doc, i)
      bySegment.set(c.seg, docs)
    })
    for (const [segNo, docs] of bySegment) {
      const seg = this.states[segNo]?.segment
      if (seg === undefined) continue
      const wanted = [...docs.keys()].sort((a, b) => a - b)
      words.forEach((terms, w) => {
        for (const term of terms) {
          const termNo = lookups.termNo(segNo, term)
          if (termNo < 0) continue
          forEachPositions(seg, termNo, wanted, (doc, found) => {
            const slots = out[docs.get(doc) ?? -1]
            if (slots === undefined) return
            const old = slots[w] ?? []
            slots[w] = old.length === 0 ? found : unionSorted([old, found])
          })
        }
      })
    }
    return out
  }

  /** Title + body length in terms, for proximity's length normalisation. */
  private candidateLength(c: Candidate): number {
    if (c.seg < 0) {
      const d = this.memtable.docs[c.doc]
      return d === null || d === undefined ? 0 : d.terms.titleLength + d.terms.bodyLength
    }
    const seg = this.states[c.seg]?.segment
    return seg === undefined ? 0 : (seg.titleLength[c.doc] ?? 0) + (seg.bodyLength[c.doc] ?? 0)
  }

  /** One result: stored fields of the candidate and its snippet, or, where its url and body are not in memory, what to read. */
  private hit(c: Candidate, snippet: (body: string) => string, bodiesToRead: BodyToRead[]): SearchHit {
    const score = Math.round(c.score * 10000) / 10000
    if (c.seg < 0) {
      const d = this.memtable.docs[c.doc]
      if (d === null || d === undefined) throw new Error('memtable candidate vanished')
      return hitOf(d.doc, score, snippet(d.doc.body))
    }
    const segment = this.states[c.seg]?.segment
    if (segment === undefined) throw new Error('segment candidate vanished')
    if (!segment.hasBodies) {
      const hit = hitOf({ ...segment.fields(c.doc), url: null }, score, '')
      bodiesToRead.push({ hit, segment, doc: c.doc })
      return hit
    }
    const { url, body } = segment.stored(c.doc)
    return hitOf({ ...segment.fields(c.doc), url }, score, snippet(body))
  }

  private fieldTitle(c: Candidate): string {
    if (c.seg < 0) return this.memtable.docs[c.doc]?.doc.title ?? ''
    return this.states[c.seg]?.segment.title(c.doc) ?? ''
  }

  /** N for IDF: all stored docs (deleted ones are forgotten at compaction, as in Lucene). */
  private docCountForIdf(): number {
    let n = this.memtable.size
    for (const s of this.states) n += s.segment.docCount
    return Math.max(n, 1)
  }

  /** Average field lengths over everything, for scoring memtable docs like their segment peers. */
  private fieldStats(): { avgTitle: number; avgBody: number } {
    let docs = this.memtable.size
    let title = this.memtable.totalTitleTerms
    let body = this.memtable.totalBodyTerms
    for (const s of this.states) {
      docs += s.segment.docCount
      title += s.segment.meta.totalTitleTerms
      body += s.segment.meta.totalBodyTerms
    }
    return { avgTitle: docs > 0 ? title / docs : 0, avgBody: docs > 0 ? body / docs : 0 }
  }

  /**
   * The segments' terms merged, as the two sorted lists expansion walks (segment-terms.ts) beside the memtable's: built
   * in one piece on first use when prepareInSteps has not built them (so ten segments cost one walk, not ten).
   */
  private mergedSegmentTerms(): [old: MergedTerms, young: MergedTerms] {
    if (this.segmentTerms === null) {
      const steps = segmentTermsInSteps(
        this.states.map((s) => s.segment),
        null,
      )
      for (let step = steps.next(); ; step = steps.next()) {
        if (step.done) {
          this.segmentTerms = step.value
          break
        }
      }
    }
    return this.segmentTerms
  }

  /**
   * Builds what typo and prefix expansion read for the memtable (its new terms merged into its dictionary), so that a
   * query after a change does not pay for it. A live index calls it after applying changes.
   */
  prepareRecent(): void {
    this.memtable.termDictionary()
  }

  /**
   * Builds what typo and prefix expansion read (the segments' merged term lists and their dictionaries, the
   * memtable's), so that the first query does not pay for it, pausing about every MERGE_STEP_TERMS terms merged or
   * counted: the caller may yield to requests between steps. A live index runs it before it swaps an index in, or
   * beside requests once the index serves (its first load); anything built is kept. `previous`, the index this one
   * replaces: its old segments' merged terms and dictionary are taken as they are when they are still this index's
   * first segments (segment-terms.ts). It is given here and not kept from the constructor: the index in use may
   * build its terms in between (its first load prepares beside requests), and keeping it would hold that index, and
   * every segment it had, alive past the swap.
   */
  *prepareInSteps(previous?: SearchIndex): Generator<void, void> {
    // A query between two steps that expanded a word built the lists in one piece: those are kept.
    if (this.segmentTerms === null) {
      const steps = segmentTermsInSteps(
        this.states.map((s) => s.segment),
        previous?.segmentTerms?.[0] ?? null,
      )
      // Read before the yields, `??=` would overwrite what a query built meanwhile: the result is assigned after.
      const merged = yield* untilBuilt(steps, () => this.segmentTerms !== null)
      this.segmentTerms ??= merged
    }
    for (const part of this.mergedSegmentTerms()) yield* part.dictionaryInSteps()
    this.memtable.termDictionary()
  }

  /**
   * Whether the segments' merged term lists are built: by prepareInSteps, or by a query that needed them (typo
   * expansion walks them; completion reads each segment's own terms until they are built).
   */
  get termsMerged(): boolean {
    return this.segmentTerms !== null
  }

  /** Whether what typo and prefix expansion read is built (see prepareInSteps): a query then builds nothing. */
  get prepared(): boolean {
    return (this.segmentTerms?.every((part) => part.dictionaryBuilt) ?? false) && this.memtable.dictionaryBuilt
  }

  /**
   * Typo neighbours of `term` in the segments' dictionary. The segments never change under this index, so the
   * answer is kept (search traffic repeats its words; the walk was a fifth of a query's time), least recently used
   * first out.
   */
  private segmentNeighbours(term: string, distance: number): ReadonlyMap<string, number> {
    const key = `${distance}\u0000${term}`
    const cached = this.fuzzyCache.get(key)
    if (cached !== undefined) {
      this.fuzzyCache.delete(key)
      this.fuzzyCache.set(key, cached)
      return cached
    }
    const found = new Map<string, number>()
    for (const part of this.mergedSegmentTerms()) {
      for (const [candidate, d] of walkNeighbours(part.dictionary(), term, distance)) {
        if ((found.get(candidate) ?? Number.POSITIVE_INFINITY) > d) found.set(candidate, d)
      }
    }
    if (this.fuzzyCache.size >= FUZZY_CACHE_ENTRIES) {
      const oldest = this.fuzzyCache.keys().next().value
      if (oldest !== undefined) this.fuzzyCache.delete(oldest)
    }
    this.fuzzyCache.set(key, found)
    return found
  }

  /** Where query expansion looks terms up: every segment and the memtable. */
  private termSource(terms: TermLookups): TermSource {
    return {
      fuzzy: (term, distance) => {
        const out = new Map(this.segmentNeighbours(term, distance))
        if (this.memtable.size > 0) {
          for (const [candidate, d] of walkNeighbours(this.memtable.termDictionary(), term, distance)) {
            if ((out.get(candidate) ?? Number.POSITIVE_INFINITY) > d) out.set(candidate, d)
          }
        }
        return out
      },
      completions: (prefix, limit) => {
        // The segments' completions in the order of one merged list (their two lists' first `limit` each, merged),
        // then the memtable's while there is room.
        const scan = (terms: TermList) =>
          completionsFrom(prefix, limit, terms.lowerBound(prefix), terms.length, (i) => terms.at(i))
        // Before the merged lists are built (a cold isolate's first queries, while it prepares them beside requests),
        // each segment's own sorted terms give the same first `limit`: merging every term of every segment for one
        // prefix cost a 100,000-article archive's first search 421 of its 948 ms (README, "Session 17").
        const merged = this.segmentTerms
        const found =
          merged === null
            ? this.segmentCompletions(prefix, limit)
            : [...new Set([...scan(merged[0].terms), ...scan(merged[1].terms)])]
        const out = new Set(found.sort().slice(0, limit))
        if (this.memtable.size > 0) {
          for (const t of scan(this.memtable.sortedTerms())) if (out.size < limit) out.add(t)
        }
        return [...out]
      },
      docFreq: (term) => terms.docFreq(term),
      docCount: () => this.docCountForIdf(),
    }
  }

  /** The first `limit` terms of each segment that start with `prefix` (the prefix itself excluded), each once. */
  private segmentCompletions(prefix: string, limit: number): string[] {
    const found = this.states.flatMap(({ segment }) =>
      completionsFrom(prefix, limit, segment.lowerBound(prefix), segment.termCount, (i) => segment.term(i)),
    )
    return [...new Set(found)]
  }

  /** Where each id's copy is, built once (a later segment's copy wins: earlier ones are marked deleted). */
  private ids(previous?: SegmentIds): SegmentIds {
    this.idTable ??= new SegmentIds(
      this.states.map((s) => s.segment),
      (at) => this.markDeleted(at.seg, at.doc),
      (at) => this.states[at.seg]?.deleted?.[at.doc] === 1,
      previous,
    )
    return this.idTable
  }

  private hideInSegments(id: string): void {
    const loc = this.ids().find(id)
    if (loc !== undefined) this.markDeleted(loc.seg, loc.doc)
  }

  private markDeleted(seg: number, doc: number): void {
    const state = this.states[seg]
    if (state === undefined) return
    state.deleted ??= new Uint8Array(state.segment.docCount)
    if (state.deleted[doc] === 1) return
    state.deleted[doc] = 1
    state.deletedCount++
  }
}

/**
 * Up to `limit` of the sorted terms `at(from)`, `at(from + 1)`, … (below `count`) that start with `prefix`, the prefix
 * itself left out: the completions of a term list or a segment, `from` being where `prefix` would go in it.
 */
function completionsFrom(
  prefix: string,
  limit: number,
  from: number,
  count: number,
  at: (i: number) => string,
): string[] {
  const found: string[] = []
  for (let i = from; i < count && found.length < limit; i++) {
    const t = at(i)
    if (!t.startsWith(prefix)) break
    if (t !== prefix) found.push(t)
  }
  return found
}

function newState(segment: Segment): SegmentState {
  return { segment, deleted: null, deletedCount: 0, scores: null, touched: null }
}

/** A document's stored fields as a hit. */
function hitOf(doc: Omit<IndexDoc, 'body'>, score: number, snippet: string): SearchHit {
  return {
    id: doc.id,
    url: doc.url,
    title: doc.title,
    source: doc.source,
    author: doc.author,
    published: doc.published === null ? null : new Date(doc.published).toISOString(),
    lang: doc.lang,
    tags: doc.tags,
    score,
    snippet,
  }
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min
}

/** Case-insensitive value match; a language filter also matches its regional variants (en matches en-GB). */
function matchesValue(field: 'lang' | 'plain', wanted: string[], value: string): boolean {
  const v = value.toLowerCase()
  return wanted.some((w) => {
    const x = w.toLowerCase()
    return v === x || (field === 'lang' && v.startsWith(`${x}-`))
  })
}

function mask(
  values: string[],
  wanted: string[] | undefined,
  field: 'lang' | 'plain',
  offset: number,
): Uint8Array | null {
  if (wanted === undefined || wanted.length === 0) return null
  const out = new Uint8Array(values.length + offset)
  values.forEach((v, i) => {
    if (matchesValue(field, wanted, v)) out[i + offset] = 1
  })
  return out
}

function compileFilter(seg: Segment, p: SearchParams): CompiledFilter {
  return {
    lang: mask(seg.meta.langs, p.lang, 'lang', 0),
    source: mask(seg.meta.sources, p.source, 'plain', 1),
    author: mask(seg.meta.authors, p.author, 'plain', 1),
    tag: mask(seg.meta.tags, p.tag, 'plain', 0),
    from: p.from ?? Number.NEGATIVE_INFINITY,
    to: p.to ?? Number.POSITIVE_INFINITY,
  }
}

function passes(seg: Segment, doc: number, f: CompiledFilter): boolean {
  if (f.lang !== null && f.lang[seg.lang[doc] ?? 0] !== 1) return false
  if (f.source !== null && f.source[seg.source[doc] ?? 0] !== 1) return false
  if (f.author !== null && f.author[seg.author[doc] ?? 0] !== 1) return false
  if (f.from !== Number.NEGATIVE_INFINITY || f.to !== Number.POSITIVE_INFINITY) {
    const p = seg.published[doc] ?? Number.NaN
    if (Number.isNaN(p) || p < f.from || p > f.to) return false
  }
  if (f.tag !== null) {
    let any = false
    for (let i = seg.tagOffsets[doc] ?? 0; i < (seg.tagOffsets[doc + 1] ?? 0) && !any; i++) {
      any = f.tag[seg.tagValues[i] ?? 0] === 1
    }
    if (!any) return false
  }
  return true
}

function docPasses(doc: IndexDoc, p: SearchParams): boolean {
  if (p.lang?.length && !matchesValue('lang', p.lang, doc.lang)) return false
  if (p.source?.length && (doc.source === null || !matchesValue('plain', p.source, doc.source))) return false
  if (p.author?.length && (doc.author === null || !matchesValue('plain', p.author, doc.author))) return false
  if (p.from !== undefined || p.to !== undefined) {
    if (doc.published === null) return false
    if (p.from !== undefined && doc.published < p.from) return false
    if (p.to !== undefined && doc.published > p.to) return false
  }
  if (p.tag?.length && !doc.tags.some((t) => matchesValue('plain', p.tag ?? [], t))) return false
  return true
}

function bump(counts: Uint32Array, i: number | undefined): void {
  if (i !== undefined && i >= 0 && i < counts.length) counts[i] = (counts[i] ?? 0) + 1
}

function hasFilters(p: SearchParams): boolean {
  return (
    (p.lang?.length ?? 0) > 0 ||
    (p.source?.length ?? 0) > 0 ||
    (p.author?.length ?? 0) > 0 ||
    (p.tag?.length ?? 0) > 0 ||
    p.from !== undefined ||
    p.to !== undefined
  )
}

/**
 * Counts one segment's matches into the query's counts by value number (FacetValues): a segment's codes mapped once,
 * no string touched per document or per segment.
 */
class SegmentFacetCounter {
  private readonly fields: { field: FacetField; codes: Int32Array; counts: Uint32Array }[]

  constructor(
    private readonly seg: Segment,
    counts: readonly { values: FacetValues; counts: Uint32Array }[],
  ) {
    this.fields = counts.map(({ values, counts }) => ({ field: values.field, codes: values.codesOf(seg), counts }))
  }

  count(doc: number): void {
    const seg = this.seg
    for (const { field, codes, counts } of this.fields) {
      if (field === 'tags') {
        for (let i = seg.tagOffsets[doc] ?? 0; i < (seg.tagOffsets[doc + 1] ?? 0); i++) {
          bump(counts, codes[seg.tagValues[i] ?? 0])
        }
      } else {
        bump(counts, codes[(field === 'source' ? seg.source : field === 'author' ? seg.author : seg.lang)[doc] ?? 0])
      }
    }
  }
}

function docFacet(doc: IndexDoc, field: FacetField): (string | null)[] {
  switch (field) {
    case 'source':
      return [doc.source]
    case 'author':
      return [doc.author]
    case 'lang':
      return [doc.lang]
    case 'tags':
      return [...new Set(doc.tags)]
  }
}

function topFacetValues(counts: Map<string, number>, max: number): FacetCount[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([value, count]) => ({ value, count }))
}
