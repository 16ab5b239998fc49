import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_BM25 } from './bm25'
import sample from './fixtures/news-sample.json'
import { forEachPosting } from './positions'
import { SearchIndex } from './search-index'
import { Segment } from './segment'
import { SegmentBuilder } from './segment-builder'
import { mergeSegments } from './segment-merge'
import type { IndexDoc, SearchParams } from './types'

/** The Reuters sample with the metadata a merge must carry: urls, sources, authors, tags, dates; and CJK text. */
const docs: IndexDoc[] = [
  ...sample.map((d, i) => ({
    id: d.id,
    title: d.title,
    body: d.body,
    lang: d.lang,
    url: i % 3 === 0 ? null : `https://news.example/${d.id}`,
    source: i % 4 === 0 ? null : `source-${i % 3}`,
    author: i % 2 === 0 ? `author-${i % 5}` : null,
    tags: i % 3 === 1 ? [] : [`tag-${i % 4}`, `tag-${(i + 1) % 6}`],
    published: i % 5 === 0 ? null : Date.UTC(1987, 2, 1 + i),
  })),
  {
    id: 'ko-1',
    title: '일본의 방류 계획',
    body: '정부는 일본의 방류 계획에 대해 우려를 표명했다.',
    url: 'https://news.example/ko-1',
    source: 'Yonhap',
    author: null,
    lang: 'ko',
    tags: ['japan'],
    published: Date.UTC(2023, 7, 24),
  },
  {
    id: 'ja-1',
    title: '宮城県沖で地震',
    body: '宮城県沖で地震があり、津波の心配はないと気象庁が発表した。',
    url: 'https://news.example/ja-1',
    source: 'NHK',
    author: null,
    lang: 'ja',
    tags: ['japan', 'earthquake'],
    published: Date.UTC(2024, 0, 2),
  },
]

function build(of: readonly IndexDoc[]): Segment {
  const builder = new SegmentBuilder()
  for (const d of of) builder.add(d)
  return Segment.open(builder.finish())
}

/** What a segment holds, impacts apart: its terms with their documents and positions, its documents, its meta. */
function contents(segment: Segment) {
  const terms: [string, [number, number[]][]][] = []
  for (let t = 0; t < segment.termCount; t++) {
    const postings: [number, number[]][] = []
    forEachPosting(segment, t, (doc, _impact, positions) => postings.push([doc, positions]))
    terms.push([segment.term(t), postings])
  }
  const documents = Array.from({ length: segment.docCount }, (_, d) => ({
    ...segment.document(d),
    titleLength: segment.titleLength[d],
    bodyLength: segment.bodyLength[d],
  }))
  return { meta: segment.meta, terms, documents }
}

/** Per term, per posting: the impact byte, by the posting's document id. */
function impacts(segment: Segment): Map<string, number> {
  const byPosting = new Map<string, number>()
  for (let t = 0; t < segment.termCount; t++) {
    const term = segment.term(t)
    forEachPosting(segment, t, (doc, impact) => byPosting.set(`${term} ${segment.docId(doc)}`, impact))
  }
  return byPosting
}

const all = () => true

describe('Merging segments', () => {
  it('holds what a build of the same documents holds, each impact as its input stored it', () => {
    const parts = [docs.slice(0, 7), docs.slice(7, 12), docs.slice(12)]
    const inputs = parts.map(build)
    const merged = Segment.open(mergeSegments(inputs.map((segment) => ({ segment, keep: all }))))
    expect(contents(merged)).toEqual(contents(build(docs)))
    const stored = new Map(inputs.flatMap((segment) => [...impacts(segment)]))
    expect(impacts(merged)).toEqual(stored)
    // Each term's highest impact is its postings' highest.
    for (let t = 0; t < merged.termCount; t++) {
      let max = 0
      forEachPosting(merged, t, (_doc, impact) => {
        max = Math.max(max, impact)
      })
      expect(merged.termMaxImpact[t]).toBe(max)
    }
  })

  it('of one segment, keeping every document, is that segment byte for byte', () => {
    const builder = new SegmentBuilder()
    for (const d of docs) builder.add(d)
    const bytes = builder.finish()
    expect(mergeSegments([{ segment: Segment.open(bytes), keep: all }])).toEqual(bytes)
  })

  it('leaves out the documents not kept, and the terms only they had', () => {
    const inputs = [build(docs.slice(0, 10)), build(docs.slice(10))]
    const dropped = new Set(['ja-1', docs[2]?.id, docs[11]?.id])
    const merged = Segment.open(
      mergeSegments(inputs.map((segment) => ({ segment, keep: (d: number) => !dropped.has(segment.docId(d)) }))),
    )
    const kept = docs.filter((d) => !dropped.has(d.id))
    expect(contents(merged)).toEqual(contents(build(kept)))
    // The terms of the dropped Japanese article that no kept document has: in its input, not in the merge.
    const keptTerms = build(kept)
    const only = [...build(docs.filter((d) => d.id === 'ja-1')).termList()].filter((t) => keptTerms.findTerm(t) < 0)
    expect(only.length).toBeGreaterThan(0)
    for (const term of only) {
      expect(inputs[1]?.findTerm(term), term).toBeGreaterThanOrEqual(0)
      expect(merged.findTerm(term), term).toBe(-1)
    }
  })

  it('answers searches as the segments it merged did', () => {
    const inputs = [build(docs.slice(0, 9)), build(docs.slice(9))]
    const merged = Segment.open(mergeSegments(inputs.map((segment) => ({ segment, keep: all }))))
    const before = new SearchIndex(inputs)
    const after = new SearchIndex([merged])
    for (const q of ['chrysler', 'oil prices', 'bank', 'japan', '地震', '방류', 'shareholders', 'dlr']) {
      const params: SearchParams = { q, limit: 10, offset: 0, sort: 'relevance' }
      const ids = (index: SearchIndex) => index.search(params).hits.map((h) => h.id)
      expect(ids(after), q).toEqual(ids(before))
      expect(after.search(params).total, q).toBe(before.search(params).total)
    }
  })

  it('refuses segments of different BM25 parameters', () => {
    const other = new SegmentBuilder({ bm25: { ...DEFAULT_BM25, k1: DEFAULT_BM25.k1 + 0.5 } })
    other.add(docs[0] as IndexDoc)
    const inputs = [build(docs.slice(1, 3)), Segment.open(other.finish())]
    expect(() => mergeSegments(inputs.map((segment) => ({ segment, keep: all })))).toThrow(/cannot be merged/)
  })

  it('of any split of any documents into segments, holds what a build of the kept ones holds', () => {
    const words = ['oil', 'price', 'bank', 'rate', 'crude', 'opec', 'wheat', 'ship', '원유', '価格', 'coco-co']
    const text = fc.array(fc.constantFrom(...words), { minLength: 0, maxLength: 30 }).map((w) => w.join(' '))
    const doc = fc.record({ title: text, body: text, keep: fc.boolean(), cut: fc.boolean() })
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 25 }), (drawn) => {
        const all = drawn.map((d, i) => ({
          ...d,
          doc: { ...(docs[i % docs.length] as IndexDoc), id: `d${i}`, title: d.title, body: d.body },
        }))
        // Consecutive runs, each ended by a document drawn with `cut`.
        const runs: (typeof all)[] = [[]]
        for (const d of all) {
          runs[runs.length - 1]?.push(d)
          if (d.cut) runs.push([])
        }
        const inputs = runs.filter((r) => r.length > 0).map((r) => ({ run: r, segment: build(r.map((d) => d.doc)) }))
        const merged = Segment.open(
          mergeSegments(inputs.map(({ run, segment }) => ({ segment, keep: (d: number) => run[d]?.keep === true }))),
        )
        expect(contents(merged)).toEqual(contents(build(all.filter((d) => d.keep).map((d) => d.doc))))
      }),
      { numRuns: 60 },
    )
  })
})
