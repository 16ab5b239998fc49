import { describe, expect, it } from 'vitest'
import { SEARCH, SELF, searchUntil, sendEvent } from './helpers'

// The seed article of the product, as scraped (navigation line on top, byline cut off at the end).
const SEED_TEXT = `Back To Top

Groundwork laid for negotiation on Tokyo’s trade curbs, GSOMIA: Kang

South Korean Foreign Minister Kang Kyung-wha said Friday the “groundwork” has been laid for South Korea to persuade Japan to withdraw its trade curbs against Seoul, after the two agreed on measures that delayed the final decision on the ongoing row over a military intelligence-sharing pact.

With Japan imposing export curbs against South Korea in July, citing a lack of trust, Seoul first announced it would pull out from the GSOMIA on Aug. 23, saying it does not make sense to share sensitive information with Tokyo in such a situation.

By Jo He-rim (`

describe('the pipeline, end to end inside workerd', () => {
  it('finds a signed article by search once the webhook accepted it', async () => {
    const res = await sendEvent('article.upsert', {
      url: 'https://www.koreaherald.com/view.php?ud=20191122000600&utm_source=twitter#comments',
      text: SEED_TEXT,
      source: 'The Korea Herald',
      published: '2019-11-22T10:00:00+09:00',
    })
    expect(res.status).toBe(202)
    const { results } = (await res.json()) as { results: { id: string; status: string; url: string }[] }
    expect(results).toHaveLength(1)
    expect(results[0]?.status).toBe('created')

    const found = await searchUntil({ q: 'GSOMIA' }, 1)
    expect(found.total).toBe(1)
    expect(found.hits[0]?.id).toBe(results[0]?.id)
    expect(found.hits[0]?.title).toBe('Groundwork laid for negotiation on Tokyo’s trade curbs, GSOMIA: Kang')
    expect(found.hits[0]?.snippet).toContain('<mark>')

    const article = await SELF.fetch(`${SEARCH}/articles/${results[0]?.id}`)
    expect(article.status).toBe(200)
    const stored = (await article.json()) as { url: string; body: string; byline: string }
    expect(stored.url).toBe('https://www.koreaherald.com/view.php?ud=20191122000600')
    expect(stored.body).not.toContain('Back To Top')
  })

  it('gives the same id to the same canonical url, tracking parameters and fragment removed', async () => {
    const a = await sendEvent('article.upsert', {
      url: 'https://News.Example.com/story/42?utm_medium=rss',
      text: 'First',
    })
    const b = await sendEvent('article.upsert', { url: 'https://news.example.com/story/42#top', text: 'Second' })
    const [ra] = ((await a.json()) as { results: { id: string }[] }).results
    const [rb] = ((await b.json()) as { results: { id: string; status: string }[] }).results
    expect(rb?.id).toBe(ra?.id)
    expect(rb?.status).toBe('updated')
  })

  it('hides a deleted article from search at once', async () => {
    const res = await sendEvent('article.upsert', {
      url: 'https://example.org/zebra',
      text: 'Zebras crossed the river.',
    })
    expect(res.status).toBe(202)
    expect((await searchUntil({ q: 'zebras' }, 1)).total).toBe(1)
    const del = await sendEvent('article.delete', { url: 'https://example.org/zebra' })
    expect(((await del.json()) as { results: { status: string }[] }).results[0]?.status).toBe('deleted')
    expect((await searchUntil({ q: 'zebras' }, 0)).total).toBe(0)
    expect((await SELF.fetch(`${SEARCH}/stats`)).status).toBe(200)
  })
})
