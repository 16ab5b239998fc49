import { describe, expect, it } from 'vitest'
import { DEFAULT_ANALYZER } from './analyzer'
import sample from './fixtures/news-sample.json'
import { Memtable } from './memtable'
import { SearchIndex } from './search-index'
import type { IndexDoc } from './types'

/** Real articles: Reuters-21578, Korean and Japanese Wikinews (see fixtures/news-sample.json). */
const DOCS: IndexDoc[] = sample.map((d) => ({
  id: d.id,
  title: d.title,
  body: d.body,
  url: null,
  source: null,
  author: null,
  lang: d.lang,
  tags: [],
  published: null,
}))

describe('the memtable’s sorted terms', () => {
  it('stay every term seen, sorted, while articles keep arriving between reads', () => {
    const memtable = new Memtable(DEFAULT_ANALYZER)
    // Read after every article, as queries do between a steady feed's syncs, then after a few at once.
    for (const [i, doc] of DOCS.entries()) {
      memtable.upsert(doc)
      if (i % 5 !== 4) expect([...memtable.sortedTerms()]).toEqual([...memtable.postings.keys()].sort())
    }
    memtable.upsert({ ...(DOCS[0] as IndexDoc), id: 'again', body: 'Zyzzyva and aardvark, new words both.' })
    const sorted = memtable.sortedTerms()
    expect([...sorted]).toEqual([...memtable.postings.keys()].sort())
    expect(new Set(sorted).size).toBe(sorted.length)
    expect(memtable.termDictionary().terms).toBe(sorted)
  })

  it('lets a typo find a word that arrived after the dictionary was last built', () => {
    const index = new SearchIndex([])
    for (const doc of DOCS.slice(0, 8)) index.upsert(doc)
    index.prepareRecent()
    const search = (q: string) => index.search({ q, limit: 10, offset: 0, sort: 'relevance' }).hits.map((h) => h.id)
    expect(search('pitcherplnt')).toEqual([])
    index.upsert({ ...(DOCS[0] as IndexDoc), id: 'late', title: 'Late news', body: 'A pitcherplant in the bog.' })
    expect(search('pitcherplnt')).toEqual(['late'])
  })
})

describe('a memtable replaying what another holds', () => {
  it('shares the analysis of an unchanged document and analyses a changed one anew', () => {
    const inUse = new SearchIndex([])
    for (const doc of DOCS) inUse.upsert(doc)
    const next = new SearchIndex([])
    const [first, second] = DOCS as [IndexDoc, IndexDoc]
    // A copy as a change block brings it (another object, the same fields) and a changed one.
    next.upsert({ ...first, tags: [...first.tags] }, inUse)
    next.upsert({ ...second, body: `${second.body} Wolfram.` }, inUse)
    next.upsert({ ...first, id: 'new', title: 'Ore', body: 'Scheelite.' }, inUse)
    const docs = (index: SearchIndex) => (index as unknown as { memtable: Memtable }).memtable.docs
    expect(docs(next)[0]?.terms).toBe(docs(inUse)[0]?.terms)
    expect(docs(next)[1]?.terms).not.toBe(docs(inUse)[1]?.terms)
    const search = (index: SearchIndex, q: string) =>
      index.search({ q, limit: 10, offset: 0, sort: 'relevance', fuzzy: false }).hits.map((h) => h.id)
    expect(search(next, 'wolfram')).toEqual([second.id])
    expect(search(next, 'scheelite')).toEqual(['new'])
    expect(search(next, first.title)[0]).toBe(first.id)
  })
})
