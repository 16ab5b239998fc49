import { describe, expect, it } from 'vitest'
import sample from './fixtures/news-sample.json'
import { parseQuerySyntax } from './query-syntax'
import { PROXIMITY_RERANK_DEPTH, SearchIndex } from './search-index'
import { Segment } from './segment'
import { SegmentBuilder } from './segment-builder'
import type { IndexDoc, SearchParams } from './types'

/** Real articles: Reuters-21578, Korean and Japanese Wikinews (see fixtures/news-sample.json). */
const DOCS: IndexDoc[] = sample.map((d) => ({
  id: d.id,
  title: d.title,
  body: d.body,
  url: 'url' in d && typeof d.url === 'string' ? d.url : null,
  source: d.source.startsWith('Reuters') ? 'Reuters' : 'Wikinews',
  author: null,
  lang: d.lang,
  tags: [d.lang === 'en' ? 'business' : 'world'],
  published: 'published' in d && typeof d.published === 'string' ? Date.parse(d.published) : null,
}))

function segmentOf(docs: IndexDoc[]): Segment {
  const builder = new SegmentBuilder()
  for (const d of docs) builder.add(d)
  return Segment.open(builder.finish())
}

/**
 * The sample spread over two segments and the memtable, so every check crosses a segment boundary and meets a
 * memtable document: reuters-80 (NEW YORK BUSINESS LOANS) sits in the memtable.
 */
function spreadIndex(): SearchIndex {
  const inMemtable = new Set(['reuters-80', 'kowikinews-1094', 'jawikinews-467'])
  const rest = DOCS.filter((d) => !inMemtable.has(d.id))
  const half = Math.ceil(rest.length / 2)
  const index = new SearchIndex([segmentOf(rest.slice(0, half)), segmentOf(rest.slice(half))])
  for (const d of DOCS) if (inMemtable.has(d.id)) index.upsert(d)
  return index
}

const q = (text: string, extra: Partial<SearchParams> = {}): SearchParams => ({
  q: text,
  limit: 100,
  offset: 0,
  sort: 'relevance',
  ...extra,
})
const ids = (index: SearchIndex, params: SearchParams): string[] =>
  index
    .search(params)
    .hits.map((h) => h.id)
    .sort()
const bodyOf = (id: string): string => DOCS.find((d) => d.id === id)?.body ?? ''

describe('query syntax', () => {
  it('splits words, phrases and exclusions', () => {
    expect(parseQuerySyntax('oil "crude prices" -palm -"new york" opec')).toEqual({
      words: 'oil opec',
      phrases: ['crude prices'],
      excluded: ['palm', 'new york'],
      positive: true,
    })
  })

  it('ignores an unbalanced quote and keeps its words', () => {
    expect(parseQuerySyntax('"crude oil')).toMatchObject({ words: 'crude oil', phrases: [] })
    expect(parseQuerySyntax('crude oil -"palm')).toMatchObject({ words: 'crude oil palm', excluded: [] })
  })

  it('reads hyphenated words, negative numbers and curly quotes as people type them', () => {
    expect(parseQuerySyntax('Kyung-wha -5 e-mail')).toMatchObject({ words: 'Kyung-wha -5 e-mail', excluded: [] })
    expect(parseQuerySyntax('\u201cnew york\u201d')).toMatchObject({ phrases: ['new york'], words: ' ' })
  })

  it('leaves the last word open for completion only when the query ends in it', () => {
    expect(parseQuerySyntax('"new york" sto').words).toBe('sto')
    expect(parseQuerySyntax('sto "new york"').words).toBe('sto ')
    expect(parseQuerySyntax('-palm').positive).toBe(false)
  })
})

describe('phrases on real news text', () => {
  const index = spreadIndex()

  it('match the words in order and adjacent, in segments and the memtable', () => {
    const found = ids(index, q('"new york"'))
    // In both segments and the memtable; not where "new" and "York" stand apart.
    expect(found).toEqual(expect.arrayContaining(['reuters-72', 'reuters-80', 'reuters-81']))
    expect(found).not.toContain('reuters-3238')
    expect(found).not.toContain('reuters-2318')
    for (const id of found) expect(`${DOCS.find((d) => d.id === id)?.title} ${bodyOf(id)}`).toMatch(/new york/i)
    // The plain words find the documents where they stand apart too.
    expect(ids(index, q('new york'))).toEqual(expect.arrayContaining(['reuters-3238', 'reuters-2318']))
  })

  it('keep the place of stop words inside them', () => {
    expect(ids(index, q('"state of the art"'))).toEqual(['reuters-3645'])
    // Without the stop words the words are not adjacent, so the shorter phrase does not match.
    expect(ids(index, q('"state art"'))).toEqual([])
  })

  it('mark the phrase as a whole in the snippet', () => {
    const [hit] = index.search(q('"state of the art"')).hits
    expect(hit?.snippet).toContain('<mark>state of the art</mark>')
    const [crude] = index.search(q('"crude oil" -palm')).hits
    expect(crude?.snippet).toMatch(/<mark>crude oil<\/mark>/i)
  })

  it('are exact: no typo tolerance and no completion inside quotes', () => {
    expect(ids(index, q('"crude oill"'))).toEqual([])
    expect(ids(index, q('"crude oi"'))).toEqual([])
    // The same words outside quotes are typo-tolerant.
    expect(ids(index, q('crude oill'))).toEqual(expect.arrayContaining(['reuters-127', 'reuters-191']))
  })

  it('work in Korean as written and with particles', () => {
    const found = ids(index, q('"서울 지하철"'))
    expect(found).toEqual(['kowikinews-1094', 'kowikinews-2'])
    // The words apart (서울 ... 지하철) match only without the quotes.
    expect(ids(index, q('서울 지하철'))).toEqual(expect.arrayContaining(['kowikinews-878']))
  })

  it('work in Japanese as segmented', () => {
    expect(ids(index, q('"宮城県沖"'))).toEqual(['jawikinews-0', 'jawikinews-467'])
    // 福島県沖 shares 県沖, and jawikinews-809 has 宮城県 and 沖 apart: neither is the phrase.
    expect(ids(index, q('宮城県 沖'))).toEqual(expect.arrayContaining(['jawikinews-311']))
  })

  it('find a document upserted after the segments, and lose it when it is deleted', () => {
    const live = spreadIndex()
    const extra: IndexDoc = { ...(DOCS[0] as IndexDoc), id: 'fresh', title: 'Fresh', body: 'A day in New York.' }
    live.upsert(extra)
    expect(ids(live, q('"new york"'))).toContain('fresh')
    live.delete('fresh')
    expect(ids(live, q('"new york"'))).not.toContain('fresh')
    // Positions survive the writer's segment build: one segment of the same documents gives the same answers.
    const flushed = new SearchIndex([segmentOf(DOCS)])
    expect(ids(flushed, q('"new york"'))).toEqual(ids(live, q('"new york"')))
    expect(ids(flushed, q('"state of the art"'))).toEqual(['reuters-3645'])
  })
})

describe('exclusions on real news text', () => {
  const index = spreadIndex()

  it('drop documents with the word, or with the phrase', () => {
    const crude = ids(index, q('crude'))
    expect(crude).toEqual(expect.arrayContaining(['reuters-274', 'reuters-885', 'reuters-127']))
    expect(ids(index, q('crude -palm'))).toEqual(crude.filter((id) => id !== 'reuters-274' && id !== 'reuters-885'))
    const oil = ids(index, q('oil -"crude oil"'))
    expect(oil).not.toContain('reuters-127')
    expect(oil).toEqual(expect.arrayContaining(['reuters-274']))
  })

  it('combine with filters and facets, which count only what is left', () => {
    const result = index.search(q('-palm', { lang: ['en'], facets: ['lang', 'source'] }))
    const english = DOCS.filter((d) => d.lang === 'en' && !/palm/i.test(`${d.title} ${d.body}`))
    expect(result.total).toBe(english.length)
    expect(result.facets?.lang).toEqual([{ value: 'en', count: english.length }])
    const ko = index.search(q('지하철 -"서울 지하철"', { lang: ['ko'], facets: ['tags'] }))
    expect(ko.hits.map((h) => h.id)).not.toContain('kowikinews-2')
    expect(ko.facets?.tags).toEqual([{ value: 'world', count: ko.total }])
  })

  it('alone list every other document, newest first', () => {
    const result = index.search(q('-palm -york', { limit: 100 }))
    const rest = DOCS.filter((d) => !/palm|york/i.test(`${d.title} ${d.body}`))
    expect(result.total).toBe(rest.length)
    const dates = result.hits.map((h) => (h.published === null ? 0 : Date.parse(h.published)))
    expect(dates).toEqual([...dates].sort((a, b) => b - a))
  })
})

describe('proximity in ranking', () => {
  it('ranks a document with the words together above one with them apart', () => {
    const filler = 'Markets were quiet and traders waited for figures from the central bank on Friday.'
    const together = { ...(DOCS[0] as IndexDoc), id: 'together', title: 'Report', body: `${filler} Crude oil rose.` }
    const apart = { ...(DOCS[0] as IndexDoc), id: 'apart', title: 'Report', body: `Crude rose. ${filler} Oil.` }
    const index = new SearchIndex([segmentOf([apart, together, ...DOCS])])
    const hits = index.search(q('crude oil', { limit: 20 })).hits.map((h) => h.id)
    expect(hits.indexOf('together')).toBeLessThan(hits.indexOf('apart'))
    const noProximity = new SearchIndex([segmentOf([apart, together, ...DOCS])], { proximityWeight: 0 })
    const plain = noProximity.search(q('crude oil', { limit: 20 })).hits
    // Without proximity the two score the same (same terms, same lengths).
    expect(plain.find((h) => h.id === 'together')?.score).toBe(plain.find((h) => h.id === 'apart')?.score)
  })

  it('weighs in full up to 16 query words and in proportion less beyond, as in a pasted paragraph', () => {
    const filler = 'Markets were quiet and traders waited for figures from the central bank on Friday.'
    const together = { ...(DOCS[0] as IndexDoc), id: 'together', title: 'Report', body: `${filler} Crude oil rose.` }
    const apart = { ...(DOCS[0] as IndexDoc), id: 'apart', title: 'Report', body: `Crude rose. ${filler} Oil.` }
    const index = new SearchIndex([segmentOf([apart, together, ...DOCS])])
    // Words no document holds: they change neither document's BM25F, only how many words the query has.
    const padded = (n: number): string => ['crude oil', ...Array.from({ length: n }, (_, i) => `zq${i}`)].join(' ')
    const lead = (text: string): number => {
      const hits = index.search(q(text, { fuzzy: false, prefix: false })).hits
      const score = (id: string): number => hits.find((h) => h.id === id)?.score ?? Number.NaN
      return score('together') - score('apart')
    }
    const two = lead('crude oil')
    expect(two).toBeGreaterThan(0.05)
    expect(lead(padded(14))).toBeCloseTo(two, 3)
    expect(lead(padded(30))).toBeCloseTo(two / 2, 3)
  })

  it('reranks the head of the BM25F ranking only: below it, order and scores are BM25F', () => {
    const filler = 'Markets were quiet and traders waited for figures from the central bank on Friday.'
    // More documents than the head with the words twice each, far apart, in a short body; one with them side by side
    // once, in a long body, so that BM25F ranks it below the head.
    const apart = Array.from({ length: PROXIMITY_RERANK_DEPTH + 5 }, (_, i) => ({
      ...(DOCS[0] as IndexDoc),
      id: `apart${i}`,
      title: 'Report',
      body: `Crude rose. ${filler} Oil fell. ${filler} Crude. ${filler} Oil.`,
    }))
    const long = `${filler} ${filler} ${filler} ${filler}`
    const together = { ...(DOCS[0] as IndexDoc), id: 'together', title: 'Report', body: `${long} Crude oil. ${long}` }
    const docs = [...apart, together, ...DOCS]
    const hits = new SearchIndex([segmentOf(docs)]).search(q('crude oil')).hits
    const plain = new SearchIndex([segmentOf(docs)], { proximityWeight: 0 }).search(q('crude oil')).hits
    expect(plain.findIndex((h) => h.id === 'together')).toBeGreaterThanOrEqual(PROXIMITY_RERANK_DEPTH)
    const idAndScore = (h: { id: string; score: number }): [string, number] => [h.id, h.score]
    expect(hits.slice(PROXIMITY_RERANK_DEPTH).map(idAndScore)).toEqual(
      plain.slice(PROXIMITY_RERANK_DEPTH).map(idAndScore),
    )
    // The head gained: its words are near enough to count.
    expect(hits[0]?.score).toBeGreaterThan(plain[0]?.score ?? Number.POSITIVE_INFINITY)
  })
})
