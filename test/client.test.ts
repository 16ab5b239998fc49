import { EdgewireClient, EdgewireError, queryText } from '@edgewire/client'
import { describe, expect, it } from 'vitest'
import { eventually, INGEST, SEARCH, SELF, TEST_SECRET } from './helpers'

const client = new EdgewireClient({
  searchUrl: SEARCH,
  ingestUrl: INGEST,
  secret: TEST_SECRET,
  fetch: (input, init) => SELF.fetch(input, init),
})

describe('the typed client', () => {
  it('composes q in the query syntax from words, phrases and exclusions', () => {
    expect(queryText({ words: 'oil prices', phrases: ['crude oil'], exclude: ['palm', 'new york'] })).toBe(
      '"crude oil" -palm -"new york" oil prices',
    )
    expect(queryText({ phrases: ['say "no"', ' '], exclude: ['-x'] })).toBe('"say no" -x')
  })

  it('sends a signed article and finds it, with typed results', async () => {
    const sent = await client.send({
      type: 'article.upsert',
      data: {
        url: 'https://client.example/walrus',
        title: 'Walrus colony grows',
        text: 'The walrus colony grew again.',
        lang: 'en',
      },
    })
    expect(sent.results[0]?.status).toBe('created')
    const found = await eventually(
      () => client.search({ q: 'walrus', facets: 'lang' }),
      (r) => r.total === 1,
    )
    expect(found.hits[0]?.title).toBe('Walrus colony grows')
    expect(found.facets?.lang?.[0]).toEqual({ value: 'en', count: 1 })
    const article = await client.article(found.hits[0]?.id ?? '')
    expect(article.body).toBe('The walrus colony grew again.')
  })

  it('throws an EdgewireError carrying the problem details', async () => {
    const error = await client.search({ q: 'x', limit: 1000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EdgewireError)
    expect((error as EdgewireError).status).toBe(400)
    expect((error as EdgewireError).problem.detail).toContain('limit')
  })
})
