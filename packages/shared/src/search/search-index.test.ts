import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { QUERY_LIMITS } from './limits'
import { SearchIndex } from './search-index'
import { Segment } from './segment'
import { SegmentBuilder } from './segment-builder'
import type { IndexDoc, SearchParams } from './types'

const day = (d: string): number => Date.parse(`${d}T00:00:00Z`)

function doc(id: string, title: string, body: string, extra: Partial<IndexDoc> = {}): IndexDoc {
  return {
    id,
    title,
    body,
    url: `https://news.example/${id}`,
    source: 'Example News',
    author: null,
    lang: 'en',
    tags: [],
    published: null,
    ...extra,
  }
}

const NEWS: IndexDoc[] = [
  doc('cocoa-1', 'Bahia cocoa review', 'Showers continued throughout the week in the Bahia cocoa zone.', {
    source: 'Reuters',
    author: 'Ana Souza',
    tags: ['cocoa', 'brazil'],
    published: day('1987-02-26'),
  }),
  doc('coffee-1', 'Brazil coffee exports fall', 'Coffee exports from Brazil fell sharply in February, traders said.', {
    source: 'Reuters',
    tags: ['coffee', 'brazil'],
    published: day('1987-03-02'),
  }),
  doc('market-1', 'Stock market rallies', 'The stock market rallied as investors bought shares of banks.', {
    source: 'AP',
    author: 'John Smith',
    tags: ['markets'],
    published: day('1987-03-05'),
  }),
  doc('marker-1', 'Marker buoys placed', 'A marker buoy was placed near the harbour entrance by the coast guard.', {
    source: 'AP',
    tags: ['shipping'],
    published: day('1987-03-01'),
  }),
  doc(
    'gsomia-1',
    'Seoul to end GSOMIA',
    'Foreign Minister Kang Kyung-wha said Seoul would end GSOMIA before the G20.',
    {
      source: 'Korea Herald',
      author: 'Jo He-rim',
      lang: 'en',
      tags: ['korea', 'japan'],
      published: day('2019-08-22'),
    },
  ),
  doc('ko-1', '일본의 오염수 방류 결정', '일본 정부는 후쿠시마 오염수를 바다에 방류하기로 결정했다.', {
    source: 'Wikinews',
    lang: 'ko',
    tags: ['japan'],
    published: day('2021-04-13'),
  }),
  doc('ja-1', '宮城県沖で強い地震', '宮城県沖を震源とする大規模な地震があった。気象庁はマグニチュード7.4と発表した。', {
    source: 'Wikinews',
    lang: 'ja',
    tags: ['japan'],
    published: day('2011-04-07'),
  }),
]

/**
 * An index over one segment of these documents: what a reader opens once the writer has flushed or merged them
 * (the writer builds segments from its stored documents; a reader opens a new SearchIndex over them).
 */
function build(docs: IndexDoc[]): SearchIndex {
  const builder = new SegmentBuilder()
  for (const d of docs) builder.add(d)
  return new SearchIndex([Segment.open(builder.finish())])
}

const q = (text: string, extra: Partial<SearchParams> = {}): SearchParams => ({
  q: text,
  limit: 10,
  offset: 0,
  sort: 'relevance',
  ...extra,
})
const ids = (index: SearchIndex, params: SearchParams): string[] => index.search(params).hits.map((h) => h.id)

describe('SearchIndex ranking', () => {
  const index = build(NEWS)

  it('finds documents by stemmed words in title and body', () => {
    expect(ids(index, q('exports'))).toEqual(['coffee-1'])
    expect(ids(index, q('rallying stocks'))).toEqual(['market-1'])
  })

  it('ranks a title match above a body-only match', () => {
    const index2 = build([
      doc('body', 'Weather report', 'The harvest of cocoa was late this year in the region.'),
      doc('title', 'Cocoa harvest late', 'The weather was dry this year in the region.'),
    ])
    expect(ids(index2, q('cocoa'))).toEqual(['title', 'body'])
  })

  it('finds hyphenated names and codes', () => {
    expect(ids(index, q('Kyung-wha'))[0]).toBe('gsomia-1')
    expect(ids(index, q('kyungwha'))[0]).toBe('gsomia-1')
    expect(ids(index, q('G20'))).toEqual(['gsomia-1'])
  })

  it('finds Korean words without their particles and Japanese words without spaces', () => {
    expect(ids(index, q('일본 방류'))[0]).toBe('ko-1')
    expect(ids(index, q('宮城県 地震'))[0]).toBe('ja-1')
    expect(ids(index, q('気象庁'))[0]).toBe('ja-1')
  })

  it('tolerates a typo in a word the index does not know', () => {
    expect(ids(index, q('cofee'))).toContain('coffee-1')
    // two swapped letters are one typo
    expect(ids(index, q('cocao'))).toEqual(['cocoa-1'])
  })

  it('finds typo neighbours added after the same word was looked up, and once they are in a segment', () => {
    const live = build(NEWS)
    // cocoz is in no document: it expands to its neighbours (cocoa), which the index keeps for the next lookup.
    const typo = q('cocoz', { prefix: false })
    expect(ids(live, typo)).toEqual(['cocoa-1'])
    const cocos = doc('cocos-1', 'Cocos islands', 'A storm reached the islands.')
    live.upsert(cocos)
    expect(ids(live, typo).sort()).toEqual(['cocoa-1', 'cocos-1'])
    const flushed = build([...NEWS, cocos])
    expect(ids(flushed, typo).sort()).toEqual(['cocoa-1', 'cocos-1'])
    flushed.delete('cocoa-1')
    expect(ids(flushed, typo)).toEqual(['cocos-1'])
  })

  it('completes the last word as a prefix', () => {
    expect(ids(index, q('coff'))).toContain('coffee-1')
    expect(ids(index, q('coff', { prefix: false, fuzzy: false }))).toEqual([])
  })

  it('keeps exact matches above fuzzy and prefix neighbours', () => {
    expect(ids(index, q('market'))[0]).toBe('market-1')
    expect(ids(index, q('marker'))[0]).toBe('marker-1')
    const exact = index.search(q('market')).hits
    const neighbour = exact.find((h) => h.id === 'marker-1')
    if (neighbour !== undefined) expect(neighbour.score).toBeLessThan(exact[0]?.score ?? 0)
  })

  it('answers an empty index with total 0', () => {
    const empty = new SearchIndex()
    expect(empty.search(q('anything'))).toEqual({ total: 0, hits: [] })
    expect(empty.search(q(''))).toEqual({ total: 0, hits: [] })
    expect(empty.documentCount).toBe(0)
    expect(empty.suggest('any', 5)).toEqual([])
  })
})

describe('SearchIndex filters, facets, sort and paging', () => {
  const index = build(NEWS)

  it('filters by source, author, lang, tag and dates', () => {
    expect(ids(index, q('', { source: ['reuters'] })).sort()).toEqual(['cocoa-1', 'coffee-1'])
    expect(ids(index, q('', { author: ['John Smith'] }))).toEqual(['market-1'])
    expect(ids(index, q('', { lang: ['ko', 'ja'] })).sort()).toEqual(['ja-1', 'ko-1'])
    expect(ids(index, q('brazil', { tag: ['coffee'] }))).toEqual(['coffee-1'])
    expect(ids(index, q('', { from: day('1987-03-01'), to: day('1987-03-02') })).sort()).toEqual([
      'coffee-1',
      'marker-1',
    ])
  })

  it('matches a language filter against regional variants', () => {
    const index2 = build([doc('a', 'Cocoa', 'cocoa', { lang: 'en-GB' }), doc('b', 'Cocoa', 'cocoa', { lang: 'ko' })])
    expect(ids(index2, q('cocoa', { lang: ['en'] }))).toEqual(['a'])
  })

  it('counts facets over all matches, not only the page', () => {
    const result = index.search(q('', { limit: 1, facets: ['source', 'lang', 'tags', 'author'] }))
    expect(result.total).toBe(NEWS.length)
    expect(result.hits).toHaveLength(1)
    expect(result.facets?.source).toEqual([
      { value: 'AP', count: 2 },
      { value: 'Reuters', count: 2 },
      { value: 'Wikinews', count: 2 },
      { value: 'Korea Herald', count: 1 },
    ])
    expect(result.facets?.tags?.[0]).toEqual({ value: 'japan', count: 3 })
    expect(result.facets?.lang).toEqual([
      { value: 'en', count: 5 },
      { value: 'ja', count: 1 },
      { value: 'ko', count: 1 },
    ])
  })

  it('sorts by newest and oldest; an empty query lists newest first', () => {
    expect(ids(index, q('', { limit: 3 }))).toEqual(['ko-1', 'gsomia-1', 'ja-1'])
    expect(ids(index, q('', { sort: 'oldest', limit: 2 }))).toEqual(['cocoa-1', 'marker-1'])
    expect(ids(index, q('cocoa coffee', { sort: 'newest' }))).toEqual(['coffee-1', 'cocoa-1'])
    expect(ids(index, q('cocoa coffee', { sort: 'oldest' }))).toEqual(['cocoa-1', 'coffee-1'])
  })

  it('pages with limit and offset and reports the total', () => {
    const all = ids(index, q('', { limit: 100 }))
    const pages = [0, 2, 4, 6].flatMap((offset) => ids(index, q('', { limit: 2, offset })))
    expect(pages).toEqual(all)
    expect(index.search(q('', { limit: 2, offset: 6 })).total).toBe(NEWS.length)
  })

  it('clamps what a query may cost', () => {
    expect(index.search(q('', { limit: 10_000 })).hits.length).toBeLessThanOrEqual(QUERY_LIMITS.maxLimit)
    expect(() => index.search(q('cocoa '.repeat(1000)))).not.toThrow()
  })
})

describe('SearchIndex snippets', () => {
  it('marks matches in a passage of the body and escapes HTML', () => {
    const index = build([
      doc('x', 'Security alert', 'Attackers posted <script>alert("cocoa")</script> into the cocoa forum & fled.'),
    ])
    const snippet = index.search(q('cocoa')).hits[0]?.snippet ?? ''
    expect(snippet).toContain('&lt;script&gt;')
    expect(snippet).not.toContain('<script>')
    expect(snippet).toContain('<mark>cocoa</mark>')
    expect(snippet).toContain('&amp;')
  })

  it('centres a long body on the matches', () => {
    const body = `${'Unrelated words about the weather. '.repeat(40)}Then the central bank raised rates.`
    const snippet = build([doc('x', 'News', body)]).search(q('central bank')).hits[0]?.snippet ?? ''
    expect(snippet).toContain('<mark>central</mark> <mark>bank</mark>')
    expect(snippet.startsWith('…')).toBe(true)
    expect(snippet.length).toBeLessThan(260)
  })

  it('marks inflected and accented forms, wherever the accent falls, and folds whitespace runs', () => {
    // bankers stems to banker, not bank: only the words the query's terms come from are marked.
    const body = 'A naïve plan:\tthe Zürich bankers\n\nwere BANKING on Café prices.'
    const snippet = build([doc('x', 'Plans', body)]).search(q('naive zurich bank cafe')).hits[0]?.snippet ?? ''
    expect(snippet).toBe(
      'A <mark>naïve</mark> plan: the <mark>Zürich</mark> bankers were <mark>BANKING</mark> on <mark>Café</mark> prices.',
    )
  })

  it('marks words whose stem changes their third letter, hyphenated compounds and accents in other scripts', () => {
    const body = 'Flying co-founders met in Αθήνα and Việt Nam.'
    const snippet = build([doc('x', 'Trip', body)]).search(q('flying cofounders αθηνα viet')).hits[0]?.snippet ?? ''
    for (const word of ['Flying', 'co-founders', 'Αθήνα', 'Việt']) expect(snippet).toContain(`<mark>${word}</mark>`)
  })

  it('marks Latin words beside Japanese ones in the same query', () => {
    const body = '東京で地震があった。Tokyo residents felt the quake.'
    const snippet = build([doc('x', '地震', body, { lang: 'ja' })]).search(q('地震 tokyo')).hits[0]?.snippet ?? ''
    expect(snippet).toContain('<mark>地震</mark>')
    expect(snippet).toContain('<mark>Tokyo</mark>')
  })

  it('falls back to the start of the body', () => {
    const body = 'First sentence of the story. '.repeat(20)
    const snippet = build([doc('x', 'Cocoa', body)]).search(q('cocoa')).hits[0]?.snippet ?? ''
    expect(snippet.startsWith('First sentence')).toBe(true)
  })
})

describe('SearchIndex updates and deletes', () => {
  it('shows an update at once, with no ghost hit and no stale snippet', () => {
    const index = build(NEWS)
    index.upsert({
      ...(NEWS[0] as IndexDoc),
      title: 'Bahia rainfall review',
      body: 'Heavy rainfall in Bahia delayed the harvest.',
    })
    expect(ids(index, q('showers'))).toEqual([])
    const hit = index.search(q('rainfall')).hits[0]
    expect(hit?.id).toBe('cocoa-1')
    expect(hit?.snippet).toContain('<mark>rainfall</mark>')
    expect(index.search(q('bahia')).total).toBe(1)
    expect(index.documentCount).toBe(NEWS.length)
  })

  it('hides a deleted document at once, from segments and the memtable', () => {
    const index = build(NEWS)
    index.delete('coffee-1')
    expect(ids(index, q('coffee'))).toEqual([])
    expect(index.documentCount).toBe(NEWS.length - 1)
    index.upsert(doc('new', 'Tea prices', 'Tea prices rose.'))
    expect(ids(index, q('tea'))).toEqual(['new'])
    index.delete('new')
    expect(ids(index, q('tea'))).toEqual([])
    expect(index.search(q('', { facets: ['source'] })).facets?.source?.find((f) => f.value === 'Reuters')?.count).toBe(
      1,
    )
  })

  it('scores memtable documents like segment documents', () => {
    const base = build(NEWS)
    const live = build(NEWS.slice(1))
    live.upsert(NEWS[0] as IndexDoc)
    const a = base.search(q('bahia cocoa')).hits[0]
    const b = live.search(q('bahia cocoa')).hits[0]
    expect(b?.id).toBe(a?.id)
    expect(b?.score).toBeCloseTo(a?.score ?? 0, 1)
  })

  it('answers as a segment built from its live documents does (what the writer flushes and readers open)', () => {
    const index = build(NEWS)
    const tea = doc('tea', 'Tea prices rise', 'Tea prices rose in Kenya.', { tags: ['tea'] })
    index.upsert(tea)
    index.delete('marker-1')
    const flushed = build([...NEWS.filter((d) => d.id !== 'marker-1'), tea])
    for (const p of [q('prices'), q('', { facets: ['tags'] }), q('market'), q('일본')]) {
      const live = index.search(p)
      expect(flushed.search(p).total).toBe(live.total)
      expect(flushed.search(p).hits.map((h) => h.id)).toEqual(live.hits.map((h) => h.id))
    }
    expect(flushed.documentCount).toBe(NEWS.length)
  })

  it('answers as a segment of its live documents after any upserts, deletes and flushes (property)', () => {
    const words = ['cocoa', 'coffee', 'market', 'rates', 'seoul', 'tokyo', '일본', '地震']
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('upsert' as const),
        id: fc.integer({ min: 0, max: 6 }),
        title: fc.array(fc.constantFrom(...words), { maxLength: 3 }),
        body: fc.array(fc.constantFrom(...words), { maxLength: 8 }),
        published: fc.option(fc.integer({ min: 0, max: 1e12 }), { nil: null }),
      }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('flush' as const) }),
    )
    const exact = (word: string) => q(word, { limit: 100, prefix: false, fuzzy: false })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), fc.constantFrom(...words), (ops, word) => {
        let index = new SearchIndex()
        const expected = new Map<string, IndexDoc>()
        for (const o of ops) {
          if (o.kind === 'upsert') {
            const d = doc(`d${o.id}`, o.title.join(' '), o.body.join(' '), { published: o.published })
            index.upsert(d)
            expected.set(d.id, d)
          } else if (o.kind === 'delete') {
            index.delete(`d${o.id}`)
            expected.delete(`d${o.id}`)
          } else {
            // The writer flushes what it has stored into a segment, and the reader goes on over it.
            index = build([...expected.values()])
          }
        }
        expect(index.documentCount).toBe(expected.size)
        const live = index.search(exact(word))
        const want = [...expected.values()].filter((d) => `${d.title} ${d.body}`.split(' ').includes(word))
        expect(live.hits.map((h) => h.id).sort()).toEqual(want.map((d) => d.id).sort())
        // The same documents; their order may differ, as memtable documents are scored against the segments' figures.
        const flushed = build([...expected.values()])
        expect(
          flushed
            .search(exact(word))
            .hits.map((h) => h.id)
            .sort(),
        ).toEqual(live.hits.map((h) => h.id).sort())
      }),
      { numRuns: 60 },
    )
  })
})

describe('SearchIndex over several segments', () => {
  const segment = (docs: IndexDoc[]): Segment => {
    const builder = new SegmentBuilder()
    for (const d of docs) builder.add(d)
    return Segment.open(builder.finish())
  }

  it('ranks as one index, and a later segment hides an older copy of the same id', () => {
    const older = segment([doc('a', 'Cocoa prices', 'Cocoa prices fell.'), doc('b', 'Coffee', 'Coffee rose.')])
    const newer = segment([doc('a', 'Tea prices', 'Tea prices rose.'), doc('c', 'Cocoa harvest', 'The cocoa harvest.')])
    const index = new SearchIndex([older, newer])
    expect(index.documentCount).toBe(3)
    expect(ids(index, q('cocoa'))).toEqual(['c'])
    expect(ids(index, q('tea'))).toEqual(['a'])
    expect(ids(index, q('cofee'))).toEqual(['b'])
    expect(ids(index, q('harv'))).toEqual(['c'])
    expect(index.search(q('', { facets: ['lang'] })).facets?.lang).toEqual([{ value: 'en', count: 3 }])
  })

  it('counts facets over segments with different dictionaries, the memtable and a successor index, as the documents say', () => {
    const sources = ['Reuters', 'AP', null, 'Kyodo']
    const authors = ['Ana Souza', null, 'Jo He-rim', 'John Smith', 'Kim Min-ji']
    const tagSets = [[], ['oil'], ['oil', 'opec'], ['japan'], ['markets', 'oil']]
    const docs = Array.from({ length: 40 }, (_, i) =>
      doc(`f${i}`, `Oil report ${i}`, `Oil prices moved on day ${i}.`, {
        source: sources[(i * 7) % sources.length] ?? null,
        author: authors[(i * 3) % authors.length] ?? null,
        lang: i % 5 === 0 ? 'ko' : 'en',
        tags: tagSets[i % tagSets.length] ?? [],
      }),
    )
    // What the facets must say: every live document matches "oil"; counted here from the documents themselves.
    const expected = (live: IndexDoc[]) => {
      const count = (values: (string | null)[]) => {
        const counts = new Map<string, number>()
        for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1)
        return [...counts]
          .map(([value, n]) => ({ value, count: n }))
          .sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : 1))
      }
      return {
        source: count(live.map((d) => d.source)),
        author: count(live.map((d) => d.author)),
        lang: count(live.map((d) => d.lang)),
        tags: count(live.flatMap((d) => [...new Set(d.tags)])),
      }
    }
    const facets = ['source', 'author', 'lang', 'tags'] as const
    const asked = q('oil', { facets: [...facets], limit: 5 })
    // Each segment numbers its own values: the first holds only some of them, in another order.
    const [a, b, c] = [segment(docs.slice(0, 9)), segment(docs.slice(9, 25)), segment(docs.slice(25, 35))]
    const first = new SearchIndex([a, b, c])
    for (const d of docs.slice(35)) first.upsert(d)
    expect(first.search(asked).facets).toEqual(expected(docs))
    // A swap: the first segment gone (its documents rebuilt into a new one with others), the numbering taken over.
    const merged = segment([...docs.slice(0, 9), ...docs.slice(35)])
    const next = new SearchIndex([b, c, merged], {}, first)
    next.delete('f3')
    expect(next.search(asked).facets).toEqual(expected(docs.filter((d) => d.id !== 'f3')))
  })

  it('prepares its dictionaries in steps, keeping what a query between two steps built, with the same answers', () => {
    // Enough distinct words that merging the segments' terms takes several steps of MERGE_STEP_TERMS.
    const words = (n: number, from: number) => Array.from({ length: n }, (_, i) => `w${(from + i).toString(36)}`)
    const docsOf = (from: number) =>
      Array.from({ length: 30 }, (_, i) => doc(`d${from}-${i}`, `Story ${i}`, words(1_000, from + i * 1_000).join(' ')))
    const segments = () => [segment(docsOf(0)), segment(docsOf(15_000)), segment(docsOf(40_000))]
    const typo = q('wlfxx')
    const prefix = q('wa1')
    const expected = new SearchIndex(segments())
    const answers = [ids(expected, typo), ids(expected, prefix)]
    expect(answers[0]?.length).toBeGreaterThan(0)
    expect(answers[1]?.length).toBeGreaterThan(0)

    const stepped = new SearchIndex(segments())
    expect(stepped.prepared).toBe(false)
    const steps = stepped.prepareInSteps()
    expect(steps.next().done).toBe(false)
    expect(stepped.prepared).toBe(false)
    // A query between two steps expands a word: it builds the merged list in one piece, and the steps stop merging.
    expect([ids(stepped, typo), ids(stepped, prefix)]).toEqual(answers)
    let more = 0
    while (!steps.next().done) more++
    expect(more).toBe(0)
    expect(stepped.prepared).toBe(true)
    expect([ids(stepped, typo), ids(stepped, prefix)]).toEqual(answers)

    const whole = new SearchIndex(segments())
    for (const all = whole.prepareInSteps(); !all.next().done; );
    expect(whole.prepared).toBe(true)
    expect([ids(whole, typo), ids(whole, prefix)]).toEqual(answers)
  })
})

describe('suggest', () => {
  it('completes the word being typed from titles of matching articles', () => {
    const index = build(NEWS)
    const suggestions = index.suggest('brazil cof', 5)
    expect(suggestions[0]?.text).toBe('brazil coffee')
    expect(index.suggest('', 5)).toEqual([])
    expect(index.suggest('brazil cofee', 5)[0]?.text).toBe('brazil coffee')
    // a word being typed is completed even when it is a word already, and from two letters
    expect(index.suggest('ma', 5).map((s) => s.text)).toEqual(expect.arrayContaining(['market', 'marker']))
    // one Hangul syllable is enough to complete; forms of one word are one suggestion
    expect(index.suggest('일본 방', 5)[0]?.text).toBe('일본 방류')
    expect(index.suggest('일', 5).map((s) => s.text)).toEqual(['일본'])
  })
})
