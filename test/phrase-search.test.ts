import { beforeAll, describe, expect, it } from 'vitest'
import sample from '../packages/shared/src/search/fixtures/news-sample.json'
import { SEARCH, SELF, search, searchUntil, sendEvent } from './helpers'

/** Real Reuters-21578 articles: "state of the art", "New York", and one where "new" and "York" stand apart. */
const PICKED = ['reuters-3645', 'reuters-72', 'reuters-3238', 'reuters-274']
const url = (id: string): string => `https://news.example/${id}`

describe('query syntax through GET /search', () => {
  beforeAll(async () => {
    for (const d of sample.filter((s) => PICKED.includes(s.id))) {
      const res = await sendEvent('article.upsert', {
        url: url(d.id),
        title: d.title,
        text: d.body,
        source: 'Reuters',
        lang: 'en',
        published: '1987-03-01T00:00:00Z',
      })
      expect(res.status).toBe(202)
    }
    await searchUntil({ q: '' }, PICKED.length)
  })

  it('matches a phrase only where its words stand together, and marks it whole', async () => {
    const plain = await search({ q: 'york' })
    expect(plain.total).toBe(2)
    const phrase = await search({ q: '"new york"' })
    expect(phrase.hits.map((h) => h.url)).toEqual([url('reuters-72')])
    const art = await search({ q: '"state of the art"' })
    expect(art.total).toBe(1)
    expect(art.hits[0]?.snippet).toContain('<mark>state of the art</mark>')
  })

  it('excludes words and phrases, with filters and facets', async () => {
    const all = await search({ q: '-york', facets: 'source', lang: 'en' })
    expect(all.total).toBe(PICKED.length - 2)
    expect(all.facets?.source?.reduce((n, f) => n + f.count, 0)).toBe(PICKED.length - 2)
    expect(all.hits.map((h) => h.url).sort()).toEqual([url('reuters-274'), url('reuters-3645')])
    const notPhrase = await search({ q: 'york -"new york"' })
    expect(notPhrase.hits.map((h) => h.url)).toEqual([url('reuters-3238')])
  })

  it('answers 200 to unbalanced quotes, lone signs and only exclusions, never a 5xx', async () => {
    for (const q of ['"new york', '"', '-', '--', '-"', '""', '-"new york', '"new" "york', '-palm -york -state']) {
      const res = await SELF.fetch(`${SEARCH}/search?${new URLSearchParams({ q })}`)
      expect(res.status, q).toBe(200)
    }
    // An unclosed quote is ignored: the same answer as the plain words.
    expect((await search({ q: '"new york' })).total).toBe((await search({ q: 'new york' })).total)
  })
})
